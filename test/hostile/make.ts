/**
 * The hostile-bundle corpus, generated at test time (a few MB on disk at most): each entry is
 * built from real formats (tar, gzip, zip) bent the way attackers and broken uploads bend them.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeTar, makeTarGz, makeZip } from '../helpers/archive.js';

export interface HostileCase {
  name: string;
  file: string;
  /** expected exit code of `bundle-doctor analyze FILE --format json` */
  exit: 0 | 2;
  /** stderr must match (exit 2 cases) */
  error?: RegExp;
  /** further checks on the JSON report (exit 0 cases, and exit 2 ones whose input was read but where nothing could be checked: the report is still printed) */
  check?: (report: any, stdout: string) => void;
}

const TAR_BLOCK = 512;

/** A tar header for one regular file of `size` bytes (ustar, checksum filled in). */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/**
 * gzip members concatenated (valid gzip): one header member, then `mib` copies of 1 MiB of
 * `fill`. A few MB of file that expands to `mib` MiB.
 */
function bigEntryGz(name: string, mib: number, fill: number | Buffer): Buffer {
  const MiB = 1024 * 1024;
  const chunk = gzipSync(typeof fill === 'number' ? Buffer.alloc(MiB, fill) : Buffer.alloc(MiB, fill), { level: 9 });
  const parts = [gzipSync(tarHeader(name, mib * MiB))];
  for (let i = 0; i < mib; i++) parts.push(chunk);
  parts.push(gzipSync(Buffer.alloc(TAR_BLOCK * 2)));
  return Buffer.concat(parts);
}

/** `n` printable bytes, no newline, the same every run (a linear congruential sequence over a-z, A-Z, 0-9, space) */
function lineText(n: number): Buffer {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';
  const out = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out[i] = alphabet.charCodeAt(x % alphabet.length);
  }
  return out;
}

export async function makeHostileCorpus(dir: string): Promise<HostileCase[]> {
  const cases: HostileCase[] = [];
  const put = (file: string, data: Buffer | string) => {
    const path = join(dir, file);
    writeFileSync(path, data);
    return path;
  };
  const sysctl = 'net.ipv4.ip_forward = 1\nnet.core.somaxconn = 4096\nnet.ipv4.tcp_syncookies = 1\n';

  const good = await makeTarGz([{ name: 'h/sysctl.txt', content: sysctl + 'x'.repeat(200_000) + '\n' }]);
  cases.push({ name: 'truncated gzip', file: put('truncated.tgz', good.subarray(0, good.length >> 1)), exit: 2, error: /truncated archive/ });

  const noise = Buffer.alloc(1 << 16);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  cases.push({ name: 'random bytes', file: put('random.bin', noise), exit: 2, error: /not a bundle/ });
  cases.push({ name: 'random bytes named .tgz', file: put('random.tgz', noise), exit: 2, error: /not a bundle/ });
  cases.push({ name: 'empty archive', file: put('empty.tgz', await makeTarGz([])), exit: 2, error: /contains no files/ });
  cases.push({ name: 'empty file', file: put('empty.bin', Buffer.alloc(0)), exit: 2, error: /the file is empty/ });
  cases.push({ name: 'a PDF instead of a bundle', file: put('doc.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), noise.subarray(0, 2048)])), exit: 2, error: /not a bundle/ });

  cases.push({
    name: 'entries named ../../x and /etc/x',
    file: put('climb.tgz', await makeTarGz([
      { name: '../../x', content: 'escaped' },
      { name: '/etc/hostname', content: 'absolute-host\n' },
      { name: 'h/sysctl.txt', content: sysctl },
    ])),
    exit: 0,
    check: (r) => {
      expect(r.bundles[0].coverage.notes.join('\n')).toMatch(/climbs out of the bundle; ignored/);
      expect(r.bundles[0].coverage.notes.join('\n')).toMatch(/absolute entry name "\/etc\/hostname" read as relative/);
    },
  });

  cases.push({
    name: 'symlinks that loop or leave the bundle',
    file: put('links.tgz', await makeTarGz([
      { name: 'h/sysctl.txt', content: sysctl },
      { name: 'h/etc/hostname', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'h/hostname', type: 'symlink', linkname: '../../../../etc/passwd' },
      { name: 'h/sos_commands/kernel/sysctl_-a', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'h/a', type: 'symlink', linkname: 'b' },
      { name: 'h/b', type: 'symlink', linkname: 'a' },
    ])),
    exit: 0,
    check: (r, stdout) => {
      // never followed onto the host: the host's passwd must not reach the report
      expect(stdout).not.toMatch(/root:x:0:0|\/bin\/(ba)?sh/);
      expect(r.bundles[0].coverage.notes.join('\n')).toMatch(/points outside the bundle; ignored/);
      expect(r.bundles[0].coverage.notes.join('\n')).toMatch(/loops; ignored/);
    },
  });

  cases.push({ name: 'decompression bomb (4 MB -> 4 GiB)', file: put('bomb.tgz', bigEntryGz('h/var/lib/zeros', 4096, 0)), exit: 2, error: /decompression bomb suspected/ });

  cases.push({
    name: 'a 1.5 GB log line without a newline',
    // printable text without a newline, not one byte repeated: 1.5 GiB of 'A' expands over 1000:1, a decompression bomb by
    // ratio (refused since R19); a 4 KiB pattern of letters repeated compresses like a long log, under 100:1
    file: put('longline.tgz', bigEntryGz('h/var/log/messages', 1536, lineText(4096))),
    exit: 0,
    check: (r) => {
      // the log is scanned with a capped line length, and coverage says a line was cut
      expect(r.bundles[0].coverage.nodes[0].logs).toEqual([expect.objectContaining({ file: 'h/var/log/messages', lines: 1, truncatedLines: 1, bytes: 1536 * 1024 * 1024 })]);
    },
  });

  const many = Array.from({ length: 100_000 }, (_, i) => ({ name: `h/many/${i}.txt`, content: `${i}\n` }));
  cases.push({
    name: '100,000 tiny entries',
    file: put('many.tgz', gzipSync(await makeTar([...many, { name: 'h/sysctl.txt', content: sysctl }]))),
    exit: 0,
    check: (r) => expect(r.bundles[0].coverage.filesSeen).toBe(100_001),
  });

  cases.push({
    name: 'binary and non-UTF-8 where text is expected',
    file: put('binary.tgz', await makeTarGz([
      { name: 'sosreport-h/sos_commands/kernel/sysctl_-a', content: Buffer.concat([Buffer.from('net.ipv4.ip_forward = 1\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0])]) },
      { name: 'sosreport-h/etc/sysctl.conf', content: Buffer.from('# caf\xe9 latin-1 comment\nnet.ipv4.ip_forward = 1\n', 'latin1') },
      { name: 'sosreport-h/hostname', content: 'h\n' },
    ])),
    exit: 0,
    check: (r) => {
      const problems = r.bundles[0].coverage.nodes[0].parseProblems;
      expect(problems).toContainEqual(expect.objectContaining({ file: 'sosreport-h/sos_commands/kernel/sysctl_-a', kind: 'error', message: expect.stringMatching(/binary data/) }));
      expect(r.bundles[0].coverage.nodes[0].artifacts.sysctlConfig).toEqual(['sosreport-h/etc/sysctl.conf']);
    },
  });

  cases.push({
    name: 'JSON that is not JSON',
    file: put('badjson.tgz', await makeTarGz([
      { name: 'bundle/version.yaml', content: 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n' },
      { name: 'bundle/host-collectors/system/sysctl.json', content: '{"net.ipv4.ip_forward": "1", oops' },
      { name: 'bundle/host-collectors/system/systemctl_services.json', content: '\u0000\u0001 not json' },
    ])),
    // both artifacts unreadable: read, but nothing checked (exit 2, one stderr line), the report printed with what went wrong
    exit: 2,
    error: /badjson\.tgz: nothing could be checked/,
    check: (r) => {
      const problems = r.bundles[0].coverage.nodes.flatMap((n: any) => n.parseProblems);
      expect(problems).toContainEqual(expect.objectContaining({ file: 'bundle/host-collectors/system/sysctl.json', kind: 'error', message: expect.stringMatching(/not valid JSON/) }));
    },
  });

  const truncatedInner = await makeTarGz([{ name: 'b/f', content: 'z'.repeat(100_000) + '\n' }]);
  cases.push({
    name: 'a zip with a truncated tar.gz inside',
    file: put('zip-trunc.zip', await makeZip({ 'ticket/bundle.tar.gz': truncatedInner.subarray(0, truncatedInner.length >> 1), 'ticket/h/sysctl.txt': sysctl })),
    exit: 0,
    check: (r) => expect(r.bundles[0].coverage.notes.join('\n')).toMatch(/bundle\.tar\.gz: nested archive unreadable \(truncated/),
  });

  return cases;
}
