/**
 * iptables.rule-duplicated on iptables before 1.4.11 (no -C), and iptables.check-unsupported (R18-02, R18-03).
 *
 * - kubernetes#14870 (https://github.com/kubernetes/kubernetes/issues/14870): kube-proxy (userspace) re-appends
 *   its PREROUTING jump to KUBE-PORTALS-CONTAINER on iptables 1.4.7; the same 4 copies in the `-L -t nat` paste
 *   and the iptables-save. One finding with both files' evidence; the cause is the missing -C and the failing
 *   fallback check (kubernetes PR #2638, #12839), not iptables-nft 1.8.0-1.8.2.
 * - kubernetes#37416 (https://github.com/kubernetes/kubernetes/issues/37416): `iptables --version` typed above
 *   `iptables v1.4.7`, on a Kubernetes node (kubelet 1.3.9 appended its rules at every sync; fixed in kubelet
 *   1.5.1 by PR #37594).
 * - The delete-down-to-one loop, run on this machine's iptables in a network namespace with the trailing space
 *   of iptables 1.4.x's -S lines simulated (a wrapper appends it), twice.
 * Healthy: a kube-proxy listing and iptables-save of iptables 1.8.9 without duplicates (test/fixtures/h55).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { removalLoop } from '../../analyzers/iptables-rule-duplicated.js';
import { parseIptablesVersion, sniffIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const ID = 'iptables.rule-duplicated';
const NO_CHECK = 'iptables.check-unsupported';
const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h55', name), 'utf8');
const COMMENT = 'handle ClusterIPs; NOTE: this must be before the NodePort rules';

describe('rule-duplicated: iptables 1.4.7 (kubernetes#14870)', () => {
  it('the -L listing and the save of one node: one finding, both files cited, worded by the version', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-L-nat.txt': fx('k8s-14870-iptables-L-nat.txt'), 'iptables-save.txt': fx('k8s-14870-iptables-save.txt') }, 'bundle'));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f).toHaveLength(1);
    const files = new Set(f[0].evidence.map((e) => e.file));
    expect(files).toEqual(new Set(['iptables-L-nat.txt', 'iptables-save.txt']));
    expect(f[0].facts?.cause).toBe('no-check');
    expect(f[0].message).toMatch(/1\.4\.7 \(legacy\), iptables-save\.txt's header|1\.4\.7 \(legacy\), its dump's header/);
    expect(f[0].message).toMatch(/has no -C \(iptables added it in 1\.4\.11\)/);
    expect(f[0].message).not.toMatch(/whose -C finds|1\.8\.0 to 1\.8\.2|kubernetes#82361/);
    const cmds = f[0].remedy.commands.join('\n');
    expect(cmds).not.toMatch(/buster-backports|1\.8\.3/);
    expect(cmds).toMatch(/iptables -t nat -S PREROUTING \| sed 's\/\[\[:space:\]\]\*\$\/\/' \| grep -cxF -- '-A PREROUTING -m comment --comment "handle ClusterIPs; NOTE: this must be before the NodePort rules" -j KUBE-PORTALS-CONTAINER'/);
  });

  it('the -L listing alone (version unknown): the 1.8.0-1.8.2 advice stays, the missing -C is named beside it', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-L-nat.txt': fx('k8s-14870-iptables-L-nat.txt') }, 'bundle'));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f).toHaveLength(1);
    expect(f[0].facts?.cause).toBe('unknown');
    expect(f[0].message).toMatch(/older than 1\.4\.11, which has no -C/);
  });
});

describe('iptables -V pasted with its command (kubernetes#37416)', () => {
  it('the typed command above the version is recognised', () => {
    const text = fx('k8s-37416-iptables-version.txt');
    expect(text.split('\n')[0]).toBe('iptables --version');
    expect(sniffIptablesVersion(text)).toBe(true);
    expect(sniffIptablesVersion('$ iptables -V\niptables v1.4.7\n')).toBe(true);
    expect(sniffIptablesVersion('[root@h ~]# iptables --version\niptables v1.4.7\n[root@h ~]#\n')).toBe(true);
    expect(parseIptablesVersion(text, 'v.txt')).toMatchObject([{ version: '1.4.7', backend: 'legacy', ref: { line: 2 } }]);
    // the command with other output under it is not a version file
    expect(sniffIptablesVersion('iptables --version\niptables v1.4.7\nChain INPUT (policy ACCEPT)\n')).toBe(false);
  });

  it('iptables 1.4.7 on a kube-proxy node with no copies visible: iptables.check-unsupported', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-version.txt': fx('k8s-37416-iptables-version.txt'), 'iptables-L.txt': fx('kube-proxy-filter-nvL.txt') }, 'node1'));
    expect(r.findings.filter((x) => x.id === ID)).toHaveLength(0);
    const f = r.findings.filter((x) => x.id === NO_CHECK);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].evidence[0]).toMatchObject({ file: 'iptables-version.txt', line: 2, excerpt: 'iptables v1.4.7' });
    expect(f[0].message).toMatch(/kubernetes#37416.*PR #37594/);
    expect(f[0].remedy.commands[0]).toMatch(/^iptables-save \| sed .* \| sort \| uniq -c \| sort -rn \| head/);
  });

  it('healthy: the same node on iptables 1.8.9 and its iptables-save without duplicates', async () => {
    const r = await analyzeBundle(
      writeFolder({ 'iptables-version.txt': 'iptables --version\niptables v1.8.9 (nf_tables)\n', 'iptables-L.txt': fx('kube-proxy-filter-nvL.txt'), 'iptables-save.txt': fx('kube-proxy-iptables-save-1.8.txt') }, 'node1'),
    );
    expect(r.findings.filter((x) => x.id === ID || x.id === NO_CHECK)).toHaveLength(0);
  });

  it('healthy: iptables 1.4.7 on a host without Kubernetes (a Docker host) says nothing', async () => {
    const docker = fx('k8s-14870-iptables-save.txt').split('\n').slice(0, 12).join('\n');
    const r = await analyzeBundle(writeFolder({ 'iptables-version.txt': fx('k8s-37416-iptables-version.txt'), 'iptables-save.txt': `${docker}\n` }, 'node1'));
    expect(r.findings.filter((x) => x.id === NO_CHECK)).toHaveLength(0);
  });
});

const NS = 'h55-loop';
describe.skipIf(!canMakeNetns())('the delete-down-to-one loop on -S lines with a trailing space (iptables 1.4.x)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    const sh = (c: string) => execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', c]);
    sh('iptables -t nat -N KUBE-PORTALS-CONTAINER');
    for (let i = 0; i < 4; i++) sh(`iptables -t nat -A PREROUTING -m comment --comment "${COMMENT}" -j KUBE-PORTALS-CONTAINER`);
    sh('iptables -t nat -A PREROUTING -j ACCEPT');
  });
  afterAll(() => execFileSync('ip', ['netns', 'del', NS]));

  it('deletes the copies down to one, and pasted twice does nothing more', () => {
    const loop = removalLoop('iptables', 'nat', 'PREROUTING', `-m comment --comment "${COMMENT}" -j KUBE-PORTALS-CONTAINER`, true);
    // iptables 1.4.7 prints every -S line with a trailing space: a wrapper adds it to this iptables' output
    const wrapper = `iptables() { ip netns exec ${NS} /usr/sbin/iptables "$@" | sed 's/$/ /'; return \${PIPESTATUS[0]}; }`;
    const list = () => execFileSync('ip', ['netns', 'exec', NS, 'iptables', '-t', 'nat', '-S', 'PREROUTING'], { encoding: 'utf8' });
    expect(execFileSync('bash', ['-c', `${wrapper}; iptables -t nat -S PREROUTING`], { encoding: 'utf8' })).toMatch(/KUBE-PORTALS-CONTAINER \n/);
    execFileSync('bash', ['-c', `${wrapper}; ${loop}`]);
    const after = list();
    expect(after.match(/KUBE-PORTALS-CONTAINER/g)).toHaveLength(1);
    expect(after).toMatch(/-A PREROUTING -j ACCEPT/);
    execFileSync('bash', ['-c', `${wrapper}; ${loop}`]);
    expect(list()).toBe(after);
  });
});
