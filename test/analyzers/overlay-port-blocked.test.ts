/**
 * iptables.overlay-port-blocked: the overlay's own port blocked in INPUT. Fixtures in test/fixtures/overlay-ports/
 * (README.md there says how each was made):
 * - weave2033.iptables-save.txt: weaveworks/weave#2033 (https://github.com/weaveworks/weave/issues/2033), the
 *   reporter's iptables-save verbatim (`:INPUT DROP`, only ESTABLISHED and tcp 24022 accepted); the maintainer's
 *   answer: allow TCP 6783 and UDP 6783/6784 from the peers. weave2033-accepted.iptables-save.txt: the same rules
 *   with those accepts, loaded with iptables-restore 1.8.9 in a namespace and saved. weave-node.ip-addr.txt: a
 *   namespace with the weave bridge (10.32.0.1/12) and eth0 192.168.56.11/24.
 * - flannel-*: two namespaces joined by a veth (eth0 192.168.56.11 / .12), each with flannel.1 made as flannel
 *   makes it (`ip link add flannel.1 type vxlan id 1 local <ip> dev eth0 dstport 8472 nolearning`), cni0, the
 *   VTEP route/neighbour/fdb entries; RHEL's stock iptables.service rules (final
 *   `-A INPUT -j REJECT --reject-with icmp-host-prohibited`): datagrams from the peer's pods no longer came out
 *   of the node's flannel.1 (0 of 3) until the finding's own command was run (3 of 3). firewalld 1.3.3 (nftables
 *   back end, zone public: ssh, dhcpv6-client) run in the node's namespace: 0 of 3, then `--add-port=8472/udp`: 3 of 3.
 * - calico-*: the same node with vxlan.calico (id 4096, dstport 4789) and its routes; or BIRD's routes
 *   (`proto bird` via the peer 192.168.56.12) for Calico's BGP without encapsulation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import overlayBlocked from '../../analyzers/overlay-port-blocked.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/overlay-ports', f), 'utf8');
const rules = (f: string) => [parseIptablesSave(fx(f), f)];
const addr = (f: string) => [parseInterfaces(fx(f), f)];
const routes = (f: string) => [parseRoutes(fx(f), f)];
const nft = (f: string) => [parseNftText(fx(f), f)];

/** Runs the analyzer with a partly() collector. */
function run(artifacts: Parameters<typeof runNode>[1]) {
  const partly: string[] = [];
  const findings = overlayBlocked.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe('iptables.overlay-port-blocked: flannel VXLAN', () => {
  const flannelNode = () => ({ ipAddr: addr('flannel-node.ip-d-addr.txt'), routes: routes('flannel-node.ip-route.txt') });

  it("fires on RHEL's iptables.service rules: 8472/udp from the peer is rejected by the final REJECT (icmp-host-prohibited)", () => {
    const { findings, partly } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ...flannelNode() });
    expect(partly).toEqual([]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain("flannel VXLAN's traffic from the other nodes, 8472/udp (VXLAN), is rejected (icmp-host-prohibited) by filter/INPUT rule 5 in INPUT");
    expect(f.message).toContain('a packet from 192.168.56.12 (another address on 192.168.56.0/24) arriving on eth0 for 192.168.56.11');
    expect(f.message).toContain('cloud security group');
    expect(f.evidence[0]).toMatchObject({ file: 'flannel-rhel.iptables-save.txt', line: 10, excerpt: '-A INPUT -j REJECT --reject-with icmp-host-prohibited' });
    // the overlay and its port, read from ip -d addr: the flannel.1 header line
    expect(f.evidence[1]).toMatchObject({ file: 'flannel-node.ip-d-addr.txt', line: 7 });
    expect(f.evidence[1].excerpt).toContain('flannel.1 vxlan id 1 local 192.168.56.11 dev eth0 dstport 8472');
    expect(f.facts).toMatchObject({ overlay: 'flannel VXLAN', ports: ['8472/udp'], blockedBy: ['filter/INPUT#5'], uplink: 'eth0', peer: '192.168.56.12' });
    // the command run in the namespace to make flannel-rhel-accepted (idempotent: -C first)
    expect(f.remedy.commands[0]).toBe('iptables -C INPUT -s 192.168.56.0/24 -p udp -m udp --dport 8472 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.168.56.0/24 -p udp -m udp --dport 8472 -j ACCEPT');
    expect(f.remedy.caution).toMatch(/Cloud security groups/);
  });

  it('healthy: the same rules after that command (iptables-save of the namespace), and without the REJECT at all', () => {
    const { findings, partly } = run({ iptables: rules('flannel-rhel-accepted.iptables-save.txt'), ...flannelNode() });
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('an accept for some peers only (-s one node): the stand-in peer is blocked, but the verdict is "ran in part", not a critical', () => {
    const text = fx('flannel-rhel-accepted.iptables-save.txt').replace('-s 192.168.56.0/24 -p udp', '-s 192.168.56.20/32 -p udp');
    const { findings, partly } = run({ iptables: [parseIptablesSave(text, 'iptables-save.txt')], ...flannelNode() });
    expect(findings).toEqual([]);
    expect(partly.join('\n')).toMatch(/192\.168\.56\.12 on eth0 \(a stand-in.*iptables-save\.txt:6: -A INPUT -s 192\.168\.56\.20\/32 -p udp -m udp --dport 8472 -j ACCEPT/);
  });

  it('reads the port from a separate ip -d link when ip addr has no details', () => {
    const { findings } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ipAddr: [...addr('flannel-node.ip-addr.txt'), ...addr('flannel-node.ip-d-link.txt')], routes: routes('flannel-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    expect(findings[0].message).not.toContain("default port");
    // plain ip addr alone: flannel.1 is there, its port is flannel's default (said so)
    const plain = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ipAddr: addr('flannel-node.ip-addr.txt'), routes: routes('flannel-node.ip-route.txt') }).findings;
    expect(plain).toHaveLength(1);
    expect(plain[0].message).toContain("8472/udp is flannel's default port");
  });

  it('fires on firewalld (nftables back end, zone public): rejected by its table, fixed with firewall-cmd --add-port', () => {
    const { findings } = run({ nftables: nft('flannel-firewalld.nft-list-ruleset.txt'), ...flannelNode() });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/8472\/udp \(VXLAN\), is rejected \(.*admin-prohibited\) by nftables inet firewalld chain filter_IN_public rule \d+/);
    expect(f.evidence[0]).toMatchObject({ file: 'flannel-firewalld.nft-list-ruleset.txt', excerpt: 'reject with icmpx admin-prohibited' });
    expect(f.remedy.commands[0]).toBe(
      'z=$(firewall-cmd --get-zone-of-interface=eth0 2>/dev/null || firewall-cmd --get-default-zone); firewall-cmd --zone="$z" --add-port=8472/udp && firewall-cmd --permanent --zone="$z" --add-port=8472/udp',
    );
    expect(f.remedy.caution).toMatch(/No firewall-cmd --reload/);
  });

  it('healthy: firewalld after firewall-cmd --add-port=8472/udp', () => {
    expect(run({ nftables: nft('flannel-firewalld-accepted.nft-list-ruleset.txt'), ...flannelNode() }).findings).toEqual([]);
  });

  it('quiet without an overlay: the same REJECT on a node whose interfaces show none (single node, no flannel.1)', () => {
    const { findings, partly } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ipAddr: addr('calico-bgp-node.ip-addr.txt').map((l) => ({ ...l, interfaces: l.interfaces.filter((i) => !i.name.startsWith('cali')) })) });
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it("flannel's host-gw backend (net-conf.json) needs no port: quiet", async () => {
    const { parseFlannelNetConf } = await import('../../src/parsers/flannel-env.js');
    const conf = parseFlannelNetConf('{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "host-gw"\n  }\n}\n', 'net-conf.json');
    expect(run({ iptables: rules('flannel-rhel.iptables-save.txt'), flannelNetConf: [conf], ipAddr: addr('weave-node.ip-addr.txt').map((l) => ({ ...l, interfaces: l.interfaces.filter((i) => !/^(weave|vethwe)/.test(i.name)) })) }).findings).toEqual([]);
  });
});

describe('iptables.overlay-port-blocked: Weave Net (weaveworks/weave#2033)', () => {
  it("fires on the thread's rules with the weave bridge in ip addr: TCP 6783 and UDP 6783-6784 dropped by the INPUT policy", () => {
    const { findings } = run({ iptables: rules('weave2033.iptables-save.txt'), ipAddr: addr('weave-node.ip-addr.txt'), routes: routes('weave-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain("Weave Net's traffic from the other nodes, 6783/tcp (Weave's control connections between peers), 6783/udp (Weave's sleeve data path), 6784/udp (Weave's fast data path (VXLAN)), is dropped by filter/INPUT policy in INPUT");
    expect(f.evidence[0]).toMatchObject({ file: 'weave2033.iptables-save.txt', line: 3, excerpt: ':INPUT DROP' });
    expect(f.evidence.some((e) => e.file === 'weave-node.ip-addr.txt' && e.line === 7 && /weave/.test(e.excerpt))).toBe(true);
    expect(f.remedy.commands.slice(0, 2)).toEqual([
      'iptables -C INPUT -s 192.168.56.0/24 -p tcp -m tcp --dport 6783 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.168.56.0/24 -p tcp -m tcp --dport 6783 -j ACCEPT',
      'iptables -C INPUT -s 192.168.56.0/24 -p udp -m udp --dport 6783:6784 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.168.56.0/24 -p udp -m udp --dport 6783:6784 -j ACCEPT',
    ]);
  });

  it('healthy: the same rules with the accepts (loaded and saved in a namespace)', () => {
    expect(run({ iptables: rules('weave2033-accepted.iptables-save.txt'), ipAddr: addr('weave-node.ip-addr.txt'), routes: routes('weave-node.ip-route.txt') }).findings).toEqual([]);
  });

  it("the thread's paste alone (no ip addr, nothing showing Weave): quiet, as the reviewer found nothing to go on", () => {
    expect(run({ iptables: rules('weave2033.iptables-save.txt') })).toEqual({ findings: [], partly: [] });
  });

  it('only the fast data path blocked (UDP 6784): a warning, Weave falls back to sleeve', () => {
    const text = fx('weave2033-accepted.iptables-save.txt').replace('--dport 6783:6784 -j ACCEPT', '--dport 6783 -j ACCEPT');
    const { findings } = run({ iptables: [parseIptablesSave(text, 'iptables-save.txt')], ipAddr: addr('weave-node.ip-addr.txt'), routes: routes('weave-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].facts).toMatchObject({ ports: ['6784/udp'] });
  });
});

describe('iptables.overlay-port-blocked: Calico', () => {
  it('VXLAN (vxlan.calico, dstport 4789) behind the RHEL REJECT: fires for 4789/udp', () => {
    const { findings } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ipAddr: addr('calico-vxlan-node.ip-d-addr.txt'), routes: routes('calico-vxlan-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ overlay: 'Calico VXLAN', ports: ['4789/udp'] });
  });

  it('BGP without encapsulation (routes proto bird via 192.168.56.12): 179/tcp from that peer, rejected; firewalld-free fix with iptables', () => {
    const { findings } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ipAddr: addr('calico-bgp-node.ip-addr.txt'), routes: routes('calico-bgp-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.facts).toMatchObject({ overlay: 'Calico BGP', ports: ['179/tcp'], peer: '192.168.56.12' });
    expect(f.message).toContain('BGP sessions between the nodes do not come up');
    expect(f.evidence.some((e) => e.file === 'calico-bgp-node.ip-route.txt' && e.excerpt.includes('proto bird'))).toBe(true);
    // with the accept in place: quiet
    const ok = fx('flannel-rhel.iptables-save.txt').replace('-A INPUT -j REJECT', '-A INPUT -s 192.168.56.0/24 -p tcp -m tcp --dport 179 -j ACCEPT\n-A INPUT -j REJECT');
    expect(run({ iptables: [parseIptablesSave(ok, 'iptables-save.txt')], ipAddr: addr('calico-bgp-node.ip-addr.txt'), routes: routes('calico-bgp-node.ip-route.txt') }).findings).toEqual([]);
  });

  it('on a ufw host the fix is a ufw allow from the node subnet', () => {
    const units = parseSystemctlText('  UNIT        LOAD   ACTIVE SUB     DESCRIPTION\n  ufw.service loaded active exited  Uncomplicated firewall\n', 'systemctl.txt');
    const { findings } = run({ iptables: rules('flannel-rhel.iptables-save.txt'), ...{ ipAddr: addr('flannel-node.ip-d-addr.txt'), routes: routes('flannel-node.ip-route.txt') }, services: [units] });
    expect(findings[0].remedy.commands[0]).toBe('ufw allow proto udp from 192.168.56.0/24 to any port 8472   # ufw skips a rule it already has');
  });
});

describe('iptables.overlay-port-blocked: IPIP (IP protocol 4)', () => {
  // flannel's ipip backend as net-conf.json states it (kube-flannel's format), on the weave#2033 node's INPUT DROP
  const ipipConf = async () => (await import('../../src/parsers/flannel-env.js')).parseFlannelNetConf('{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "ipip"\n  }\n}\n', 'net-conf.json');
  const eth0Only = () => addr('weave-node.ip-addr.txt').map((l) => ({ ...l, interfaces: l.interfaces.filter((i) => !/^(weave|vethwe)/.test(i.name)) }));

  it('dropped by the INPUT policy: fires, fixed with -p 4 (iptables-save prints it back as -p ipencap)', async () => {
    const { findings } = run({ iptables: rules('weave2033.iptables-save.txt'), flannelNetConf: [await ipipConf()], ipAddr: eth0Only(), routes: routes('weave-node.ip-route.txt') });
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).toMatchObject({ overlay: 'flannel IPIP', ports: ['IP protocol 4 (IPIP)'] });
    expect(findings[0].evidence.some((e) => e.file === 'net-conf.json' && e.excerpt.includes('"ipip"'))).toBe(true);
    expect(findings[0].remedy.commands[0]).toBe('iptables -C INPUT -s 192.168.56.0/24 -p 4 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 192.168.56.0/24 -p 4 -j ACCEPT');
  });

  it('healthy: the rules after that command, saved by iptables-save (-p ipencap)', async () => {
    expect(fx('ipip-accepted.iptables-save.txt')).toContain('-A INPUT -s 192.168.56.0/24 -p ipencap -j ACCEPT');
    expect(run({ iptables: rules('ipip-accepted.iptables-save.txt'), flannelNetConf: [await ipipConf()], ipAddr: eth0Only(), routes: routes('weave-node.ip-route.txt') }).findings).toEqual([]);
  });

  it('firewalld: --add-protocol=ipencap in a call of its own (firewall-cmd refuses it beside --add-port), not "ipip" (protocol 94)', async () => {
    const { findings } = run({ nftables: nft('flannel-firewalld.nft-list-ruleset.txt'), flannelNetConf: [await ipipConf()], ipAddr: eth0Only() });
    expect(findings).toHaveLength(1);
    expect(findings[0].remedy.commands[0]).toBe(
      'z=$(firewall-cmd --get-zone-of-interface=eth0 2>/dev/null || firewall-cmd --get-default-zone); firewall-cmd --zone="$z" --add-protocol=ipencap && firewall-cmd --permanent --zone="$z" --add-protocol=ipencap',
    );
    expect(findings[0].remedy.commands.join('\n')).toContain('protocol value="4"');
  });
});

describe('iptables.overlay-port-blocked: what the bundle lacks', () => {
  it("flannel shown only by its chains (no ip addr, no backend): blocked 8472 is 'ran in part', not a critical", () => {
    const text = fx('flannel-rhel.iptables-save.txt').replace(':OUTPUT ACCEPT [2:276]', ':OUTPUT ACCEPT [2:276]\n:FLANNEL-FWD - [0:0]').replace('-A FORWARD -j REJECT', '-A FORWARD -j FLANNEL-FWD\n-A FLANNEL-FWD -s 10.244.0.0/16 -j ACCEPT\n-A FORWARD -j REJECT');
    const { findings, partly } = run({ iptables: [parseIptablesSave(text, 'iptables-save.txt')] });
    expect(findings).toEqual([]);
    expect(partly.join('\n')).toMatch(/shows flannel but not its backend.*8472\/udp is blocked by filter\/INPUT rule 5/);
  });
});
