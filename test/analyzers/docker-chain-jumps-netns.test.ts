/**
 * iptables.docker-chain-missing, Docker 28+: FORWARD lost its jumps to DOCKER-USER and
 * DOCKER-FORWARD (a script rewrote FORWARD). The printed "without a restart" line, pasted twice
 * into a namespace holding Docker 28's real rules, leaves each jump once and in Docker's order
 * (reviewer R1, D7: a second paste added DOCKER-FORWARD twice). Skipped without namespaces.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

describe.skipIf(!canMakeNetns())("Docker 28's FORWARD jumps put back by hand", () => {
  it('twice: one jump each, DOCKER-USER first', () => {
    const rules = readFileSync(projectPath('test/fixtures/ipv6/docker28.iptables-restore'), 'utf8');
    const ns = `bdjumps${process.pid}`;
    const sh = (cmd: string) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: rules });
      sh('iptables -D FORWARD -j DOCKER-USER; iptables -D FORWARD -j DOCKER-FORWARD');
      const [f] = runNode(dockerChainMissing, { iptables: [parseIptablesSave(sh('iptables-save'), 'iptables-save.txt')] });
      const fix = f.remedy.commands.find((c) => /-I FORWARD -j DOCKER-FORWARD/.test(c))!;
      expect(fix).toBeDefined();
      for (let run = 0; run < 2; run++) sh(fix.replace(/\s+#.*$/, ''));
      expect(sh('iptables -S FORWARD').split('\n').filter((l) => l.startsWith('-A FORWARD'))).toEqual(['-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-FORWARD']);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
