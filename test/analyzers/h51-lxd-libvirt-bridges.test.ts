/**
 * LXD / libvirt bridges behind ufw's INPUT DROP and Docker's FORWARD DROP (helper H51).
 * - canonical/lxd#6431 (https://github.com/canonical/lxd/issues/6431, "Container fails to recieve IPv4 address
 *   through DHCP"): ufw + Docker beside LXD; its `iptables -L -n` (no -v) is test/fixtures/h51/lxd6431-iptables-L.txt.
 * - canonical/lxd#12810 (https://github.com/canonical/lxd/issues/12810): Docker's FORWARD policy DROP cuts lxdbr0 off;
 *   LXD's documented fix is a DOCKER-USER accept; with ufw, `ufw allow in on lxdbr0`, `ufw route allow in/out on lxdbr0`
 *   (LXD docs, "How to configure your firewall").
 * Fixtures (test/fixtures/h51/SOURCE.txt): ufw 0.36.2's own rule set loaded by ufw-init in a network namespace, Docker
 * 20.10's rules added as dockerd adds them, `ip addr` of a namespace with lxdbr0 / virbr0 / docker0; LXD's xtables
 * rules as a public blog source published them (iptables-save v1.6.1), restored and saved with iptables 1.8.9.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dnsBlocked from '../../analyzers/iptables-container-dns-blocked.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h51', f), 'utf8');
const save = (f: string) => [parseIptablesSave(fx(f), 'iptables-save.txt')];
const ipa = (f = 'ip-addr.txt') => [parseInterfaces(fx(f), 'ip-addr.txt')];
const run = async (files: Record<string, string>, name: string) => {
  const r = await analyzeBundle(writeFolder(files, name));
  const of = (id: string) => r.findings.filter((f) => f.id === id);
  const cov = (id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id)!;
  return { dns: of('iptables.container-dns-blocked'), fwd: of('iptables.forward-blocks-containers'), cov };
};
const ufwHost = (rules: string, addr = 'ip-addr.txt') => ({ 'iptables-save.txt': fx(rules), 'ip-addr.txt': fx(addr), 'ip-route.txt': fx('ip-route.txt') });

describe('iptables.container-dns-blocked: LXD / libvirt guests behind ufw (lxd#6431)', () => {
  it("lxdbr0 known by its name in ip addr: DHCP (udp 67) dropped by ufw's after-input rule and DNS by the INPUT policy; ufw's remedy", () => {
    const [f, ...rest] = runNode(dnsBlocked, { iptables: save('ufw-docker-lxd.iptables-save.txt'), ipAddr: ipa() });
    expect(rest).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.title).toBe("Guests' DHCP and DNS to their bridge's dnsmasq are blocked");
    expect(f.message).toContain("DNS queries from the containers on lxdbr0 (10.148.92.0/24) to LXD's dnsmasq on 10.148.92.1:53 are dropped by filter/INPUT policy");
    expect(f.message).toContain("The guests' DHCP requests on lxdbr0 (udp 67, to LXD's dnsmasq) are dropped by filter/ufw-skip-to-policy-input rule 1");
    expect(f.facts).toMatchObject({ bridge: 'lxdbr0', dhcpBlockedBy: 'ufw-skip-to-policy-input#1', bridgeKnownBy: 'name' });
    // ufw's own rule that sends udp 67 to the policy: -A ufw-after-input -p udp -m udp --dport 67 -j ufw-skip-to-policy-input
    expect(f.evidence.map((e) => e.excerpt)).toContain('-A ufw-skip-to-policy-input -j DROP');
    expect(f.remedy?.commands[0]).toMatch(/^ufw allow in on lxdbr0 /);
    expect(f.remedy?.commands.join('\n')).not.toMatch(/iptables -I/);
  });

  it("healthy: the same host with LXD's documented ufw rules (ufw allow in on lxdbr0, as ufw 0.36.2 writes it)", () => {
    expect(runNode(dnsBlocked, { iptables: save('ufw-docker-lxd-allowed.iptables-save.txt'), ipAddr: ipa() })).toEqual([]);
  });

  it('healthy: the same ufw + Docker host without LXD or libvirt (docker0 only: its embedded DNS never crosses INPUT)', () => {
    expect(runNode(dnsBlocked, { iptables: save('ufw-docker-lxd.iptables-save.txt'), ipAddr: ipa('ip-addr-no-lxd.txt') })).toEqual([]);
  });

  it("virbr0 by its name: libvirt's dnsmasq, the VMs' DHCP dropped", () => {
    const [f, ...rest] = runNode(dnsBlocked, { iptables: save('ufw-docker-lxd.iptables-save.txt'), ipAddr: ipa('ip-addr-virbr0.txt') });
    expect(rest).toEqual([]);
    expect(f.message).toContain("The virtual machines' DHCP requests on virbr0 (udp 67, to libvirt's dnsmasq) are dropped");
    expect(f.remedy?.commands[0]).toMatch(/^ufw allow in on virbr0 /);
  });

  it("no ufw: LXD's own xtables accepts (udp 67, udp/tcp 53) ahead of an INPUT policy DROP pass; without them, DHCP and DNS are dropped and the remedy is iptables -C || -I", () => {
    expect(runNode(dnsBlocked, { iptables: save('lxd-xtables-input-drop.iptables-save.txt') })).toEqual([]);
    const [f, ...rest] = runNode(dnsBlocked, { iptables: save('lxd-xtables-input-flushed.iptables-save.txt') });
    expect(rest).toEqual([]);
    expect(f.message).toContain("lxdbr0 (10.70.121.0/24) to LXD's dnsmasq on 10.70.121.1:53 are dropped by filter/INPUT policy");
    expect(f.message).toContain("DHCP requests on lxdbr0 (udp 67, to LXD's dnsmasq) are dropped there too");
    expect(f.remedy?.commands).toContain('iptables -C INPUT -i lxdbr0 -p udp -m udp --dport 67 -j ACCEPT 2>/dev/null || iptables -I INPUT -i lxdbr0 -p udp -m udp --dport 67 -j ACCEPT');
    expect(f.remedy?.commands.join('\n')).not.toMatch(/^ufw /m);
  });
});

describe('listings without -v (lxd#6431 pasted `iptables -L -n`)', () => {
  it("the thread's listing: no finding, and the coverage asks for iptables -L -n -v / iptables-save, naming ufw's part", async () => {
    const { dns, fwd, cov } = await run({ 'iptables-L.txt': fx('lxd6431-iptables-L.txt') }, 'h51-lxd6431');
    expect([...dns, ...fwd]).toEqual([]);
    const d = cov('iptables.container-dns-blocked').reason ?? '';
    expect(d).toContain('the listing is iptables -L without -v (iptables-L.txt:3)');
    expect(d).toContain('ufw allow in on lxdbr0');
    expect(d).toMatch(/collect iptables -L -n -v \(or iptables-save\) and ip addr$/);
    expect(cov('iptables.forward-blocks-containers').reason).toContain('the listing is iptables -L without -v (iptables-L.txt:3)');
  });

  it('the namespace host listed without -v: partial (no false critical for docker0 or lxdbr0); with -v: the findings', async () => {
    const plain = await run({ 'iptables-L.txt': fx('ufw-docker-lxd.iptables-L.txt'), 'ip-addr.txt': fx('ip-addr.txt'), 'ip-route.txt': fx('ip-route.txt') }, 'h51-lnv');
    expect([...plain.dns, ...plain.fwd]).toEqual([]);
    expect(plain.cov('iptables.container-dns-blocked').reason).toContain('were not checked (lxdbr0); collect iptables -L -n -v (or iptables-save)');
    expect(plain.cov('iptables.forward-blocks-containers').reason).toContain('(docker0) to the outside via eth0 is dropped by filter/DOCKER-ISOLATION-STAGE-2 rule 1 (iptables-L.txt:44) as traced through an iptables -L listing without -v');
    const verbose = await run({ 'iptables-L.txt': fx('ufw-docker-lxd.iptables-L-v.txt'), 'ip-addr.txt': fx('ip-addr.txt'), 'ip-route.txt': fx('ip-route.txt') }, 'h51-lv');
    expect(verbose.dns.map((f) => f.facts?.bridge)).toEqual(['lxdbr0']);
    expect(verbose.fwd.map((f) => f.facts?.bridge)).toEqual(['lxdbr0']);
  });
});

describe('iptables.forward-blocks-containers: lxdbr0 / virbr0 known by name beside Docker (lxd#12810)', () => {
  it("Docker's FORWARD policy DROP drops lxdbr0's traffic: DOCKER-USER remedy, and ufw's route rules as the alternative", async () => {
    const { fwd } = await run(ufwHost('ufw-docker-lxd.iptables-save.txt'), 'h51-fwd');
    const [f, ...rest] = fwd;
    expect(rest).toEqual([]);
    expect(f.message).toContain("LXD's bridge lxdbr0: a new connection from 10.148.92.0/24 (lxdbr0) to the outside via eth0 is dropped by the FORWARD policy DROP");
    expect(f.remedy?.commands[0]).toMatch(/^iptables -C DOCKER-USER -i lxdbr0 -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -i lxdbr0 -j ACCEPT/);
    expect(f.remedy?.commands.join('\n')).toContain('ufw route allow in on lxdbr0; ufw route allow out on lxdbr0');
    expect(f.evidence.some((e) => e.note?.includes("by its name LXD's default bridge"))).toBe(true);
  });

  it("healthy: ufw route allow in/out on lxdbr0 (ufw-user-forward, reached after Docker's rules); no LXD bridge: docker0 alone, as before", async () => {
    expect((await run(ufwHost('ufw-docker-lxd-allowed.iptables-save.txt'), 'h51-fwd-ok')).fwd).toEqual([]);
    expect((await run(ufwHost('ufw-docker-lxd.iptables-save.txt', 'ip-addr-no-lxd.txt'), 'h51-fwd-nolxd')).fwd).toEqual([]);
  });

  it('virbr0 by name: the VMs cut off, the DOCKER-USER remedy', async () => {
    const { fwd: fs } = await run({ 'iptables-save.txt': fx('ufw-docker-lxd.iptables-save.txt'), 'ip-addr.txt': fx('ip-addr-virbr0.txt'), 'ip-route.txt': fx('ip-route-virbr0.txt') }, 'h51-fwd-virbr0');
    expect(fs.map((f) => f.facts?.bridge)).toEqual(['virbr0']);
    expect(fs[0].impact).toBe('Virtual machines on virbr0 cannot reach anything outside the node.');
    expect(fs[0].remedy?.commands[0]).toContain('iptables -I DOCKER-USER -i virbr0 -j ACCEPT');
  });
});
