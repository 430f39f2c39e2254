import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/model/source.js';
import { createLogScanner, scanLogStream, scanLogText, type LogMatch, type LogScanResult } from '../../src/logs/scanner.js';
import { signatureById, SIGNATURES } from '../../src/logs/signatures.js';
import { corpusPath, hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';

const scan = (file: string, year = 2026) => scanLogText(readCorpus('logs', file), file, { year });
const all = (r: LogScanResult, id: string) => r.matches.filter((m) => m.signature === id);
const first = (r: LogScanResult, id: string) => all(r, id)[0];
const lineIds = (r: LogScanResult) => r.matches.map((m) => `${m.line}:${m.signature}`);

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

/** The scan result of `bytes` pushed in pieces of `size`. */
function scanInPieces(bytes: Buffer, size: number, file = 'pieces.log', year = 2026): LogScanResult {
  const s = createLogScanner(undefined, { file, year });
  for (let off = 0; off < bytes.length; off += size) s.push(bytes.subarray(off, off + size));
  return s.end();
}

describe.skipIf(!hasCorpus)('the real logs of the corpus', () => {
  it('scans every file without error and finds something in all but the two with nothing to find', () => {
    const files = readdirSync(corpusPath('logs'));
    expect(files).toHaveLength(28);
    const quiet = files.filter((f) => scan(f).matches.length === 0);
    // k0s only logs its (correct) iptables mode detection; 83063 is an iptables listing on a console
    expect(quiet.sort()).toEqual(['k0s-5328-iptables-mode-detection-nft.log', 'kubernetes-83063-kube-firewall-console-input-policy-drop.log']);
  });

  it('moby-22805: Docker warns that IPv4 forwarding is disabled', () => {
    const r = scan('moby-22805-ipv4-forwarding-disabled-warning.log');
    expect(lineIds(r)).toEqual(['19:log.ip-forward-disabled']);
    expect(r.matches[0].excerpt).toBe('WARNING: IPv4 forwarding is disabled. Networking will not work');
    expect(signatureById('log.ip-forward-disabled')!.supports).toContain('sysctl.ip-forward-disabled');
  });

  it('moby-26494, docker-for-linux-1104, moby-16137, moby-32349: missing chains, with table and chain', () => {
    expect(first(scan('moby-26494-docker-run-publish-nat-DOCKER-chain-missing.log'), 'log.iptables-no-chain')).toMatchObject({ line: 3, facts: { table: 'nat', chain: 'DOCKER', target: 'DNAT' } });
    // firewalld flushing and removing chains Docker has not made yet: its cleanup at every start, not a flush
    const fw = scan('docker-for-linux-1104-firewalld-docker-isolation-stage-no-chain.log');
    expect(all(fw, 'log.iptables-no-chain')).toEqual([]);
    expect(all(fw, 'log.iptables-cleanup-harmless').map((m) => [m.line, m.facts.chain])).toEqual([
      [1, 'DOCKER-ISOLATION-STAGE-1'],
      [3, 'DOCKER-ISOLATION-STAGE-1'],
      [5, 'DOCKER-ISOLATION-STAGE-2'],
      [7, 'DOCKER-ISOLATION-STAGE-2'],
      [9, 'DOCKER-ISOLATION'],
      [11, 'DOCKER-ISOLATION'],
    ]);
    expect(first(fw, 'log.iptables-bad-rule')).toMatchObject({ line: 13, facts: { chain: 'FORWARD', target: 'DROP' } });
    expect(fw.firstTimestamp).toEqual({ iso: '2020-09-09T10:48:01.000Z', epochMs: Date.UTC(2020, 8, 9, 10, 48, 1), zoneless: true });
    const centos = scan('moby-16137-firewalld-centos7-dnat-no-chain.log', 2017);
    expect(lineIds(centos)).toEqual(['1:log.iptables-no-chain', '2:log.iptables-bad-rule', '3:log.iptables-no-chain', '4:log.iptables-bad-rule', '5:log.iptables-bad-rule']);
    expect(first(centos, 'log.iptables-no-chain')).toMatchObject({ unit: 'firewalld', timestamp: { iso: '2017-09-01T12:16:10.000Z' }, facts: { table: 'nat', chain: 'DOCKER' } });
    // dockerd could not add the jump into PREROUTING: the chain named is PREROUTING, the target DOCKER
    const inject = scan('moby-32349-dockerd-inject-PREROUTING-no-chain.log', 2017);
    expect(first(inject, 'log.iptables-no-chain')).toMatchObject({ line: 5, unit: 'dockerd', facts: { table: 'nat', chain: 'PREROUTING', target: 'DOCKER' } });
    expect(inject.firstTimestamp?.iso).toBe('2017-04-04T14:50:32.000Z');
    expect(inject.lastTimestamp?.iso).toBe('2017-04-04T14:50:33.000Z');
  });

  it('kube-router-1057, kubernetes-57428: xtables lock, joined to the closing line of the message', () => {
    const kr = scan('kube-router-1057-iptables-restore-xtables-lock.log', 2021);
    expect(all(kr, 'log.xtables-lock').map((m) => m.line)).toEqual([4, 6, 8]);
    // kube-router writes klog; the `)` alone on the next line is the rest of the same record
    expect(all(kr, 'log.iptables-restore-failed').map((m) => [m.line, m.endLine])).toEqual([
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(first(kr, 'log.xtables-lock').timestamp).toEqual({ iso: '2021-04-07T07:08:13.007Z', epochMs: Date.UTC(2021, 3, 7, 7, 8, 13, 7), zoneless: true, yearInferred: true });
    expect(first(scan('kubernetes-57428-gke-configure-helper-xtables-lock.log', 2017), 'log.xtables-lock')).toMatchObject({ line: 13, unit: 'configure-helper.sh', timestamp: { iso: '2017-12-28T21:08:53.000Z' } });
  });

  it('kubernetes-112292, flannel-971, kubernetes-36652, kube-proxy-25: iptables-restore failures with the failing line', () => {
    expect(first(scan('kubernetes-112292-kube-proxy-iptables-restore-line-1193.log'), 'log.iptables-restore-failed')).toMatchObject({ line: 1, facts: { line: '1193' } });
    expect(first(scan('flannel-971-kube-proxy-restore-line-3868.log'), 'log.iptables-restore-failed')).toMatchObject({ line: 1, facts: { line: '3868', exitStatus: '1' } });
    // journald split kube-proxy's message; `Error occurred at line: 33` is its second half, not a second failure
    const k36652 = scan('kubernetes-36652-kube-proxy-restore-bad-argument-empty-source.log', 2016);
    expect(all(k36652, 'log.iptables-restore-failed')).toEqual([
      expect.objectContaining({ line: 7, endLine: 8, unit: 'kube-proxy', facts: { line: '33', exitStatus: '2' } }),
    ]);
    expect(first(k36652, 'log.iptables-bad-argument').facts.argument).toBe('KUBE-SVC-574IYFDEANSYIEBF');
    const xor = scan('kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log', 2025);
    expect(first(xor, 'log.iptables-restore-failed')).toMatchObject({
      line: 1,
      endLine: 4,
      unit: 'kube-proxy',
      timestamp: { iso: '2025-02-17T11:12:14.000Z' },
      facts: { line: '11', tool: 'ip6tables-restore', version: '1.8.7', backend: 'nf_tables', exitStatus: '2' },
    });
    expect(first(xor, 'log.iptables-restore-failed').excerpt).toMatch(/"Failed to execute iptables-restore" err=< ⏎ exit status 2: .* ⏎ Error occurred at line: 11 ⏎ Try/);
    expect(first(xor, 'log.iptables-unknown-option')).toMatchObject({ line: 2, facts: { option: '--xor-mark' } });
  });

  it('flannel: lease failures, out of subnets, vxlan refused, its iptables rules', () => {
    const lease = scan('flannel-688-failed-to-acquire-lease-rbac.log', 2017);
    expect(all(lease, 'log.flannel-lease-failed').map((m) => m.line)).toEqual([1, 2, 3, 4]);
    expect(lease.lastTimestamp?.iso).toBe('2017-04-19T17:07:47.688Z');
    const out = scan('opsnull-217-flanneld-out-of-subnets.log', 2018);
    expect(lineIds(out)).toEqual(['1:log.flannel-default-interface', '2:log.flannel-interface-chosen', '3:log.flannel-external-address', '5:log.flannel-lease-failed', '5:log.flannel-out-of-subnets', '7:log.flannel-lease-failed', '7:log.flannel-out-of-subnets']);
    expect(first(out, 'log.flannel-out-of-subnets')).toMatchObject({ unit: 'flanneld', timestamp: { iso: '2018-04-25T18:07:49.000Z' } });
    expect(first(out, 'log.flannel-lease-failed').facts.reason).toBe('out of subnets');
    expect(lineIds(scan('flannel-905-vxlan-operation-not-supported.log'))).toEqual(['1:log.flannel-interface-chosen', '2:log.flannel-external-address', '8:log.vxlan-not-supported']);
    const masq = scan('flannel-1271-iptables-nat-bad-address-exit-status.log');
    expect(all(masq, 'log.flannel-iptables-failed').map((m) => [m.line, m.facts.exitStatus])).toEqual([
      [3, '-1'],
      [4, '-1'],
      [5, '3'],
    ]);
    // the pasted message goes on over an indented line and flanneld's `Try iptables -h` line
    expect(first(scan('flannel-1745-flannel-0.21-comment-quoting-bad-argument.log'), 'log.flannel-iptables-failed')).toMatchObject({ line: 2, endLine: 4, facts: { chain: 'FLANNEL-POSTRTG', exitStatus: '2' } });
  });

  it('k3s-3117, kubernetes-76431: legacy tables present on every listing', () => {
    expect(all(scan('k3s-3117-growing-rules-legacy-tables-present.log'), 'log.iptables-legacy-tables-present').map((m) => m.line)).toEqual([2, 5, 8]);
    expect(lineIds(scan('kubernetes-76431-kubelet-duplicate-kube-firewall-4190.log'))).toEqual(['4:log.iptables-legacy-tables-present']);
  });

  it('nf_tables and table trouble: 1128, 1777, 37694, sismics-253', () => {
    // matches of one line come in catalog order
    expect(lineIds(scan('docker-for-linux-1128-dockerd-nf_tables-chain-add-failed.log'))).toEqual(['4:log.nf-tables-chain-missing', '4:log.docker-network-controller-failed']);
    expect(first(scan('kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'log.nf-tables-incompatible')).toMatchObject({ unit: 'k3s', facts: { chain: 'INPUT', table: 'filter', backend: 'nf_tables' } });
    expect(first(scan('moby-37694-dockerd-nat-table-does-not-exist-centos7.log'), 'log.iptables-table-unavailable')).toMatchObject({ line: 1, unit: 'dockerd', facts: { table: 'nat' } });
    expect(lineIds(scan('sismics-docs-253-docker-nf_tables-1.8.1-chain-DNAT-does-not-exist.log'))).toEqual(['2:log.docker-port-programming-failed', '2:log.nf-tables-chain-missing']);
  });

  it('kubeadm preflight: bridge netfilter and ip_forward', () => {
    expect(lineIds(scan('kubernetes-67431-kubeadm-preflight-br-netfilter-missing-ip-forward-0.log'))).toEqual(['1:log.bridge-nf-call', '2:log.ip-forward-disabled']);
    expect(lineIds(scan('minikube-8638-kubeadm-preflight-bridge-nf-call-iptables.log'))).toEqual(['7:log.bridge-nf-call']);
  });

  it('hotsos journal: the year comes from the journal header, peers from Go dial errors', () => {
    const r = scanLogText(readCorpus('logs', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log'), 'journal', {});
    expect(r.lines).toBe(208);
    expect(r.firstTimestamp).toEqual({ iso: '2022-02-11T19:03:31.000Z', epochMs: Date.UTC(2022, 1, 11, 19, 3, 31), zoneless: true, yearInferred: true });
    expect(r.lastTimestamp?.iso).toBe('2022-02-11T19:16:03.000Z');
    // kube-proxy's start (lines 178-180: the mode it defaults to, the iptables Proxier, dual-stack), then the conntrack limit it sets (184-185),
    // then its config controllers start (188-189) and sync (205-206): past its start
    expect(r.counts).toEqual({ 'log.connection-refused': 16, 'log.kube-proxy-mode': 3, 'log.kube-proxy-conntrack-max': 2, 'log.kube-proxy-started': 4 });
    expect(first(r, 'log.connection-refused')).toMatchObject({ line: 175, unit: 'kube-proxy.daemon', facts: { host: '10.6.3.201', port: '6443' } });
    // the API server, then (lines 207-208) the metrics service behind it
    expect(all(r, 'log.connection-refused').map((m) => `${m.line}:${m.facts.host}:${m.facts.port}`).slice(-3)).toEqual(['204:10.6.3.201:6443', '207:10.152.183.38:8443', '208:10.152.183.38:8443']);
  });
});

describe.skipIf(!hasSeeds)('the seed documents', () => {
  const seed = (prefix: string) => readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith(prefix))!), 'utf8');

  it('002: Port Timeout, psql refused on one line with host and port, ports never listening', () => {
    const r = scanLogText(seed('002_'), 'seed-002');
    expect(lineIds(r)).toEqual(['52:log.port-timeout', '66:log.connection-refused', '81:log.ports-not-listening']);
    expect(first(r, 'log.connection-refused').facts).toEqual({ host: 'host.domain.com', port: '5432' });
  });

  it("002's psql message as libpq prints it, over three lines: one match at the first line, port from the third", () => {
    // the seed's sentence with libpq's own line breaks put back
    const flat = seed('002_').split('\n')[65];
    const threeLines = flat.replace(' Is the server', '\n\tIs the server').replace(' TCP/IP', '\n\tTCP/IP');
    const text = `app started\n${threeLines}\nnext message\n`;
    const r = scanLogText(text, 'api.log', { source: { container: 'api' } });
    expect(r.matches).toEqual([
      {
        signature: 'log.connection-refused',
        file: 'api.log',
        line: 2,
        endLine: 4,
        container: 'api',
        excerpt: 'psql: could not connect to server: Connection refused ⏎ Is the server running on host host.domain.com and accepting ⏎ TCP/IP connections on port 5432?',
        facts: { host: 'host.domain.com', port: '5432' },
      },
    ]);
    // the same wherever the chunk boundaries fall, continuation lines in the next chunk included
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size++) expect(scanInPieces(bytes, size, 'api.log').matches.map((m) => [m.line, m.endLine, m.facts.port])).toEqual([[2, 4, '5432']]);
  });

  it('001: the docker run error with its chain, port and endpoint; the forwarding warning inside Chinese prose', () => {
    const r = scanLogText(seed('001_'), 'seed-001');
    expect(lineIds(r)).toEqual(['11:log.iptables-no-chain', '11:log.docker-port-programming-failed', '101:log.ip-forward-disabled']);
    expect(first(r, 'log.docker-port-programming-failed').facts).toEqual({ endpoint: 'happy_ptolemy', table: 'filter', chain: 'DOCKER', target: 'ACCEPT', port: '3000' });
    expect(first(r, 'log.ip-forward-disabled').excerpt).toContain('WARNING: IPv4 forwarding is disabled');
  });

  it('004: TRACE lines, the xtables lock warning, a container joining a stopped one', () => {
    const r = scanLogText(seed('004_'), 'seed-004', { year: 2019 });
    expect(all(r, 'log.iptables-trace').map((m) => [m.line, m.facts.chain, m.facts.rule, m.unit, m.timestamp?.iso])).toEqual([
      [1308, 'INPUT', '3', 'kernel', '2019-05-20T13:01:14.000Z'],
      [1309, 'KUBE-FIREWALL', '2', 'kernel', '2019-05-20T13:01:14.000Z'],
      [1310, 'INPUT', '4', 'kernel', '2019-05-20T13:01:14.000Z'],
    ]);
    expect(first(r, 'log.xtables-lock').line).toBe(1293);
    expect(first(r, 'log.docker-join-non-running')).toMatchObject({ line: 427, facts: { restarting: 'f9cd281b68d2' } });
    // siblings in a JSON dump are not continuations of each other
    expect(all(r, 'log.connection-refused').map((m) => [m.line, m.endLine, m.facts.host, m.facts.port])).toEqual([
      [87, undefined, 'mdt-api-products', '8060'],
      [208, undefined, 'localhost', '8080'],
      [209, undefined, 'localhost', '8080'],
      [217, undefined, 'localhost', '8080'],
    ]);
  });

  it('000 and 003 hold advice, not logs: only the typed `systemctl restart iptables.service`', () => {
    expect(lineIds(scanLogText(seed('000_'), 's'))).toEqual(['40:log.firewall-restart']);
    expect(scanLogText(seed('003_'), 's').matches).toEqual([]);
  });
});

describe('a healthy node', () => {
  const file = 'healthy-k8s-worker-syslog.log';
  const text = readFileSync(projectPath('test', 'fixtures', 'logs', file), 'utf8');

  it("yields no warning-level match, only the firewall service starting at boot and dockerd's start (quiet: no finding)", () => {
    const r = scanLogText(text, file, { year: 2026 });
    expect(r.lines).toBe(300);
    const warnings = r.matches.filter((m) => signatureById(m.signature)!.severity === 'warning');
    expect(warnings).toEqual([]);
    expect(r.matches).toEqual([
      {
        signature: 'log.firewall-restart',
        file,
        line: 24,
        timestamp: { iso: '2026-11-20T09:57:50.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 50), zoneless: true, yearInferred: true },
        unit: 'systemd',
        excerpt: 'Nov 20 09:57:50 k8s-worker-2 systemd[1]: Starting Uncomplicated firewall...',
        facts: { action: 'Starting', service: 'Uncomplicated firewall' },
      },
      {
        // H91: the network online at boot (quiet: dates DNS failures logged before it)
        signature: 'log.network-online',
        file,
        line: 33,
        timestamp: { iso: '2026-11-20T09:57:53.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 53), zoneless: true, yearInferred: true },
        unit: 'systemd',
        excerpt: 'Nov 20 09:57:53 k8s-worker-2 systemd[1]: Reached target Network is Online.',
        facts: {},
      },
      {
        // dockerd's version as it started (quiet: read for the version where no docker info is in the bundle)
        signature: 'log.docker-daemon-version',
        file,
        line: 66,
        timestamp: { iso: '2026-11-20T09:57:54.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 54), zoneless: true },
        unit: 'dockerd',
        excerpt: 'Nov 20 09:57:54 k8s-worker-2 dockerd[981]: time="2026-11-20T09:57:54.591682483Z" level=info msg="Docker daemon" commit=311b9ff graphdriver=overlay2 version=24.0.7',
        facts: { version: '24.0.7', commit: '311b9ff' },
      },
      {
        // what tells a failed start that dockerd got over from one it did not (log.docker-no-free-address-pool, ...)
        signature: 'log.docker-daemon-initialized',
        file,
        line: 67,
        timestamp: { iso: '2026-11-20T09:57:54.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 54), zoneless: true },
        unit: 'dockerd',
        excerpt: 'Nov 20 09:57:54 k8s-worker-2 dockerd[981]: time="2026-11-20T09:57:54.455824009Z" level=info msg="Daemon has completed initialization"',
        facts: {},
      },
      // dockerd's end of start and systemd's: dockerd started (again), as the initialization line (H68, R23 case 14)
      {
        signature: 'log.docker-daemon-initialized',
        file,
        line: 68,
        timestamp: { iso: '2026-11-20T09:57:54.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 54), zoneless: true },
        unit: 'dockerd',
        excerpt: 'Nov 20 09:57:54 k8s-worker-2 dockerd[981]: time="2026-11-20T09:57:54.063469421Z" level=info msg="API listen on /run/docker.sock"',
        facts: {},
      },
      {
        signature: 'log.docker-daemon-initialized',
        file,
        line: 69,
        timestamp: { iso: '2026-11-20T09:57:54.000Z', epochMs: Date.UTC(2026, 10, 20, 9, 57, 54), zoneless: true, yearInferred: true },
        unit: 'systemd',
        excerpt: 'Nov 20 09:57:54 k8s-worker-2 systemd[1]: Started Docker Application Container Engine.',
        facts: {},
      },
    ]);
    expect(r.firstTimestamp?.iso).toBe('2026-11-20T09:57:48.000Z');
    expect(r.lastTimestamp?.iso).toBe('2026-11-20T12:25:17.000Z');
  });

  it('the older healthy fixture stays quiet too', () => {
    // only the quiet lines of dockerd starting (API listen on, systemd's Started, its version): no finding of their own
    expect(scanLogText(readFileSync(projectPath('test', 'fixtures', 'logs', 'healthy-node-syslog.log'), 'utf8'), 'h').matches.filter((m) => m.signature !== 'log.docker-daemon-initialized' && m.signature !== 'log.docker-daemon-version')).toEqual([]);
  });
});

describe('scanner behaviour', () => {
  it('attaches the layout hint: unit only when the line has none, pod/container/namespace always', () => {
    const text = 'I1120 10:00:00.000000       1 main.go:1] failed to acquire lease: out of subnets\nNov 20 10:00:01 n1 flanneld[7]: failed to acquire lease: nope\n';
    const r = scanLogText(text, 'pods/kube-system/kube-flannel-ds-x/kube-flannel.log', {
      source: { unit: 'flanneld-pod', pod: 'kube-flannel-ds-x', container: 'kube-flannel', namespace: 'kube-system' },
    });
    const leases = all(r, 'log.flannel-lease-failed');
    expect(leases.map((m: LogMatch) => [m.unit, m.pod, m.container, m.namespace])).toEqual([
      ['flanneld-pod', 'kube-flannel-ds-x', 'kube-flannel', 'kube-system'],
      ['flanneld', 'kube-flannel-ds-x', 'kube-flannel', 'kube-system'],
    ]);
  });

  it('keeps the first 50 matches of a signature and counts the rest', () => {
    const text = Array.from({ length: 120 }, (_, i) => `Nov 20 10:00:${String(i % 60).padStart(2, '0')} n1 kernel: TRACE: raw:PREROUTING:policy:${i + 1} IN=lo`).join('\n');
    const r = scanLogText(text, 'trace.log');
    expect(r.counts).toEqual({ 'log.iptables-trace': 120 });
    expect(all(r, 'log.iptables-trace')).toHaveLength(50);
    expect(all(r, 'log.iptables-trace').at(-1)).toMatchObject({ line: 50, facts: { rule: '50' } });
    expect(scanLogText(text, 'trace.log', { maxMatchesPerSignature: 3 }).matches.map((m) => m.line)).toEqual([1, 2, 3]);
  });

  it.skipIf(!hasCorpus)('gives the same result however the bytes are chunked', () => {
    for (const f of ['kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log', 'kube-router-1057-iptables-restore-xtables-lock.log', 'hotsos-charmed-k8s-snap-kube-proxy-journal.log']) {
      const bytes = Buffer.from(readCorpus('logs', f));
      const whole = scanInPieces(bytes, bytes.length, f);
      for (const size of [1, 2, 3, 5, 17, 64, 1000]) expect(scanInPieces(bytes, size, f), `${f} in ${size}-byte pieces`).toEqual(whole);
    }
  });

  it('very long lines: cut at the cap, the literal before the cap found, the one after it not', () => {
    const pad = 'x'.repeat(5000);
    const text = [`Nov 20 10:00:00 n1 dockerd[9]: ${pad} iptables: No chain/target/match by that name. ${pad}`, `Nov 20 10:00:01 n1 dockerd[9]: ${pad}${pad} WARNING: IPv4 forwarding is disabled`, 'Port Timeout'].join('\n');
    const r = scanLogText(text, 'long.log', { maxLineBytes: 8192 });
    expect(r.truncatedLines).toBe(2);
    expect(lineIds(r)).toEqual(['1:log.iptables-no-chain', '3:log.port-timeout']);
    const m = first(r, 'log.iptables-no-chain');
    expect(m.unit).toBe('dockerd');
    expect(m.timestamp?.iso).toMatch(/-11-20T10:00:00.000Z$/);
    // the line's beginning (time, host, process), then the literal with some context
    expect(m.excerpt).toMatch(/^Nov 20 10:00:00 n1 dockerd\[9\]: x{89}…x{29,} iptables: No chain\/target\/match by that name\. x{30,}…$/);
    expect(m.excerpt.length).toBeLessThanOrEqual(400);
  });

  it('a long line two signatures match: one excerpt shows the line head and what each matched', () => {
    // dockerd's real error for a port published after the DOCKER chain was flushed (504 characters)
    const line =
      'Nov 20 10:15:02 docker-host-01 dockerd[1134]: time="2026-11-20T10:15:02.118000000Z" level=error msg="Handler for POST /v1.41/containers/9cedc114be35/start returned error: driver failed programming external connectivity on endpoint happy_ptolemy (9cedc114be35eb86cd6f7f7bb4f11f93b5f8d2c0745afc72664cef8e96aad439): iptables failed: iptables --wait -t filter -A DOCKER ! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 3000 -j ACCEPT: iptables: No chain/target/match by that name.\n (exit status 1)"';
    const r = scanLogText(line, 'journal');
    expect(lineIds(r)).toEqual(['1:log.iptables-no-chain', '1:log.docker-port-programming-failed']);
    const [a, b] = r.matches;
    expect(a.excerpt).toBe(b.excerpt);
    expect(a.excerpt.length).toBeLessThanOrEqual(400);
    expect(a.excerpt).toMatch(/^Nov 20 10:15:02 docker-host-01 dockerd\[1134\]: /);
    expect(a.excerpt).toContain('driver failed programming external connectivity');
    expect(a.excerpt).toContain('No chain/target/match by that name');
    // every piece is the line's own text, in order
    let at = 0;
    for (const piece of a.excerpt.replace(/…$/, '').split('…')) {
      const found = line.indexOf(piece, at);
      expect(found, piece).toBeGreaterThanOrEqual(at);
      at = found + piece.length;
    }
  });

  it('pushLine feeds lines; end() is idempotent and push after it throws', () => {
    const s = createLogScanner(SIGNATURES, { file: 'lines.log' });
    s.pushLine('first');
    s.pushLine('WARNING: IPv4 forwarding is disabled. Networking will not work.');
    const r = s.end();
    expect(lineIds(r)).toEqual(['2:log.ip-forward-disabled']);
    expect(s.end()).toBe(r);
    expect(() => s.push(Buffer.from('x'))).toThrow(/after end/);
  });

  it('a custom catalog is honoured, ignoreCase literals included', () => {
    const catalog = [{ ...SIGNATURES[0], id: 'log.custom', literals: ['connection reset'], ignoreCase: true, pattern: /connection reset by peer/i, extract: [] }];
    const r = scanLogText('read tcp 10.0.0.1:5432: Connection RESET by peer\nNo chain/target/match by that name\n', 'c.log', { catalog });
    expect(r.counts).toEqual({ 'log.custom': 1 });
  });

  it('the year rolls over when a year-less log crosses New Year', () => {
    const text = 'Dec 31 23:59:59 n1 kernel: TRACE: raw:OUTPUT:rule:1\nJan  1 00:00:01 n1 kernel: TRACE: raw:OUTPUT:rule:2\n';
    const r = scanLogText(text, 'ny.log', { year: 2025 });
    expect(r.matches.map((m) => m.timestamp?.iso)).toEqual(['2025-12-31T23:59:59.000Z', '2026-01-01T00:00:01.000Z']);
    expect(r.lastTimestamp?.iso).toBe('2026-01-01T00:00:01.000Z');
  });
});

describe('streams, gzip and bad input', () => {
  it.skipIf(!hasCorpus)('a gzip-rotated log scans like the plain one', async () => {
    const bytes = Buffer.from(readCorpus('logs', 'docker-for-linux-1104-firewalld-docker-isolation-stage-no-chain.log'));
    const plain = await scanLogStream(chunked(bytes, 100), 'messages');
    const gz = await scanLogStream(chunked(gzipSync(bytes), 50), 'messages', { gzip: true });
    expect(gz).toEqual(plain);
    expect(gz.counts['log.iptables-cleanup-harmless']).toBe(6);
  });

  it('a cut gzip stream gives what it held, with a warning; a non-gzip stream is a ParseError', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `Nov 20 10:00:00 n1 app[1]: line ${i} ${(i * 7919).toString(36).repeat(4)}${i === 10 ? ' Port Timeout' : ''}`).join('\n');
    const gz = gzipSync(Buffer.from(text));
    const cut = await scanLogStream(chunked(gz.subarray(0, Math.floor(gz.length * 0.6)), 1000), 'syslog.2.gz', { gzip: true });
    expect(cut.warnings?.[0].message).toMatch(/^gzip data broken after \d+ bytes of text \(unexpected end of file\); the lines before were read$/);
    expect(cut.lines).toBeGreaterThan(100);
    expect(cut.lines).toBeLessThan(2000);
    expect(lineIds(cut)).toEqual(['11:log.port-timeout']);
    await expect(scanLogStream(chunked(Buffer.from('plain text, not gzip\n'), 10), 'x.gz', { gzip: true })).rejects.toBeInstanceOf(ParseError);
  });

  it('maxBytes stops a gzip bomb with a warning', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x0a));
    const r = await scanLogStream(chunked(bomb, 4096), 'bomb.gz', { gzip: true, maxBytes: 1024 * 1024 });
    expect(r.bytes).toBe(1024 * 1024);
    expect(r.lines).toBe(1024 * 1024);
    expect(r.warnings).toEqual([{ file: 'bomb.gz', message: 'scan stopped after 1048576 bytes' }]);
  });

  it('errors of the source itself are passed on, gzip or not', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('Port Timeout\n');
      throw new Error('tar entry truncated');
    }
    await expect(scanLogStream(failing(), 'a')).rejects.toThrow('tar entry truncated');
    await expect(scanLogStream(failing(), 'a', { gzip: true })).rejects.toThrow();
  });

  it('random binary garbage never throws and counts what it can', async () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let round = 0; round < 20; round++) {
      const bytes = Buffer.alloc(50_000 + round * 997);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rand();
      // sprinkle literals and line breaks among the garbage
      bytes.write('No chain/target/match by that name', 1000 + round * 13, 'latin1');
      bytes.write('\n\tTCP/IP connections on port 99999?', 5000, 'latin1');
      const r = await scanLogStream(chunked(bytes, 333 + round), 'garbage.bin');
      expect(r.bytes).toBe(bytes.length);
      expect(r.counts['log.iptables-no-chain']).toBeGreaterThanOrEqual(1);
    }
  });

  // The time limit only bounds a hang or catastrophic backtracking; speed is the benchmark's business.
  it('hostile lines full of near-literals finish', () => {
    const evil = [
      `${'-t nat -A '.repeat(6000)}No chain/target/match by that name`,
      `${'dial tcp '.repeat(7000)}connection refused`,
      `${'Chain \''.repeat(9000)}' does not exist`,
      `${'subnet.env'.repeat(6000)} no such file`,
      `${'a:1 '.repeat(15000)}Connection refused`,
      `${'\t'.repeat(60000)}`,
    ].join('\n');
    const r = scanLogText(`${evil}\n`.repeat(20), 'evil.log');
    expect(r.counts['log.iptables-no-chain']).toBe(20);
  }, 60_000);
});
