/**
 * `Couldn't load target 'KUBE-MARK-DROP'` is iptables' word for a jump to a chain that is not there, not a
 * version or kernel-module problem. Reviewer R5 graded kubernetes/kubernetes#96468 (a dual-stack cluster:
 * kubelet made KUBE-MARK-DROP for the primary family only, kube-proxy's ip6tables-restore failed at every
 * sync) a partial: two warnings on one failure, one of them advising to align iptables back ends.
 * test/fixtures/missing-chain/k8s96468-kube-proxy.log is the thread's kube-proxy log, verbatim.
 * The fix was checked with the real ip6tables 1.8.9 in a namespace: the restore of a nat table jumping to
 * KUBE-MARK-DROP fails (legacy: the same "Couldn't load target" text), the two printed commands run twice
 * leave one chain with one MARK rule, and the same restore then succeeds. The generic case below is the
 * real iptables 1.8.9's text for an unknown match.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import { scanLogText } from '../../src/logs/index.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const LOG = readFileSync(projectPath('test/fixtures/missing-chain/k8s96468-kube-proxy.log'), 'utf8');
const run = (text: string, file: string) => runNode(logSignatures, { logs: [scanLogText(text, file, { year: 2020, source: { namespace: 'kube-system', pod: 'kube-proxy-7xk2p', container: 'kube-proxy' } })] });

describe('a jump to a chain that is not there (kubernetes#96468)', () => {
  it("one finding: the missing chain named as kubelet's, the IPv6 Services it costs, idempotent commands; the restore failure folded in", () => {
    const out = run(LOG, 'kube-proxy.log');
    expect(out.map((f) => f.id)).toEqual(['log.iptables-couldnt-load-match']);
    const [f] = out;
    expect(f.title).toBe('The rules jump to a chain that does not exist (KUBE-MARK-DROP)');
    expect(f.message).toMatch(/KUBE-MARK-DROP is kubelet's chain, not kube-proxy's/);
    expect(f.message).toMatch(/IPv6 Services and NodePorts are not programmed/);
    expect(f.message).toMatch(/Not a back-end or version mismatch/);
    expect(f.remedy.summary).not.toMatch(/align|one back end/);
    expect(f.remedy.commands.slice(0, 2)).toEqual([
      'ip6tables -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || ip6tables -t nat -N KUBE-MARK-DROP',
      'ip6tables -t nat -C KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000 2>/dev/null || ip6tables -t nat -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000',
    ]);
    expect(f.facts).toMatchObject({ missingChains: ['KUBE-MARK-DROP'], family: 'ipv6' });
    // the "Failed to execute iptables-restore" and "Error occurred at line" lines are the same failure
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([2, 4]));
    expect(f.evidence.filter((e) => e.note?.includes('the same failed restore')).length).toBeGreaterThan(0);
  });

  it("iptables-nft's wording of it (`Chain 'KUBE-MARK-DROP' does not exist`): kubelet's chain named, the same fix, the restore folded in", () => {
    // the thread's kube-proxy lines with the real ip6tables-restore 1.8.9 (nf_tables) stderr for the same restore in a namespace
    const nft = LOG.replace("ip6tables-restore v1.8.3 (legacy): Couldn't load target `KUBE-MARK-DROP':No such file or directory\n", "ip6tables-restore v1.8.9 (nf_tables): Chain 'KUBE-MARK-DROP' does not exist\n");
    expect(nft).not.toBe(LOG);
    const out = run(nft, 'kube-proxy.log');
    expect(out.map((f) => f.id)).toEqual(['log.nf-tables-chain-missing']);
    const [f] = out;
    expect(f.title).toBe("kubelet's KUBE-MARK-DROP chain does not exist");
    expect(f.message).toMatch(/KUBE-MARK-DROP is kubelet's chain, not kube-proxy's/);
    expect(f.remedy.commands[0]).toBe('ip6tables -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || ip6tables -t nat -N KUBE-MARK-DROP');
    // another chain missing under iptables-nft keeps the owner's restart
    const docker = run("iptables v1.8.9 (nf_tables): Chain 'DOCKER' does not exist\n", 'dockerd.log');
    expect(docker[0].title).toBe('iptables (nf_tables) cannot find a chain');
  });

  it('an unknown match (a module, not a chain) keeps the generic finding and its version advice, and a restore failure elsewhere stays its own', () => {
    const text = "iptables v1.8.9 (nf_tables): Couldn't load match `nosuchmatch':No such file or directory\n\nTry `iptables -h' or 'iptables --help' for more information.\n" + 'x\n'.repeat(20) + 'iptables-restore: line 12 failed\n';
    const out = run(text, 'session.txt');
    expect(out.map((f) => f.id).sort()).toEqual(['log.iptables-couldnt-load-match', 'log.iptables-restore-failed']);
    const f = out.find((x) => x.id === 'log.iptables-couldnt-load-match')!;
    expect(f.title).toBe('iptables cannot load a match or target');
    expect(f.remedy.summary).toMatch(/align iptables versions/);
    expect(f.facts?.missingChains).toBeUndefined();
  });
});
