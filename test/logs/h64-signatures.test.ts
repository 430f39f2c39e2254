/**
 * H64 (reviews R21, R22): the cause behind several lines. Real lines:
 * - https://github.com/coreos/bugs/issues/469 (/tmp/r21/04): iptables-restore.service starting, then dockerd's
 *   `Unable to enable NAT rule ... iptables: Resource temporarily unavailable.\n (exit status 4)`
 * - https://github.com/moby/moby/issues/15948 (/tmp/r21/03): firewalld's COMMAND_FAILED for Docker's -A DOCKER ... DNAT and -j DOCKER
 * - https://github.com/coreos/bugs/issues/338 (/tmp/r21/05): dockerd's `-A DOCKER ... --dport 80 -j ACCEPT: ... No chain`
 * - https://github.com/kubernetes/kubernetes/issues/110659 (/tmp/r22/08): calico-node's `dial tcp 10.96.0.1:443: connect: network is unreachable`
 * - https://github.com/docker/for-win/issues/13728: dockerd's pull over IPv6 `dial tcp [2600:1f18:...]:443: connect: network is unreachable`
 * - https://github.com/intel/analytics-zoo/issues/125: dockerd's pull `dial tcp 10.239.45.10:443: connect: network is unreachable`
 * - https://github.com/intel/cc-oci-runtime/issues/55: busybox `ping: sending packet: Network is unreachable`
 * - https://github.com/moby/libnetwork/issues/2481: `ip route` of a host with a default route
 * - https://github.com/flannel-io/flannel/issues/1306 (/tmp/r22/06): flannel's legacy iptables 1.8.3 on an nf_tables host
 * - produced here with real binaries (a network namespace without routes): node's `connect ENETUNREACH 10.96.0.1:443`,
 *   python3's `OSError: [Errno 101] Network is unreachable`; `iptables -V` of iptables 1.8.9 (nf_tables)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, hasCorpus } from '../helpers/shared.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import logSignatures from '../../analyzers/log-signatures.js';
import { runNode } from '../analyzers/helpers.js';

const scan = (text: string, file = 'case.log') => scanLogText(text, file, { year: 2026 });
const run = (logs: LogScanResult[], more: Partial<NodeArtifacts> = {}) => runNode(logSignatures, { logs, ...more } as NodeArtifacts);
const fixText = (f: { remedy: { summary: string; commands: string[] } }) => `${f.remedy.summary}\n${f.remedy.commands.join('\n')}`;

// ---- 1. coreos/bugs#469 -------------------------------------------------------------------------
const RESTORE_START = [
  '    Sep 13 02:07:09 localhost systemd[1]: Starting Restore iptables firewall rules...',
  '    Sep 13 02:07:09 localhost coreos-cloudinit[650]: 2015/09/13 02:07:09 Calling unit command "start" on "iptables-restore.service"\'',
  '    Sep 13 02:07:09 localhost systemd-networkd[756]: docker0: Configured',
];
const DOCKERD_EAGAIN =
  '    Sep 13 02:07:10 localhost dockerd[697]: time="2015-09-13T02:07:10.039135798Z" level=fatal msg="Error starting daemon: Error initializing network controller: Error creating default \\"bridge\\" networ: Failed to Setup IP tables: Unable to enable NAT rule: iptables failed: iptables --wait -t nat -I POSTROUTING -s 172.17.42.1/16 ! -o docker0 -j MASQUERADE: iptables: Resource temporarily unavailable.\\n (exit status 4)"';
const UNIT_FAILED = ['    Sep 13 02:07:10 localhost systemd[1]: docker.service: Main process exited, code=exited, status=1/FAILURE', '    Sep 13 02:07:10 localhost systemd[1]: docker.service: Unit entered failed state.'];

describe('dockerd refused by a table another unit replaced at that moment (coreos/bugs#469)', () => {
  it('names iptables-restore.service, says a start again works and orders docker after it', () => {
    const f = run([scan([...RESTORE_START, DOCKERD_EAGAIN, ...UNIT_FAILED].join('\n'), 'journalctl.txt')]).find((x) => x.id === 'log.docker-network-controller-failed')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/iptables-restore\.service started at that moment \(journalctl\.txt:1, journalctl\.txt:2\)/);
    expect(f.facts?.concurrentWriters).toEqual(['iptables-restore.service']);
    // the false sentence and the module / back-end clause are gone
    expect(fixText(f)).not.toMatch(/fails the same way|kernel table module|back-end mismatch/);
    expect(f.remedy.commands[0]).toBe('systemctl start docker');
    expect(f.remedy.commands.join('\n')).toContain("printf '[Unit]\\nAfter=iptables-restore.service\\n' > /etc/systemd/system/docker.service.d/10-after-firewall.conf");
    expect(f.evidence.map((e) => e.line)).toEqual([4, 1, 2]);
  });
  it('with no writer in the logs it says the logs do not show which, and still no module advice', () => {
    const f = run([scan(DOCKERD_EAGAIN, 'journalctl.txt')]).find((x) => x.id === 'log.docker-network-controller-failed')!;
    expect(f.message).toMatch(/The logs do not show which program/);
    expect(f.facts?.concurrentWriters).toBeUndefined();
    expect(fixText(f)).not.toMatch(/fails the same way/);
  });
  it('a writer that started minutes before is not named', () => {
    const early = RESTORE_START.map((l) => l.replace('02:07:09', '01:55:09'));
    const f = run([scan([...early, DOCKERD_EAGAIN].join('\n'), 'journalctl.txt')]).find((x) => x.id === 'log.docker-network-controller-failed')!;
    expect(f.message).not.toMatch(/started at that moment/);
  });
  it('a network controller failure for another reason keeps its own advice (healthy for this rule)', () => {
    // moby/moby#15948-era wording with iptables' module error, not a race: the line is coreos#469's with the reason swapped for a chain error
    const chain = DOCKERD_EAGAIN.replace('iptables: Resource temporarily unavailable.\\n (exit status 4)', 'iptables: No chain/target/match by that name.\\n (exit status 1)');
    const f = run([scan([...RESTORE_START, chain].join('\n'), 'journalctl.txt')]).find((x) => x.id === 'log.docker-network-controller-failed')!;
    expect(f.title).toBe('Docker did not start: network controller failed');
    expect(f.facts?.cause).toBeUndefined();
  });
});

// ---- 2. firewalld's passthrough over Docker's chains ------------------------------------------------
const FWD_15948 = [
  '23:11',
  "2015-12-26 23:11:41 ERROR: COMMAND_FAILED: '/sbin/iptables -w -t nat -A DOCKER -p tcp -d 0/0 --dport 25565 -j DNAT --to-destination 172.17.0.3:25565 ! -i docker0' failed: iptables: No chain/target/match by that name. /firewalld",
  '23:01',
  "2015-12-26 23:01:17 ERROR: COMMAND_FAILED: '/sbin/iptables -w -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables v1.4.21: Couldn't load target `DOCKER':No such file or directory Try `iptables -h' or 'iptables --help' for more information. /firewalld",
  '23:01',
  "2015-12-26 23:01:17 ERROR: COMMAND_FAILED: '/sbin/iptables -w -t nat -C PREROUTING -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables v1.4.21: Couldn't load target `DOCKER':No such file or directory Try `iptables -h' or 'iptables --help' for more information. /firewalld",
];
const DOCKERD_338 = 'Apr 25 07:35:16 localhost dockerd[733]: iptables failed: iptables --wait -t filter -A DOCKER ! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 80 -j ACCEPT: iptables: No chain/target/match by that name.';

describe("Docker's chains gone: firewalld's passthrough (moby/moby#15948), a flush under dockerd (coreos/bugs#338)", () => {
  it("the DNAT of a published port through firewalld: critical, firewalld's restart named, Docker's reload handling in the fix", () => {
    const out = run([scan(FWD_15948.join('\n'), 'firewalld.log')]);
    const f = out.find((x) => x.id === 'log.iptables-no-chain')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/These are firewalld's lines: .*firewalld \(re\)started or reloaded after docker/);
    expect(f.message).toMatch(/publishes port 25565/);
    expect(fixText(f)).toMatch(/systemctl restart docker/);
    expect(fixText(f)).toMatch(/Docker 20\.10 and later.*firewalld's docker zone.*older Docker, upgrade it, or restart docker after every firewalld restart or reload/);
    // Couldn't load target `DOCKER': the missing chain, not a module or a version
    const t = out.find((x) => x.id === 'log.iptables-couldnt-load-match')!;
    expect(t.title).toBe('The rules jump to a chain that does not exist (DOCKER)');
    expect(t.message).toMatch(/DOCKER is a chain name \(Docker's\), not an extension/);
    expect(fixText(t)).not.toMatch(/align iptables versions|load the kernel module/);
    // the jump to DOCKER is no published port: not critical on its own
    expect(t.severity).toBe('warning');
    // H60's -C cleanup stays info
    expect(out.find((x) => x.id === 'log.iptables-cleanup-harmless')?.severity).toBe('info');
  });
  it('the jump alone (no published port failed) stays a warning', () => {
    const out = run([scan(FWD_15948.slice(2).join('\n'), 'firewalld.log')]);
    expect(out.filter((x) => x.severity === 'critical')).toEqual([]);
  });
  it("dockerd's own line for a published port's ACCEPT: critical, a flush after dockerd started", () => {
    const f = run([scan(DOCKERD_338, 'journalctl-u-docker.txt')]).find((x) => x.id === 'log.iptables-no-chain')!;
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/something removed it while dockerd ran/);
    expect(f.message).not.toMatch(/firewalld's lines/);
    expect(fixText(f)).toMatch(/After=/);
  });
  it('dockerd started again after the failure: not critical (its chains are made again)', () => {
    // dockerd's own start line (moby daemon.go) after coreos#338's failure
    const later = 'Apr 25 07:40:02 localhost dockerd[901]: time="2026-04-25T07:40:02.000000000Z" level=info msg="Daemon has completed initialization"';
    const f = run([scan(`${DOCKERD_338}\n${later}`, 'journalctl-u-docker.txt')]).find((x) => x.id === 'log.iptables-no-chain')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/dockerd started after it \(journalctl-u-docker\.txt:2\)/);
  });
});

// ---- 3. ENETUNREACH --------------------------------------------------------------------------------
const CALICO_110659 = '2022-06-20 08:40:09.355 [INFO][9] startup/startup.go 416: Hit error connecting to datastore - retry error=Get "https://10.96.0.1:443/api/v1/nodes/foo": dial tcp 10.96.0.1:443: connect: network is unreachable';
const PULL_V6 = 'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp [2600:1f18:2148:bc00:8334:ca86:c3d6:a507]:443: connect: network is unreachable';
const PULL_V4 = 'Error response from daemon: Get "https://10.239.45.10/v2/": dial tcp 10.239.45.10:443: connect: network is unreachable';
const ROUTES_2481 = [
  'default via 192.168.1.254 dev eno1 proto dhcp src 192.168.1.46 metric 10 ',
  '172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 ',
  '192.168.1.0/24 dev eno1 proto kernel scope link src 192.168.1.46 ',
  '192.168.1.254 dev eno1 proto dhcp scope link src 192.168.1.46 metric 10 ',
];

describe('log.network-unreachable', () => {
  it("calico-node to the API's ClusterIP: warning, the route lookup before kube-proxy's DNAT, asks for ip route", () => {
    const f = run([scan(CALICO_110659, 'calico-node.log')]).find((x) => x.id === 'log.network-unreachable')!;
    expect(f.severity).toBe('warning');
    expect(f.facts?.host).toEqual(['10.96.0.1']);
    expect(f.message).toMatch(/Kubernetes Service range.*before kube-proxy's DNAT/);
    expect(f.message).toMatch(/no routes \(ip route\)/);
    expect(f.remedy.commands).toContain('ip route get 10.96.0.1   # "Network is unreachable": no route covers it');
  });
  it('routes without a default route: says so; with one: says that instead', () => {
    const none = run([scan(PULL_V4, 'docker-pull.txt')], { routes: [parseRoutes(ROUTES_2481.slice(1).join('\n'), 'ip_route.txt')] }).find((x) => x.id === 'log.network-unreachable')!;
    expect(none.message).toMatch(/have no IPv4 default route: that is why/);
    expect(none.facts?.defaultRoute).toBe(false);
    const some = run([scan(PULL_V4, 'docker-pull.txt')], { routes: [parseRoutes(ROUTES_2481.join('\n'), 'ip_route.txt')] }).find((x) => x.id === 'log.network-unreachable')!;
    expect(some.message).toMatch(/have a default route \(ip_route\.txt:1: default via 192\.168\.1\.254/);
    expect(some.message).not.toMatch(/that is why/);
  });
  // the pull failed ("Error response from daemon"): Go's dial error is its last, after every address (reviewer R26 13)
  it('an IPv6 address alone on a host without IPv6 routes: a Go pull error is a failed connection (warning), no fallback claimed', () => {
    const f = run([scan(PULL_V6, 'docker-pull.txt')], { routes: [parseRoutes(ROUTES_2481.join('\n'), 'ip_route.txt')] }).find((x) => x.id === 'log.network-unreachable')!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe('Network is unreachable: the address is IPv6 and the host has no IPv6 route');
    expect(f.message).not.toMatch(/fell back/);
  });
  it('the other clients: node, python, busybox ping', () => {
    const text = ['Error: connect ENETUNREACH 10.96.0.1:443 - Local (0.0.0.0:0)', 'OSError: [Errno 101] Network is unreachable', 'ping: sending packet: Network is unreachable'].join('\n');
    const m = scan(text, 'client.txt').matches.filter((x) => x.signature === 'log.network-unreachable');
    expect(m.map((x) => x.line)).toEqual([1, 2, 3]);
    expect(m[0].facts.host).toBe('10.96.0.1');
  });
  it('a line without the words does not fire (curl 7.88 in the same namespace says only "Couldn\'t connect")', () => {
    const r = scan("curl: (7) Failed to connect to 10.96.0.1 port 443 after 0 ms: Couldn't connect to server", 'curl.txt');
    expect(r.matches.filter((x) => x.signature === 'log.network-unreachable')).toEqual([]);
  });
});

// ---- 4. flannel's legacy iptables on an nf_tables host ------------------------------------------------
const FLANNEL_1306 = [
  "E0615 13:46:02.007083       1 iptables.go:115] Failed to ensure iptables rules: Error checking rule existence: failed to check rule existence: running [/sbin/iptables -t nat -C POSTROUTING -s 100.96.0.0/11 -d 100.96.0.0/11 -j RETURN --wait]: exit status 3: modprobe: can't change directory to '/lib/modules': No such file or directory",
  "iptables v1.8.3 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)",
  'Perhaps iptables or your kernel needs to be upgraded.',
].join('\n');

describe("a CNI image's legacy iptables on an nf_tables host (flannel-io/flannel#1306)", () => {
  it('leads with the back ends and the flannel upgrade, the module last; one finding', () => {
    const out = run([scan(FLANNEL_1306, 'kube-flannel.log')]);
    const f = out.find((x) => x.id === 'log.flannel-iptables-failed')!;
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/legacy iptables finds no nat table: the host most likely uses nf_tables/);
    expect(f.remedy.summary).toMatch(/^The image's iptables is legacy, the host's is most likely nf_tables/);
    expect(f.remedy.summary.indexOf('v0.13')).toBeLessThan(f.remedy.summary.indexOf('modprobe iptable_nat'));
    expect(out.find((x) => x.id === 'log.iptables-table-unavailable')).toBeUndefined();
  });
  it("the host's own iptables -V saying nf_tables is named", () => {
    const f = run([scan(FLANNEL_1306, 'kube-flannel.log')], { iptablesVersion: [parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'iptables_-V.txt')] }).find((x) => x.id === 'log.flannel-iptables-failed')!;
    expect(f.title).toMatch(/the host uses nf_tables$/);
    expect(f.message).toMatch(/the host's iptables is nf_tables \(iptables_-V\.txt\)/);
  });
  it('where the host shows legacy tables, the module advice stands (no back-end claim)', () => {
    // iptables-nft's own warning (printed on a host with legacy tables) in the host's log
    const host = scan('# Warning: iptables-legacy tables present, use iptables-legacy to see them', 'iptables-save.txt');
    const out = run([scan(FLANNEL_1306, 'kube-flannel.log'), host]);
    const t = out.find((x) => x.id === 'log.iptables-table-unavailable')!;
    expect(t.title).toBe('iptables cannot use a table');
    expect(fixText(t)).toMatch(/modprobe iptable_nat/);
    expect(out.find((x) => x.id === 'log.flannel-iptables-failed')!.severity).toBe('warning');
  });
  it.skipIf(!hasCorpus)("another reason than a missing table (flannel#1271's `Bad address`) is no back-end claim", () => {
    const text = readFileSync(corpusPath('logs', 'flannel-1271-iptables-nat-bad-address-exit-status.log'), 'utf8');
    const out = run([scan(text, 'kube-flannel.log')]);
    const f = out.find((x) => x.id === 'log.flannel-iptables-failed')!;
    expect(f.severity).toBe('warning');
    expect(`${f.title}\n${f.message}`).not.toMatch(/does not exist|nf_tables/);
  });
});

describe('the catalog examples of the two new entries (the lines proposed for test/logs/signatures.test.ts EXAMPLES)', () => {
  it.each([
    ['log.network-unreachable', CALICO_110659, { host: '10.96.0.1', port: '443' }],
    ['log.firewall-writer-start', 'Sep 13 02:07:09 localhost systemd[1]: Starting Restore iptables firewall rules...', { action: 'Starting', family: 'iptables' }],
    ['log.firewall-writer-start', 'Sep 13 02:07:09 localhost coreos-cloudinit[650]: 2015/09/13 02:07:09 Calling unit command "start" on "iptables-restore.service"\'', { action: 'start', unit: 'iptables-restore.service' }],
  ] as const)('%s', (id, line, facts) => {
    const m = scanLogText(line, 'example.log', { year: 2026 }).matches.find((x) => x.signature === id);
    expect(m?.facts).toMatchObject(facts);
  });
});
