/**
 * flannel.public-ip-wrong on artifacts built by the parsers from real text:
 * - flannel's start-up lines, verbatim: flannel-io/flannel#1119 (`Using interface with name enp0s3 and address
 *   10.0.2.15` of pod kube-flannel-ds-amd64-hrgdl on VirtualBox), a public Vagrant walk-through's pod
 *   kube-flannel-ds-p96xd (`Using interface with name eth0 and address 10.0.2.15` / `Defaulting external address
 *   to interface address (10.0.2.15)`), https://Pastebin.com/hah0uSFX (206.189.96.121), flannel PR #764's
 *   troubleshooting guide (`Using 10.10.10.10 as external address`, the --public-ip form), k3s-io/k3s#4847 (k3s'
 *   journal: `flannel.go:105] Using interface with name enp0s3 and address 10.0.0.172`);
 * - network namespaces made on this machine (fixtures/flannel-public-ip/README.md): two VirtualBox-like nodes with
 *   the NAT 10.0.2.15 on eth0 and host-only 192.168.56.11/.12 on eth1, flannel.1 on eth0 (each node's fdb entry for
 *   its peer has dst 10.0.2.15: itself) or, fixed, on eth1; a multi-NIC node with flannel on the default-route NIC;
 * - NodeLists in the shape of troubleshoot's nodes.json with flannel's annotations (public-ip 10.0.2.15 on every
 *   node: flannel-io/flannel#98, the Vagrant section of PR #764), and the shared corpus' real nodes.json (k3d:
 *   public-ip == InternalIP 172.19.0.2): quiet.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/flannel-public-ip-wrong.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseBridgeFdb } from '../../src/parsers/bridge-fdb.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseKubeNodes } from '../../src/parsers/kube-nodes.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { scanLogText, signatureById, SIGNATURES, type LogScanResult, type LogSourceHint } from '../../src/logs/index.js';
import { FLANNEL_IFACE_SIGNATURES } from '../../src/logs/signatures-flannel-iface.js';
import { K3S_UNITS, runCluster } from './helpers.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';
import { tmpDir } from '../helpers/archive.js';
import { execFileSync } from 'node:child_process';

const DIR = 'test/fixtures/flannel-public-ip';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const lineOf = (file: string, line: number) => fx(file).split('\n')[line - 1];

function nsNode(dir: string): NodeArtifacts {
  const f = (n: string) => `netns/${dir}/${n}`;
  return {
    ipAddr: [parseInterfaces(fx(f('ip-d-address.txt')), f('ip-d-address.txt'))],
    bridgeFdb: [parseBridgeFdb(fx(f('bridge-fdb-show.txt')), f('bridge-fdb-show.txt'))],
    routes: [parseRoutes(fx(f('ip-route.txt')), f('ip-route.txt'))],
  };
}
const nodesJson = (name: string) => parseKubeNodes(fx(`nodes/${name}`), `nodes/${name}`);
/** a pod log of troubleshoot's cluster-wide collection */
function podLog(fixture: string, pod: string): LogScanResult {
  const file = `support-bundle/cluster-resources/pods/logs/kube-system/${pod}/kube-flannel.log`;
  const r = scanLogText(fx(`logs/${fixture}`), file, { catalog: FLANNEL_IFACE_SIGNATURES, source: { namespace: 'kube-system', pod, container: 'kube-flannel' } satisfies LogSourceHint, year: 2019 });
  // cited lines are the fixture's
  for (const m of r.matches) m.file = `logs/${fixture}`;
  return { ...r, file };
}
const run = (nodes: Record<string, NodeArtifacts>) => runCluster(analyzer, Object.entries(nodes).map(([node, artifacts]) => ({ node, artifacts })));

describe("flannel's start-up lines (signatures-flannel-iface.ts)", () => {
  const scan = (text: string) => scanLogText(text, 'x.log', { catalog: FLANNEL_IFACE_SIGNATURES, year: 2019 }).matches.map((m) => [m.signature, m.line, m.facts]);

  it('flannel#1119: the default interface, enp0s3 10.0.2.15', () => {
    expect(scan(fx('logs/flannel-1119-kube-flannel-ds-amd64-hrgdl.log'))).toEqual([
      ['log.flannel-default-interface', 1, {}],
      ['log.flannel-interface-chosen', 2, { iface: 'enp0s3', address: '10.0.2.15' }],
    ]);
  });

  it('the Vagrant walk-through: eth0 10.0.2.15, external address defaulted to it', () => {
    expect(scan(fx('logs/vagrant-notes-kube-flannel-ds-p96xd.log'))).toEqual([
      ['log.flannel-default-interface', 1, {}],
      ['log.flannel-interface-chosen', 2, { iface: 'eth0', address: '10.0.2.15' }],
      ['log.flannel-external-address', 3, { defaulted: 'Defaulting', address: '10.0.2.15' }],
    ]);
  });

  it('PR #764: --public-ip gives the external address', () => {
    expect(scan(fx('logs/flannel-pr764-troubleshooting.log')).slice(1)).toEqual([
      ['log.flannel-interface-chosen', 2, { iface: 'enp62s0u1u2', address: '172.24.17.174' }],
      ['log.flannel-external-address', 3, { given: 'Using', address: '10.10.10.10' }],
    ]);
  });

  it("k3s#4847: k3s' journal (flannel.go)", () => {
    expect(scan(fx('logs/k3s-4847-journal.log'))[1]).toEqual(['log.flannel-interface-chosen', 2, { iface: 'enp0s3', address: '10.0.0.172' }]);
  });

  it('an IPv6 address (dual-stack flannel: "and v6 address")', () => {
    // flannel's LookupExtIface: log.Infof("Using interface with name %s and v6 address %s", ...)
    expect(scan('I0101 00:00:00.000000       1 main.go:1] Using interface with name eth1 and v6 address fd00:10:0:1::11')).toEqual([['log.flannel-interface-chosen', 1, { iface: 'eth1', v6: 'v6', address: 'fd00:10:0:1::11' }]]);
  });

  it("the catalog's rules (signatures.test.ts 'the catalog as data'), each in the main catalog once", () => {
    for (const s of FLANNEL_IFACE_SIGNATURES) {
      expect(s.id).toMatch(/^log\.[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(signatureById(s.id), `${s.id} is in SIGNATURES`).toBe(s);
      expect(SIGNATURES.filter((x) => x.id === s.id)).toHaveLength(1);
      for (const l of s.literals) expect(Buffer.byteLength(l)).toBeGreaterThanOrEqual(8);
      expect(s.pattern.flags).not.toMatch(/[gy]/);
      for (const text of [s.advice, s.meaning, s.title]) expect(text).not.toMatch(/[`*]/);
    }
    const m = scanLogText(fx('logs/vagrant-notes-kube-flannel-ds-p96xd.log'), 'x.log', { catalog: SIGNATURES, year: 2019 }).matches;
    expect(m.map((x) => x.signature)).toEqual(['log.flannel-default-interface', 'log.flannel-interface-chosen', 'log.flannel-external-address']);
  });

  it('every entry is quiet context (info): no finding of its own', () => {
    for (const s of FLANNEL_IFACE_SIGNATURES) expect([s.quiet, s.severity, s.supports]).toEqual([true, 'info', ['flannel.public-ip-wrong']]);
  });
});

describe('flannel.public-ip-wrong: the same address on several nodes', () => {
  it('VirtualBox: nodes.json says node1 and node2 both publish 10.0.2.15, each node sends VXLAN for its peer to itself: one critical', () => {
    const n1 = { ...nsNode('broken/node1'), kubeNodes: [nodesJson('vbox-broken.json')] };
    const found = run({ node1: n1, node2: nsNode('broken/node2') });
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f).toMatchObject({ severity: 'critical', nodes: ['node1', 'node2'], facts: { address: '10.0.2.15', virtualBoxNat: true, interfaces: ['eth1'] } });
    expect(f.message).toContain('node1 and node2 all publish 10.0.2.15');
    expect(f.message).toContain("VirtualBox's NAT address");
    expect(f.message).toContain('eth1 (node1: 192.168.56.11, node2: 192.168.56.12)');
    // every cited line is the real line of its file
    for (const e of f.evidence) expect(lineOf(e.file, e.line), e.note).toContain(e.excerpt);
    expect(f.evidence.filter((e) => e.file.startsWith('nodes/')).map((e) => e.excerpt)).toEqual(['"flannel.alpha.coreos.com/public-ip": "10.0.2.15",', '"flannel.alpha.coreos.com/public-ip": "10.0.2.15",']);
    expect(f.evidence.filter((e) => e.file.endsWith('bridge-fdb-show.txt')).map((e) => [e.node, e.excerpt])).toEqual([
      ['node1', 'b6:3d:55:0e:9a:02 dev flannel.1 dst 10.0.2.15 self permanent'],
      ['node2', 'a2:6b:1c:40:7e:01 dev flannel.1 dst 10.0.2.15 self permanent'],
    ]);
    expect(f.remedy.commands).toContain(`kubectl -n kube-flannel patch daemonset kube-flannel-ds --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--iface=eth1"}]'   # kube-system and kube-flannel-ds-amd64 in older manifests`);
    expect(f.remedy.summary).not.toMatch(/node-ip/);
  });

  it('nodes.json alone (a troubleshoot bundle without host data): critical, the interface not named, the patch left to fill in', () => {
    const found = run({ cluster: { kubeNodes: [nodesJson('vbox-broken.json')] } });
    expect(found.map((f) => [f.severity, f.nodes, f.facts?.interfaces])).toEqual([['critical', ['node1', 'node2'], []]]);
    const cmds = found[0].remedy.commands.join('\n');
    expect(cmds).toContain('ip -4 -br addr show');
    expect(cmds).toMatch(/^# then, with that interface's name in place of IFACE: kubectl -n kube-flannel patch/m);
    expect(cmds).not.toMatch(/^kubectl -n kube-flannel patch/m);
  });

  it("one node's bundle, no nodes.json: its fdb entry sends VXLAN to its own 10.0.2.15: critical on that node alone", () => {
    const found = run({ node1: nsNode('broken/node1') });
    expect(found.map((f) => [f.severity, f.nodes, f.facts?.address])).toEqual([['critical', ['node1'], '10.0.2.15']]);
    expect(found[0].message).toContain("node1's flannel sends VXLAN for its peers to 10.0.2.15, its own address");
    for (const e of found[0].evidence) expect(lineOf(e.file, e.line)).toContain(e.excerpt);
    expect(found[0].evidence.map((e) => e.excerpt)).toEqual(['inet 10.0.2.15/24 scope global eth0', 'b6:3d:55:0e:9a:02 dev flannel.1 dst 10.0.2.15 self permanent', 'inet 192.168.56.11/24 scope global eth1']);
    // the one other underlay interface is named for --iface
    expect(found[0].remedy.commands[0]).toContain('"value":"--iface=eth1"');
    expect(found[0].evidence.map((e) => [e.file, e.line])).toEqual([
      ['netns/broken/node1/ip-d-address.txt', 10],
      ['netns/broken/node1/bridge-fdb-show.txt', 7],
      ['netns/broken/node1/ip-d-address.txt', 17],
    ]);
  });

  it('kubelet took the NAT address too (every InternalIP 10.0.2.15): the remedy adds --node-ip with each node\'s host-only address', () => {
    const n1 = { ...nsNode('broken/node1'), kubeNodes: [nodesJson('vbox-internal-shared.json')] };
    const [f] = run({ node1: n1, node2: nsNode('broken/node2') });
    expect(f.facts).toMatchObject({ internalIpShared: true, interfaces: ['eth1'] });
    expect(f.remedy.summary).toContain('node1: 192.168.56.11, node2: 192.168.56.12');
    expect(f.remedy.commands).toContain('# on node2: --node-ip=192.168.56.12 in KUBELET_EXTRA_ARGS (/etc/default/kubelet or /etc/sysconfig/kubelet), then: systemctl restart kubelet');
  });

  it("k3s nodes: flannel-iface in config.yaml and k3s' restart, per node", () => {
    const units = parseSystemctlText(K3S_UNITS, 'systemctl_list-units');
    const n1 = { ...nsNode('broken/node1'), kubeNodes: [nodesJson('vbox-broken.json')], services: [units] };
    const [f] = run({ node1: n1, node2: { ...nsNode('broken/node2'), services: [units] } });
    expect(f.remedy.commands.slice(0, 4)).toEqual([
      '# on node1',
      'mkdir -p /etc/rancher/k3s',
      "grep -q '^flannel-iface:' /etc/rancher/k3s/config.yaml 2>/dev/null || echo 'flannel-iface: eth1' >> /etc/rancher/k3s/config.yaml   # an existing flannel-iface line: change it by hand",
      'systemctl restart k3s   # k3s-agent on agents',
    ]);
  });

  it("flannel's logs of two pods in a troubleshoot bundle (flannel#1119 and the Vagrant walk-through), no annotations: critical", () => {
    const logs = [podLog('flannel-1119-kube-flannel-ds-amd64-hrgdl.log', 'kube-flannel-ds-amd64-hrgdl'), podLog('vagrant-notes-kube-flannel-ds-p96xd.log', 'kube-flannel-ds-p96xd')];
    const found = run({ cluster: { logs } });
    expect(found.map((f) => [f.severity, f.nodes])).toEqual([['critical', ['pod kube-system/kube-flannel-ds-amd64-hrgdl', 'pod kube-system/kube-flannel-ds-p96xd']]]);
    expect(found[0].evidence.map((e) => e.excerpt)).toEqual([
      'I0401 07:43:12.237615       1 main.go:527] Using interface with name enp0s3 and address 10.0.2.15',
      'I1218 07:15:47.140075       1 main.go:487] Using interface with name eth0 and address 10.0.2.15',
      'I1218 07:15:47.140111       1 main.go:504] Defaulting external address to interface address (10.0.2.15)',
    ]);
    for (const e of found[0].evidence) expect(lineOf(e.file, e.line)).toBe(e.excerpt);
    // the pods' namespace names the DaemonSet's
    expect(found[0].remedy.commands.join('\n')).toContain('kubectl -n kube-system patch daemonset kube-flannel-ds');
  });
});

describe('flannel.public-ip-wrong: healthy', () => {
  it('fixed (--iface=eth1): distinct public-ips equal to the InternalIPs, fdb toward the peer\'s host-only address: quiet', () => {
    const n1 = { ...nsNode('fixed/node1'), kubeNodes: [nodesJson('vbox-fixed.json')] };
    expect(run({ node1: n1, node2: nsNode('fixed/node2') })).toEqual([]);
  });

  it('host-gw with distinct addresses: quiet', () => {
    expect(run({ cluster: { kubeNodes: [nodesJson('host-gw.json')] } })).toEqual([]);
  });

  it("two pods' logs with distinct addresses (flannel#1119's 10.0.2.15, the pastebin's 206.189.96.121): quiet", () => {
    const logs = [podLog('flannel-1119-kube-flannel-ds-amd64-hrgdl.log', 'kube-flannel-ds-amd64-hrgdl'), podLog('pastebin-hah0uSFX-flannel.log', 'kube-flannel-ds-x7k2p')];
    expect(run({ cluster: { logs } })).toEqual([]);
  });

  it('old start-up lines with 10.0.2.15 beside Node objects that now publish distinct addresses: the annotations decide, quiet', () => {
    const logs = [podLog('flannel-1119-kube-flannel-ds-amd64-hrgdl.log', 'kube-flannel-ds-amd64-hrgdl'), podLog('vagrant-notes-kube-flannel-ds-p96xd.log', 'kube-flannel-ds-p96xd')];
    expect(run({ cluster: { logs, kubeNodes: [nodesJson('vbox-fixed.json')] } })).toEqual([]);
  });

  it('the same pod logged twice (a restart, the previous container): one publisher, quiet', () => {
    const a = podLog('vagrant-notes-kube-flannel-ds-p96xd.log', 'kube-flannel-ds-p96xd');
    expect(run({ cluster: { logs: [a, { ...a }] } })).toEqual([]);
  });

  it('one node alone whose public-ip is 10.0.2.15 and its InternalIP too (a single VM): quiet', () => {
    const one = parseKubeNodes(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', items: [JSON.parse(fx('nodes/vbox-internal-shared.json')).items[0]] }, null, 4), 'nodes.json');
    expect(run({ node1: { ...nsNode('broken/node1'), kubeNodes: [one], bridgeFdb: [] } })).toEqual([]);
  });

  it("one node twice: its nodes.json and a nameless grep of its annotations (kubectl get node -o yaml | grep flannel): one publisher, quiet", () => {
    // the flannel annotations of `kubectl get nodes k8s-dev -o yaml` in a public walk-through of flannel's subnet manager, verbatim
    const grep = parseKubeNodes('    flannel.alpha.coreos.com/backend-data: \'{"VtepMAC":"3e:94:52:9b:7e:d9"}\'\n    flannel.alpha.coreos.com/backend-type: vxlan\n    flannel.alpha.coreos.com/kube-subnet-manager: "true"\n    flannel.alpha.coreos.com/public-ip: 10.0.2.15\n', 'get-node-yaml-grep.txt');
    expect(grep.nodes.map((n) => [n.name, n.flannel.publicIp?.value])).toEqual([['', '10.0.2.15']]);
    const one = parseKubeNodes(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', items: [JSON.parse(fx('nodes/vbox-internal-shared.json')).items[0]] }, null, 4), 'nodes.json');
    expect(run({ node1: { kubeNodes: [one, grep] } })).toEqual([]);
  });

  it.skipIf(!hasCorpus)("the corpus' k3d nodes.json (public-ip == InternalIP 172.19.0.2): quiet", () => {
    const dir = tmpDir('h15-pubip-');
    try {
      execFileSync('tar', ['-xzf', corpusPath('bundles', 'troubleshoot-k3s-support-bundle.tar.gz'), '-C', dir, 'support-bundle/cluster-resources/nodes.json']);
      const list = parseKubeNodes(readFileSync(`${dir}/support-bundle/cluster-resources/nodes.json`, 'utf8'), 'cluster-resources/nodes.json');
      expect(list.nodes.map((n) => [n.name, n.flannel.publicIp?.value, n.internalIps])).toEqual([['k3d-mycluster-server-0', '172.19.0.2', ['172.19.0.2']]]);
      expect(run({ 'k3d-mycluster-server-0': { kubeNodes: [list] } })).toEqual([]);
    } finally {
      execFileSync('rm', ['-rf', dir]);
    }
  });
});

describe('flannel.public-ip-wrong: flannel on another NIC than kubelet', () => {
  const multi = () => ({ ...nsNode('multi-nic'), kubeNodes: [nodesJson('multi-nic.json')] });

  it('public-ip 203.0.113.10 on eth0 (the default route), InternalIP 10.114.0.2 on eth1: a warning naming both interfaces', () => {
    const found = run({ 'worker-1': multi() });
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f).toMatchObject({ severity: 'warning', nodes: ['worker-1'], facts: { publicIp: '203.0.113.10', publicInterface: 'eth0', internalIp: '10.114.0.2', internalInterface: 'eth1' } });
    expect(f.title).toBe('flannel on worker-1 uses eth0, not the interface of its InternalIP (eth1)');
    for (const e of f.evidence) expect(lineOf(e.file, e.line)).toContain(e.excerpt);
    expect(f.remedy.commands[0]).toContain('"value":"--iface=eth1"');
    expect(f.remedy.caution).toContain('--iface applies to every node');
  });

  it('the same with flannel.alpha.coreos.com/public-ip-overwrite set to that address (k3s --node-external-ip, set on purpose): quiet', () => {
    const text = fx('nodes/multi-nic.json').replace('"flannel.alpha.coreos.com/public-ip": "203.0.113.10",', '"flannel.alpha.coreos.com/public-ip": "203.0.113.10",\n                    "flannel.alpha.coreos.com/public-ip-overwrite": "203.0.113.10",');
    expect(text).toContain('public-ip-overwrite');
    const node = { ...nsNode('multi-nic'), kubeNodes: [parseKubeNodes(text, 'nodes.json')] };
    expect(node.kubeNodes[0].nodes[0].flannel.publicIpOverwrite).toMatchObject({ value: '203.0.113.10', ref: { line: 28 } });
    expect(run({ 'worker-1': node })).toEqual([]);
  });

  it("half fixed: node1 still publishes VirtualBox's NAT 10.0.2.15 (eth0) beside its InternalIP on eth1, node2 its own address: critical for node1", () => {
    const n1 = { ipAddr: nsNode('broken/node1').ipAddr, kubeNodes: [nodesJson('vbox-half-fixed.json')] };
    const found = run({ node1: n1, node2: { ipAddr: nsNode('fixed/node2').ipAddr } });
    expect(found.map((f) => [f.severity, f.nodes, f.facts?.publicInterface, f.facts?.internalInterface])).toEqual([['critical', ['node1'], 'eth0', 'eth1']]);
    expect(found[0].message).toContain("10.0.2.15 is VirtualBox's NAT address");
  });

  it('a cluster of one node on the NAT address: a warning only (no peer to lose)', () => {
    const one = parseKubeNodes(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', items: [JSON.parse(fx('nodes/vbox-half-fixed.json')).items[0]] }, null, 4), 'nodes.json');
    expect(run({ node1: { ipAddr: nsNode('broken/node1').ipAddr, kubeNodes: [one] } }).map((f) => f.severity)).toEqual(['warning']);
  });

  it('its own start-up line says it was given no interface: the message says so', () => {
    const log = scanLogText('I0101 08:00:00.000000       1 main.go:475] Determining IP address of default interface\nI0101 08:00:00.000100       1 main.go:488] Using interface with name eth0 and address 203.0.113.10\n', 'var/log/flanneld.log', { catalog: FLANNEL_IFACE_SIGNATURES, year: 2026 });
    const [f] = run({ 'worker-1': { ...multi(), logs: [log] } });
    expect(f.message).toContain('was given no interface and took the default route');
  });

  it('k3s with flannel-iface=eth0 on its command line: deliberate, quiet', () => {
    // a ps listing of a k3s agent started with its flags shown (k3s hides them once running, where it can)
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot        1021  6.1  9.8 5483920 395812 ?     Ssl  08:12   3:41 /usr/local/bin/k3s agent --node-ip=10.114.0.2 --flannel-iface=eth0\n', 'ps_auxwww');
    expect(run({ 'worker-1': { ...multi(), dockerDaemon: [ps] } })).toEqual([]);
  });

  it('flanneld --iface=eth0 (kube-flannel args): deliberate, quiet', () => {
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot        2210  0.3  0.9 1341748 35220 ?      Ssl  08:13   0:09 /opt/bin/flanneld --ip-masq --kube-subnet-mgr --iface=eth0\n', 'ps_auxwww');
    expect(run({ 'worker-1': { ...multi(), dockerDaemon: [ps] } })).toEqual([]);
  });

  it('a public-ip on no interface of the node (a NAT address, an overwrite): not judged', () => {
    const a = multi();
    a.ipAddr = [parseInterfaces(fx('netns/multi-nic/ip-d-address.txt').replace(/^.*inet 203\.0\.113\.10\/24.*\n.*\n/m, ''), 'ip')];
    expect(run({ 'worker-1': a })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('flannel.public-ip-wrong on the shared corpus: no finding', () => {
  it('every corpus bundle through analyzeBundle (only this analyzer)', async () => {
    const bundles = readdirSync(corpusPath('bundles')).filter((f) => /\.(tar\.gz|tgz)$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) {
      const r = await analyzeBundle(corpusPath('bundles', b), { analyzers: [analyzer] });
      expect({ b, found: r.findings.filter((f) => f.analyzer === analyzer.id) }).toEqual({ b, found: [] });
      expect({ b, errors: r.coverage.cluster.filter((x) => x.id === analyzer.id && x.status === 'error') }).toEqual({ b, errors: [] });
    }
  }, 240_000);
});
