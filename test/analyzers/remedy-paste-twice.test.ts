/**
 * Fixes that can be pasted (R13 #3): forward-blocks-containers on bundles/docker-chains-flushed.tgz
 * (FORWARD rule 1 is the REJECT restored from /etc/sysconfig/iptables). Its whole command block,
 * pasted twice, must insert each accept once, ahead of the REJECT, and must not restart docker:
 * the restart is option A, written as comments, the inserts are option B. Run for real with
 * iptables-restore/iptables-save in a network namespace (real output of the installed iptables).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const bundle = projectPath('bundles', 'docker-chains-flushed.tgz');
const ns = `h35paste${process.pid}`;

async function forwardFix() {
  const r = await analyzeBundle(bundle, { analyzers: [forwardBlocks] });
  const f = r.findings.find((x) => x.id === 'iptables.forward-blocks-containers');
  if (!f) throw new Error('forward-blocks-containers did not fire');
  return f.remedy.commands;
}

describe('forward-blocks-containers remedy: the block as it is', () => {
  it('guards every insert with -C and keeps the restart and the delete as commented options', async () => {
    const commands = await forwardFix();
    const live = commands.filter((c) => !c.trimStart().startsWith('#'));
    expect(live.length).toBeGreaterThan(0);
    for (const c of live) expect(c).toMatch(/^iptables -C FORWARD (.+?) 2>\/dev\/null \|\| iptables -I FORWARD 1 \1( |$)/);
    expect(live.join('\n')).not.toMatch(/systemctl restart docker/);
    expect(commands.join('\n')).toMatch(/# Option A .*\n# systemctl restart docker/);
    expect(commands.some((c) => /^# Option B/.test(c))).toBe(true);
    expect(commands.some((c) => /^# or instead, remove the blocking rule itself: iptables -D FORWARD -j REJECT/.test(c))).toBe(true);
  });
});

describe.skipIf(!canMakeNetns())('forward-blocks-containers remedy: pasted twice in a namespace', () => {
  afterAll(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* not created */
    }
  });

  it('inserts each accept once, ahead of the REJECT the flush restored', async () => {
    const commands = await forwardFix();
    const saved = execFileSync('tar', ['xzf', bundle, '-O', '--wildcards', '*/etc/sysconfig/iptables'], { encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: saved });
    const block = commands.join('\n') + '\n';
    for (let i = 0; i < 2; i++) execFileSync('ip', ['netns', 'exec', ns, 'sh', '-e'], { input: block });
    const forward = execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-S', 'FORWARD'], { encoding: 'utf8' }).trim().split('\n').slice(1);
    expect(forward).toEqual([
      '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
      '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
    ]);
  });
});
