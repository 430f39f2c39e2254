/**
 * docker.forward-policy-drops-routed on a Kubernetes node (R18-01, rancher/rke#485): Docker's FORWARD policy DROP
 * counting drops while no rule accepts the pod network; and iptables.forward-blocks-containers' coverage on the
 * same listing, which said no rule accepts what leaves docker0 while rule 6 does.
 *
 * Real text:
 * - test/fixtures/h58/rke-485/iptables-filter-FORWARD.txt: the ticket's `iptables -t filter -v --line-numbers -L FORWARD`,
 *   verbatim (https://github.com/rancher/rke/issues/485, comment by frankhinek, 2018-04-06);
 * - rke-save/, healthy-cluster-cidr/, healthy-modern/: iptables-save -c v1.8.9 output made in a network namespace
 *   from test/fixtures/h58/src/*.rules (the ticket's FORWARD rules and counters, kube-proxy 1.10's KUBE-FORWARD
 *   without and with --cluster-cidr, kube-proxy 1.2x's "kubernetes forwarding conntrack rule"); see SOURCES.md;
 * - rke-485-nat/iptables-nat-nvL.txt: `iptables -t nat -L -n -v` made the same way (kube-proxy's KUBE-POSTROUTING only).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h58', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));

async function run(a: typeof routed, files: Record<string, string>, name: string): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, name));
  expect(b.nodes).toHaveLength(1);
  const notes: string[] = [];
  const findings = a.scope === 'node' ? a.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { findings, notes };
}
const pods = (fs: FindingDraft[]) => fs.filter((f) => f.facts && 'podChains' in f.facts);

describe('rancher/rke#485: the ticket listing (FORWARD alone, no ip addr)', () => {
  it('a warning: policy DROP counted 3 drops on a node with KUBE-FORWARD and cali-FORWARD, only Docker accepts in view', async () => {
    const { findings } = await run(routed, folder('rke-485'), 'h58-rke485');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ family: 'IPv4', droppedPackets: 3, podChains: ['cali-FORWARD', 'KUBE-FORWARD'], unlistedChains: ['cali-FORWARD', 'KUBE-FORWARD'] });
    expect(f.message).toMatch(/the rules of cali-FORWARD and KUBE-FORWARD are not in it/);
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([2, 4, 5, 6, 9]));
    expect(f.evidence.find((e) => e.line === 2)?.note).toMatch(/3 packets dropped/);
    expect(f.remedy.summary).toMatch(/--cluster-cidr/);
    expect(f.remedy.commands.join('\n')).toMatch(/iptables -P FORWARD ACCEPT/);
    expect(f.remedy.commands.join('\n')).toMatch(/rancher\/rke#700/);
  });

  it('the policy having counted nothing: silent', async () => {
    const f = folder('rke-485');
    const text = f['iptables-filter-FORWARD.txt'].replace('(policy DROP 3 packets, 188 bytes)', '(policy DROP 0 packets, 0 bytes)');
    expect(text).not.toBe(f['iptables-filter-FORWARD.txt']);
    expect((await run(routed, { 'iptables-filter-FORWARD.txt': text }, 'h58-rke485-zero')).findings).toEqual([]);
  });

  it("forward-blocks' coverage no longer says no rule accepts what leaves docker0: docker0 is read from rule 6", async () => {
    const { findings, notes } = await run(forwardBlocks, folder('rke-485'), 'h58-rke485-fb');
    expect(findings).toEqual([]);
    expect(notes.join('\n')).not.toMatch(/none of them is a masquerade \(its subnet\) or an accept of what leaves the bridge/);
    expect(notes.join('\n')).toMatch(/docker0 was read from the rules/);
  });

  it('with a nat listing that has no masquerade for docker0: the coverage names the accept of what leaves docker0', async () => {
    const { notes } = await run(forwardBlocks, folder('rke-485-nat'), 'h58-rke485-nat');
    const note = notes.find((n) => n.startsWith('could not check container forwarding'));
    expect(note).toMatch(/iptables-filter-FORWARD\.txt:9 accepts what leaves docker0, but no masquerade in the bundle gives the bridge's subnet/);
    expect(note).not.toMatch(/none of them is a masquerade/);
  });
});

describe('the same node as iptables-save -c (made in a namespace)', () => {
  it('KUBE-FORWARD with only the mark accept (kube-proxy without --cluster-cidr): a warning that says so', async () => {
    const { findings } = await run(routed, folder('rke-save'), 'h58-rke-save');
    const p = pods(findings);
    expect(p).toHaveLength(1);
    expect(p[0].severity).toBe('warning');
    expect(p[0].facts).toMatchObject({ droppedPackets: 3, unlistedChains: [], kubeForwardMarkOnly: true });
    expect(p[0].message).toMatch(/KUBE-FORWARD accepts only the packets kube-proxy marked/);
    expect(p[0].evidence).toEqual(expect.arrayContaining([expect.objectContaining({ excerpt: expect.stringContaining('--mark 0x4000/0x4000 -j ACCEPT') })]));
  });

  it("Calico's accepts of its workload interfaces (-i cali+ / -o cali+) do not count as accepting the pod network", async () => {
    const text = folder('rke-save')['iptables-save.txt'];
    expect(text).toMatch(/-A cali-FORWARD -i cali\+ .* -j ACCEPT/);
    expect(pods((await run(routed, { 'iptables-save.txt': text }, 'h58-rke-save-cali')).findings)).toHaveLength(1);
  });

  it('no jump to kube-proxy or a network plugin (a plain Docker host): no pod finding', async () => {
    const text = folder('rke-save')['iptables-save.txt'].split('\n').filter((l) => !/-A FORWARD .*-j (KUBE-FORWARD|cali-FORWARD)$/.test(l)).join('\n');
    expect(text).not.toMatch(/-A FORWARD .*-j KUBE-FORWARD/);
    expect(pods((await run(routed, { 'iptables-save.txt': text }, 'h58-plain')).findings)).toEqual([]);
  });

  it('ufw owning the chain: silent (its policy, not Docker\'s)', async () => {
    const text = folder('rke-save')['iptables-save.txt'].replace(':KUBE-FIREWALL - [0:0]', ':KUBE-FIREWALL - [0:0]\n:ufw-before-forward - [0:0]');
    expect(pods((await run(routed, { 'iptables-save.txt': text }, 'h58-ufw')).findings)).toEqual([]);
  });
});

describe('healthy nodes: silent', () => {
  it('kube-proxy with --cluster-cidr (its "conntrack pod source/destination" accepts), policy counters 0', async () => {
    expect((await run(routed, folder('healthy-cluster-cidr'), 'h58-healthy')).findings).toEqual([]);
  });

  it('the same with the ticket\'s 3 policy drops: still silent, the pod network is accepted', async () => {
    const f = folder('healthy-cluster-cidr');
    const text = f['iptables-save.txt'].replace(':FORWARD DROP [0:0]', ':FORWARD DROP [3:188]');
    expect(text).not.toBe(f['iptables-save.txt']);
    expect((await run(routed, { 'iptables-save.txt': text }, 'h58-healthy-3')).findings).toEqual([]);
  });

  it("kube-proxy 1.2x's bare RELATED,ESTABLISHED accept, even with drops counted", async () => {
    const f = folder('healthy-modern');
    expect((await run(routed, f, 'h58-modern')).findings).toEqual([]);
    const text = f['iptables-save.txt'].replace(':FORWARD DROP [0:0]', ':FORWARD DROP [3:188]');
    expect(text).not.toBe(f['iptables-save.txt']);
    expect((await run(routed, { 'iptables-save.txt': text }, 'h58-modern-3')).findings).toEqual([]);
  });

  it('removing the cluster-CIDR accepts from the healthy node makes it fire again (the test can fail)', async () => {
    const text = folder('healthy-cluster-cidr')
      ['iptables-save.txt'].replace(':FORWARD DROP [0:0]', ':FORWARD DROP [3:188]')
      .split('\n')
      .filter((l) => !/kubernetes forwarding conntrack pod/.test(l))
      .join('\n');
    expect(pods((await run(routed, { 'iptables-save.txt': text }, 'h58-healthy-broken')).findings)).toHaveLength(1);
  });
});
