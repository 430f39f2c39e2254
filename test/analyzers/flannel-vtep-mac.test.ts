/**
 * flannel.vtep-mac-stale / flannel.vtep-mac-policy on artifacts built by the parsers from real text:
 * - flannel-io/flannel#1155 (fixed by PR #1485): clr-02's `ip addr show flannel.1`, its 99-default.link, clr-01's `ip neigh`, verbatim;
 * - flannel-io/flannel#1795: node .164's `ip a s flannel.1`, its annotation (`kubectl get node -o yaml | grep Vtep`), a peer's `arp -na`;
 * - two network namespaces on this machine with real flannel-like VXLAN devices (iproute2 6.1): node-b holding the
 *   thread's stale MAC 5e:89:db:49:c6:a4 for node-a (neigh + fdb), then the same after `ip neigh replace` / fdb fix (healthy);
 *   the same for flannel-v6.1 (k3s-io/k3s#9957);
 * - the shared corpus' troubleshoot nodes.json (k3d node, VtepMAC 72:0b:f5:d9:11:46) beside a namespace's flannel.1
 *   in 10.42.0.0/24 with that MAC (agrees) or another (changed);
 * - Debian 12's 99-default.link and rke#2270's 50-flannel.link for the policy warning;
 * - the mechanism itself, reproduced with systemd 252's udev on this machine (fixtures/flannel-vtep-mac/udev): a VXLAN
 *   flannel.1 created without a MAC (as flannel < v0.15.1 did) had de:4f:63:cf:00:fb; `udevadm test-builtin
 *   net_setup_link` applied 99-default.link's "persistent MAC address: e2:3e:11:30:e4:3e"; a peer namespace holds the
 *   first MAC (neigh + fdb, as flannel programs them). With rke#2270's 50-flannel.link bind-mounted on
 *   /etc/systemd/network (private mount namespace), udev applied 50-flannel.link and kept the MAC.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { type Extra } from '../../analyzers/flannel-vtep-mac-stale.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIpNeigh } from '../../src/parsers/ip-neigh.js';
import { parseBridgeFdb } from '../../src/parsers/bridge-fdb.js';
import { parseSystemdLink } from '../../src/parsers/systemd-link.js';
import { parseKubeNodes } from '../../src/parsers/kube-nodes.js';
import { parseFlannelNetConf } from '../../src/parsers/flannel-env.js';
import { runCluster } from './helpers.js';
import { corpusPath, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const DIR = 'test/fixtures/flannel-vtep-mac';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const lineOf = (file: string, line: number) => fx(file).split('\n')[line - 1];
type Arts = NodeArtifacts & Extra;
const USR = 'usr/lib/systemd/network';

/** a namespace node: ip -d address + neighbour table + fdb */
function nsNode(dir: string, neigh = 'ip-s-s-neigh-show.txt'): Arts {
  return {
    ipAddr: [parseInterfaces(fx(`${dir}/ip-d-address.txt`), `${dir}/ip-d-address.txt`)],
    ipNeigh: [parseIpNeigh(fx(`${dir}/${neigh}`), `${dir}/${neigh}`)],
    bridgeFdb: [parseBridgeFdb(fx(`${dir}/bridge-fdb-show.txt`), `${dir}/bridge-fdb-show.txt`)],
  };
}
const debianLinks = () => ['99-default.link', '73-usb-net-by-mac.link'].map((n) => parseSystemdLink(fx(`links/${USR}/${n}`), `${USR}/${n}`));
const rkeLink = () => parseSystemdLink(fx('links/etc/systemd/network/50-flannel.link'), 'etc/systemd/network/50-flannel.link');
const run = (nodes: Record<string, Arts>) => runCluster(analyzer, Object.entries(nodes).map(([node, artifacts]) => ({ node, artifacts: artifacts as NodeArtifacts })));

describe('flannel.vtep-mac-stale: peers', () => {
  it('namespaces: node-b holds 5e:89:db:49:c6:a4 for node-a (neigh and fdb) while node-a flannel.1 has d6:02:e3:df:ea:7a: one critical citing both', () => {
    const found = run({ 'node-a': nsNode('stale/node-a'), 'node-b': nsNode('stale/node-b') });
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f).toMatchObject({ severity: 'critical', nodes: ['node-a', 'node-b'], facts: { device: 'flannel.1', mac: 'd6:02:e3:df:ea:7a', staleMacs: ['5e:89:db:49:c6:a4'], holders: ['node-b'] } });
    expect(f.message).toContain('flannel.1 on node-a has MAC d6:02:e3:df:ea:7a, but node-b');
    expect(f.evidence.map((e) => [e.node, e.file, e.line])).toEqual([
      ['node-a', 'stale/node-a/ip-d-address.txt', 8],
      ['node-b', 'stale/node-b/ip-s-s-neigh-show.txt', 1],
      ['node-b', 'stale/node-b/bridge-fdb-show.txt', 1],
    ]);
    // every cited line is the real line of the file
    for (const e of f.evidence) expect(lineOf(e.file, e.line)).toContain(e.excerpt);
    expect(f.evidence[0].excerpt).toBe('link/ether d6:02:e3:df:ea:7a');
    expect(f.remedy.commands.join('\n')).toContain("OriginalName=flannel*\\n\\n[Link]\\nMACAddressPolicy=none");
  });

  it('namespaces after the fix (node-b: ip neigh replace + fdb with d6:02:e3:df:ea:7a): quiet', () => {
    expect(run({ 'node-a': nsNode('healthy/node-a'), 'node-b': nsNode('healthy/node-b') })).toEqual([]);
  });

  it('a leftover old fdb entry beside the right one is harmless: only the neighbour entry decides then', () => {
    const b = nsNode('healthy/node-b');
    const stale = nsNode('stale/node-b');
    b.bridgeFdb = [...b.bridgeFdb!, ...stale.bridgeFdb!];
    expect(run({ 'node-a': nsNode('healthy/node-a'), 'node-b': b })).toEqual([]);
  });

  it('flannel-v6.1 (k3s#9957): node-b holds 96:41:be:0f:2e:88 for node-a fd00:42:1:: while node-a has 3e:9c:51:0b:7d:21; flannel.1 agrees', () => {
    const found = run({ 'node-a': nsNode('v6-stale/node-a', 'ip-neigh.txt'), 'node-b': nsNode('v6-stale/node-b', 'ip-neigh.txt') });
    expect(found.map((f) => [f.severity, f.facts?.device, f.facts?.mac, f.nodes])).toEqual([['critical', 'flannel-v6.1', '3e:9c:51:0b:7d:21', ['node-a', 'node-b']]]);
    expect(found[0].evidence.map((e) => e.excerpt)).toEqual(['link/ether 3e:9c:51:0b:7d:21', 'fd00:42:1:: dev flannel-v6.1 lladdr 96:41:be:0f:2e:88 PERMANENT', '96:41:be:0f:2e:88 dev flannel-v6.1 dst fd00::12 self permanent']);
  });

  it("flannel#1155 verbatim: clr-02's flannel.1 d6:02:e3:df:ea:7a vs clr-01's PERMANENT 5e:89:db:49:c6:a4; the 99-default.link is named as the cause", () => {
    const clr02: Arts = {
      ipAddr: [parseInterfaces(fx('issue1155/clr-02/ip-addr-show-flannel.1.txt'), 'clr-02/ip-addr-show-flannel.1.txt')],
      systemdLink: [parseSystemdLink(fx(`issue1155/clr-02/${USR}/99-default.link`), `clr-02/${USR}/99-default.link`)],
    };
    const clr01: Arts = { ipNeigh: [parseIpNeigh(fx('issue1155/clr-01/ip-neigh.txt'), 'clr-01/ip-neigh.txt')] };
    const found = run({ 'clr-01': clr01, 'clr-02': clr02 });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'critical', nodes: ['clr-02', 'clr-01'] });
    expect(found[0].evidence.map((e) => [e.file, e.line, e.excerpt])).toEqual([
      ['clr-02/ip-addr-show-flannel.1.txt', 2, 'link/ether d6:02:e3:df:ea:7a'],
      ['clr-01/ip-neigh.txt', 1, '10.244.1.0 dev flannel.1 lladdr 5e:89:db:49:c6:a4 PERMANENT'],
      [`clr-02/${USR}/99-default.link`, 3, 'MACAddressPolicy=persistent'],
    ]);
    expect(found[0].message).toContain('99-default.link is the first .link file that matches flannel.1');
    // without the peer's table nothing is stale, and the .link gives the (info) note instead
    const alone = run({ 'clr-02': clr02 });
    expect(alone.map((f) => [f.id, f.severity])).toEqual([['flannel.vtep-mac-policy', 'info']]);
  });

  it("flannel#1795 verbatim: .164's flannel.1 ee:8d:cf:69:b3:7c vs its annotation and the peer's arp entry e6:7c:02:8e:e8:7e", () => {
    const n164: Arts = {
      ipAddr: [parseInterfaces(fx('issue1795/node-164/ip-a-s-flannel.1.txt'), 'node-164/ip-a-s-flannel.1.txt')],
      kubeNodes: [parseKubeNodes(fx('issue1795/node-164/kubectl-get-node-yaml-grep-vtep.txt'), 'node-164/kubectl-get-node-yaml-grep-vtep.txt')],
    };
    const peer: Arts = { ipNeigh: [parseIpNeigh(fx('issue1795/peer/arp-na.txt'), 'peer/arp-na.txt')] };
    const found = run({ 'node-164': n164, peer });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'critical', nodes: ['node-164', 'peer'], facts: { mac: 'ee:8d:cf:69:b3:7c', staleMacs: ['e6:7c:02:8e:e8:7e'], publishedVtepMac: 'e6:7c:02:8e:e8:7e' } });
    expect(found[0].evidence.map((e) => [e.file, e.line])).toEqual([
      ['node-164/ip-a-s-flannel.1.txt', 2],
      ['peer/arp-na.txt', 1],
      ['node-164/kubectl-get-node-yaml-grep-vtep.txt', 1],
    ]);
    // the annotation alone (no peer in the bundle) is enough
    expect(run({ 'node-164': n164 }).map((f) => [f.severity, f.facts?.publishedVtepMac])).toEqual([['critical', 'e6:7c:02:8e:e8:7e']]);
  });
});

describe('flannel.vtep-mac-stale: the udev reproduction (systemd 252)', () => {
  it('udev rewrote flannel.1 from de:4f:63:cf:00:fb to e2:3e:11:30:e4:3e; the peer kept the first: critical, 99-default.link named', () => {
    expect(fx('udev/before.ip-d-addr-show-flannel.1.txt')).toContain('link/ether de:4f:63:cf:00:fb');
    expect(fx('udev/udevadm-test-builtin-99-default.txt')).toContain('flannel.1: Applying persistent MAC address: e2:3e:11:30:e4:3e');
    const a: Arts = { ipAddr: [parseInterfaces(fx('udev/after.ip-d-addr-show-flannel.1.txt'), 'node-a/ip-d-addr-show-flannel.1.txt')], systemdLink: debianLinks() };
    const b: Arts = {
      ipNeigh: [parseIpNeigh(fx('udev/peer.ip-4-neigh-show-dev-flannel.1.txt'), 'node-b/ip-4-neigh-show-dev-flannel.1.txt')],
      bridgeFdb: [parseBridgeFdb(fx('udev/peer.bridge_fdb_show_dev_flannel.1'), 'node-b/bridge_fdb_show_dev_flannel.1')],
    };
    const found = run({ 'node-a': a, 'node-b': b });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'critical', nodes: ['node-a', 'node-b'], facts: { mac: 'e2:3e:11:30:e4:3e', staleMacs: ['de:4f:63:cf:00:fb'] } });
    expect(found[0].evidence.map((e) => [e.file, e.line, e.excerpt])).toEqual([
      ['node-a/ip-d-addr-show-flannel.1.txt', 2, 'link/ether e2:3e:11:30:e4:3e'],
      ['node-b/ip-4-neigh-show-dev-flannel.1.txt', 1, '10.244.1.0 lladdr de:4f:63:cf:00:fb PERMANENT'],
      ['node-b/bridge_fdb_show_dev_flannel.1', 1, 'de:4f:63:cf:00:fb dst 192.168.1.12 self permanent'],
      [`${USR}/99-default.link`, 15, 'OriginalName=*'],
      [`${USR}/99-default.link`, 20, 'MACAddressPolicy=persistent'],
    ]);
  });

  it('with 50-flannel.link udev kept the MAC, and the analyzer gives no warning for that node', () => {
    expect(fx('udev/udevadm-test-builtin-50-flannel.txt')).toContain('flannel.1: Config file /etc/systemd/network/50-flannel.link is applied');
    const before = parseInterfaces(fx('udev/with-link-before.ip-d-addr-show-flannel.1.txt'), 'x').interfaces[0].mac;
    expect(parseInterfaces(fx('udev/with-link-after.ip-d-addr-show-flannel.1.txt'), 'x').interfaces[0].mac).toBe(before);
    const a: Arts = { ipAddr: [parseInterfaces(fx('udev/with-link-after.ip-d-addr-show-flannel.1.txt'), 'ip.txt')], systemdLink: [...debianLinks(), rkeLink()] };
    expect(run({ 'node-a': a })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('flannel.vtep-mac-stale: the node annotation of a troubleshoot bundle', () => {
  const nodesJson = () => execFileSync('tar', ['-xzOf', corpusPath('bundles', 'troubleshoot-k3s-support-bundle.tar.gz'), 'support-bundle/cluster-resources/nodes.json'], { encoding: 'utf8' });
  const host = (f: string): Arts => ({
    ipAddr: [parseInterfaces(fx(`annotation/${f}`), `host-collectors/run-host/ip-d-address.txt`)],
    kubeNodes: [parseKubeNodes(nodesJson(), 'cluster-resources/nodes.json')],
  });

  it("flannel.1 in the node's podCIDR with another MAC than its published VtepMAC: critical, citing nodes.json line 29", () => {
    const found = run({ host: host('k3d-server-0-changed.ip-d-address.txt') });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'critical', nodes: ['host'], facts: { mac: '1a:f3:6e:90:5b:c8', publishedVtepMac: '72:0b:f5:d9:11:46' } });
    expect(found[0].evidence.map((e) => [e.file, e.line])).toEqual([
      ['host-collectors/run-host/ip-d-address.txt', 16],
      ['cluster-resources/nodes.json', 29],
    ]);
    expect(found[0].message).toContain("k3d-mycluster-server-0's flannel annotation (backend-data)");
  });

  it('the same MAC as published: quiet', () => {
    expect(run({ host: host('k3d-server-0-agrees.ip-d-address.txt') })).toEqual([]);
  });
});

describe('flannel.vtep-mac-policy: the .link that will rewrite the MAC', () => {
  const flannelNode = (links: ReturnType<typeof debianLinks>): Arts => ({ ipAddr: [parseInterfaces(fx('healthy/node-a/ip-d-address.txt'), 'node-a/ip-d-address.txt')], systemdLink: links });

  it("a flannel VXLAN node with Debian 12's 99-default.link (OriginalName=*, MACAddressPolicy=persistent): info (flannel v0.15.1+ keeps its MAC under persistent; R8's N1) naming the file and line", () => {
    const found = run({ 'node-a': flannelNode(debianLinks()) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ id: 'flannel.vtep-mac-policy', severity: 'info', nodes: ['node-a'], facts: { device: 'flannel.1', link: '99-default.link', policy: 'persistent' } });
    expect(found[0].evidence.map((e) => [e.file, e.line, e.excerpt])).toEqual([
      ['node-a/ip-d-address.txt', 7, 'flannel.1 (vxlan dstport 8472)'],
      [`${USR}/99-default.link`, 15, 'OriginalName=*'],
      [`${USR}/99-default.link`, 20, 'MACAddressPolicy=persistent'],
    ]);
    expect(found[0].message).toContain('The flannel version is not read from the bundle');
    expect(found[0].remedy.commands).toContain('udevadm control --reload');
  });

  it('MACAddressPolicy=random (flannel#1795, seen again on v0.22.1): a warning', () => {
    const random = ['99-default.link', '73-usb-net-by-mac.link'].map((n) => parseSystemdLink(fx(`links/${USR}/${n}`).replace('MACAddressPolicy=persistent', 'MACAddressPolicy=random'), `${USR}/${n}`));
    const found = run({ 'node-a': flannelNode(random) });
    expect(found.map((f) => [f.id, f.severity, f.facts?.policy])).toEqual([['flannel.vtep-mac-policy', 'warning', 'random']]);
  });

  it("with rke#2270's /etc/systemd/network/50-flannel.link: quiet", () => {
    expect(run({ 'node-a': flannelNode([...debianLinks(), rkeLink()]) })).toEqual([]);
  });

  it('the same 50-flannel.link content filed as 99-flannel.link sorts after 99-default.link: still warned', () => {
    const late = parseSystemdLink(fx('links/etc/systemd/network/50-flannel.link'), 'etc/systemd/network/99-flannel.link');
    const found = run({ 'node-a': flannelNode([...debianLinks(), late]) });
    expect(found.map((f) => f.id)).toEqual(['flannel.vtep-mac-policy']);
    expect(found[0].message).toContain('99-flannel.link sort after it and are never applied to flannel.1');
  });

  it('no flannel on the node (ip addr without flannel.1), or a non-VXLAN backend in the net-conf: quiet', () => {
    const noFlannel: Arts = { ipAddr: [parseInterfaces(fx('forms/node-a.ip-d-link.txt').replace(/^(2|3): flannel[^\n]*\n(?:\s[^\n]*\n)*/gm, ''), 'ip-link.txt')], systemdLink: debianLinks() };
    expect(noFlannel.ipAddr![0].interfaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
    expect(run({ n: noFlannel })).toEqual([]);
    if (hasCorpus) {
      const udp: Arts = { flannelNetConf: [parseFlannelNetConf(readCorpus('flannel', 'cni-306-etcd-network-config-udp-backend.json'), 'net-conf.json')], systemdLink: debianLinks() };
      expect(run({ n: udp })).toEqual([]);
    }
  });
});
