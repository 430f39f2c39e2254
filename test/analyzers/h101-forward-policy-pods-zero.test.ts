/**
 * docker.forward-policy-drops-routed, pods (H101, R32 05): Docker's FORWARD policy DROP on a Kubernetes/overlay node
 * whose policy counter is 0 (or absent), Calico <= 2.0's felix-FORWARD, flannel.1 in ip addr as a sign of the pod network.
 * Real text: test/fixtures/h101/canal31 (verbatim projectcalico/canal#31 + kubernetes/kubernetes#39658); the other
 * fixtures are iptables-save -c output made in a namespace (test/fixtures/h101/SOURCES.md); corpus files read in place.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h101', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));
const canalIpAddr = () => folder('canal31')['ip_addr.txt'];

async function run(files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  const notes: string[] = [];
  const findings = routed.scope === 'node' ? routed.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { findings, notes };
}

describe('R32 05: canal#31 / k8s#39658 paste (FORWARD listing alone, counter 0, flannel.1 in ip a)', () => {
  it('reported as info: felix-FORWARD is not in the dump, its cali*-only accepts are assumed', async () => {
    const { findings } = await run(folder('canal31'), 'h101-canal31');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('info');
    expect(f.facts).toMatchObject({ droppedPackets: 0, podChains: ['felix-FORWARD'], assumedChains: ['felix-FORWARD'], podInterfaces: ['flannel.1'], transitOnly: true });
    expect(f.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(expect.arrayContaining(['iptables-L-FORWARD.txt:2', 'iptables-L-FORWARD.txt:4', 'ip_addr.txt:18']));
    expect(f.message).toMatch(/counter is 0/);
    expect(f.message).toMatch(/felix-FORWARD, as Calico writes it, accepts only/);
    expect(f.remedy.commands.join('\n')).toMatch(/-I FORWARD -o flannel\.1 -j ACCEPT/);
  });

  it('without flannel.1 in the bundle (no ip addr): no finding, a coverage note instead', async () => {
    const { findings, notes } = await run({ 'iptables-L-FORWARD.txt': folder('canal31')['iptables-L-FORWARD.txt'] }, 'h101-canal31-noip');
    expect(findings).toEqual([]);
    expect(notes.join('\n')).toMatch(/FORWARD jumps to felix-FORWARD.*counter is 0.*no ip addr/);
  });
});

describe('the same nodes as iptables-save -c (namespace h101x)', () => {
  it('canal with felix-FORWARD listed (cali+ accepts only), counter 0: a warning, nothing assumed', async () => {
    const { findings } = await run({ ...folder('canal-felix'), 'ip_addr.txt': canalIpAddr() }, 'h101-felix');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ assumedChains: [], transitOnly: true, podChains: ['felix-FORWARD'] });
    expect(findings[0].evidence.some((e) => /felix-FORWARD -i cali\+ -j ACCEPT/.test(e.excerpt))).toBe(true);
  });

  it('flannel < 0.10 on Docker 1.13 (k8s#39823): no pod chain in FORWARD, flannel.1 is the sign; a warning', async () => {
    const { findings } = await run({ ...folder('flannel-old'), 'ip_addr.txt': canalIpAddr() }, 'h101-flannel-old');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ podChains: [], transitOnly: false, podInterfaces: ['flannel.1'] });
  });

  it('the same rules on a Docker-only host (ip addr without an overlay): silent', async () => {
    const ip = canalIpAddr().split('\n').slice(0, 17).join('\n');
    expect(ip).not.toMatch(/flannel/);
    expect((await run({ ...folder('flannel-old'), 'ip_addr.txt': ip }, 'h101-docker-only')).findings).toEqual([]);
  });

  it('counter > 0 on the old flannel node: the counted path, still a warning', async () => {
    const text = folder('flannel-old')['iptables-save.txt'].replace(':FORWARD DROP [0:0]', ':FORWARD DROP [3:188]');
    const { findings } = await run({ 'iptables-save.txt': text, 'ip_addr.txt': canalIpAddr() }, 'h101-flannel-old-3');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ droppedPackets: 3 });
  });
});

describe('healthy nodes: silent', () => {
  it('modern flannel: FLANNEL-FWD accepts the pod CIDR', async () => {
    expect((await run({ ...folder('flannel-modern'), 'ip_addr.txt': canalIpAddr() }, 'h101-flannel-modern')).findings).toEqual([]);
  });

  it('and fires when FLANNEL-FWD loses its accepts (the test can fail)', async () => {
    const text = folder('flannel-modern')['iptables-save.txt'].split('\n').filter((l) => !/^\[\d+:\d+\] -A FLANNEL-FWD/.test(l)).join('\n');
    const { findings } = await run({ 'iptables-save.txt': text, 'ip_addr.txt': canalIpAddr() }, 'h101-flannel-modern-broken');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
  });

  it('Calico 3.x: cali-FORWARD accepting by its policy mark, kube-proxy with the conntrack accept', async () => {
    expect((await run(folder('calico3'), 'h101-calico3')).findings).toEqual([]);
  });

  it("Calico 3.x's mark accept alone does not accept what the node forwards to vxlan.calico: without kube-proxy's replies accept it fires", async () => {
    const f = folder('calico3');
    const text = f['iptables-save.txt'].split('\n').filter((l) => !/kubernetes forwarding conntrack rule/.test(l)).join('\n');
    const { findings } = await run({ ...f, 'iptables-save.txt': text }, 'h101-calico3-markonly');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ transitOnly: true, kubeForwardMarkOnly: true, podInterfaces: ['vxlan.calico'] });
  });

  it.skipIf(!hasCorpus)('Docker 27 alone (corpus moby-docker27-new-daemon-iptables-S.txt) with a DOWN tunl0 and no address: silent', async () => {
    const rules = readCorpus('iptables-save', 'moby-docker27-new-daemon-iptables-S.txt');
    const ip = readCorpus('ip-addr', 'insights-ip-addr-message-truncated-bond-tunnels.txt');
    expect(ip).toMatch(/tunl0/);
    const { findings } = await run({ 'iptables-S.txt': rules, 'ip_addr.txt': ip }, 'h101-docker27');
    expect(findings.filter((x) => x.facts && 'podChains' in x.facts)).toEqual([]);
  });

  it.skipIf(!hasCorpus)('flannel#1321 (-S -v cut before KUBE-FORWARD, counter 0): no finding, the cut is said', async () => {
    const rules = readCorpus('iptables-save', 'flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt');
    const { findings, notes } = await run({ 'iptables-S-v.txt': rules, 'ip_addr.txt': canalIpAddr() }, 'h101-1321');
    expect(findings.filter((x) => x.facts && 'podChains' in x.facts)).toEqual([]);
    expect(notes.join('\n')).toMatch(/KUBE-FORWARD/);
  });
});
