/**
 * Installed-package lists: which version of a package the node has installed, read where the bundle
 * has no word from the program itself (docker info, iptables -V). Read into the `packages` artifact kind.
 *
 * The shapes, as the tools and collectors write them:
 * - rpm: `rpm -qa` (`iptables-nft-1.8.8-6.el9.x86_64`, NAME-VERSION-RELEASE.ARCH; no epoch); sos's rpm
 *   plugin (sos/report/plugins/rpm.py) runs `rpm --nodigest -qa --qf "%-59{NVRA} %{INSTALLTIME:date}\n" | sort -V`
 *   (linked as `installed-rpms` at the report's root) and `package-data` (NVRA, then tab-separated install
 *   time, vendor, build host, signature); insights' `rpm -qa --qf ...` is the same tab-separated shape in
 *   older clients and one JSON object a line (`{"name": ..., "epoch": ..., "version": ..., "release": ..., "arch": ...}`)
 *   in newer ones; `rpm -qa` with an `%{EPOCH}:` format (`bash-1:4.1.2-12.el7.x86_64`) keeps its epoch.
 * - dpkg: `dpkg -l` (sos's dpkg plugin: sos_commands/dpkg/dpkg_-l, linked as `installed-debs`): the
 *   `Desired=Unknown/Install/Remove/Purge/Hold` header, then `ii  name[:arch]  version  arch  description`
 *   (dpkg before 1.16.2: no architecture column); only packages whose current state is installed count
 *   (`rc`, removed with its configuration left, does not); `dpkg-query -W` (`name[:arch]\tversion`).
 * - apk: `apk info -v` (`busybox-1.36.1-r15`), `apk list --installed` (`busybox-1.36.1-r15 x86_64 {busybox} (GPL-2.0-only) [installed]`).
 * - snap: `snap list` / `snap list --all` (`Name  Version  Rev  Tracking  Publisher  Notes`); a revision
 *   marked `disabled` is not the one that runs.
 *
 * Every record keeps its file and line. Versions compare by the package manager's own rules
 * (compareVersions: rpm's rpmvercmp, dpkg's verrevcmp; apk's pre-release suffixes mapped onto dpkg's `~`).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export type PackageManager = 'rpm' | 'dpkg' | 'apk' | 'snap';

export interface PackageRecord {
  name: string;
  /** the full version: `[epoch:]version-release` (rpm), `[epoch:]upstream[-revision]` (dpkg), `version-rN` (apk), the snap's version */
  version: string;
  /** the upstream version alone: no epoch, no release / Debian revision / -rN (`24.0.7` of `5:24.0.7-1~ubuntu.22.04~jammy`) */
  upstream: string;
  arch?: string;
  /** the epoch where the listing shows one */
  epoch?: string;
  /** false where the listing names a package that is not installed (dpkg's `rc`, `un`; a disabled snap revision) */
  installed: boolean;
  /** dpkg's two status letters (`ii`, `rc`, `hi`), snap's notes */
  state?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface PackageList {
  file: string;
  manager: PackageManager;
  packages: PackageRecord[];
  warnings: ParseWarning[];
}

/** rpm's architectures (the suffix after the last dot of an NVRA). */
const RPM_ARCH = /^(x86_64|noarch|i[3-6]86|aarch64|armv\d\w*|ppc64le|ppc64|ppc|s390x|s390|riscv64|loongarch64|mips\w*|ia64|alpha\w*|sparc\w*|amd64|arm64|src|nosrc|\(none\))$/;

/** Splits `name-[epoch:]version-release[.arch]`; undefined where it is not one. */
export function splitNevra(nevra: string): { name: string; epoch?: string; version: string; release: string; arch?: string } | undefined {
  let rest = nevra.trim();
  let arch: string | undefined;
  const dot = rest.lastIndexOf('.');
  if (dot > 0 && RPM_ARCH.test(rest.slice(dot + 1))) {
    arch = rest.slice(dot + 1);
    rest = rest.slice(0, dot);
  }
  const r = rest.lastIndexOf('-');
  if (r <= 0) return undefined;
  const release = rest.slice(r + 1);
  rest = rest.slice(0, r);
  const v = rest.lastIndexOf('-');
  if (v <= 0) return undefined;
  let version = rest.slice(v + 1);
  const name = rest.slice(0, v);
  let epoch: string | undefined;
  // `%{EPOCH}:` in a query format: a number, or `(none)` for a package without one
  const e = /^(\d+|\(none\)):(.+)$/.exec(version);
  if (e) {
    if (e[1] !== '(none)') epoch = e[1];
    version = e[2];
  }
  // a version starts with a digit in every package anyone asks about; a name part that does is kept with the name by lastIndexOf
  if (!name || !version || !release || /\s/.test(nevra.trim()) || !/^[A-Za-z0-9_+.:~^-]+$/.test(version + release)) return undefined;
  return { name, epoch, version, release, arch };
}

function rpmRecord(
  fields: { name: string; epoch?: string; version: string; release: string; arch?: string },
  ref: SourceRef,
  text: string,
): PackageRecord {
  const epoch = fields.epoch && fields.epoch !== '(none)' ? fields.epoch : undefined;
  return {
    name: fields.name,
    version: `${epoch ? `${epoch}:` : ''}${fields.version}-${fields.release}`,
    upstream: fields.version,
    ...(fields.arch && fields.arch !== '(none)' ? { arch: fields.arch } : {}),
    ...(epoch ? { epoch } : {}),
    installed: true,
    ref,
    excerpt: capped(text),
  };
}

/** Longer lines are no package line of any listing (and are not worth a regular expression's time). */
const MAX_LINE = 4096;

/**
 * `rpm -qa` in its shapes: bare NVRAs, sos's installed-rpms and package-data, insights' tab-separated
 * and JSON-lines formats. `error:` lines (a damaged rpmdb) become warnings; gpg-pubkey entries are skipped.
 */
export function parseRpmQa(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const warnings: ParseWarning[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i].trim();
    if (l === '') continue;
    const ref = { file, line: i + 1 };
    if (/^(error|warning):/i.test(l)) {
      warnings.push({ file, line: i + 1, message: `rpm: ${l}` });
      continue;
    }
    if (l.startsWith('{')) {
      let o: Record<string, unknown> | undefined;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch {
        warnings.push({ file, line: i + 1, message: 'not a JSON object of rpm -qa --qf' });
        continue;
      }
      const s = (k: string) => (typeof o?.[k] === 'string' ? (o[k] as string) : undefined);
      const name = s('name');
      const version = s('version');
      const release = s('release');
      if (!name || !version || release === undefined) continue;
      if (name === 'gpg-pubkey') continue;
      packages.push(rpmRecord({ name, epoch: s('epoch'), version, release, arch: s('arch') }, ref, ls[i]));
      continue;
    }
    // an NVRA first: alone, padded before sos's install date, or before tabs
    if (l.length > MAX_LINE) continue;
    const f = splitNevra(l.split(/\s/, 1)[0]);
    if (!f) continue;
    if (f.name === 'gpg-pubkey') continue;
    packages.push(rpmRecord(f, ref, ls[i]));
  }
  if (packages.length === 0) throw new SkipFile(file, 'no rpm package line');
  return { file, manager: 'rpm', packages, warnings };
}

/** A bare NVRA with a known architecture, or one before sos's padded install date / tabs. */
function looksRpm(l: string): boolean {
  const first = l.trim().split(/\s/, 1)[0];
  const f = splitNevra(first);
  return !!f && !!f.arch && /^\d/.test(f.version);
}

export function sniffRpmQa(head: string): boolean {
  const ls = head.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  // the last line of a 4 KiB head may be cut
  const body = ls.slice(0, Math.min(ls.length - (head.length >= 4000 ? 1 : 0), 20)).filter((l) => !/^(error|warning):/.test(l));
  if (body.length < 2) return false;
  if (body.every((l) => /^\{\s*"name"\s*:/.test(l) && /"release"\s*:/.test(l))) return true;
  return body.every(looksRpm);
}

/** `dpkg -l`: the header, then one line a package. */
export function parseDpkgL(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const warnings: ParseWarning[] = [];
  const ls = lines(text);
  let hasArch: boolean | undefined;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (l.length > MAX_LINE) continue;
    if (/^\|\|\/\s+Name\s+Version\s+/.test(l)) {
      hasArch = /\bArchitecture\b/.test(l);
      continue;
    }
    // status letters: desired (u i h r p), current (n i c u f h w t), error (space or R)
    const m = /^([uihrp])([ncufhwti])([ R]?)\s+(\S+)\s+(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(l);
    if (!m) continue;
    const [, desired, current, err] = m;
    let name = m[4];
    const version = m[5];
    // the architecture column (dpkg 1.16.2 and later); a grepped listing without its header: a word that is one
    let arch = hasArch === false || (hasArch === undefined && !DEB_ARCH.test(m[6] ?? '')) ? undefined : m[6];
    const q = /^([^:]+):([\w-]+)$/.exec(name);
    if (q) {
      name = q[1];
      arch ??= q[2];
    }
    if (version === '<none>' || version === '<none>'.toUpperCase()) continue;
    const installed = current === 'i' || current === 'w' || current === 't';
    packages.push({
      name,
      version,
      upstream: debianUpstream(version),
      ...(arch ? { arch } : {}),
      ...(epochOf(version) ? { epoch: epochOf(version) } : {}),
      installed,
      state: `${desired}${current}${err === 'R' ? 'R' : ''}`,
      ref: { file, line: i + 1 },
      excerpt: capped(l),
    });
  }
  if (packages.length === 0) throw new SkipFile(file, 'no dpkg -l package line');
  return { file, manager: 'dpkg', packages, warnings };
}

const DEB_ARCH = /^(all|amd64|arm64|armhf|armel|i386|ppc64el|ppc64|s390x|riscv64|mips64el|mipsel|loong64)$/;

export function sniffDpkgL(head: string): boolean {
  return /^Desired=Unknown\/Install\/Remove\/Purge\/Hold/m.test(head) || /^\|\|\/ Name\s+Version\s/m.test(head);
}

/**
 * `dpkg-query -W` (default format `${binary:Package}\t${Version}`); a known but absent package has an empty
 * version. A package removed with its configuration left (`rc` in dpkg -l) keeps its version here: this
 * listing cannot tell it from an installed one (installedPackage lets a dpkg -l of the node decide).
 */
export function parseDpkgQueryW(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const m = ls[i].length > MAX_LINE ? null : DPKG_QUERY_LINE.exec(ls[i]);
    if (!m || !m[3]) continue;
    packages.push({
      name: m[1],
      version: m[3],
      upstream: debianUpstream(m[3]),
      ...(m[2] ? { arch: m[2] } : {}),
      ...(epochOf(m[3]) ? { epoch: epochOf(m[3]) } : {}),
      installed: true,
      ref: { file, line: i + 1 },
      excerpt: capped(ls[i]),
    });
  }
  if (packages.length === 0) throw new SkipFile(file, 'no dpkg-query -W line');
  return { file, manager: 'dpkg', packages, warnings: [] };
}

const DPKG_QUERY_LINE = /^([a-z0-9][a-z0-9+.-]+)(?::([a-z0-9_-]+))?\t(\S*)\s*$/;

export function sniffDpkgQueryW(head: string): boolean {
  const ls = head.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  const body = ls.slice(0, Math.min(ls.length - (head.length >= 4000 ? 1 : 0), 20));
  return body.length >= 3 && body.every((l) => DPKG_QUERY_LINE.test(l)) && body.some((l) => /\t\d/.test(l) || /\t\d+:/.test(l));
}

/**
 * `dpkg -s <package>...` / `dpkg-query -s` (`apt-cache policy` is not this): one stanza a package,
 * `Package:`, `Status: install ok installed`, `Architecture:`, `Version:`; stanzas split by blank lines.
 * A paste cut to its `Version:` line (`dpkg -s iptables | grep ^Version`, kubernetes#82361) names no package:
 * the file's own name does where it is `dpkg-s-<package>` / `dpkg_-s_<package>` (as a hand-made bundle names it).
 */
export function parseDpkgS(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const ls = lines(text);
  let cur: { name?: string; status?: string; arch?: string; version?: string; line?: number; excerpt?: string } = {};
  const flush = () => {
    const name = cur.name ?? (packages.length === 0 ? DPKG_S_FILE.exec(file.split('/').pop() ?? '')?.[1] : undefined);
    if (name && cur.version && cur.line) {
      // `install ok installed`; `deinstall ok config-files` is dpkg -l's rc
      const installed = cur.status === undefined || /\binstalled$/.test(cur.status.trim()) || /\s(?:triggers-awaited|triggers-pending)$/.test(cur.status.trim());
      packages.push({
        name,
        version: cur.version,
        upstream: debianUpstream(cur.version),
        ...(cur.arch ? { arch: cur.arch } : {}),
        ...(epochOf(cur.version) ? { epoch: epochOf(cur.version) } : {}),
        installed,
        ...(cur.status ? { state: cur.status.trim() } : {}),
        ref: { file, line: cur.line },
        excerpt: cur.excerpt!,
      });
    }
    cur = {};
  };
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (l.trim() === '') {
      flush();
      continue;
    }
    if (l.length > MAX_LINE) continue;
    const m = /^(Package|Status|Architecture|Version):\s*(\S.*?)\s*$/.exec(l);
    if (!m) continue;
    if (m[1] === 'Package') {
      if (cur.name || cur.version) flush();
      cur.name = m[2];
    } else if (m[1] === 'Status') cur.status = m[2];
    else if (m[1] === 'Architecture') cur.arch = m[2];
    else if (/^(?:\d+:)?\d[\w.+~:-]*$/.test(m[2])) {
      cur.version = m[2];
      cur.line = i + 1;
      cur.excerpt = capped(l);
    }
  }
  flush();
  if (packages.length === 0) throw new SkipFile(file, 'no dpkg -s package stanza');
  return { file, manager: 'dpkg', packages, warnings: [] };
}

const DPKG_S_FILE = /^dpkg[-_ ]{1,3}-?s[-_ ]{1,3}([a-z0-9][a-z0-9+.-]{1,60}?)(?:\.txt|\.out)?$/;

export function sniffDpkgS(head: string): boolean {
  return /^Package: [a-z0-9][a-z0-9+.-]+$/m.test(head) && /^Status: \w+ \w+ [\w-]+$/m.test(head) && /^Version: /m.test(head);
}

/** apk: `name-version-rN` (`apk info -v`), the same first in `apk list --installed`. */
const APK_LINE = /^([A-Za-z0-9][\w+.-]*?)-(\d[\w.+~]*-r\d+)(?:\s+(\S+)\s+\{[^}]*\}\s+\([^)]*\)\s+\[([^\]]*)\])?\s*$/;

export function parseApk(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const m = ls[i].length > MAX_LINE ? null : APK_LINE.exec(ls[i].trim());
    if (!m) continue;
    const status = m[4];
    packages.push({
      name: m[1],
      version: m[2],
      upstream: m[2].replace(/-r\d+$/, ''),
      ...(m[3] ? { arch: m[3] } : {}),
      // `apk list` without --installed lists what is available too: only `[installed]` ones are
      installed: status === undefined || /\binstalled\b/.test(status),
      ...(status ? { state: status } : {}),
      ref: { file, line: i + 1 },
      excerpt: capped(ls[i]),
    });
  }
  if (packages.length === 0) throw new SkipFile(file, 'no apk package line');
  return { file, manager: 'apk', packages, warnings: [] };
}

export function sniffApk(head: string): boolean {
  const ls = head.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '' && !/^WARNING:/.test(l));
  const body = ls.slice(0, Math.min(ls.length - (head.length >= 4000 ? 1 : 0), 20));
  return body.length >= 3 && body.every((l) => APK_LINE.test(l));
}

/** `snap list [--all]`: a table under its header; columns found by the header's positions are not needed (no column has spaces). */
export function parseSnapList(text: string, file: string): PackageList {
  const packages: PackageRecord[] = [];
  const ls = lines(text);
  let header = false;
  let notesAt = -1;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i];
    if (l.length > MAX_LINE) continue;
    const h = /^Name\s+Version\s+Rev\s+/.exec(l);
    if (h) {
      header = true;
      const cols = l.trim().split(/\s+/);
      notesAt = cols.indexOf('Notes');
      continue;
    }
    if (!header || l.trim() === '') continue;
    const cols = l.trim().split(/\s+/);
    if (cols.length < 3 || !/^[a-z0-9][a-z0-9-]*(_[a-z0-9]+)?$/.test(cols[0]) || !/^(\d+|x\d+)$/.test(cols[2])) continue;
    const notes = notesAt >= 0 && cols.length > notesAt ? cols[cols.length - 1] : undefined;
    const version = cols[1];
    packages.push({
      name: cols[0],
      version,
      upstream: version.replace(/^v(?=\d)/, ''),
      installed: !/\bdisabled\b/.test(notes ?? ''),
      ...(notes && notes !== '-' ? { state: notes } : {}),
      ref: { file, line: i + 1 },
      excerpt: capped(l),
    });
  }
  if (packages.length === 0) throw new SkipFile(file, 'no snap list line');
  return { file, manager: 'snap', packages, warnings: [] };
}

export function sniffSnapList(head: string): boolean {
  return /^Name\s+Version\s+Rev\s+(Tracking|Developer)\s+(Publisher\s+)?Notes\s*$/m.test(head.split('\n').slice(0, 3).join('\n'));
}

/** Any of the shapes above, told apart by content: for a hand-made `packages.txt`. */
export function parsePackageListAny(text: string, file: string): PackageList {
  const head = text.slice(0, 4096);
  if (sniffDpkgL(head)) return parseDpkgL(text, file);
  if (sniffSnapList(head)) return parseSnapList(text, file);
  if (sniffDpkgQueryW(head)) return parseDpkgQueryW(text, file);
  if (sniffDpkgS(head)) return parseDpkgS(text, file);
  if (sniffRpmQa(head)) return parseRpmQa(text, file);
  if (sniffApk(head)) return parseApk(text, file);
  throw new SkipFile(file, 'not a package list this reader knows');
}

function epochOf(version: string): string | undefined {
  return /^(\d+):/.exec(version)?.[1];
}

/** Debian's upstream_version: without the epoch, without the revision after the last hyphen. */
export function debianUpstream(version: string): string {
  const noEpoch = version.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash > 0 ? noEpoch.slice(0, dash) : noEpoch;
}

// ---------------------------------------------------------------------------------------------
// Version ordering

/**
 * rpm's rpmvercmp (rpm 4.x, lib/rpmvercmp.c): alternating runs of digits and letters compared in turn,
 * digits numerically (leading zeros ignored) and newer than letters; other characters only separate;
 * `~` sorts before anything (even the end), `^` after the end but before anything else.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
  for (;;) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    // tilde: older than everything, the end included
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // caret: newer than the end, older than anything else
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const digit = /[0-9]/.test(a[i]);
    const run = (s: string, k: number) => {
      let e = k;
      while (e < s.length && (digit ? /[0-9]/.test(s[e]) : /[A-Za-z]/.test(s[e]))) e++;
      return e;
    };
    const ei = run(a, i);
    const ej = run(b, j);
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    // a run of the other kind on one side: numbers are newer
    if (sb === '') return digit ? 1 : -1;
    if (digit) {
      const na = sa.replace(/^0+/, '');
      const nb = sb.replace(/^0+/, '');
      if (na.length !== nb.length) return na.length > nb.length ? 1 : -1;
      if (na !== nb) return na > nb ? 1 : -1;
    } else if (sa !== sb) return sa > sb ? 1 : -1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  // the one with something left is newer
  return i >= a.length ? -1 : 1;
}

/** rpm's EVR ordering: epoch (absent = 0), then version, then release (where both have one). */
export function compareRpmEvr(a: string, b: string): number {
  const p = (s: string) => {
    const e = /^(\d+):(.*)$/.exec(s);
    const rest = e ? e[2] : s;
    const dash = rest.lastIndexOf('-');
    return { epoch: e ? Number(e[1]) : 0, version: dash > 0 ? rest.slice(0, dash) : rest, release: dash > 0 ? rest.slice(dash + 1) : undefined };
  };
  const x = p(a);
  const y = p(b);
  if (x.epoch !== y.epoch) return x.epoch > y.epoch ? 1 : -1;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0 || x.release === undefined || y.release === undefined) return v;
  return rpmvercmp(x.release, y.release);
}

/** dpkg's verrevcmp (lib/dpkg/version.c): letters before non-letters, `~` before everything, digit runs numerically. */
export function dpkgVerrevcmp(a: string, b: string): number {
  const order = (c: string | undefined): number => {
    if (c === undefined) return 0;
    if (/[0-9]/.test(c)) return 0;
    if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
    if (c === '~') return -1;
    return c.charCodeAt(0) + 256;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/[0-9]/.test(a[i])) || (j < b.length && !/[0-9]/.test(b[j]))) {
      const ac = order(i < a.length ? a[i] : undefined);
      const bc = order(j < b.length ? b[j] : undefined);
      if (ac !== bc) return ac > bc ? 1 : -1;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /[0-9]/.test(a[i]) && j < b.length && /[0-9]/.test(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /[0-9]/.test(a[i])) return 1;
    if (j < b.length && /[0-9]/.test(b[j])) return -1;
    if (firstDiff) return firstDiff > 0 ? 1 : -1;
  }
  return 0;
}

/** dpkg's full ordering: epoch, upstream version, Debian revision. */
export function compareDebianVersions(a: string, b: string): number {
  const p = (s: string) => {
    const e = /^(\d+):(.*)$/.exec(s);
    const rest = e ? e[2] : s;
    const dash = rest.lastIndexOf('-');
    return { epoch: e ? Number(e[1]) : 0, upstream: dash > 0 ? rest.slice(0, dash) : rest, revision: dash > 0 ? rest.slice(dash + 1) : '' };
  };
  const x = p(a);
  const y = p(b);
  if (x.epoch !== y.epoch) return x.epoch > y.epoch ? 1 : -1;
  return dpkgVerrevcmp(x.upstream, y.upstream) || dpkgVerrevcmp(x.revision, y.revision);
}

/**
 * apk's pre-release suffixes (`_alpha`, `_beta`, `_pre`, `_rc`) sort before the release, its `_p`
 * (patch) and VCS suffixes after: mapped onto dpkg's `~` and `+`, then dpkg's ordering; `-rN` last.
 */
function apkAsDebian(v: string): string {
  return v.replace(/_(alpha|beta|pre|rc)/g, '~$1').replace(/_(cvs|svn|git|hg|p)/g, '+$1').replace(/-r(\d+)$/, '-$1');
}

/** Orders two full versions of one package manager: negative, 0, positive. */
export function compareVersions(manager: PackageManager, a: string, b: string): number {
  switch (manager) {
    case 'rpm':
      return compareRpmEvr(a, b);
    case 'dpkg':
      return compareDebianVersions(a, b);
    case 'apk':
      return compareDebianVersions(apkAsDebian(a), apkAsDebian(b));
    case 'snap':
      // a snap's version is whatever its publisher wrote: compared as dpkg would, without a leading `v`
      return dpkgVerrevcmp(a.replace(/^v(?=\d)/, ''), b.replace(/^v(?=\d)/, ''));
  }
}

/**
 * Is the upstream version at least `min` (`1.8`, `28.3.3`)? By the package manager's own rules on the
 * upstream part alone, the leading numbers of both padded with `.0` to the same length first, so `1.8`
 * is at least `1.8.0` and `1.8.0~rc1` (a pre-release of 1.8.0) is not at least `1.8`.
 */
export function upstreamAtLeast(manager: PackageManager, upstream: string, min: string): boolean {
  const split = (s: string) => {
    const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(s.replace(/^v(?=\d)/, ''));
    return m ? { nums: m[1].split('.'), rest: m[2] } : { nums: [] as string[], rest: s };
  };
  const u = split(upstream);
  const t = split(min);
  const n = Math.max(u.nums.length, t.nums.length);
  const pad = (x: { nums: string[]; rest: string }) => (x.nums.length ? [...x.nums, ...Array(n - x.nums.length).fill('0')].join('.') : '') + x.rest;
  const a = pad(u);
  const b = pad(t);
  const cmp = manager === 'rpm' ? rpmvercmp(a, b) : manager === 'apk' ? dpkgVerrevcmp(apkAsDebian(a), apkAsDebian(b)) : dpkgVerrevcmp(a, b);
  return cmp >= 0;
}
