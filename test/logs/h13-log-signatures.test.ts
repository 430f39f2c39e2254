/**
 * H13's log signatures, on real text (test/fixtures/h13-logs/README.md says where each file comes from):
 *
 * - a kernel module an iptables extension needs is missing: docker/for-linux#1521 (Docker 28.0.0, `-m set
 *   --match-set docker-ext-bridges-v4 ... Extension set revision 0 not supported, missing kernel module?`;
 *   moby PR #49524 reproduces it; 28.0.1 dropped the ipset rules, moby/moby#49530) and iptables-nft 1.8.9 run
 *   here in a network namespace on a kernel without xt_ipvs and xt_LED; the modules named are checked
 *   against the real `modinfo` of Debian 12's 6.1 kernel;
 * - Docker's fallback to Google's DNS: spantaleev/matrix-docker-ansible-deploy#2070; healthy: dockerd
 *   detecting systemd-resolved (moby/moby#49508's journal);
 * - the neighbour table overflowing: e2b-dev/infra#3508 (one line), Requiem4Eternity/Appstream#102 (a
 *   node's journal, ten lines), rtr7/router7#31 (dmesg with `sysctl -a | grep neigh`), the IPv6 table
 *   from a netdev report (2023-06-03, <4d2f356a-9a81-7868-2b62-e977672407e3@huawei.com>).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { XT_EXTENSION_MODULES } from '../../src/logs/signatures.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/h13-logs');
const text = (p: string) => readFileSync(`${DIR}/${p}`, 'utf8');
const byId = (findings: Finding[], id: string) => findings.find((f) => f.id === id);

/** modinfo blocks by module name: aliases and dependencies */
function modinfo(): Map<string, { aliases: string[]; depends: string[] }> {
  const out = new Map<string, { aliases: string[]; depends: string[] }>();
  for (const block of text('modinfo-6.1.0-50-amd64.txt').split(/^== /m).slice(1)) {
    const field = (k: string) => [...block.matchAll(new RegExp(`^${k}:\\s+(.*)$`, 'gm'))].map((m) => m[1].trim());
    const name = field('name')[0];
    out.set(name, { aliases: field('alias'), depends: (field('depends')[0] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

describe('a kernel module an iptables extension needs (docker/for-linux#1521)', () => {
  it("Docker 28.0.0 without xt_set: the network controller's finding names the modules, keeps iptables' words, and gives the module commands", async () => {
    const report = await analyzeBundle(`${DIR}/for-linux-1521`);
    // one failure, one finding: the module warning on the same line is folded into it
    expect(report.findings.map((f) => f.id)).toEqual(['log.docker-network-controller-failed']);
    const f = report.findings[0];
    expect(f.severity).toBe('critical');
    // W5: the excerpt keeps the cause, and the chain of the failed command is not in the message
    expect(f.evidence[0].excerpt).toContain('Extension set revision 0 not supported, missing kernel module?');
    expect(f.evidence[0].excerpt).toContain('Error initializing network controller');
    expect(f.message).not.toContain('(chain FORWARD)');
    expect(f.message).toContain('iptables could not use the extension "set" (xt_set, ip_set, ip_set_hash_net)');
    expect(f.message).toContain('docker-ext-bridges-v4/-v6');
    expect(f.facts).toMatchObject({ kernelModules: ['xt_set', 'ip_set', 'ip_set_hash_net'] });
    expect(f.remedy.commands).toEqual([
      'lsmod | grep -qw xt_set || modprobe xt_set',
      'lsmod | grep -qw ip_set || modprobe ip_set',
      'lsmod | grep -qw ip_set_hash_net || modprobe ip_set_hash_net',
      "printf '%s\\n' xt_set ip_set ip_set_hash_net > /etc/modules-load.d/iptables-set.conf   # loaded again at boot",
      'modinfo -n xt_set || ls /lib/modules   # no module for $(uname -r): the kernels whose modules are installed',
      '# Ubuntu, where modinfo finds none: apt-get install -y linux-modules-extra-$(uname -r)',
      'systemctl restart docker   # this restarts its containers',
    ]);
    expect(f.remedy.summary).toContain('linux-modules-extra-$(uname -r)');
    expect(f.remedy.summary).toContain('reboot into the installed kernel');
    expect(f.remedy.summary).toContain('28.0.1 removed its dependency on ip_set, ip_set_hash_net and xt_set (moby/moby#49530');
  });

  it('a network controller failure that names no extension keeps the generic iptables advice', async () => {
    // the same start failing on a missing table, not a module: moby-32349 in the corpus is covered by signatures.test.ts;
    // here the for-linux#1521 line cut before iptables' warning (as a pager cuts it) names no extension
    const cut = text('for-linux-1521/syslog').split('\n')[3].replace(/: Warning: Extension.*$/, '');
    const report = await analyzeBundle(writeFolder({ syslog: `${cut}\n` }, 'cut'));
    const f = byId(report.findings, 'log.docker-network-controller-failed')!;
    expect(f.remedy.summary).toContain('The reason names iptables');
    expect(f.remedy.commands).toEqual([]);
    expect(byId(report.findings, 'log.iptables-module-missing')).toBeUndefined();
  });

  it('iptables-nft run by hand on a kernel without xt_ipvs and xt_LED: its own finding, modprobe by the ipt_ alias', async () => {
    const report = await analyzeBundle(`${DIR}/iptables-nft-1.8.9`);
    const f = byId(report.findings, 'log.iptables-module-missing')!;
    expect(f).toBeDefined();
    expect(f.severity).toBe('warning');
    expect(f.evidence.map((e) => e.line)).toEqual([2, 6]);
    expect(f.message).toContain('the module with the alias ipt_ipvs');
    expect(f.remedy.commands).toContain('modprobe ipt_ipvs   # loads the module whose alias this is; nothing when it is loaded');
    expect(f.remedy.commands).toContain('modprobe ipt_LED   # loads the module whose alias this is; nothing when it is loaded');
    // the conntrack rule the kernel has printed no warning: not named
    expect(JSON.stringify(f)).not.toContain('xt_conntrack');
    // no Docker in sight: no Docker version note, no docker restart
    expect(JSON.stringify(f.remedy)).not.toMatch(/docker/i);
  });

  it("the extension table names the module whose alias is ipt_<extension> in the real modinfo, and the modules it needs", () => {
    const mods = modinfo();
    for (const [ext, modules] of Object.entries(XT_EXTENSION_MODULES)) {
      const [first, ...rest] = modules;
      expect(mods.get(first)?.aliases, `${ext} -> ${first}`).toContain(`ipt_${ext}`);
      for (const m of rest) expect(mods.has(m), `${ext} needs ${m}`).toBe(true);
    }
    // what the table adds beyond the provider is what the kernel says it needs, or what Docker's sets and bridges need
    expect(mods.get('xt_set')!.depends).toContain('ip_set');
    expect(mods.get('ip_set_hash_net')!.aliases).toContain('ip_set_hash:net');
    expect(mods.get('xt_conntrack')!.depends).toContain('nf_conntrack');
    expect(mods.get('xt_state')!.depends).toContain('nf_conntrack');
  });
});

describe("Docker's fallback to public DNS (matrix-docker-ansible-deploy#2070)", () => {
  it('four lines: a warning with the daemon.json dns fix merged with jq, and docker restarted', async () => {
    const report = await analyzeBundle(`${DIR}/matrix-2070`);
    expect(report.findings.map((f) => f.id)).toEqual(['log.docker-dns-fallback-public']);
    const f = report.findings[0];
    expect(f.severity).toBe('warning');
    expect(f.evidence).toHaveLength(4);
    expect(f.facts).toMatchObject({ count: 4, servers: ['nameserver 8.8.8.8 nameserver 8.8.4.4'] });
    expect(f.remedy.commands).toEqual([
      "grep '^nameserver' /etc/resolv.conf   # only 127.x or ::1 here is why Docker fell back",
      "[ -s /etc/docker/daemon.json ] || echo '{}' > /etc/docker/daemon.json",
      'jq \'.dns = ["<resolver IP>"]\' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json   # keeps the other settings',
      'systemctl restart docker   # this restarts its containers',
    ]);
    expect(f.remedy.caution).toMatch(/live-restore/);
  });

  it("with the host's resolv.conf holding only a loopback nameserver, it is cited", async () => {
    const report = await analyzeBundle(
      writeFolder({ 'journalctl-u-docker.txt': text('matrix-2070/journalctl-u-docker.txt'), 'etc/resolv.conf': 'nameserver 127.0.0.1\n' }, 'with-resolv'),
    );
    const f = byId(report.findings, 'log.docker-dns-fallback-public')!;
    expect(f.message).toMatch(/lists only 127\.0\.0\.1\.$/);
    expect(f.evidence.some((e) => e.excerpt === 'nameserver 127.0.0.1')).toBe(true);
  });

  it('dockerd detecting systemd-resolved (127.0.0.53) is healthy: no finding (moby/moby#49508)', async () => {
    const report = await analyzeBundle(`${DIR}/moby-49508-healthy`);
    expect(report.findings).toEqual([]);
    const scan = scanLogText(text('moby-49508-healthy/journalctl-u-docker.txt'), 'journalctl-u-docker.txt', { year: 2025 });
    expect(scan.matches.filter((m) => m.signature === 'log.docker-dns-fallback-public')).toEqual([]);
  });
});

describe("the kernel's neighbour table overflowing", () => {
  it('e2b-dev/infra#3508: one line is a warning, with the kernel defaults said as such and one sysctl.d file', async () => {
    const report = await analyzeBundle(`${DIR}/e2b-3508`);
    expect(report.findings.map((f) => f.id)).toEqual(['log.neighbour-table-overflow']);
    const f = report.findings[0];
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('the kernel defaults are gc_thresh1/2/3 = 128/512/1024');
    expect(f.remedy.commands).toEqual([
      "sysctl -a 2>/dev/null | grep 'neigh.default.gc_thresh'   # the limits now",
      'ip -4 neigh show | wc -l   # IPv4 entries now, against gc_thresh3',
      "printf '%s\\n' 'net.ipv4.neigh.default.gc_thresh1 = 80000' 'net.ipv4.neigh.default.gc_thresh2 = 90000' 'net.ipv4.neigh.default.gc_thresh3 = 100000' > /etc/sysctl.d/90-neigh-gc-thresh.conf",
      'sysctl --system',
    ]);
    expect(f.remedy.summary).toContain('kubernetes/kops#4533');
  });

  it("Appstream#102: ten lines within a second on a node's journal are critical", async () => {
    const report = await analyzeBundle(`${DIR}/appstream-102`);
    const f = byId(report.findings, 'log.neighbour-table-overflow')!;
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ count: 10, families: ['ipv4'] });
    expect(f.message).toContain('10 lines: the table keeps overflowing');
  });

  it("a kube-proxy log's guessed year does not make the journal's lines look old (both years guessed)", async () => {
    // kube-proxy's klog line (November, no year) beside Appstream#102's journal (June, no year): with both
    // years guessed, the lines are not "more than a day older than the logs' end"
    const report = await analyzeBundle(
      writeFolder({ 'journalctl.txt': text('appstream-102/journalctl.txt'), 'kube-proxy.log': readFileSync(projectPath('test/fixtures/r3-logs/conntrack-71261/kube-proxy.log'), 'utf8') }, 'klog-beside'),
    );
    const f = byId(report.findings, 'log.neighbour-table-overflow')!;
    expect(f.severity).toBe('critical');
    expect(f.message).not.toContain("older than the logs' end");
  });

  it("router7#31: two lines stay a warning; the sysctl dump's gc_thresh values are cited as the kernel defaults", async () => {
    const report = await analyzeBundle(`${DIR}/router7-31`);
    const f = byId(report.findings, 'log.neighbour-table-overflow')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('When the bundle was collected, net.ipv4.neigh.default.gc_thresh1/2/3 were 128/512/1024 (the kernel defaults).');
    expect(f.evidence.slice(-3).map((e) => `${e.file}:${e.line}`)).toEqual(['sysctl-a.txt:3', 'sysctl-a.txt:4', 'sysctl-a.txt:5']);
  });

  it('raised limits in the sysctl dump: not called defaults, and the file doubles them', async () => {
    const sysctl = text('router7-31/sysctl-a.txt').replace('= 128', '= 80000').replace('= 512', '= 90000').replace('= 1024', '= 100000');
    const report = await analyzeBundle(writeFolder({ 'dmesg.txt': text('router7-31/dmesg.txt'), 'sysctl-a.txt': sysctl }, 'raised'));
    const f = byId(report.findings, 'log.neighbour-table-overflow')!;
    expect(f.message).toContain('were 80000/90000/100000.');
    expect(f.remedy.commands[2]).toBe(
      "printf '%s\\n' 'net.ipv4.neigh.default.gc_thresh1 = 160000' 'net.ipv4.neigh.default.gc_thresh2 = 180000' 'net.ipv4.neigh.default.gc_thresh3 = 200000' > /etc/sysctl.d/90-neigh-gc-thresh.conf",
    );
  });

  it("the IPv6 table (ndisc_cache) gets net.ipv6 lines and ip -6 neigh", async () => {
    const report = await analyzeBundle(writeFolder({ 'dmesg.txt': '[  563.176845] neighbour: ndisc_cache: neighbor table overflow!\n' }, 'v6'));
    const f = byId(report.findings, 'log.neighbour-table-overflow')!;
    expect(f.facts).toMatchObject({ families: ['ipv6'] });
    expect(f.remedy.commands[1]).toBe('ip -6 neigh show | wc -l   # IPv6 entries now, against gc_thresh3');
    expect(f.remedy.commands[2]).toContain("'net.ipv6.neigh.default.gc_thresh3 = 100000'");
    expect(f.remedy.commands[2]).not.toContain('net.ipv4');
  });

  it("the rest of Appstream#102's journal (veth, binder lines) makes no finding", async () => {
    const rest = text('appstream-102/journalctl.txt')
      .split('\n')
      .filter((l) => !l.includes('neighbor table overflow'))
      .join('\n');
    const report = await analyzeBundle(writeFolder({ 'journalctl.txt': rest }, 'healthy'));
    expect(report.findings).toEqual([]);
  });
});
