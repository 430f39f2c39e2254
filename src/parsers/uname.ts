/**
 * `uname -a` and `uname -r`: the running kernel's release, with the host name and machine `-a` adds.
 * `uname -a` prints kernel name, node name, kernel release, kernel version (`#1 SMP <build date>`),
 * machine, and on GNU also processor, hardware platform and operating system (k3s-io/k3s#4683,
 * RockyLinux 8.5):
 *
 *     Linux me-k3sv6 4.18.0-348.2.1.el8_5.x86_64 #1 SMP Mon Nov 15 20:49:28 UTC 2021 x86_64 x86_64 x86_64 GNU/Linux
 *
 * busybox prints fewer words (`Linux host 5.15.0 #1 SMP ... x86_64 GNU/Linux`, no processor / platform).
 * `uname -r` prints the release alone (`5.15.0-91-generic`). A pasted prompt line above is skipped.
 * sos keeps it as sos_commands/kernel/uname_-a, insights as insights_commands/uname_-a.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import { isCommandOutputAlone, typedCommand } from './command-output.js';

export interface KernelRelease {
  file: string;
  /** as printed: 4.18.0-348.2.1.el8_5.x86_64 */
  release: string;
  major: number;
  minor: number;
  /** 0 where the release has two numbers only (`6.8-rc1`) */
  patch: number;
  /** `uname -a`: the node name */
  nodename?: string;
  /** `uname -a`: `#1 SMP Mon Nov 15 20:49:28 UTC 2021` */
  version?: string;
  /** `uname -a`: x86_64, aarch64 */
  machine?: string;
  /** `uname -a` on GNU: GNU/Linux */
  os?: string;
  ref: SourceRef;
  excerpt: string;
}

const RELEASE = /^(\d+)\.(\d+)(?:\.(\d+))?[-+.~_0-9A-Za-z]*$/;
/** Linux <node> <release> #<build> ... <machine> [<processor> <platform>] [<os>] */
const UNAME_A = /^Linux\s+(\S+)\s+(\d+\.\d+\S*)\s+(#.*?)\s+(x86_64|i[3-6]86|aarch64|arm64|armv\d\w*|ppc64le|ppc64|s390x|riscv64|mips\w*|loongarch64)(?:\s+\S+){0,2}?(?:\s+(GNU\/Linux|Linux))?\s*$/;
const PROMPT = typedCommand(String.raw`uname\s+-[a-zA-Z]+`);

/** The kernel release of the file's `uname -a` line, or of its `uname -r` line. */
export function parseUname(text: string, file: string): KernelRelease {
  const ls = lines(text);
  for (let i = 0; i < ls.length && i < 200; i++) {
    const l = ls[i].trim();
    const a = UNAME_A.exec(l);
    if (a) {
      const r = RELEASE.exec(a[2]);
      if (!r) continue;
      return {
        file,
        release: a[2],
        major: Number(r[1]),
        minor: Number(r[2]),
        patch: Number(r[3] ?? 0),
        nodename: a[1],
        version: a[3],
        machine: a[4],
        ...(a[5] ? { os: a[5] } : {}),
        ref: { file, line: i + 1 },
        excerpt: capped(l),
      };
    }
  }
  // uname -r: the only line (after a pasted command line) is a release
  const rest = ls.map((l, i) => ({ l: l.trim(), i })).filter((x) => x.l !== '' && !PROMPT.test(x.l));
  if (rest.length === 1) {
    const r = RELEASE.exec(rest[0].l);
    if (r) return { file, release: rest[0].l, major: Number(r[1]), minor: Number(r[2]), patch: Number(r[3] ?? 0), ref: { file, line: rest[0].i + 1 }, excerpt: capped(rest[0].l) };
  }
  throw new SkipFile(file, 'no uname -a or uname -r output');
}

/**
 * `uname -a` output by content (its first non-blank line, a prompt line allowed above it). `uname -r`
 * alone is one number-like line that many files could be: it is read only where a path names it.
 */
export function sniffUname(head: string): boolean {
  return isCommandOutputAlone(head, PROMPT, [{ re: UNAME_A }]);
}

/** a compared to b by major, minor, patch (negative: older). */
export function compareKernel(a: Pick<KernelRelease, 'major' | 'minor' | 'patch'>, b: Pick<KernelRelease, 'major' | 'minor' | 'patch'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
