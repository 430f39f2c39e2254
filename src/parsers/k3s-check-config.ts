/**
 * `k3s check-config` (k3s' contrib/util/check-config.sh, run by the k3s binary): what it says of the host's
 * iptables, read as the host's iptables version (the `iptablesVersion` artifact kind, as `iptables -V`), and
 * of the kernel's configuration.
 *
 * Its "System:" section prints the iptables k3s uses, the host's where there is one, else k3s' own under
 * `.../bin/aux` (check-config.sh which_iptables; k3s#7091), as `- <dir> <iptables --version>: <verdict>`:
 *
 *     System:
 *     - /sbin iptables v1.6.1: older than v1.8                                 (k3s-io/k3s#6047, Ubuntu 18.04)
 *     - /var/lib/rancher/k3s/data/<hash>/bin/aux iptables v1.8.8 (nf_tables): ok          (k3s-io/k3s#4066)
 *     - /usr/sbin iptables v1.8.2 (nf_tables): should be older than v1.8.0, newer than v1.8.3, or in legacy mode (fail)
 *     - /usr/sbin/iptables: unknown version: ...                               (no version read: nothing kept)
 *
 * and its "Generally Necessary:" / "Optional Features:" sections one line per kernel option:
 * `- CONFIG_IP_NF_TARGET_MASQUERADE: enabled (as module)`, `- CONFIG_X: enabled`, `- CONFIG_X: missing` (a
 * required one `missing (fail)`). Colours (ANSI escapes, unless NO_COLOR=1) are removed before reading.
 * A paste's command line (`root@ip-172-31-7-31:~# k3s check-config`) may stand above it.
 */
import { SkipFile, excerpt as capped, type SourceRef } from '../model/source.js';
import type { IptablesVersion } from '../netfilter/iptables-version.js';
import type { Backend } from '../netfilter/rules.js';

/** A kernel option check-config checked. */
export interface K3sKernelOption {
  file: string;
  /** `CONFIG_IP_NF_TARGET_REJECT` */
  option: string;
  state: 'builtin' | 'module' | 'missing';
  /** listed under "Generally Necessary:" (k3s fails the check without it) rather than "Optional Features:" */
  required: boolean;
  ref: SourceRef;
  excerpt: string;
}

export interface K3sCheckConfig {
  /** the iptables k3s uses, as `iptables -V` records (tool `iptables`) */
  iptables: IptablesVersion[];
  /** check-config's verdict on that iptables: `older than v1.8`, `ok`, `should be older than v1.8.0, ... (fail)` */
  iptablesVerdict?: { text: string; failed: boolean; ref: SourceRef };
  /** where that iptables is: `/sbin`, or k3s' own `.../bin/aux` (no iptables on the host) */
  iptablesDir?: string;
  kernel: K3sKernelOption[];
}

const ANSI = /\u001b\[[0-9;]*m/g;
/** `- /sbin iptables v1.6.1: older than v1.8`, `- /usr/sbin iptables v1.8.7 (nf_tables): ok` */
const IPTABLES_LINE = /^- (\/\S*) (ip6?tables(?:-legacy|-nft)?) v(\d+\.\d+(?:\.\d+)?)(?:\s*\((legacy|nf_tables)\))?: (.+)$/;
const KERNEL_LINE = /^- (CONFIG_[A-Z0-9_]+): (enabled \(as module\)|enabled|missing)(?: \(fail\))?\s*$/;
const MARKERS = [/^Verifying binaries in \S+:$/, /^(?:\S*[$#]\s*)?(?:sudo\s+)?(?:\S*\/)?k3s check-config\b/, /^Generally Necessary:$/];

const clean = (l: string) => l.replace(ANSI, '').replace(/\r$/, '').trimEnd();

/** Everything check-config says that a diagnosis can use: the iptables line and the kernel options. */
export function readK3sCheckConfig(text: string, file: string): K3sCheckConfig {
  const ls = text.split('\n');
  const out: K3sCheckConfig = { iptables: [], kernel: [] };
  let section = '';
  for (let i = 0; i < ls.length && i < 5000; i++) {
    const l = clean(ls[i]).trim();
    if (/^[A-Z][A-Za-z ]+:$/.test(l)) section = l.slice(0, -1);
    const ref = { file, line: i + 1 };
    const ipt = IPTABLES_LINE.exec(l);
    if (ipt && out.iptables.length === 0) {
      const [, dir, tool, version, mode, verdict] = ipt;
      const minor = Number(version.split('.')[1]);
      // as parseIptablesVersion reads `iptables -V`: before 1.8 there is only the legacy back end
      const backend: Backend = mode === 'nf_tables' || /-nft$/.test(tool) ? 'nf_tables' : mode === 'legacy' || /-legacy$/.test(tool) ? 'legacy' : version.startsWith('1.') && minor < 8 ? 'legacy' : 'unknown';
      out.iptables.push({ file, tool, version, backend, ref, excerpt: capped(l) });
      out.iptablesVerdict = { text: verdict, failed: /\(fail\)\s*$/.test(verdict), ref };
      out.iptablesDir = dir;
      continue;
    }
    const k = KERNEL_LINE.exec(l);
    if (k) out.kernel.push({ file, option: k[1], state: k[2] === 'enabled' ? 'builtin' : k[2] === 'missing' ? 'missing' : 'module', required: section === 'Generally Necessary', ref, excerpt: capped(l) });
  }
  return out;
}

/** check-config's iptables line as the host's iptables version (the `iptablesVersion` kind). */
export function parseK3sCheckConfig(text: string, file: string): IptablesVersion[] {
  const r = readK3sCheckConfig(text, file);
  if (r.iptables.length === 0) throw new SkipFile(file, 'k3s check-config without an iptables version line ("- <dir> iptables vX.Y.Z: ...")');
  return r.iptables;
}

/** check-config's output: one of its headings (or its command line) and its iptables line in the first lines. */
export function sniffK3sCheckConfig(head: string): boolean {
  const ls = head.split('\n').slice(0, 60).map((l) => clean(l).trim());
  return ls.some((l) => MARKERS.some((m) => m.test(l))) && ls.some((l) => IPTABLES_LINE.test(l));
}

/** Whether an iptables version record was read from `k3s check-config` (so the node runs k3s). */
export function fromK3sCheckConfig(v: Pick<IptablesVersion, 'excerpt'>): boolean {
  // the record's excerpt is the line, capped: its start is enough
  return /^- \/\S* ip6?tables(?:-legacy|-nft)? v\d+\.\d+/.test(v.excerpt);
}
