/**
 * h97: wording R30 found misleading.
 * 1. iptables.service-conflict cites the zone file's line of each interface (`<interface name="br-..."/>`),
 *    not the line of the zone's first interface.
 * 2. iptables.container-dns-blocked's caution for a native nftables table says what the file the nftables
 *    service loads really holds: "flush ruleset" only where it has one; otherwise the unit's stop action
 *    (ExecStop=nft flush ruleset, Debian's and RHEL's nftables.service) is the hazard.
 * 3. sysctl.bridge-nf-call-disabled (info, no Kubernetes) on a Proxmox host with Docker: vmbr0's guests under
 *    Docker's FORWARD policy DROP make the 0 a deliberate workaround; the fix puts a DOCKER-USER accept first.
 *
 * Real text: test/fixtures/h97/ holds reviewer R30's bundles (see its README: iptables-save / nft list ruleset
 * output made with the real binaries in throwaway namespaces). The units' text: Debian's nftables.service
 * (ExecReload=/usr/sbin/nft -f /etc/nftables.conf, ExecStop=/usr/sbin/nft flush ruleset) and RHEL's
 * (ExecReload=/sbin/nft 'flush ruleset; include "/etc/sysconfig/nftables.conf";', ExecStop=/sbin/nft flush ruleset).
 * Docker's "Docker on a router" (https://docs.docker.com/engine/network/packet-filtering-firewalls/):
 * `iptables -I DOCKER-USER -i src_if -o dst_if -j ACCEPT`.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseFirewalldZoneXml } from '../../src/nft/firewalld.js';
import { projectPath } from '../helpers/shared.js';

const FX = (host: string) => projectPath('test/fixtures/h97', host);
/** a private copy of one fixture host, with some files replaced */
function host(name: string, replace: Record<string, string> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'h97-')), name);
  cpSync(FX(name), dir, { recursive: true });
  for (const [f, text] of Object.entries(replace)) writeFileSync(join(dir, f), text);
  return dir;
}
const read = (h: string, f: string) => readFileSync(join(FX(h), f), 'utf8');

describe('1. firewalld zone membership cites the interface line', () => {
  const H14 = 'h14-rhel9-firewalld-docker-zone-noversion';
  it('the parser keeps one line per <interface> element', () => {
    const z = parseFirewalldZoneXml(read(H14, 'etc/firewalld/zones/docker.xml'), 'etc/firewalld/zones/docker.xml');
    expect(z.interfaces).toEqual(['docker0', 'br-2a6f1e9c4d07']);
    expect(z.interfaceRefs?.['docker0']?.line).toBe(5);
    expect(z.interfaceRefs?.['br-2a6f1e9c4d07']?.line).toBe(6);
    expect(z.fieldRefs.interfaces?.line).toBe(5);
  });

  it('h14: br-2a6f1e9c4d07 is cited at docker.xml:6, docker0 at :5', async () => {
    const r = await analyzeBundle(host(H14));
    const f = r.findings.find((x) => x.id === 'iptables.service-conflict')!;
    expect(f.message).toContain('br-2a6f1e9c4d07 is in the docker zone already (etc/firewalld/zones/docker.xml:6)');
    expect(f.message).toContain('docker0 is in the docker zone already (etc/firewalld/zones/docker.xml:5)');
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'etc/firewalld/zones/docker.xml', line: 6 }));
    expect(f.message).not.toMatch(/br-2a6f1e9c4d07 is in the docker zone already \(etc\/firewalld\/zones\/docker\.xml:5\)/);
  });

  it('a docker+ wildcard entry: the bridge is cited at the wildcard line', async () => {
    const xml = read(H14, 'etc/firewalld/zones/docker.xml').replace('<interface name="br-2a6f1e9c4d07"/>', '<interface name="br-+"/>');
    const dir = host(H14, { 'etc/firewalld/zones/docker.xml': xml, 'firewall-cmd_--list-all-zones.txt': '' });
    const r = await analyzeBundle(dir);
    const f = r.findings.find((x) => x.id === 'iptables.service-conflict')!;
    expect(f.message).toContain('br-2a6f1e9c4d07 is in the docker zone already (etc/firewalld/zones/docker.xml:6)');
    expect(f.evidence).toContainEqual(expect.objectContaining({ line: 6, note: expect.stringContaining('its br-+ entry') }));
  });
});

describe('2. container-dns-blocked: the nftables caution says what the file holds', () => {
  const H24 = 'h24-incus-nft-only-input-drop';
  it('h24: the file resets only inet filter (no flush ruleset): the hazard named is the unit\'s ExecStop', async () => {
    const r = await analyzeBundle(host(H24));
    const f = r.findings.find((x) => x.id === 'iptables.container-dns-blocked')!;
    expect(f.severity).toBe('critical');
    const c = f.remedy.caution!;
    expect(c).not.toMatch(/starts with "flush ruleset"/);
    expect(c).toContain('/etc/nftables.conf resets only its own table (table inet filter) and has no "flush ruleset"');
    expect(c).toContain('leaves the other tables (table inet incus) alone');
    expect(c).toContain('ExecStop=nft flush ruleset');
    expect(c).toMatch(/Do not stop or restart nftables\.service/);
    expect(f.remedy.commands).toContain('# persist: in /etc/nftables.conf (line 3), in table inet filter, chain input, above the rule that blocks it:');
  });

  it('the same host whose file starts with flush ruleset (Debian\'s stock first line): the caution cites that line', async () => {
    const conf = read(H24, 'etc/nftables.conf').replace('table inet filter\ndelete table inet filter\n', 'flush ruleset\n');
    const r = await analyzeBundle(host(H24, { 'etc/nftables.conf': conf }));
    const f = r.findings.find((x) => x.id === 'iptables.container-dns-blocked')!;
    expect(f.remedy.caution).toMatch(/^Do not load \/etc\/nftables\.conf again while the containers run .*: \/etc\/nftables\.conf runs "flush ruleset" \(line 3\), which deletes every table, the other tables \(table inet incus\) included\./);
  });

  it('no nftables.conf in the bundle: conditional on the file, firm on the unit\'s stop', async () => {
    const dir = host(H24);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'etc/nftables.conf'));
    const r = await analyzeBundle(dir);
    const c = r.findings.find((x) => x.id === 'iptables.container-dns-blocked')!.remedy.caution!;
    expect(c).toMatch(/^The bundle does not hold the file the nftables service loads: where it runs "flush ruleset"/);
    expect(c).toContain('ExecStop=nft flush ruleset');
  });
});

describe('3. bridge-nf-call-iptables = 0 on a Proxmox host with Docker', () => {
  const H10 = 'h10-proxmox-docker-brnf-off';
  const ID = 'sysctl.bridge-nf-call-disabled';
  it('h10 (vmbr0 with tap100i0 and veth101i0, FORWARD policy DROP): info naming the workaround, DOCKER-USER accept first', async () => {
    const r = await analyzeBundle(host(H10));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toContain("vmbr0 is a bridge of virtual machines or guests (tap100i0, veth101i0: ip_addr.txt:23), and iptables' FORWARD policy is DROP (iptables-save.txt:4; Docker sets it)");
    expect(f[0].message).toContain('a 0 here is the usual workaround');
    expect(f[0].remedy.summary).toMatch(/^Leave it at 0 while the guests of vmbr0 need it/);
    expect(f[0].remedy.commands[0]).toBe('iptables -C DOCKER-USER -i vmbr0 -o vmbr0 -j ACCEPT 2>/dev/null || iptables -I DOCKER-USER -i vmbr0 -o vmbr0 -j ACCEPT   # first: vmbr0\'s bridged traffic past the FORWARD policy DROP once bridge netfilter is on');
    expect(f[0].remedy.commands.indexOf('modprobe br_netfilter')).toBeGreaterThan(0);
    expect(f[0].facts).toMatchObject({ vmBridges: ['vmbr0'], forwardPolicyDrop: true });
  });

  it('the same host whose DOCKER-USER accepts vmbr0 already (h09\'s rules): the plain info, no workaround wording', async () => {
    const r = await analyzeBundle(host(H10, { 'iptables-save.txt': read('h09-proxmox-docker', 'iptables-save.txt') }));
    expect(read('h09-proxmox-docker', 'iptables-save.txt')).toContain('-A DOCKER-USER -i vmbr0 -o vmbr0 -j ACCEPT');
    const f = r.findings.filter((x) => x.id === ID);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).not.toContain('usual workaround');
    expect(f[0].remedy.commands[0]).toBe('modprobe br_netfilter');
  });

  it('the same host without guests on vmbr0 (their ports removed from ip addr): the plain info', async () => {
    const ip = read(H10, 'ip_addr.txt').split('\n');
    const cut = ip.findIndex((l) => l.startsWith('8: tap100i0'));
    const r = await analyzeBundle(host(H10, { 'ip_addr.txt': `${ip.slice(0, cut).join('\n')}\n` }));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).not.toContain('vmbr0');
    expect(f[0].remedy.summary).toMatch(/^Only where the host runs pods/);
  });

  it('h09 (bridge-nf-call-iptables = 1): no finding', async () => {
    const r = await analyzeBundle(host('h09-proxmox-docker'));
    expect(r.findings.filter((x) => x.id === ID)).toEqual([]);
  });
});
