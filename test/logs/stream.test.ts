/**
 * Size and speed: a 200 MB stream with a 150 MB line and no newline in it, scanned in bounded
 * memory; and the throughput over ~100 MB of syslog, printed for tuning (no timing assertion:
 * the machine is shared).
 */
import { readFileSync } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scanLogStream } from '../../src/logs/scanner.js';
import { projectPath } from '../helpers/shared.js';

const MiB = 1024 * 1024;
const healthy = readFileSync(projectPath('test', 'fixtures', 'logs', 'healthy-k8s-worker-syslog.log'), 'utf8');
const healthyLines = healthy.split('\n').length - 1;

describe('a 200 MB log with a 150 MB line', () => {
  it('is scanned in bounded memory, the long line cut and counted, matches after it numbered right', async () => {
    // ~1 MiB of whole syslog lines, copied into a fresh Buffer each time, so that a scanner
    // keeping chunks alive would show in the RSS
    const copies = Math.floor(MiB / healthy.length);
    const template = healthy.repeat(copies);
    const templateLines = healthyLines * copies;
    const before = 25;
    const after = 24;
    const longMiB = 150;
    const planted = 'Nov 20 13:00:00 k8s-worker-2 dockerd[981]: time="2026-11-20T13:00:00Z" level=error msg="iptables --wait -t nat -A DOCKER -p tcp -j DNAT: iptables: No chain/target/match by that name."\n';
    let peak = 0;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < before; i++) yield Buffer.from(template);
      // the long line starts with a real prefix and carries a literal only past the cap
      yield Buffer.from('Nov 20 12:59:59 k8s-worker-2 app[7]: ');
      for (let i = 0; i < longMiB; i++) {
        const chunk = Buffer.alloc(MiB, 0x41);
        if (i === longMiB - 1) chunk.write('Port Timeout', MiB - 20, 'latin1');
        sample();
        yield chunk;
      }
      yield Buffer.from('\n');
      for (let i = 0; i < after; i++) yield Buffer.from(template);
      yield Buffer.from(planted);
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    peak = rssBefore;
    const r = await scanLogStream(source(), 'var/log/messages', { year: 2026 });
    sample();
    const growth = peak - rssBefore;
    console.log(`200 MB stream: RSS ${Math.round(rssBefore / MiB)} MiB before, peak growth ${Math.round(growth / MiB)} MiB`);

    expect(r.bytes).toBe((before + after) * Buffer.byteLength(template) + longMiB * MiB + Buffer.byteLength('Nov 20 12:59:59 k8s-worker-2 app[7]: ') + 1 + planted.length);
    expect(r.bytes).toBeGreaterThan(200 * 1000 * 1000);
    const longLine = before * templateLines + 1;
    expect(r.lines).toBe(longLine + after * templateLines + 1);
    expect(r.truncatedLines).toBe(1);
    // the literal at the end of the long line lies past the cap
    expect(r.counts['log.port-timeout']).toBeUndefined();
    expect(r.matches.filter((m) => m.signature === 'log.iptables-no-chain')).toEqual([
      expect.objectContaining({ line: r.lines, unit: 'dockerd', facts: { table: 'nat', chain: 'DOCKER', target: 'DNAT' } }),
    ]);
    // the healthy template's only match is its firewall start at boot, once per copy
    expect(r.counts['log.firewall-restart']).toBe((before + after) * copies);
    expect(r.lastTimestamp?.iso).toBe('2026-11-20T13:00:00.000Z');
    expect(growth).toBeLessThan(100 * MiB);
  });
});

describe('throughput', () => {
  it('on ~100 MB of ordinary syslog, plain and gzip-rotated', async () => {
    // the healthy node's day, with one real trouble line every ~20,000 lines
    const trouble = 'Nov 20 13:00:00 k8s-worker-2 kubelet[1304]: E1120 13:00:00.000000    1304 reflector.go:138] failed to list *v1.Node: Get "https://10.6.3.201:6443/api/v1/nodes": dial tcp 10.6.3.201:6443: connect: connection refused\n';
    const block = healthy.repeat(66) + trouble;
    const text = Buffer.from(block.repeat(Math.ceil((100 * MiB) / Buffer.byteLength(block))));
    const chunks = (buf: Buffer, size: number) => Readable.from((function* () {
      for (let off = 0; off < buf.length; off += size) yield buf.subarray(off, off + size);
    })(), { objectMode: false });

    let t = performance.now();
    const r = await scanLogStream(chunks(text, 256 * 1024), 'syslog', { year: 2026 });
    const plainMs = performance.now() - t;
    expect(r.bytes).toBe(text.length);
    expect(r.counts['log.connection-refused']).toBe(Math.ceil((100 * MiB) / Buffer.byteLength(block)));

    const gz = gzipSync(text, { level: 6 });
    t = performance.now();
    let unzipped = 0;
    for await (const c of chunks(gz, 64 * 1024).pipe(createGunzip({ chunkSize: 256 * 1024 }))) unzipped += (c as Buffer).length;
    const zcatMs = performance.now() - t;
    t = performance.now();
    const rz = await scanLogStream(chunks(gz, 64 * 1024), 'syslog.1.gz', { gzip: true, year: 2026 });
    const gzMs = performance.now() - t;
    expect(unzipped).toBe(text.length);
    expect(rz.counts).toEqual(r.counts);

    const mb = text.length / 1e6;
    console.log(
      `log scan: ${mb.toFixed(0)} MB plain in ${plainMs.toFixed(0)} ms = ${(mb / (plainMs / 1000)).toFixed(0)} MB/s; ` +
        `gunzip alone ${zcatMs.toFixed(0)} ms, gunzip + scan ${gzMs.toFixed(0)} ms (${(gzMs / zcatMs).toFixed(2)}x)`,
    );
  });
});
