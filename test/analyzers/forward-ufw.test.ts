/**
 * ufw is named where the report and the remedies speak of it (reviewer R3, gap 6): its chains (ufw-*,
 * ufw6-*) have owner "ufw" in the rule-set table, as Docker's have "docker"; netavark's, LXD's,
 * Incus's, LXC's and libvirt's tables and chains are named too; the persistence caution on a ufw host
 * speaks of /etc/ufw, never of RHEL's /etc/sysconfig/iptables; on a host whose Docker writes no rules
 * (--iptables=false) the hand-written fix stays, with `ufw route allow` as its alternative.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { ownerOf, ownerOfNftTable, summarize } from '../../src/netfilter/rules.js';
import { persistCaution } from '../../analyzers/lib/host-firewall.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures/r3-forward', ...p), 'utf8');

describe('owners', () => {
  it("ufw's chains in the pasted listing are ufw's; Docker's stay Docker's; the built-in ones are the system's", () => {
    const rs = parseIptablesList(fx('ufw-reject-docker28', 'iptables-nvL.txt'), 'iptables-nvL.txt');
    const owners = new Map(summarize(rs).map((c) => [c.chain, c.owner]));
    expect(owners.get('ufw-reject-forward')).toBe('ufw');
    expect(owners.get('ufw-user-forward')).toBe('ufw');
    expect(owners.get('ufw-track-output')).toBe('ufw');
    expect(owners.get('DOCKER-USER')).toBe('docker');
    expect(owners.get('FORWARD')).toBe('system');
    expect([...owners.values()]).not.toContain('other');
  });

  it("the report's rule-set table counts them under ufw", async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nvL.txt': fx('ufw-reject-docker28', 'iptables-nvL.txt') }, 'r3-ufw-owners'));
    const [table] = r.nodes[0].iptables!;
    expect(table.owners.ufw).toEqual({ chains: 25, rules: 26 });
    expect(table.owners.other).toBeUndefined();
  });

  it('ip6tables, netavark, and the nftables tables of LXD, Incus, LXC, libvirt and netavark', () => {
    expect(ownerOf('ufw6-before-forward')).toBe('ufw');
    expect(ownerOf('NETAVARK_FORWARD')).toBe('netavark');
    expect(ownerOf('NETAVARK-1D8721804F16F')).toBe('netavark');
    expect(ownerOf('LIBVIRT_FWO')).toBe('libvirt');
    expect(ownerOfNftTable('lxd')).toBe('lxd');
    expect(ownerOfNftTable('incus')).toBe('incus');
    expect(ownerOfNftTable('lxc')).toBe('lxc');
    expect(ownerOfNftTable('libvirt_network')).toBe('libvirt');
    expect(ownerOfNftTable('netavark')).toBe('netavark');
    expect(ownerOfNftTable('docker-bridges')).toBe('docker');
    expect(ownerOfNftTable('filter')).toBe('other');
  });
});

describe('persistence on a ufw host', () => {
  it("speaks of ufw's files, not RHEL's", () => {
    expect(persistCaution('ufw')).toMatch(/\/etc\/ufw\/before\.rules.*ufw reload/);
    expect(persistCaution('ufw', 6)).toMatch(/\/etc\/ufw\/before6\.rules/);
    expect(persistCaution('ufw')).not.toMatch(/sysconfig|firewalld/);
    expect(persistCaution('iptables-services')).toMatch(/\/etc\/sysconfig\/iptables/);
    expect(persistCaution('netfilter-persistent')).toMatch(/\/etc\/iptables\/rules\.v4/);
  });

  it("a non-ufw blocker on a ufw host: the iptables fix, persisted through ufw's before.rules", async () => {
    // a hand-made DROP in FORWARD ahead of Docker's rules, on the ufw host of moby/moby#49528 with DEFAULT_FORWARD_POLICY="DROP"
    const save = fx('generated', 'ufw-docker2800-policy-drop.iptables-save.txt').replace('-A FORWARD -j DOCKER-USER\n', '-A FORWARD -j DOCKER-USER\n-A FORWARD -i docker0 -p tcp -m tcp --dport 443 -j DROP\n');
    expect(save).toMatch(/--dport 443 -j DROP/);
    const r = await analyzeBundle(writeFolder({ 'iptables-save.txt': save, 'ip-a.txt': fx('ufw-reject-docker28', 'ip-a.txt') }, 'r3-ufw-other-blocker'));
    const [f] = r.findings.filter((x) => x.id === 'iptables.forward-blocks-containers');
    expect(f.facts).toMatchObject({ decidedBy: 'filter/FORWARD#2' });
    expect(f.remedy.caution).toMatch(/\/etc\/ufw\/before\.rules/);
    expect(f.remedy.caution).not.toMatch(/sysconfig/);
  });

  it('dockerd --iptables=false on a ufw host: the hand-written fix, and the ufw rule as its alternative', async () => {
    const files = readFolder(projectPath('test/fixtures/hosts/docker-iptables-false-cmdline'));
    files['web-01/iptables-save.txt'] = files['web-01/iptables-save.txt'].replace('-A ufw-user-forward -i docker0 -o eth0 -j ACCEPT\n', '');
    const r = await analyzeBundle(writeFolder(files, 'r3-ipt-false-ufw'));
    const [f] = r.findings.filter((x) => x.id === 'iptables.forward-blocks-containers');
    expect(f.remedy.summary).toMatch(/--iptables=false/);
    expect(f.remedy.commands[f.remedy.commands.length - 1]).toBe('# or, the ufw way (kept by ufw in /etc/ufw/user.rules): ufw route allow in on docker0 out on eth0');
  });
});
