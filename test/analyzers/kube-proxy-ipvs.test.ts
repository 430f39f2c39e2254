/**
 * ipvs.masquerade-missing and ipvs.service-no-endpoints on real text
 * (test/fixtures/ipvs/README.md):
 * - the nat table of kube-proxy's IPVS proxier, restored and saved by the real iptables 1.8.9 in a
 *   network namespace (test/fixtures/ipvs/make-fixtures.sh): without any KUBE-MARK-MASQ rule for
 *   KUBE-CLUSTER-IP (kube-proxy 1.9/1.10 without clusterCIDR and masqueradeAll: the node of
 *   https://github.com/kubernetes/kubernetes/issues/60161), with masqueradeAll's `dst,dst` rule, with
 *   1.11+'s `src,dst` rule (https://github.com/kubernetes/kubernetes/pull/63319); the `! -s <clusterCIDR>`
 *   shape is test/fixtures/rv5/ipvs-forward-drop/iptables-save.healthy.txt, as in
 *   https://github.com/kubernetes/kubeadm/issues/1461;
 * - flannel's `dial tcp 10.96.0.1:443: i/o timeout` (https://github.com/flannel-io/flannel/issues/1409)
 *   and the same to another cluster's 10.3.0.1 (https://github.com/flannel-io/flannel/issues/743);
 * - ipvsadm listings from public threads, one with Services without real servers
 *   (https://github.com/kubernetes/kubernetes/issues/95149).
 * Quiet: IPVS nodes with the rule, iptables-mode nodes (test/fixtures/k8s-flush), kube-proxy 1.29's
 * own test state and every iptables dump and bundle of the shared corpus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ipvsMasqueradeMissing, ipvsServiceNoEndpoints } from '../../analyzers/kube-proxy-ipvs.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { SIGNATURES, scanLogText } from '../../src/logs/index.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIpset } from '../../src/parsers/ipset.js';
import { parseIpvsadm } from '../../src/parsers/ipvsadm.js';
import { Finding as FindingSchema } from '../../src/report/schema.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const rules = (name: string) => parseIptablesSave(fx('ipvs', name), `node-1/${name}`);
const ipAddr = () => parseInterfaces(fx('rv5/ipvs-forward-drop/ip_addr.txt'), 'node-1/ip_addr.txt');
const ipsets = (name = 'ipset_list.txt') => parseIpset(fx('ipvs', name), `node-1/${name}`);
const log = (name: string) => scanLogText(fx('ipvs', name), `node-1/pods/${name}`, { catalog: SIGNATURES, source: { pod: 'kube-flannel-ds-d47s4', namespace: 'kube-system' }, year: 2026 });
const ipvsadm = (name: string) => parseIpvsadm(fx('ipvs', name), `node-1/sos_commands/ipvs/${name}`);

function run(analyzer: Analyzer, artifacts: NodeArtifacts): FindingDraft[] {
  if (analyzer.scope !== 'node') throw new Error('node analyzer');
  return analyzer.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] } });
}

describe('ipvs.masquerade-missing', () => {
  it('fires: IPVS node (kube-ipvs0), KUBE-SERVICES accepts ClusterIP traffic without marking it for masquerade (kubernetes#60161)', () => {
    const [f, ...more] = run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipAddr: [ipAddr()] });
    expect(more).toEqual([]);
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ file: 'node-1/iptables-save.masq-missing.txt', line: 11, excerpt: 'chain nat KUBE-SERVICES' });
    expect(f.evidence[1]).toMatchObject({ line: 25, excerpt: '-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT' });
    expect(f.evidence.some((e) => e.excerpt === 'kube-ipvs0')).toBe(true);
    // flannel's old POSTROUTING rules name the pod CIDR the fix needs
    expect(f.facts).toMatchObject({ podCidr: '10.244.0.0/16', timeouts: 0 });
    expect(f.message).toContain('the kubernetes Service (10.96.0.1:443)');
    expect(f.remedy.commands.join('\n')).toContain('clusterCIDR: "10.244.0.0/16"');
  });

  it("critical: the node's flannel pod times out dialing the ClusterIP 10.96.0.1:443 (flannel#1409)", () => {
    const [f] = run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipsets: [ipsets()], logs: [log('flannel-1409-kube-flannel.log')] });
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ timeouts: 1, clusterIps: 2 });
    expect(f.evidence.at(-1)).toMatchObject({ file: 'node-1/pods/flannel-1409-kube-flannel.log', line: 1, note: expect.stringContaining('10.96.0.1:443') });
  });

  it('a timeout to an address that is no Service here (10.3.0.1, flannel#743) keeps it a warning', () => {
    const [f] = run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipsets: [ipsets()], logs: [log('flannel-743-kube-flannel.log')] });
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ timeouts: 0 });
  });

  it('the rules alone (a KUBE-CLUSTER-IP match) say IPVS mode; ipvsadm listings do too', () => {
    expect(run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')] })).toHaveLength(1);
    const [f] = run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipvsadm: [ipvsadm('opsnull-251-ipvsadm-L-n.txt')] });
    expect(f.evidence.some((e) => /ipvsadm lists 7 IPVS virtual services/.test(e.note ?? ''))).toBe(true);
  });

  it('quiet: the rule in each shape kube-proxy writes (clusterCIDR, masqueradeAll, 1.11+ src,dst)', () => {
    const healthy = parseIptablesSave(fx('rv5/ipvs-forward-drop/iptables-save.healthy.txt'), 'node-1/iptables-save.txt');
    expect(run(ipvsMasqueradeMissing, { iptables: [healthy], ipAddr: [ipAddr()] })).toEqual([]);
    for (const name of ['iptables-save.masq-all.txt', 'iptables-save.src-dst.txt']) expect(run(ipvsMasqueradeMissing, { iptables: [rules(name)], ipAddr: [ipAddr()], ipsets: [ipsets()] }), name).toEqual([]);
  });

  it('quiet: an empty KUBE-CLUSTER-IP (kube-proxy writes the rule only for members)', () => {
    const empty = parseIpset('Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x6828eec6\nSize in memory: 216\nReferences: 0\nNumber of entries: 0\nMembers:\n', 'ipset');
    expect(run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipsets: [empty] })).toEqual([]);
  });

  it('quiet: iptables-mode nodes (k3s, kubeadm, flannel; healthy and with their masquerade missing)', () => {
    for (const name of ['k3s-healthy.rules', 'kubeadm-healthy.rules', 'flannel-0.14-healthy.rules', 'k3s-masq-missing.rules'])
      expect(run(ipvsMasqueradeMissing, { iptables: [parseIptablesSave(fx('k8s-flush', name), name)] }), name).toEqual([]);
  });

  it.skipIf(!hasCorpus)('quiet on every iptables dump and listing of the corpus (kube-proxy 1.29 state among them)', () => {
    let parsed = 0;
    for (const [folder, parse] of [['iptables-save', parseIptablesSave], ['iptables-list', parseIptablesList]] as const)
      for (const name of readdirSync(corpusPath(folder))) {
        let rs;
        try {
          rs = parse(readFileSync(corpusPath(folder, name), 'utf8'), name);
        } catch {
          continue;
        }
        parsed++;
        expect(run(ipvsMasqueradeMissing, { iptables: [rs] }), name).toEqual([]);
      }
    expect(parsed).toBeGreaterThan(30);
  });

  it('its findings pass the report schema', () => {
    const drafts = [
      ...run(ipvsMasqueradeMissing, { iptables: [rules('iptables-save.masq-missing.txt')], ipsets: [ipsets()], logs: [log('flannel-1409-kube-flannel.log')] }).map((d) => ({ d, a: ipvsMasqueradeMissing.id })),
      ...run(ipvsServiceNoEndpoints, { ipvsadm: [ipvsadm('kubernetes-95149-ipvsadm-Ln-empty.txt')] }).map((d) => ({ d, a: ipvsServiceNoEndpoints.id })),
    ];
    expect(drafts).toHaveLength(2);
    for (const { d, a } of drafts) {
      const r = FindingSchema.safeParse({ ...d, id: d.id ?? a, analyzer: a, node: 'node-1', evidence: d.evidence.map((e) => ({ ...e, node: 'node-1' })) });
      expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    }
  });
});

describe('ipvs.service-no-endpoints', () => {
  it('fires: Services without real servers, cluster DNS among them, most Services empty (kubernetes#95149)', () => {
    const [f, ...more] = run(ipvsServiceNoEndpoints, { ipvsadm: [ipvsadm('kubernetes-95149-ipvsadm-Ln-empty.txt')] });
    expect(more).toEqual([]);
    expect(f.severity).toBe('warning');
    // NodePorts (30000-32767) are not Service addresses; 10.100.115.63:6125 is followed by `...`: not known empty
    expect(f.facts!.empty).toEqual(['TCP 10.96.0.10:53', 'TCP 10.96.0.10:9153', 'TCP 10.97.133.32:80', 'TCP 10.99.193.72:3000', 'TCP 10.100.115.63:6123', 'TCP 10.100.115.63:6124', 'UDP 10.96.0.10:53']);
    expect(f.facts).toMatchObject({ services: 9, dns: true, mostEmpty: true });
    expect(f.evidence[0]).toMatchObject({ file: 'node-1/sos_commands/ipvs/kubernetes-95149-ipvsadm-Ln-empty.txt', line: 13, excerpt: 'TCP  10.96.0.10:53 rr' });
    expect(f.message).toContain('Cluster DNS (TCP 10.96.0.10:53, UDP 10.96.0.10:53)');
  });

  it('with kube-ipvs0 known, only its addresses count as ClusterIPs', () => {
    const [f] = run(ipvsServiceNoEndpoints, { ipvsadm: [ipvsadm('kubernetes-95149-ipvsadm-Ln-empty.txt')], ipAddr: [ipAddr()] });
    expect(f.facts).toMatchObject({ empty: ['TCP 10.96.0.10:53', 'TCP 10.96.0.10:9153', 'UDP 10.96.0.10:53'], services: 4 });
    expect(f.message).toContain('ClusterIPs');
  });

  it('one ordinary Service without endpoints (KUBE-CLUSTER-IP names it): info, not a warning', () => {
    const [f] = run(ipvsServiceNoEndpoints, { ipvsadm: [ipvsadm('kubernetes-95149-ipvsadm-Ln-empty.txt')], ipsets: [ipsets('ipset_list.one-service.txt')] });
    expect(f.severity).toBe('info');
    expect(f.facts).toMatchObject({ empty: ['TCP 10.97.133.32:80'], services: 2, dns: false, mostEmpty: false });
  });

  it('quiet: every Service has real servers (list, --stats, --persistent-conn, names)', () => {
    for (const name of ['opsnull-251-ipvsadm-L-n.txt', 'kube-router-160-ipvsadm-ln-stats.txt', 'community-692-persistent-conn.txt', 'kube-router-415-ipvsadm-names.txt'])
      expect(run(ipvsServiceNoEndpoints, { ipvsadm: [ipvsadm(name)] }), name).toEqual([]);
    expect(run(ipvsServiceNoEndpoints, {})).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('the corpus bundles', () => {
  it('no finding of either check on any node', async () => {
    for (const name of readdirSync(corpusPath('bundles'))) {
      const { nodes } = await loadBundle(corpusPath('bundles', name));
      for (const n of nodes) {
        if (!n.artifacts.iptables?.length) continue;
        expect(run(ipvsMasqueradeMissing, n.artifacts), `${name} ${n.name}`).toEqual([]);
        expect(run(ipvsServiceNoEndpoints, n.artifacts), `${name} ${n.name}`).toEqual([]);
      }
    }
  }, 240_000);
});

describe('wired: the ipvsadm listing read from a bundle', () => {
  it('a hand-made bundle (ipvsadm-Ln.txt sniffed by name, iptables-save) and a sosreport path: both IPVS findings, the listing cited', async () => {
    const { analyzeBundle } = await import('../../src/engine/analyze.js');
    const { writeFolder } = await import('../helpers/archive.js');
    const flat = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('ipvs', 'iptables-save.masq-missing.txt'), 'ipvsadm-Ln.txt': fx('ipvs', 'kubernetes-95149-ipvsadm-Ln-empty.txt') }, 'ipvs-wired-flat'));
    expect(flat.coverage.nodes[0].artifacts.ipvsadm).toEqual(['ipvsadm-Ln.txt']);
    const ids = flat.findings.map((f) => f.id);
    expect(ids).toContain('ipvs.masquerade-missing');
    expect(ids).toContain('ipvs.service-no-endpoints');
    expect(flat.findings.find((f) => f.id === 'ipvs.service-no-endpoints')!.evidence.some((e) => e.file === 'ipvsadm-Ln.txt')).toBe(true);
    const sos = await analyzeBundle(writeFolder({ 'sosreport-node-1/sos_commands/ipvs/ipvsadm_-Ln': fx('ipvs', 'kubernetes-95149-ipvsadm-Ln-empty.txt'), 'sosreport-node-1/sos_commands/networking/ip_-d_address': fx('rv5/ipvs-forward-drop/ip_addr.txt'), 'sosreport-node-1/hostname': 'node-1\n' }, 'ipvs-wired-sos'));
    expect(sos.layout).toBe('sosreport');
    expect(sos.coverage.nodes[0].artifacts.ipvsadm).toEqual(['sosreport-node-1/sos_commands/ipvs/ipvsadm_-Ln']);
    expect(sos.findings.map((f) => f.id)).toContain('ipvs.service-no-endpoints');
  });
});
