/**
 * kube-router's pod bridge kube-bridge in iptables.forward-blocks-containers (R9: kube-router#1069 was a MISS,
 * only docker0 was traced). The host's nf_tables filter table (verbatim from the thread) has Docker's FORWARD
 * DROP and none of kube-router's accepts: kube-router's image wrote them with iptables-legacy. The healthy
 * node is the same table with kube-router's two FORWARD accepts added by a real iptables in a namespace.
 * Texts: test/fixtures/kube-bridge/README.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const text = (p: string) => readFileSync(projectPath(`test/fixtures/kube-bridge/${p}`), 'utf8');
const node = { 'ip-addr.txt': text('ip-addr.txt'), 'ip-route.txt': text('ip-route.txt') };

describe("kube-router's kube-bridge behind a FORWARD policy DROP", () => {
  it("kube-router#1069: pods on kube-bridge dropped by the policy; kube-router's accepts missing, look in the other back end", async () => {
    const report = await analyzeBundle(writeFolder({ ...node, 'iptables-save.txt': text('kube-router1069-nft-filter.txt') }, 'kube-bridge-1069'));
    const f = report.findings.filter((x) => x.id === 'iptables.forward-blocks-containers');
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts?.bridge).toBe('kube-bridge');
    expect(f[0].facts?.subnet).toBe('10.0.183.0/24');
    expect(f[0].evidence[0]).toMatchObject({ file: 'iptables-save.txt', line: 3 });
    expect(f[0].message).toMatch(/kube-router#1069/);
    expect(f[0].impact).toMatch(/^Pods on kube-bridge/);
    // read-only look first, then the stopgap accepts (inserted: FORWARD's policy is what drops)
    expect(f[0].remedy.commands[0]).toMatch(/^iptables-legacy-save -t filter 2>\/dev\/null \| grep -e kube-bridge -e KUBE-ROUTER/);
    // guarded (-C || -I, safe to paste twice): each checks the very rule it inserts
    expect(f[0].remedy.commands.slice(1).every((c) => /^iptables -C FORWARD (.+) 2>\/dev\/null \|\| iptables -I FORWARD (?:\d+ )?\1(\s+#.*)?$/.test(c)), f[0].remedy.commands.join('\n')).toBe(true);
    expect(f[0].remedy.summary).toMatch(/iptables-wrapper/);
  });

  it("kube-router's own accepts in the rules: no finding for kube-bridge", async () => {
    const report = await analyzeBundle(writeFolder({ ...node, 'iptables-save.txt': text('kube-router-accepts-iptables-save.txt') }, 'kube-bridge-healthy'));
    expect(report.findings.filter((x) => x.id === 'iptables.forward-blocks-containers')).toEqual([]);
  });

  it("the thread's filter table alone (no ip addr): the coverage says pods would meet the policy and where to look", async () => {
    const report = await analyzeBundle(writeFolder({ 'iptables-save.txt': text('kube-router1069-nft-filter.txt') }, 'kube-bridge-1069-rules-only'));
    const c = report.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.forward-blocks-containers')!;
    expect(c.reason).toMatch(/a Kubernetes node \(kubelet's KUBE-FIREWALL, iptables-save\.txt:9\) whose FORWARD policy is DROP \(iptables-save\.txt:3\)/);
    expect(c.reason).toMatch(/kube-router#1069/);
    // with kube-router's accepts the plugin's rules are here: nothing said
    const healthy = await analyzeBundle(writeFolder({ 'iptables-save.txt': text('kube-router-accepts-iptables-save.txt') }, 'kube-bridge-rules-only-healthy'));
    expect(healthy.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.forward-blocks-containers')!.reason ?? '').not.toMatch(/kube-router#1069/);
  });
});
