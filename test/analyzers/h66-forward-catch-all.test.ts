/**
 * iptables.forward-blocks-containers: a catch-all REJECT/DROP in FORWARD ahead of the pods' or containers' accepts,
 * the policy DROP on a Kubernetes node with nothing accepting the pods, and Docker's accepts wiped (h66).
 *
 * Real text (test/fixtures/h66/SOURCES.md):
 * - k3s-io/k3s#283 https://github.com/k3s-io/k3s/issues/283 — `iptables -L` (no -v, no -n), REJECT before the pod ACCEPTs
 * - flannel-io/flannel#1619 https://github.com/flannel-io/flannel/issues/1619 — -nvL FORWARD, REJECT with 40876 pkts
 * - kubernetes/kubeadm#139 https://github.com/kubernetes/kubeadm/issues/139 — firewalld FORWARD fragment + curl "No route to host"
 * - lahsivjar/kube-arm#62 https://github.com/lahsivjar/kube-arm/issues/62 — :FORWARD DROP, accepts for docker0 only
 * - coreos/bugs#344 https://github.com/coreos/bugs/issues/344 — DOCKER -o docker0 and a REJECT with 11194 pkts, Docker's accepts gone
 * - *.iptables-save.txt: iptables-save -c v1.8.9 output made in a network namespace from src/*.rules
 * - the corpus' CentOS 7.7 firewalld + Docker host (jc-centos77-firewalld-docker-filter-nvL.txt): healthy, read in place.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h66', f), 'utf8');

async function run(files: Record<string, string>, name: string, a = forwardBlocks): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const notes: string[] = [];
  const findings = a.scope === 'node' ? a.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { findings, notes };
}

describe('a catch-all REJECT before the pod accepts', () => {
  it('k3s#283 (iptables -L without -v): a warning naming rule 2, the assumption on KUBE-FORWARD and the accepts below it', async () => {
    const { findings, notes } = await run({ 'iptables_-L.txt': fx('k3s-283-iptables_-L.txt') }, 'h66-k3s283');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ client: 'pods', decider: 'FORWARD rule 2', assumedReturn: ['KUBE-FORWARD'], shadowedAccepts: [3, 4] });
    expect(f.message).toMatch(/if it returns .*rule 2 of FORWARD rejects them/);
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([14, 13, 15, 16]));
    expect(f.remedy.commands[0]).toBe('iptables -I FORWARD 2 -s <pod CIDR> -j ACCEPT');
    expect(f.remedy.commands.join('\n')).toMatch(/\/etc\/sysconfig\/iptables/);
    expect(notes.join('\n')).not.toMatch(/could not check container forwarding/);
  });

  it('flannel#1619: critical, the REJECT counted 40876 packets', async () => {
    const { findings } = await run({ 'iptables_-nvL_FORWARD_--line-numbers.txt': fx('flannel-1619-iptables_-nvL_FORWARD.txt') }, 'h66-fl1619');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].facts).toMatchObject({ client: 'pods', decider: 'FORWARD rule 5', deciderPackets: 40876 });
    expect(findings[0].evidence[0]).toMatchObject({ line: 8 });
  });

  it('flannel#1619 with the REJECT counting nothing: a warning, not critical', async () => {
    const text = fx('flannel-1619-iptables_-nvL_FORWARD.txt').replace('5    40876 2293K REJECT', '5        0     0 REJECT');
    expect(text).not.toBe(fx('flannel-1619-iptables_-nvL_FORWARD.txt'));
    const { findings } = await run({ 'iptables_-nvL_FORWARD_--line-numbers.txt': text }, 'h66-fl1619-zero');
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('kubeadm#139 (firewalld FORWARD fragment): critical by the pod\'s "No route to host", firewalld remedies', async () => {
    const { findings } = await run({ 'iptables-save_filter_FORWARD.txt': fx('kubeadm-139-iptables-save_filter_FORWARD.txt'), 'curl_from_pod.txt': fx('kubeadm-139-curl_from_pod.txt') }, 'h66-kubeadm139');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.facts).toMatchObject({ decider: 'FORWARD rule 10' });
    expect(f.facts?.assumedReturn).toEqual(expect.arrayContaining(['KUBE-FORWARD', 'FORWARD_IN_ZONES']));
    expect(f.severity).toBe('critical');
    expect(f.remedy.commands.join('\n')).toMatch(/firewall-cmd --permanent --direct --add-rule ipv4 filter FORWARD 0/);
  });

  it('kubeadm#139 without the curl line: a warning (the chains not shown are only assumed to return)', async () => {
    const { findings } = await run({ 'iptables-save_filter_FORWARD.txt': fx('kubeadm-139-iptables-save_filter_FORWARD.txt') }, 'h66-kubeadm139-nolog');
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('netns: flannel accepts appended after the REJECT, kube-proxy KUBE-FORWARD replies only: critical with the pod CIDR', async () => {
    const { findings } = await run({ 'iptables-save.txt': fx('k8s-flannel-after-reject.iptables-save.txt') }, 'h66-ns-flannel');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].facts).toMatchObject({ podNetwork: '10.244.0.0/16', decider: 'FORWARD rule 3', deciderPackets: 40876, assumedReturn: [], shadowedAccepts: [4, 5] });
    expect(findings[0].remedy.commands.slice(0, 2)).toEqual(['iptables -I FORWARD 3 -s 10.244.0.0/16 -j ACCEPT', 'iptables -I FORWARD 3 -d 10.244.0.0/16 -j ACCEPT']);
  });

  it('healthy netns: KUBE-FORWARD accepts the cluster CIDR before the REJECT: silent', async () => {
    const { findings } = await run({ 'iptables-save.txt': fx('k8s-cluster-cidr-before-reject.iptables-save.txt') }, 'h66-ns-cidr');
    expect(findings).toEqual([]);
  });
});

describe("Docker's accepts and a REJECT", () => {
  it("coreos#344: Docker's accepts wiped, REJECT counted 11194: critical, restart docker first", async () => {
    const { findings } = await run({ 'iptables_-L_FORWARD_-n_-v.txt': fx('coreos-344-iptables_-L_FORWARD_-n_-v.txt') }, 'h66-coreos344');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ client: 'docker', bridge: 'docker0', dockerAcceptsMissing: true, deciderPackets: 11194 });
    expect(f.message).toMatch(/None of Docker's own accepts for docker0/);
    expect(f.evidence.map((e) => e.line)).toEqual([4, 3]);
    expect(f.remedy.commands[0]).toMatch(/restart docker/);
    expect(f.remedy.commands.join('\n')).toMatch(/After=iptables\.service/);
  });

  it('healthy netns: iptables-services REJECT after Docker\'s accepts: silent', async () => {
    const { findings } = await run({ 'iptables-save.txt': fx('docker-before-reject.iptables-save.txt') }, 'h66-ns-docker');
    expect(findings).toEqual([]);
  });

  it.skipIf(!hasCorpus)('healthy corpus: CentOS 7.7 firewalld + Docker (accepts before the REJECT): silent', async () => {
    const { findings } = await run({ 'iptables-filter-nvL.txt': readFileSync(corpusPath('iptables-list', 'jc-centos77-firewalld-docker-filter-nvL.txt'), 'utf8') }, 'h66-jc77');
    expect(findings).toEqual([]);
  });
});

describe('policy DROP on a Kubernetes node with accepts for docker0 only (kube-arm#62)', () => {
  it('a warning finding (was a coverage note), and H58\'s podCheck stays silent (no pod chain jumped to)', async () => {
    const { findings, notes } = await run({ 'iptables-save.txt': fx('kube-arm-62-iptables-save.txt') }, 'h66-kubearm62');
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ client: 'pods', decider: 'policy DROP' });
    expect(findings[0].remedy.commands.join('\n')).toMatch(/-A FORWARD -i cni0 -j ACCEPT/);
    expect(findings[0].message).toMatch(/other iptables back end/);
    expect(notes.join('\n')).toMatch(/kube-router#1069/);
    expect((await run({ 'iptables-save.txt': fx('kube-arm-62-iptables-save.txt') }, 'h66-kubearm62-r', routed)).findings).toEqual([]);
  });

  it('the same with a pod-bridge accept: silent', async () => {
    const text = fx('kube-arm-62-iptables-save.txt').replace('-A FORWARD -i docker0 -o docker0 -j ACCEPT', '-A FORWARD -i docker0 -o docker0 -j ACCEPT\n-A FORWARD -i cni0 -j ACCEPT\n-A FORWARD -o cni0 -j ACCEPT');
    const { findings } = await run({ 'iptables-save.txt': text }, 'h66-kubearm62-ok');
    expect(findings).toEqual([]);
  });
});
