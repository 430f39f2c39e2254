/**
 * systemd .link files (systemd.link(5)): udev's net_setup_link applies, to every new network device,
 * the FIRST .link file whose [Match] section matches it, the files of /etc/systemd/network,
 * /run/systemd/network, /usr/local/lib/systemd/network and /usr/lib/systemd/network (/lib/...) sorted
 * together by file name; a file in /etc masks one of the same name in /run or /usr/lib (and /run one in
 * /usr/lib). Its [Link] MACAddressPolicy= (persistent | random | none) then rewrites the device's MAC.
 *
 * systemd >= 242 made `MACAddressPolicy=persistent` (99-default.link) cover virtual devices too (NEWS for
 * v242), which changes flannel.1's MAC after flannel published it as its VTEP MAC (flannel-io/flannel#1155).
 *
 * Kept: the [Match] keys (OriginalName, Type, Kind, Driver and the rest as written) and the [Link] keys,
 * each with its line.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';

export interface LinkSetting {
  key: string;
  value: string;
  ref: SourceRef;
  excerpt: string;
}

export interface SystemdLinkFile {
  file: string;
  /** the file's name (`99-default.link`): the sort key across directories */
  name: string;
  /** the directory it sits in, as systemd ranks them; undefined when the path does not say */
  dir?: SystemdDir;
  /** [Match] settings in order (a key may repeat: lists accumulate; an empty value resets the list) */
  match: LinkSetting[];
  /** [Link] settings in order */
  link: LinkSetting[];
  /** the file has no section at all (an empty file, or a /dev/null symlink copied as empty): it masks its name */
  empty: boolean;
  /** a drop-in (`<dir>/99-default.link.d/*.conf`, systemd >= 251): the .link file name it extends */
  dropInFor?: string;
}

const SECTION = /^\[([A-Za-z0-9]+)\]\s*$/;
const KEY = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$/;

/** Where systemd looks for .link and .network files (and their `<name>.d/*.conf` drop-ins), as it ranks them. */
export type SystemdDir = 'etc' | 'run' | 'usr-local-lib' | 'usr-lib';

/** One file of systemd's ini syntax read as its settings in order, each with its section and line. */
export interface SystemdSections {
  settings: { section: string | undefined; setting: LinkSetting }[];
  /** no section at all (an empty file, or a /dev/null symlink copied as empty): it masks its name */
  empty: boolean;
  sawKey: boolean;
  /** the file's name, the directory it sits in (undefined when the path does not say), the file a drop-in extends */
  name: string;
  dir?: SystemdDir;
  dropInFor?: string;
}

/** Reads a systemd network-configuration file (.link, .network; a drop-in under `<name>.d/`). */
export function readSystemdSections(text: string, file: string, suffix: '.link' | '.network'): SystemdSections {
  const parts = file.split('/');
  const name = parts[parts.length - 1] ?? file;
  const inDropInDir = parts.length > 1 && parts[parts.length - 2].endsWith(`${suffix}.d`) && /\.conf$/.test(name);
  const dropInFor = inDropInDir ? parts[parts.length - 2].replace(/\.d$/, '') : undefined;
  const out: SystemdSections = { settings: [], empty: true, sawKey: false, name, dir: systemdDirOf(dropInFor ? parts.slice(0, -1).join('/') : file), ...(dropInFor ? { dropInFor } : {}) };
  let section: string | undefined;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const t = all[i].trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const s = SECTION.exec(t);
    if (s) {
      section = s[1];
      out.empty = false;
      continue;
    }
    const k = KEY.exec(t);
    if (!k) continue;
    out.sawKey = true;
    out.settings.push({ section, setting: { key: k[1], value: k[2], ref: { file, line: i + 1 }, excerpt: capped(t) } });
  }
  return out;
}

export function parseSystemdLink(text: string, file: string): SystemdLinkFile {
  const r = readSystemdSections(text, file, '.link');
  const of = (section: string) => r.settings.filter((x) => x.section === section).map((x) => x.setting);
  const out: SystemdLinkFile = { file, name: r.name, dir: r.dir, match: of('Match'), link: of('Link'), empty: r.empty, ...(r.dropInFor ? { dropInFor: r.dropInFor } : {}) };
  if (!out.empty && out.match.length === 0 && out.link.length === 0 && !r.sawKey) throw new SkipFile(file, 'no .link settings');
  if (out.empty && r.sawKey) throw new SkipFile(file, 'not a .link file: keys outside any section');
  return out;
}

function systemdDirOf(file: string): SystemdDir | undefined {
  const m = /(?:^|\/)(etc|run|usr\/local\/lib|usr\/lib|lib)\/systemd\/network\/[^/]+$/.exec(file);
  if (!m) return undefined;
  return m[1] === 'etc' ? 'etc' : m[1] === 'run' ? 'run' : m[1] === 'usr/local/lib' ? 'usr-local-lib' : 'usr-lib';
}

/** Content test for a hand-made bundle: a [Match] or [Link] section with a .link key. */
export function sniffSystemdLink(head: string): boolean {
  return /^\[(Match|Link)\]\s*$/m.test(head) && /^(MACAddressPolicy|NamePolicy|OriginalName|AlternativeNamesPolicy)\s*=/m.test(head) && !/^\[(Network|Service|Unit|NetDev)\]/m.test(head);
}

const RANK: Record<SystemdDir, number> = { etc: 0, run: 1, 'usr-local-lib': 2, 'usr-lib': 3 };

interface Ranked {
  name: string;
  dir?: SystemdDir;
  dropInFor?: string;
}

/**
 * systemd's order of a directory set: one file per name (/etc masks /run masks /usr/lib), sorted by name,
 * each with its drop-ins (one per name likewise, sorted by name) for `merge` to append.
 */
export function inSystemdOrder<T extends Ranked>(files: readonly T[], merge: (base: T, dropIns: T[]) => T): T[] {
  const firstByName = (list: readonly T[]) => {
    const byName = new Map<string, T>();
    for (const f of list) {
      const cur = byName.get(f.name);
      if (!cur || RANK[f.dir ?? 'usr-lib'] < RANK[cur.dir ?? 'usr-lib']) byName.set(f.name, f);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  const dropIns = files.filter((f) => f.dropInFor);
  return firstByName(files.filter((x) => !x.dropInFor)).map((base) => {
    const mine = firstByName(dropIns.filter((d) => d.dropInFor === base.name));
    return mine.length === 0 ? base : merge(base, mine);
  });
}

/** The values of one key after systemd's list rules (repeats accumulate, an empty assignment resets). */
function listOf(settings: LinkSetting[], key: string): { values: string[]; refs: LinkSetting[] } | undefined {
  let values: string[] | undefined;
  const refs: LinkSetting[] = [];
  for (const s of settings) {
    if (s.key !== key) continue;
    if (s.value === '') {
      values = [];
      refs.length = 0;
      continue;
    }
    // a `!` before the whole list inverts it (`Type=!loopback bridge`: none of these; systemd's
    // config_parse_match_strv prefixes every word); a word's own `!` after it is part of its pattern
    const words = s.value.startsWith('!') ? s.value.slice(1).split(/\s+/).filter(Boolean).map((w) => `!${w}`) : s.value.split(/\s+/).filter(Boolean);
    values = [...(values ?? []), ...words];
    refs.push(s);
  }
  return values === undefined ? undefined : { values, refs };
}

/** fnmatch(3) without FNM_PATHNAME: `*`, `?`, `[...]`. */
function glob(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$').test(s);
  } catch {
    return false;
  }
}

/** systemd's list match: any positive glob matches and no `!` glob does (a list of only `!` globs matches what none of them names). */
function listMatches(values: string[], s: string | undefined): boolean {
  const pos = values.filter((v) => !v.startsWith('!'));
  const neg = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
  if (s === undefined) return pos.length === 0 && neg.length > 0 ? true : false;
  if (neg.some((g) => glob(g, s))) return false;
  return pos.length === 0 || pos.some((g) => glob(g, s));
}

/** What a device looks like to [Match]. flannel.1: name flannel.1, type / kind / driver vxlan. */
export interface LinkDevice {
  name: string;
  /** networkctl's TYPE (DEVTYPE): vxlan for a VXLAN device */
  type?: string;
  /** the netdev kind (Kind=, systemd >= 251): vxlan */
  kind?: string;
  driver?: string;
}

/** [Match] keys a virtual device with a random MAC never matches (it has no ID_PATH, no permanent MAC, no udev property asked for). */
const NEVER_VIRTUAL = new Set(['Path', 'MACAddress', 'PermanentMACAddress', 'Property', 'Firmware', 'WLANInterfaceType', 'SSID', 'BSSID']);

export interface LinkMatch {
  file: SystemdLinkFile;
  /** the file's [Match] lines that decided it (empty when it has no [Match] keys: applies to every device) */
  because: LinkSetting[];
  /** conditions bundle-doctor cannot evaluate (Host=, Virtualization=, KernelCommandLine=, ...): assumed to hold */
  assumed: LinkSetting[];
}

/** Does this .link's [Match] section select the device? */
export function linkMatches(f: SystemdLinkFile, dev: LinkDevice): LinkMatch | undefined {
  if (f.empty) return undefined;
  const because: LinkSetting[] = [];
  const assumed: LinkSetting[] = [];
  const keys = [...new Set(f.match.map((m) => m.key))];
  for (const key of keys) {
    const l = listOf(f.match, key);
    if (!l || l.values.length === 0) continue;
    if (key === 'OriginalName' || key === 'Type' || key === 'Kind' || key === 'Driver') {
      const v = key === 'OriginalName' ? dev.name : key === 'Type' ? dev.type : key === 'Kind' ? dev.kind : dev.driver;
      if (v === undefined && (key === 'Type' || key === 'Kind' || key === 'Driver')) {
        assumed.push(...l.refs);
        continue;
      }
      if (!listMatches(l.values, v)) return undefined;
      because.push(...l.refs);
    } else if (NEVER_VIRTUAL.has(key)) {
      return undefined;
    } else assumed.push(...l.refs);
  }
  return { file: f, because, assumed };
}

/**
 * The .link udev applies to the device: the files deduplicated by name (/etc over /run over /usr/lib),
 * sorted by name, the first that matches. An empty file masks its name.
 */
export function effectiveLink(files: readonly SystemdLinkFile[], dev: LinkDevice): LinkMatch | undefined {
  const merged = inSystemdOrder(files, (base, dropIns) => ({ ...base, match: [...base.match, ...dropIns.flatMap((d) => d.match)], link: [...base.link, ...dropIns.flatMap((d) => d.link)] }));
  for (const f of merged) {
    const m = linkMatches(f, dev);
    if (m) return m;
  }
  return undefined;
}

/** The file's effective MACAddressPolicy= (the last assignment), with its line. */
export function macAddressPolicy(f: SystemdLinkFile): LinkSetting | undefined {
  return [...f.link].reverse().find((s) => s.key === 'MACAddressPolicy');
}
