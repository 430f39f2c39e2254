import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LogScanner, scanLogStream, scanLogText } from '../../src/logscan/scanner.js';
import { SIGNATURES } from '../../src/logscan/signatures.js';
import { parseTimestamp, unitOf } from '../../src/logscan/timestamps.js';
import { corpusPath, hasCorpus, hasSeeds, projectPath, readCorpus, seedsDir } from '../helpers/shared.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const scan = (file: string) => scanLogText(readCorpus('logs', file), file, { year: 2026 });
const first = (r: ReturnType<typeof scan>, id: string) => r.matches.find((m) => m.signature === id);

describe.skipIf(!hasCorpus)('signatures on the real logs of the corpus', () => {
  it('No chain/target/match: chain and table from docker run, firewalld and dockerd lines', () => {
    expect(first(scan('moby-26494-docker-run-publish-nat-DOCKER-chain-missing.log'), 'log.iptables-no-chain')).toMatchObject({ line: 3, facts: { table: 'nat', chain: 'DOCKER' } });
    const fw = scan('docker-for-linux-1104-firewalld-docker-isolation-stage-no-chain.log');
    expect(fw.counts['log.iptables-no-chain']).toBe(6);
    expect(first(fw, 'log.iptables-no-chain')).toMatchObject({ line: 1, facts: { table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-1' }, timestamp: { iso: '2020-09-09T10:48:01.000Z' } });
    expect(first(scan('moby-16137-firewalld-centos7-dnat-no-chain.log'), 'log.iptables-no-chain')).toMatchObject({ unit: 'firewalld', facts: { chain: 'DOCKER' } });
    expect(first(scan('kata-tests-4617-filter-DOCKER-chain-removed.log'), 'log.docker-port-programming-failed')?.facts.container).toBe('jaeger');
  });

  it('IPv4 forwarding disabled, bridge-nf-call, legacy tables present', () => {
    expect(first(scan('moby-22805-ipv4-forwarding-disabled-warning.log'), 'log.ip-forward-disabled')?.line).toBe(19);
    const kubeadm = scan('kubernetes-67431-kubeadm-preflight-br-netfilter-missing-ip-forward-0.log');
    expect(Object.keys(kubeadm.counts).sort()).toEqual(['log.bridge-nf-call', 'log.ip-forward-disabled']);
    expect(scan('k3s-3117-growing-rules-legacy-tables-present.log').counts['log.iptables-legacy-tables-present']).toBe(3);
  });

  it('xtables lock and iptables-restore failures with the failing line', () => {
    expect(scan('kube-router-1057-iptables-restore-xtables-lock.log').counts['log.xtables-lock']).toBe(3);
    expect(first(scan('kubernetes-57428-gke-configure-helper-xtables-lock.log'), 'log.xtables-lock')).toBeDefined();
    expect(first(scan('flannel-971-kube-proxy-restore-line-3868.log'), 'log.iptables-restore-failed')?.facts.line).toBe('3868');
    expect(first(scan('kubernetes-112292-kube-proxy-iptables-restore-line-1193.log'), 'log.iptables-restore-failed')?.facts.line).toBe('1193');
    // kubelet's err=< message continues on the next journal lines
    const xor = scan('kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log');
    expect(first(xor, 'log.iptables-restore-failed')).toMatchObject({ line: 1, unit: 'kube-proxy', facts: { line: '11', version: '1.8.7', backend: 'nf_tables' } });
    expect(first(xor, 'log.iptables-couldnt-load')?.facts.option).toBe('--xor-mark');
  });

  it('flannel: lease failures, out of subnets, vxlan unsupported, iptables rules', () => {
    expect(first(scan('flannel-688-failed-to-acquire-lease-rbac.log'), 'log.flannel-lease-failed')?.facts.reason).toMatch(/does not allow access/);
    const out = scan('opsnull-217-flanneld-out-of-subnets.log');
    expect(first(out, 'log.flannel-out-of-subnets')).toMatchObject({ unit: 'flanneld', timestamp: { iso: '2026-04-25T18:07:49.000Z' } });
    expect(first(scan('flannel-905-vxlan-operation-not-supported.log'), 'log.vxlan-not-supported')?.line).toBe(8);
    expect(scan('flannel-1271-iptables-nat-bad-address-exit-status.log').counts['log.flannel-iptables-failed']).toBe(3);
  });

  it('table missing / nf_tables incompatibility', () => {
    expect(first(scan('moby-37694-dockerd-nat-table-does-not-exist-centos7.log'), 'log.iptables-table-missing')?.facts.table).toBe('nat');
    expect(first(scan('kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'log.iptables-table-missing')?.facts).toMatchObject({ chain: 'INPUT', table: 'filter' });
    expect(first(scan('sismics-docs-253-docker-nf_tables-1.8.1-chain-DNAT-does-not-exist.log'), 'log.iptables-table-missing')?.facts.chain).toBe('DNAT');
  });

  it('connection refused with host:port (kube-proxy to the API server)', () => {
    const r = scan('hotsos-charmed-k8s-snap-kube-proxy-journal.log');
    expect(first(r, 'log.connection-refused')).toMatchObject({ line: 175, unit: 'kube-proxy.daemon', facts: { host: '10.6.3.201', port: '6443' } });
    expect(r.firstTimestamp?.iso).toBe('2022-02-11T18:58:10.000Z');
  });

  it('every corpus log scans without error, and every match points at a line that holds its literal', () => {
    for (const f of readdirSync(corpusPath('logs'))) {
      const text = readCorpus('logs', f);
      const lines = text.split('\n');
      const r = scanLogText(text, f);
      expect(r.lines, f).toBe(text.endsWith('\n') ? lines.length - 1 : lines.length);
      for (const m of r.matches) {
        const sig = SIGNATURES.find((s) => s.id === m.signature)!;
        expect(sig.literals.some((l) => lines[m.line - 1].includes(l)), `${f}:${m.line} ${m.signature}`).toBe(true);
      }
    }
  });
});

describe.skipIf(!hasSeeds)('seed text', () => {
  it('002: Port Timeout, ports not listening, psql connection refused on port 5432 (one line as quoted, and as psql prints it)', () => {
    const seed = readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith('002_'))!), 'utf8');
    const r = scanLogText(seed, 'seed-002');
    expect(first(r, 'log.port-timeout')?.line).toBe(52);
    expect(first(r, 'log.ports-not-listening')?.line).toBe(81);
    expect(first(r, 'log.connection-refused')).toMatchObject({ line: 66, facts: { host: 'host.domain.com', port: '5432' } });
    const psql = 'psql: could not connect to server: Connection refused\n\tIs the server running on host "172.17.0.3" and accepting\n\tTCP/IP connections on port 5432?\nnext line\n';
    const m = first(scanLogText(psql, 'app.log'), 'log.connection-refused');
    expect(m).toMatchObject({ line: 1, facts: { host: '172.17.0.3', port: '5432' } });
    expect(m?.excerpt).toContain('TCP/IP connections on port 5432?');
  });

  it('001: the docker run error names the DOCKER chain of the filter table', () => {
    const seed = readFileSync(join(seedsDir, readdirSync(seedsDir).find((f) => f.startsWith('001_'))!), 'utf8');
    const r = scanLogText(seed, 'seed-001');
    expect(first(r, 'log.iptables-no-chain')).toMatchObject({ line: 11, facts: { table: 'filter', chain: 'DOCKER' } });
  });
});

describe('healthy logs and formats', () => {
  it('a healthy node syslog gives no warning-level match', () => {
    const r = scanLogText(readFileSync(projectPath('test/fixtures/logs/healthy-node-syslog.log'), 'utf8'), 'syslog', { year: 2026 });
    const warnings = r.matches.filter((m) => SIGNATURES.find((s) => s.id === m.signature)!.severity === 'warning');
    expect(warnings).toEqual([]);
    expect(r.lines).toBe(20);
  });

  it('firewall restarts are seen with their action and unit', () => {
    const r = scanLogText('Nov 20 10:14:02 h systemd[1]: Stopping IPv4 firewall with iptables...\nNov 20 10:14:03 h systemd[1]: Started IPv4 firewall with iptables.\nNov 20 10:20:00 h systemd[1]: Reloaded firewalld - dynamic firewall daemon.\n', 'messages', { year: 2026 });
    expect(r.matches.map((m) => [m.line, m.facts.action, m.facts.unit])).toEqual([
      [1, 'Stopping', 'IPv4 firewall with iptables'],
      [2, 'Started', 'IPv4 firewall with iptables'],
      [3, 'Reloaded', 'firewalld'],
    ]);
  });

  it('timestamps of every common format', () => {
    expect(parseTimestamp('Nov 22 07:00:01 host kubelet[9]: x', { year: 2026 })?.iso).toBe('2026-11-22T07:00:01.000Z');
    expect(parseTimestamp('2026-11-22T07:00:01.123456Z stuff')?.iso).toBe('2026-11-22T07:00:01.123Z');
    expect(parseTimestamp('2026-11-22T07:00:01+0100 host unit[1]: x')?.iso).toBe('2026-11-22T06:00:01.000Z');
    expect(parseTimestamp('I1122 07:00:01.000123    1234 file.go:12] msg', { year: 2026 })?.iso).toBe('2026-11-22T07:00:01.000Z');
    expect(parseTimestamp('time="2026-11-22T07:00:01.500Z" level=warning msg="x"')?.iso).toBe('2026-11-22T07:00:01.500Z');
    expect(parseTimestamp('INFO[2020-10-12T11:35:17.020640500-05:00] stopping')?.iso).toBe('2020-10-12T16:35:17.020Z');
    expect(parseTimestamp('2026/11/22 07:00:01 [warn] x')?.iso).toBe('2026-11-22T07:00:01.000Z');
    expect(parseTimestamp('8月 22 17:15:09 VM dockerd[31404]: x', { year: 2026 })?.iso).toBe('2026-08-22T17:15:09.000Z');
    expect(parseTimestamp('no time here')).toBeUndefined();
    expect(unitOf('Nov 22 07:00:01 host dockerd[1234]: msg')).toBe('dockerd');
    expect(unitOf('2020-09-09 10:48:01 WARNING: COMMAND_FAILED: x')).toBeUndefined();
  });

  it('lines split across chunks and CRLF are read as one line; invalid UTF-8 does not throw', () => {
    const s = new LogScanner('x.log');
    const text = 'a\r\nb WARNING: IPv4 forward';
    s.push(Buffer.from(text));
    s.push(Buffer.from('ing is disabled. Networking will not work.\r\n\xff\xfe bad bytes\n', 'latin1'));
    const r = s.end();
    expect(r.lines).toBe(3);
    expect(r.matches).toMatchObject([{ signature: 'log.ip-forward-disabled', line: 2, excerpt: 'b WARNING: IPv4 forwarding is disabled. Networking will not work.' }]);
  });

  it('rotated .gz logs are scanned through gunzip', async () => {
    const gz = gzipSync('Nov 20 10:00:00 h dockerd[1]: WARNING: IPv4 forwarding is disabled. Networking will not work.\n');
    const r = await scanLogStream((async function* () { yield gz; })(), 'messages.1.gz', { gzip: true });
    expect(r.counts['log.ip-forward-disabled']).toBe(1);
  });

  it('bounded memory: a 150 MB line without a newline inside a 200 MB stream', async () => {
    const before = process.memoryUsage().rss;
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    async function* source() {
      yield Buffer.from('Nov 20 10:00:00 h dockerd[1]: WARNING: IPv4 forwarding is disabled. Networking will not work.\n');
      for (let i = 0; i < 150; i++) yield chunk; // one line, no newline
      yield Buffer.from('\n');
      for (let i = 0; i < 50; i++) yield Buffer.from('Nov 20 10:00:01 h kernel: ok\n'.repeat(36_000));
    }
    const r = await scanLogStream(source(), 'big.log');
    const growth = process.memoryUsage().rss - before;
    expect(r.truncatedLines).toBe(1);
    expect(r.lines).toBe(2 + 50 * 36_000);
    expect(r.counts['log.ip-forward-disabled']).toBe(1);
    expect(growth).toBeLessThan(100 * 1024 * 1024);
  });

  it('throughput on realistic syslog (printed, not asserted)', () => {
    const line = 'Nov 20 10:00:01 k8s-node-1 kubelet[1304]: I1120 10:00:01.013300    1304 kuberuntime_manager.go:1528] "Updating runtime config" CIDR="10.244.1.0/24"\n';
    const buf = Buffer.from(line.repeat(Math.ceil((64 * 1024 * 1024) / line.length)));
    const s = new LogScanner('bench.log');
    const t0 = performance.now();
    for (let i = 0; i < buf.length; i += 256 * 1024) s.push(buf.subarray(i, i + 256 * 1024));
    const r = s.end();
    const ms = performance.now() - t0;
    console.log(`log scan: ${(buf.length / 1024 / 1024 / (ms / 1000)).toFixed(0)} MB/s over ${r.lines} lines`);
    expect(r.lines).toBe(Math.ceil((64 * 1024 * 1024) / line.length));
  });
});
