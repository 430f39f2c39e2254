/**
 * `systemctl --version` (also `systemd --version`, `/usr/lib/systemd/systemd --version`): the systemd
 * release a node runs. It prints the release, the distribution's package version in parentheses where
 * the build has one, and the compile-time feature line (cilium/cilium#10645, Arch Linux):
 *
 *     systemd 245 (245.6-8-arch)
 *     +PAM +AUDIT -SELINUX -IMA -APPARMOR +SMACK -SYSVINIT +UTMP ... +PCRE2 default-hierarchy=hybrid
 *
 * Older releases print the release alone (`systemd 219` on CentOS 7). A pasted command line above it
 * (`$ systemctl --version`, `root@node:~# systemctl --version`) is skipped. Read into the `systemdVersion`
 * artifact kind. The release decides, for one, whether systemd's own /usr/lib/sysctl.d/50-default.conf
 * sets rp_filter on every interface by a glob (245 and later; sysctl-rp-filter-drops-pod-traffic.ts).
 *
 * Where the bundle has no `systemctl --version`, the installed `systemd` package of the node's package
 * lists (packages.ts: rpm -qa, dpkg -l, apk) tells the release too: systemdRelease reads either.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import type { PackageList, PackageRecord } from './packages.js';
import { isCommandOutputAlone, typedCommand } from './command-output.js';

export interface SystemdVersion {
  file: string;
  /** the release: 245 of `systemd 245 (245.6-8-arch)` */
  release: number;
  /** what stands in parentheses: the package's version (`245.6-8-arch`, `249.11-0ubuntu3.12`, `252.17-1~deb12u1`) */
  packageVersion?: string;
  /** the feature line's words, as printed (`+PAM`, `-SELINUX`, `default-hierarchy=hybrid`) */
  features?: string[];
  ref: SourceRef;
  excerpt: string;
}

/** `systemd 245 (245.6-8-arch)`, `systemd 219`, `systemd 256 (256.5-2ubuntu3.1)`; `systemd 258~rc2 (...)` for a pre-release */
const VERSION_LINE = /^systemd (\d{2,4})(?:[~.][0-9A-Za-z.~_-]*)?(?:\s+\(([^()\s]+)\))?\s*$/;
/** the compile-time options: +PAM +AUDIT -SELINUX ... default-hierarchy=unified (one line; words of +X / -X and key=value) */
const FEATURE_LINE = /^[+-][A-Z][A-Z0-9_]*(?:\s+(?:[+-][A-Z][A-Z0-9_]*|[a-z-]+=[A-Za-z0-9_.-]+))*\s*$/;
/** a pasted command line: `$ systemctl --version`, `[root@node ~]# systemd --version`, `sudo /usr/lib/systemd/systemd --version` */
const COMMAND = typedCommand(String.raw`(?:systemctl|systemd)\s+--version`);

/** Every `systemd NNN` line of the file, each with the feature line after it. */
export function parseSystemdVersion(text: string, file: string): SystemdVersion[] {
  const out: SystemdVersion[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length && i < 1000; i++) {
    const l = ls[i].replace(/\r$/, '').trim();
    const m = VERSION_LINE.exec(l);
    if (!m) continue;
    const next = ls[i + 1]?.replace(/\r$/, '').trim() ?? '';
    const features = FEATURE_LINE.test(next) ? next.split(/\s+/) : undefined;
    out.push({
      file,
      release: Number(m[1]),
      ...(m[2] ? { packageVersion: m[2] } : {}),
      ...(features ? { features } : {}),
      ref: { file, line: i + 1 },
      excerpt: capped(l),
    });
  }
  if (out.length === 0) throw new SkipFile(file, 'no "systemd NNN" line');
  return out;
}

/** `systemctl --version`'s output alone: a command line may stand above it, the feature line after it, nothing else. */
export function sniffSystemdVersion(head: string): boolean {
  // without the feature line `systemd 245` alone is too thin to be sure of (a grep of a log)
  return isCommandOutputAlone(head, COMMAND, [{ re: VERSION_LINE }, { re: FEATURE_LINE }]);
}

/** The release a node runs, and where the bundle says so. */
export interface SystemdRelease {
  release: number;
  /** `systemctl --version` (what runs), or the installed package (what is installed: the same unless not rebooted since an upgrade) */
  from: 'systemctl' | 'package';
  ref: SourceRef;
  excerpt: string;
  /** how it reads in a message: `systemd 245 (245.6-8-arch)`, `the systemd package 239-45.el8` */
  label: string;
}

/** The first release number of a package's upstream version: 245 of `245.4`, 239 of `239`; undefined where it is not one. */
export function releaseOfPackage(p: Pick<PackageRecord, 'upstream'>): number | undefined {
  const m = /^(\d{2,4})(?:$|[.~+_-])/.exec(p.upstream);
  return m ? Number(m[1]) : undefined;
}

/**
 * systemd's release on a node: `systemctl --version` first (it is what runs), else the installed
 * `systemd` package of the node's package lists (rpm's and dpkg's `systemd`, apk's `systemd`).
 * Undefined where the bundle says neither.
 */
export function systemdRelease(versions: readonly (readonly SystemdVersion[])[] | undefined, packages: readonly PackageList[] | undefined): SystemdRelease | undefined {
  const v = versions?.flat()[0];
  if (v) return { release: v.release, from: 'systemctl', ref: v.ref, excerpt: v.excerpt, label: v.packageVersion ? `systemd ${v.release} (${v.packageVersion})` : `systemd ${v.release}` };
  for (const list of packages ?? [])
    for (const p of list.packages) {
      if (p.name !== 'systemd' || !p.installed) continue;
      const release = releaseOfPackage(p);
      if (release === undefined) continue;
      return { release, from: 'package', ref: p.ref, excerpt: p.excerpt, label: `the systemd package ${p.version}` };
    }
  return undefined;
}
