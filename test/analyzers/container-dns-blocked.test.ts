/**
 * iptables.container-dns-blocked on containers/netavark#742 ("dns not available in container when using
 * bridge network and default INPUT policy on host is DROP"). Fixtures in test/fixtures/container-dns/:
 * - netavark742-iptables-save.txt: the thread's two commands (`iptables -P INPUT DROP`,
 *   `iptables -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT`) loaded with real iptables 1.8.9
 *   (nf_tables) in a throw-away namespace, iptables-save's output (reviewer R4's rebuild);
 * - podman1-ip-addr.txt: `ip addr` with podman1 10.89.0.1/24, netavark's first user network (R4's variant);
 * - netavark17-/netavark18-input-drop.iptables-save.txt: the same INPUT policy plus the rules netavark
 *   writes for that network (containers/netavark src/firewall/varktables/types.rs: before 1.8, and 1.8's
 *   NETAVARK_INPUT accept for udp 53 from containers/netavark#780), loaded with real iptables and saved;
 * - docker0-ip-addr.txt, docker0-dns-listener.ss.txt: a docker0 bridge and `ss -lntup` with a listener
 *   on 172.17.0.1:53 (udp and tcp), from a namespace.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dnsBlocked from '../../analyzers/iptables-container-dns-blocked.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseListeningSockets } from '../../src/parsers/listening.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/container-dns', f), 'utf8');
const rules = (f: string) => [parseIptablesSave(fx(f), 'iptables-save.txt')];
const podman1 = () => [parseInterfaces(fx('podman1-ip-addr.txt'), 'ip-addr.txt')];

describe('iptables.container-dns-blocked (containers/netavark#742)', () => {
  it("fires on the thread's rules with podman1 in ip addr: udp 53 to aardvark-dns on 10.89.0.1 dropped by the INPUT policy", () => {
    const found = runNode(dnsBlocked, { iptables: rules('netavark742-iptables-save.txt'), ipAddr: podman1() });
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('DNS queries from the containers on podman1 (10.89.0.0/24) to aardvark-dns on 10.89.0.1:53 are dropped by filter/INPUT policy (TCP 53 too)');
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-save.txt', line: 3, excerpt: ':INPUT DROP' });
    expect(f.evidence.some((e) => e.file === 'ip-addr.txt' && e.line === 11)).toBe(true);
    expect(f.facts).toMatchObject({ bridge: 'podman1', gateway: '10.89.0.1', tcpBlocked: true, udpBlockedBy: 'INPUT#0' });
    // idempotent: each rule is added only when iptables -C does not find it
    expect(f.remedy.commands.slice(0, 2)).toEqual([
      'iptables -C INPUT -i podman1 -p udp -m udp --dport 53 -j ACCEPT 2>/dev/null || iptables -I INPUT -i podman1 -p udp -m udp --dport 53 -j ACCEPT',
      'iptables -C INPUT -i podman1 -p tcp -m tcp --dport 53 -j ACCEPT 2>/dev/null || iptables -I INPUT -i podman1 -p tcp -m tcp --dport 53 -j ACCEPT',
    ]);
    expect(f.remedy.commands.join('\n')).toContain('netavark to 1.8 or later');
  });

  it("without ip addr, netavark's own rules (before 1.8) give the network: fires, the gateway taken as the first address", () => {
    const [f, ...rest] = runNode(dnsBlocked, { iptables: rules('netavark17-input-drop.iptables-save.txt') });
    expect(rest).toEqual([]);
    expect(f.message).toContain('containers on 10.89.0.0/24 to aardvark-dns on 10.89.0.1:53 are dropped by filter/INPUT policy');
    expect(f.message).toContain('its gateway is taken as 10.89.0.1');
    expect(f.facts).toMatchObject({ gatewayAssumed: true });
    // no bridge name known: the accept names the subnet, as netavark's own rule does
    expect(f.remedy.commands[0]).toBe('iptables -C INPUT -s 10.89.0.0/24 -p udp -m udp --dport 53 -j ACCEPT 2>/dev/null || iptables -I INPUT -s 10.89.0.0/24 -p udp -m udp --dport 53 -j ACCEPT');
  });

  it('healthy: netavark 1.8 accepts udp 53 from its network in NETAVARK_INPUT (TCP alone still dropped is not reported)', () => {
    expect(runNode(dnsBlocked, { iptables: rules('netavark18-input-drop.iptables-save.txt'), ipAddr: podman1() })).toEqual([]);
    expect(runNode(dnsBlocked, { iptables: rules('netavark18-input-drop.iptables-save.txt') })).toEqual([]);
  });

  it('healthy: the same bridge with INPUT policy ACCEPT', () => {
    const open = parseIptablesSave(fx('netavark742-iptables-save.txt').replace(':INPUT DROP', ':INPUT ACCEPT'), 'iptables-save.txt');
    expect(runNode(dnsBlocked, { iptables: [open], ipAddr: podman1() })).toEqual([]);
  });

  it("not on Podman's default network (podman0, 10.88.0.0/16: DNS off) without a listener there", () => {
    const ipa = fx('podman1-ip-addr.txt').replace(/podman1/g, 'podman0').replace('10.89.0.1/24 brd 10.89.0.255', '10.88.0.1/16 brd 10.88.255.255');
    expect(runNode(dnsBlocked, { iptables: rules('netavark742-iptables-save.txt'), ipAddr: [parseInterfaces(ipa, 'ip-addr.txt')] })).toEqual([]);
  });

  it("Docker: not for docker0 alone (its embedded DNS never crosses the host's INPUT); fires with a listener on 172.17.0.1:53", () => {
    const ipAddr = [parseInterfaces(fx('docker0-ip-addr.txt'), 'ip-addr.txt')];
    const iptables = rules('netavark742-iptables-save.txt');
    expect(runNode(dnsBlocked, { iptables, ipAddr })).toEqual([]);
    const sockets = [parseListeningSockets(fx('docker0-dns-listener.ss.txt'), 'ss-lntup.txt')];
    const [f, ...rest] = runNode(dnsBlocked, { iptables, ipAddr, sockets });
    expect(rest).toEqual([]);
    expect(f.message).toContain('docker0 (172.17.0.0/16) to python3 on 172.17.0.1:53 are dropped by filter/INPUT policy');
    expect(f.evidence.some((e) => e.file === 'ss-lntup.txt' && e.line === 2)).toBe(true);
  });
});

describe("the thread's bundle as pasted (iptables-save alone)", () => {
  it('no finding (no bridge is known), and the coverage says what was not checked', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('netavark742-iptables-save.txt') }, 'f4-dns-bare'));
    expect(r.findings.filter((f) => f.id === 'iptables.container-dns-blocked')).toEqual([]);
    const run = r.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.container-dns-blocked')!;
    expect(run.reason).toMatch(/^ran in part: the INPUT policy is DROP \(iptables-save\.txt:3\), but the bundle has no ip addr .*collect ip addr$/);
    // with ip addr, a plain run with its finding
    const withIpa = await analyzeBundle(writeFolder({ 'iptables-save.txt': fx('netavark742-iptables-save.txt'), 'ip-addr.txt': fx('podman1-ip-addr.txt') }, 'f4-dns-ipa'));
    expect(withIpa.coverage.nodes[0].analyzers.find((a) => a.id === 'iptables.container-dns-blocked')).toMatchObject({ status: 'ran', findings: 1 });
  });
});

/** Real iptables-save / nft outputs of libvirt, LXD and ufw + Docker hosts (test/fixtures/r3-forward/generated, see its SOURCE.txt). */
describe('iptables.container-dns-blocked on libvirt, LXD and ufw hosts', () => {
  const gen = (f: string) => readFileSync(projectPath('test/fixtures/r3-forward/generated', f), 'utf8');
  it("libvirt's LIBVIRT_INP accepts DNS on virbr0 ahead of a DROP policy: nothing; with those accepts gone, libvirt's dnsmasq is named", () => {
    const dropping = gen('libvirt-xtables.iptables-save.txt').replace(':INPUT ACCEPT [0:0]', ':INPUT DROP [0:0]');
    expect(runNode(dnsBlocked, { iptables: [parseIptablesSave(dropping, 'iptables-save.txt')] })).toEqual([]);
    const flushed = dropping.replace(/^-A LIBVIRT_INP .*\n/gm, '');
    const [f, ...rest] = runNode(dnsBlocked, { iptables: [parseIptablesSave(flushed, 'iptables-save.txt')] });
    expect(rest).toEqual([]);
    expect(f.message).toContain("containers on virbr0 (192.168.122.0/24) to libvirt's dnsmasq on 192.168.122.1:53 are dropped by filter/INPUT policy");
  });

  it('healthy real hosts: ufw + Docker 28 (INPUT DROP, no DNS listener on docker0), LXD beside Docker (nft)', () => {
    expect(runNode(dnsBlocked, { iptables: [parseIptablesSave(gen('ufw-docker2800-policy-drop.iptables-save.txt'), 'iptables-save.txt')] })).toEqual([]);
    expect(runNode(dnsBlocked, { iptables: [parseIptablesSave(gen('ufw-docker2800.iptables-save.txt'), 'iptables-save.txt')] })).toEqual([]);
  });

  it("LXD's own table accepts DNS on lxdbr0, but a DROP policy in another table's input hook still drops it", async () => {
    const ruleset = gen('lxd-docker.nft-list-ruleset.txt');
    const ids = async (text: string, name: string) => (await analyzeBundle(writeFolder({ 'nft-list-ruleset.txt': text }, name))).findings.filter((f) => f.id === 'iptables.container-dns-blocked');
    expect(await ids(ruleset, 'f4-dns-lxd')).toEqual([]);
    // the host's own ip filter INPUT (iptables-nft's table) with policy drop: LXD's accept in table inet lxd does not stop it
    const lines = ruleset.split('\n');
    const at = lines.findIndex((l, i) => /type filter hook input priority filter; policy accept;/.test(l) && /chain INPUT/.test(lines[i - 1] ?? ''));
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at].replace('policy accept', 'policy drop');
    const [f, ...rest] = await ids(lines.join('\n'), 'f4-dns-lxd-drop');
    expect(rest).toEqual([]);
    expect(f.message).toContain("lxdbr0 (10.148.92.0/24) to LXD's dnsmasq on 10.148.92.1:53 are dropped");
  });
});
