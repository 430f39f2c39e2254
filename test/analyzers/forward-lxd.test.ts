/**
 * A bridge of another container or VM manager (LXD, libvirt) cut off by Docker's FORWARD policy DROP
 * (canonical/lxd#8716, reviewer R3 gap 2): in nftables every base chain on the forward hook runs, so LXD's own
 * accept in `table inet lxd` cannot undo `ip filter FORWARD`'s drop. One finding for that one cause:
 * docker.forward-drop-other-engine (H82/H89), which names Docker's policy line, LXD's own accepts and why they cannot
 * override it, LXD's documented fix and its DOCKER-USER pair, idempotent; iptables.forward-blocks-containers leaves
 * those bridges to it (never a second finding). A host whose bridge is accepted (the pair applied, libvirt's
 * iptables chains), a host without Docker, and a host with forwarding off give none.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/r3-forward', ...p), 'utf8');
const LXD = 'lxd-docker-forward-drop';
const OWNER = 'docker.forward-drop-other-engine';
const FORWARD = 'iptables.forward-blocks-containers';
const report = (files: Record<string, string>, name: string) => analyzeBundle(writeFolder(files, name));
const byId = (r: BundleReport, id: string) => r.findings.filter((f) => f.id === id);
const nets = (f: BundleReport['findings'][number]) => (f.facts as { networks: Record<string, unknown>[] }).networks;
/** the one finding for Docker's DROP beside the other engine; iptables.forward-blocks-containers gives none there */
function owner(r: BundleReport) {
  expect(byId(r, FORWARD)).toEqual([]);
  const found = byId(r, OWNER);
  expect(found).toHaveLength(1);
  return found[0];
}

/** `ip a` of the generated hosts: the uplink, lxdbr0 and virbr0 (iproute2's format). */
const IP_A = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: enp3s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:aa:bb:cc brd ff:ff:ff:ff:ff:ff
    inet 192.168.1.20/24 brd 192.168.1.255 scope global dynamic enp3s0
       valid_lft 84000sec preferred_lft 84000sec
4: lxdbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 00:16:3e:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 10.148.92.1/24 scope global lxdbr0
       valid_lft forever preferred_lft forever
5: virbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:12:34:99 brd ff:ff:ff:ff:ff:ff
    inet 192.168.122.1/24 brd 192.168.122.255 scope global virbr0
       valid_lft forever preferred_lft forever
`;

describe("LXD's lxdbr0 and Docker's FORWARD policy DROP (canonical/lxd#8716)", () => {
  it("the pasted nft list ruleset alone: critical for lxdbr0, Docker's policy named, LXD's accept shown, LXD's documented fix", async () => {
    const r = await report({ 'nft-list-ruleset.txt': fx(LXD, 'nft-list-ruleset.txt') }, 'r3-lxd');
    const f = owner(r);
    expect(f.severity).toBe('critical');
    // lxdbr0 only: docker0 is Docker's own and accepted
    expect(nets(f)).toEqual([{ owner: 'LXD', bridge: 'lxdbr0', subnet: '10.148.92.0/24', publishedPortsDropped: 0, outboundDropped: true, nftTable: 'inet lxd' }]);
    expect(f.facts).toMatchObject({ engines: ['LXD'], policy: 'DROP' });
    // no ip addr / ip route: no uplink claimed
    expect(f.facts).not.toHaveProperty('uplink');
    // Docker's policy line first, then Docker's jump (what says Docker set it)
    expect(f.evidence[0]).toMatchObject({ file: expect.stringMatching(/nft-list-ruleset\.txt$/), line: 31, excerpt: expect.stringContaining('type filter hook forward priority filter; policy drop;') });
    expect(f.evidence[0].note).toMatch(/^filter FORWARD: policy DROP/);
    expect(f.evidence[1]).toMatchObject({ line: 32, note: expect.stringMatching(/Docker set this policy/) });
    expect(f.message).toMatch(/filter FORWARD on \S+ has policy DROP with Docker's chains \(DOCKER-USER\).* Docker sets FORWARD's policy to DROP when it starts and accepts only its own bridges' traffic/);
    expect(f.message).toMatch(/LXD's lxdbr0 10\.148\.92\.0\/24: what leaves it and its replies: no iptables rule accepts them/);
    // LXD's own accepts, cited, and why they cannot override Docker's DROP
    expect(f.message).toMatch(
      /LXD keeps its rules in its own nftables table \(table inet lxd, nft-list-ruleset\.txt:61\); its own accepts there \(nft-list-ruleset\.txt:70: iifname "lxdbr0" accept; nft-list-ruleset\.txt:69: oifname "lxdbr0" accept\) cannot override Docker's FORWARD policy DROP: nftables runs every base chain on the forward hook/,
    );
    expect(f.message).toContain("LXD's documentation gives the fix for Docker beside LXD: accept the bridge in DOCKER-USER (https://documentation.ubuntu.com/lxd/");
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([31, 69, 70, 64]));
    expect(f.impact).toMatch(/^LXD instances on lxdbr0 cannot reach anything outside the host while Docker runs/);
    // LXD's documented pair, idempotent (a second run adds nothing), with how to keep it
    expect(f.remedy.summary).toMatch(/DOCKER-USER.*the fix LXD's documentation gives for Docker's FORWARD policy/);
    expect(f.remedy.commands.slice(0, 2)).toEqual([
      expect.stringMatching(/^iptables -C DOCKER-USER -i lxdbr0 -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -i lxdbr0 -j ACCEPT   #/),
      expect.stringMatching(/^iptables -C DOCKER-USER -o lxdbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -o lxdbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT   #/),
    ]);
    expect(f.remedy.commands).toEqual(expect.arrayContaining([expect.stringMatching(/^# persist: .*docker\.service\.d\/lxdbr0-forward\.conf .*ExecStartPost=\/bin\/sh -c 'iptables -C DOCKER-USER -i lxdbr0 -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -i lxdbr0 -j ACCEPT; iptables -C DOCKER-USER -o lxdbr0 /), expect.stringMatching(/^# or, Docker 28 or later: "ip-forward-no-drop": true/)]));
    // never a policy change or a flush as a command; only the pair (no published port: no DNAT line)
    const run = f.remedy.commands.filter((c) => !c.startsWith('#'));
    expect(run).toHaveLength(2);
    expect(run.join('\n')).not.toMatch(/-P FORWARD|-F |iptables-save|--ctstate DNAT/);
  });

  it('with ip a: the same, via the uplink', async () => {
    const r = await report({ 'nft-list-ruleset.txt': fx(LXD, 'nft-list-ruleset.txt'), 'ip-a.txt': fx(LXD, 'ip-a.txt') }, 'r3-lxd-ipa');
    const f = owner(r);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ uplink: 'enp3s0', policy: 'DROP' });
    expect(nets(f)).toEqual([expect.objectContaining({ owner: 'LXD', bridge: 'lxdbr0', outboundDropped: true })]);
    expect(f.impact).toMatch(/^LXD instances on lxdbr0 cannot reach anything outside the host \(out enp3s0\)/);
    expect(f.evidence[0]).toMatchObject({ line: 31 });
  });

  it("real nft output of LXD's current template (`ip version 4 oifname ...`) beside Docker: fires; with LXD's DOCKER-USER pair applied: none", async () => {
    const f = owner(await report({ 'nft-list-ruleset.txt': fx('generated', 'lxd-docker.nft-list-ruleset.txt'), 'ip-a.txt': IP_A }, 'r3-lxd-real'));
    expect(f.severity).toBe('critical');
    expect(nets(f)).toEqual([expect.objectContaining({ owner: 'LXD', bridge: 'lxdbr0', subnet: '10.148.92.0/24', outboundDropped: true, nftTable: 'inet lxd' })]);
    expect(f.message).toMatch(/its own accepts there \(nft-list-ruleset\.txt:\d+: ip version 4 iifname "lxdbr0" accept; nft-list-ruleset\.txt:\d+: ip version 4 oifname "lxdbr0" accept\) cannot override Docker's FORWARD policy DROP/);
    expect(f.evidence[0].excerpt).toContain('policy drop;');
    const fixed = await report({ 'nft-list-ruleset.txt': fx('generated', 'lxd-docker-fixed.nft-list-ruleset.txt'), 'ip-a.txt': IP_A }, 'r3-lxd-real-fixed');
    expect(byId(fixed, OWNER)).toEqual([]);
    expect(byId(fixed, FORWARD)).toEqual([]);
  });

  it('ip_forward = 0: not these findings (sysctl.ip-forward-disabled says it)', async () => {
    const r = await report({ 'nft-list-ruleset.txt': fx('generated', 'lxd-docker.nft-list-ruleset.txt'), 'ip-a.txt': IP_A, 'sysctl-a.txt': 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.forwarding = 0\n' }, 'r3-lxd-noforward');
    expect(byId(r, FORWARD)).toEqual([]);
    expect(byId(r, OWNER)).toEqual([]);
    expect(byId(r, 'sysctl.ip-forward-disabled')).toHaveLength(1);
  });
});

describe("libvirt's virbr0", () => {
  it("nftables back end beside Docker: virbr0's traffic dropped by Docker's policy, libvirt's guest_output accept cannot override it", async () => {
    const f = owner(await report({ 'nft-list-ruleset.txt': fx('generated', 'libvirt-nft-docker.nft-list-ruleset.txt') }, 'r3-libvirt-nft-docker'));
    expect(f.severity).toBe('critical');
    expect(nets(f)).toEqual([{ owner: 'libvirt', bridge: 'virbr0', subnet: '192.168.122.0/24', publishedPortsDropped: 0, outboundDropped: true, nftTable: 'ip libvirt_network' }]);
    expect(f.evidence[0]).toMatchObject({ line: 31, excerpt: expect.stringContaining('policy drop;') });
    // guest_output's accept (what leaves virbr0) and guest_input's (the replies), cited, cannot override Docker's DROP
    expect(f.message).toMatch(/libvirt keeps its rules in its own nftables table \(table ip libvirt_network, nft-list-ruleset\.txt:61\); its own accepts there \(nft-list-ruleset\.txt:70: ip saddr 192\.168\.122\.0\/24 iif "virbr0" .*accept; nft-list-ruleset\.txt:75: oif "virbr0" ip daddr 192\.168\.122\.0\/24 ct state established,related .*accept\) cannot override Docker's FORWARD policy DROP/);
    expect(f.message).toContain('moby/moby#52612');
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([31, 70, 75]));
    expect(f.impact).toMatch(/^Virtual machines on virbr0 cannot reach anything outside the host/);
    expect(f.remedy.commands[0]).toMatch(/^iptables -C DOCKER-USER -i virbr0 -j ACCEPT 2>\/dev\/null \|\| iptables -I DOCKER-USER -i virbr0 -j ACCEPT/);
    expect(f.remedy.commands[1]).toMatch(/DOCKER-USER -o virbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/);
  });

  it.each([
    ['nftables back end, no Docker', { 'nft-list-ruleset.txt': 'libvirt-nft.nft-list-ruleset.txt' }],
    ['iptables back end, no Docker', { 'iptables-save.txt': 'libvirt-xtables.iptables-save.txt' }],
    ["iptables back end beside Docker (FORWARD DROP; libvirt's LIBVIRT_FWO accepts)", { 'iptables-save.txt': 'libvirt-xtables-docker.iptables-save.txt' }],
  ])('healthy: %s', async (_, files) => {
    // ip addr without lxdbr0: beside Docker's FORWARD DROP, an lxdbr0 none of whose rules the dump holds is lxd#12810 (H51)
    for (const withIpA of [false, true]) {
      const r = await report({ ...Object.fromEntries(Object.entries(files).map(([k, v]) => [k, fx('generated', v)])), ...(withIpA ? { 'ip-a.txt': IP_A.replace(/^4: lxdbr0:[\s\S]*?(?=^5: )/m, '') } : {}) }, `r3-libvirt-${Object.values(files)[0]}-${withIpA}`);
      expect(byId(r, FORWARD)).toEqual([]);
      expect(byId(r, OWNER)).toEqual([]);
      expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    }
  });
});
