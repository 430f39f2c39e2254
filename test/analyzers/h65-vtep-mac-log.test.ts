/**
 * flannel.vtep-mac-stale reading flanneld's own lines (what a node programs for a peer's subnet) beside the peer's flannel.1:
 * - flannel-io/flannel#1473 (https://github.com/flannel-io/flannel/issues/1473, pilou-'s comment, k3s v1.21.4 / flannel v0.14.0):
 *   node1's kube-flannel.log (`adding subnet: 10.244.1.0/24 PublicIP: <redacted> VtepMAC: fe:06:04:ca:6d:1e`, AddARP, AddFDB)
 *   and node2's `ip link show flannel.1` (`link/ether 76:a5:88:e1:1f:93`), verbatim;
 * - gravitational/workshop gravity_networking.md (https://github.com/gravitational/workshop/blob/master/gravity_networking.md):
 *   flanneld's journal lines `adding subnet: 10.244.6.0/24 PublicIP: 10.162.0.6 VtepMAC: 62:4f:73:05:24:e1`, verbatim;
 * - network namespaces on this machine (iproute2): a flannel.1 VXLAN device with the MAC node1 programs (healthy), node2's
 *   flannel.1 with 76:a5:88:e1:1f:93 and 10.244.1.0/32 (`ip -d addr show flannel.1`), node1's neighbour table after
 *   `ip neigh replace 10.244.1.0 lladdr 76:a5:88:e1:1f:93 dev flannel.1 nud permanent` (the ticket's manual fix);
 * - flannel-io/flannel#1795 (fixtures/flannel-vtep-mac/issue1795): node .164's flannel.1 and annotation, the peer's arp -na.
 * The log lines are scanned with the catalog, which holds src/logs/signatures-flannel-vtep.ts' entries, as the engine does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/flannel-vtep-mac-stale.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, SIGNATURES } from '../../src/logs/index.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseIpNeigh } from '../../src/parsers/ip-neigh.js';
import { parseKubeNodes } from '../../src/parsers/kube-nodes.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { projectPath } from '../helpers/shared.js';

const DIR = 'test/fixtures/h65';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const lineOf = (text: string, n: number) => text.split('\n')[n - 1];
const CATALOG = SIGNATURES;
const log = (f: string, text = fx(f)) => scanLogText(text, f, { catalog: CATALOG });
const ip = (f: string) => parseInterfaces(fx(f), f);

function run(nodes: Record<string, NodeArtifacts>): { found: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  const found = analyzer.scope === 'cluster' ? analyzer.analyze({ nodes: Object.entries(nodes).map(([node, artifacts]) => ({ node, artifacts })) as never, options: { requiredPorts: [] }, partly: (what: string) => partly.push(what) } as never) : [];
  return { found, partly };
}

const LOG_1473 = '1473/node1/kube-flannel.log';
const LINK_1473 = '1473/node2/ip_link_show_flannel.1.txt';

describe('flanneld log lines (signatures)', () => {
  it("read #1473's pasted lines (no timestamp, address redacted) and gravity's journal lines with subnet, public IP and MAC", () => {
    const a = log(LOG_1473);
    expect(a.matches.map((m) => [m.signature, m.line, m.facts])).toEqual([
      ['log.flannel-subnet-vtep', 1, { op: 'adding', subnet: '10.244.1.0/24', publicIp: '<redacted>', mac: 'fe:06:04:ca:6d:1e' }],
      ['log.flannel-vtep-neigh-call', 2, { call: 'AddARP', ip: '10.244.1.0', mac: 'fe:06:04:ca:6d:1e' }],
      ['log.flannel-vtep-neigh-call', 3, { call: 'AddFDB', ip: '<redacted>', mac: 'fe:06:04:ca:6d:1e' }],
    ]);
    const g = log('gravity/flanneld.log');
    expect(g.matches.map((m) => [m.line, m.facts.subnet, m.facts.publicIp, m.facts.mac, !!m.timestamp])).toEqual([
      [1, '10.244.6.0/24', '10.162.0.6', '62:4f:73:05:24:e1', true],
      [2, '10.244.11.0/24', '10.162.0.5', '12:42:55:2d:79:ab', true],
    ]);
  });
});

describe('flannel.vtep-mac-stale from flanneld log lines', () => {
  it("#1473: node1's flanneld programs fe:06:04:ca:6d:1e for 10.244.1.0/24, node2's flannel.1 has 76:a5:88:e1:1f:93: a warning citing both", () => {
    const { found } = run({ node1: { logs: [log(LOG_1473)] }, node2: { ipAddr: [ip(LINK_1473)] } });
    expect(found).toHaveLength(1);
    const f = found[0];
    expect(f).toMatchObject({ severity: 'warning', nodes: ['node2', 'node1'], facts: { device: 'flannel.1', node: 'node2', mac: '76:a5:88:e1:1f:93', staleMacs: ['fe:06:04:ca:6d:1e'], holders: ['node1'] } });
    expect(f.facts?.fromLog).toEqual([{ node: 'node1', subnet: '10.244.1.0/24', vtepMac: 'fe:06:04:ca:6d:1e', tiedBy: 'elimination' }]);
    expect(f.evidence.map((e) => [e.node, e.file, e.line])).toEqual([
      ['node2', LINK_1473, 2],
      ['node1', LOG_1473, 1],
      ['node1', LOG_1473, 2],
      ['node1', LOG_1473, 3],
    ]);
    for (const e of f.evidence) expect(lineOf(fx(e.file), e.line)).toContain(e.excerpt.replace(/…$/, ''));
    expect(f.message).toContain('flannel.1 on node2 has MAC 76:a5:88:e1:1f:93');
    expect(f.message).toContain('node2 is taken for the holder of 10.244.1.0/24');
    expect(f.message).toContain("node1's own neighbour and fdb tables are not in the bundle");
    expect(f.message).toContain('One known cause: systemd');
    expect(f.message).not.toContain('usual cause');
    // the ticket's fix: restart flannel on both nodes, node2 first (it republishes), then node1 (it programs again)
    const cmds = f.remedy.commands;
    expect(cmds.indexOf('# on node2')).toBeLessThan(cmds.indexOf('# then on node1'));
    expect(cmds.filter((c) => c.includes('delete pod'))).toHaveLength(2);
    expect(f.remedy.summary).toContain('flannel-io/flannel#1473');
    expect(f.remedy.summary).toContain('if flannel is older than v0.15.1');
    expect(f.remedy.summary).not.toMatch(/or upgrade flannel to v0\.15\.1/);
  });

  it("healthy: node2's flannel.1 has the MAC node1's flanneld programs (a namespace's flannel.1 with fe:06:04:ca:6d:1e): quiet, and compared", () => {
    const { found, partly } = run({ node1: { logs: [log(LOG_1473)] }, node2: { ipAddr: [ip('netns/node2-same-mac-ip-link-show-flannel.1.txt')] } });
    expect(found).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('a later "adding subnet" line for the same subnet with the right MAC makes the older one history: quiet', () => {
    // #1473's lines, then the line flanneld writes for the same lease once node2 republished 76:a5:88:e1:1f:93 (same format;
    // the ticket shows the fix, not that line)
    const text = `${fx(LOG_1473)}vxlan_network.go:139] adding subnet: 10.244.1.0/24 PublicIP: <redacted> VtepMAC: 76:a5:88:e1:1f:93\n`;
    expect(run({ node1: { logs: [log(LOG_1473, text)] }, node2: { ipAddr: [ip(LINK_1473)] } }).found).toEqual([]);
    // and the reverse order (right MAC first, the stale one last) fires
    const reverse = `vxlan_network.go:139] adding subnet: 10.244.1.0/24 PublicIP: <redacted> VtepMAC: 76:a5:88:e1:1f:93\n${fx(LOG_1473)}`;
    expect(run({ node1: { logs: [log(LOG_1473, reverse)] }, node2: { ipAddr: [ip(LINK_1473)] } }).found.map((f) => f.severity)).toEqual(['warning']);
  });

  it("node2's flannel.1 address in the subnet ties it without elimination; node1's own neighbour table with the right MAC overrules its log", () => {
    const node2 = { ipAddr: [ip('netns/node2-ip-d-addr-show-flannel.1.txt')] };
    const tied = run({ node1: { logs: [log(LOG_1473)] }, node2 }).found;
    expect(tied.map((f) => [f.severity, (f.facts?.fromLog as { tiedBy: string }[])[0].tiedBy])).toEqual([['warning', 'address']]);
    expect(tied[0].message).toContain("node2's flannel.1 address is in 10.244.1.0/24");
    const neigh = parseIpNeigh(fx('netns/node1-ip-neigh-show.txt'), 'netns/node1-ip-neigh-show.txt');
    expect(run({ node1: { logs: [log(LOG_1473)], ipNeigh: [neigh] } as NodeArtifacts, node2 }).found).toEqual([]);
  });

  it("a subnet the bundle cannot tie to a node (gravity's 10.244.6.0/24 beside a flannel.1 in 10.244.1.0/32): no finding, ran in part", () => {
    const { found, partly } = run({ node1: { logs: [log('gravity/flanneld.log')] }, node2: { ipAddr: [ip('netns/node2-ip-d-addr-show-flannel.1.txt')] } });
    expect(found).toEqual([]);
    expect(partly.join('\n')).toContain("node1's flanneld programs 10.244.6.0/24 with VtepMAC 62:4f:73:05:24:e1, which no flannel.1 in the bundle has, and the bundle does not show which node holds that subnet");
    // two unexplained subnets and one flannel.1 without address: no guess either
    const twoLeft = run({ node1: { logs: [log('gravity/flanneld.log')] }, node2: { ipAddr: [ip(LINK_1473)] } });
    expect(twoLeft.found).toEqual([]);
    expect(twoLeft.partly.filter((p) => p.includes('does not show which node holds'))).toHaveLength(2);
  });

  it('nothing to compare (node2\'s ip link alone, node1 without log lines): "not run", not a bare ran', () => {
    const { found, partly } = run({ node2: { ipAddr: [ip(LINK_1473)] } });
    expect(found).toEqual([]);
    expect(partly).toEqual([expect.stringMatching(/^not run: nothing in the bundle says which MAC the other nodes use for flannel\.1 of node2/)]);
    const logOnly = run({ node1: { logs: [log(LOG_1473)] } });
    expect(logOnly.found).toEqual([]);
    expect(logOnly.partly).toEqual([expect.stringMatching(/^not run: node1's flanneld programs 10\.244\.1\.0\/24 with VtepMAC fe:06:04:ca:6d:1e, but no other node's flannel\.1 MAC is in the bundle/)]);
  });
});

describe('flannel.vtep-mac-stale wording (#1795: flannel v0.22.1, version not in the bundle)', () => {
  const D = 'test/fixtures/flannel-vtep-mac/issue1795';
  const read = (f: string) => readFileSync(projectPath(D, f), 'utf8');
  it('critical as before; the fix says "if flannel is older than v0.15.1" and the cause is "one known cause"', () => {
    const node164: NodeArtifacts = { ipAddr: [parseInterfaces(read('node-164/ip-a-s-flannel.1.txt'), 'node-164/ip-a-s-flannel.1.txt')], kubeNodes: [parseKubeNodes(read('node-164/kubectl-get-node-yaml-grep-vtep.txt'), 'node-164/kubectl-get-node-yaml-grep-vtep.txt')] } as NodeArtifacts;
    const other: NodeArtifacts = { ipNeigh: [parseIpNeigh(read('peer/arp-na.txt'), 'peer/arp-na.txt')] } as NodeArtifacts;
    const { found } = run({ 'node-164': node164, 'other-node': other });
    expect(found.map((f) => f.severity)).toEqual(['critical']);
    expect(found[0].remedy.summary).toContain('if flannel is older than v0.15.1 (the bundle does not show its version)');
    expect(found[0].remedy.summary).not.toContain('or upgrade flannel to v0.15.1 or later');
    expect(found[0].message).toContain('One known cause');
    expect(found[0].message).not.toContain('The usual cause');
  });
});
