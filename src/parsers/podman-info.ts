/**
 * `podman info`: what Podman says of its host, as YAML (the default) or JSON (`podman info --format json`).
 * sos's podman plugin saves it as sos_commands/podman/podman_info. Only what the container-networking
 * analyzers need, each value with its file and line:
 *
 * - host.networkBackend (`netavark` or `cni`, podman 4.0+) and host.networkBackendInfo (podman 4.5+,
 *   podman-container-tools/podman#18383): the netavark package / version and its DNS server's (`dns:`:
 *   aardvark-dns's package and version, `aardvark-dns 1.15.0`);
 * - host.rootlessNetworkCmd (`pasta` or `slirp4netns`, podman 4.7+) and rootless (host.security.rootless);
 * - host.pasta / host.slirp4netns: the user-mode network programs' packages and versions;
 * - version.Version: Podman's own version.
 *
 * Pasted excerpts are read too: keys at the top level without their `host:` parent
 * (`networkBackend: netavark`, `rootless: true`, `rootlessNetworkCmd: pasta` under `$ podman info`,
 * containers/netavark#1470).
 *
 * The YAML podman prints is plain block mappings (two-space indents, `- ` lists, `|` / `|-` block
 * scalars, quoted scalars); its JSON is indented (`json.MarshalIndent`). Both are read line by line by
 * indentation, so every value keeps its line; a JSON document on one line is read with JSON.parse and
 * its values point at line 1.
 */
import { SkipFile, excerpt as capped, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';

/** A value podman info printed, with its line. */
export interface PodmanInfoValue {
  value: string;
  ref: SourceRef;
  excerpt: string;
}

/** A program podman reports: its package and version lines (`aardvark-dns-1.15.0-1.fc42.x86_64`, `aardvark-dns 1.15.0`). */
export interface PodmanComponent {
  package?: PodmanInfoValue;
  version?: PodmanInfoValue;
  path?: PodmanInfoValue;
}

export interface PodmanInfo {
  file: string;
  format: 'yaml' | 'json';
  /** `netavark` or `cni` */
  networkBackend?: PodmanInfoValue;
  /** `pasta` or `slirp4netns` (rootless networking; printed for root too) */
  rootlessNetworkCmd?: PodmanInfoValue;
  /** host.security.rootless (or a bare `rootless:` in an excerpt) */
  rootless?: PodmanInfoValue & { rootless: boolean };
  /** version.Version (Podman's own) */
  version?: PodmanInfoValue;
  netavark?: PodmanComponent;
  aardvarkDns?: PodmanComponent;
  pasta?: PodmanComponent;
  slirp4netns?: PodmanComponent;
  warnings: ParseWarning[];
}

interface Entry {
  path: string;
  value: string;
  line: number;
  text: string;
}

const YAML_KEY = /^(\s*)(?:-\s+)?([A-Za-z_][\w.-]{0,80}):(?:[ \t]+(.*?))?\s*$/;
const JSON_KEY = /^(\s*)"([^"\\]{1,80})"\s*:\s*(.*?),?\s*$/;

/**
 * podman info's own output: YAML with `host:` and a two-space `networkBackend:` / `rootlessNetworkCmd:`
 * / `ociRuntime:` / `conmon:` under it, its JSON (`"host": {` with `"networkBackend"` or `"ociRuntime"`),
 * or an excerpt under a `podman info` command line holding one of the keys this parser reads.
 */
export function sniffPodmanInfo(head: string): boolean {
  if (/^host:\s*$/m.test(head) && /^ {2}(?:networkBackend|rootlessNetworkCmd|ociRuntime|conmon|buildahVersion):/m.test(head)) return true;
  if (/^\s*\{\s*"host"\s*:\s*\{/.test(head) && /"(?:networkBackend|ociRuntime|conmon|buildahVersion)"\s*:/.test(head)) return true;
  return /^(?:[^\n]{0,80}?[$#]\s*)?(?:sudo\s+)?podman\s+(?:system\s+)?info\b[^\n]*\r?\n(?:[^\n]*\r?\n){0,3}?\s*(?:networkBackend|rootlessNetworkCmd):\s+\S/m.test(head);
}

export function parsePodmanInfo(text: string, file: string): PodmanInfo {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not podman info output');
  const src = splitLines(text);
  const firstContent = src.find((l) => l.trim() !== '' && !/^\s*(?:[^\n]{0,80}?[$#]\s*)?(?:sudo\s+)?podman\b/.test(l)) ?? '';
  const json = /^\s*[{[]/.test(firstContent);
  const entries = json ? jsonEntries(text, src) : yamlEntries(src);
  const byPath = new Map<string, Entry>();
  for (const e of entries) if (!byPath.has(e.path)) byPath.set(e.path, e);

  const out: PodmanInfo = { file, format: json ? 'json' : 'yaml', warnings: [] };
  const val = (e: Entry | undefined): PodmanInfoValue | undefined => (e && e.value !== '' ? { value: e.value, ref: { file, line: e.line }, excerpt: capped(e.text.trim()) } : undefined);
  const pick = (...paths: string[]): PodmanInfoValue | undefined => {
    for (const p of paths) {
      const v = val(byPath.get(p));
      if (v) return v;
    }
    return undefined;
  };
  const component = (base: string[]): PodmanComponent | undefined => {
    const c: PodmanComponent = {};
    const pkg = pick(...base.map((b) => `${b}.package`));
    const ver = pick(...base.map((b) => `${b}.version`));
    const path = pick(...base.flatMap((b) => [`${b}.path`, `${b}.executable`]));
    if (pkg) c.package = pkg;
    if (ver) c.version = ver;
    if (path) c.path = path;
    return pkg || ver || path ? c : undefined;
  };

  out.networkBackend = pick('host.networkBackend', 'networkBackend');
  out.rootlessNetworkCmd = pick('host.rootlessNetworkCmd', 'rootlessNetworkCmd');
  const rootless = pick('host.security.rootless', 'host.rootless', 'security.rootless', 'rootless');
  if (rootless) {
    if (/^(?:true|false)$/i.test(rootless.value)) out.rootless = { ...rootless, rootless: /^true$/i.test(rootless.value) };
    else out.warnings.push({ file, line: rootless.ref.line, message: `rootless is neither true nor false: ${rootless.value}` });
  }
  out.version = pick('version.Version', 'Version');
  const backendInfo = ['host.networkBackendInfo', 'networkBackendInfo'];
  const netavark = component(backendInfo);
  // networkBackendInfo describes the backend in use: netavark's own lines only where the backend is netavark
  const infoBackend = pick('host.networkBackendInfo.backend', 'networkBackendInfo.backend')?.value ?? out.networkBackend?.value;
  if (netavark && infoBackend !== 'cni') out.netavark = netavark;
  const dns = component(backendInfo.map((b) => `${b}.dns`));
  if (dns && infoBackend !== 'cni') out.aardvarkDns = dns;
  const pasta = component(['host.pasta', 'pasta']);
  if (pasta) out.pasta = pasta;
  const slirp = component(['host.slirp4netns', 'slirp4netns']);
  if (slirp) out.slirp4netns = slirp;

  if (!out.networkBackend && !out.rootlessNetworkCmd && !out.rootless && !out.version && !out.netavark && !out.aardvarkDns && !out.pasta && !out.slirp4netns)
    throw new SkipFile(file, 'no podman info key (host.networkBackend, rootlessNetworkCmd, version.Version ...) in it');
  return out;
}

/**
 * The version number in a component's version or package line: `aardvark-dns 1.15.0` -> 1.15.0,
 * `netavark-1.15.2-1.fc42.x86_64` -> 1.15.2, `pasta 0^20250611.g0293c6f-1.fc42.x86_64` -> 0^20250611,
 * `slirp4netns version 1.3.1` -> 1.3.1. Undefined where the line holds none (`package: Unknown`).
 */
export function componentVersion(c: PodmanComponent | undefined): string | undefined {
  for (const v of [c?.version?.value, c?.package?.value]) {
    if (!v) continue;
    const m = /(?:^|[\s_-]|version\s+)v?(\d+(?:\.\d+){1,3}|0\^\d{8})(?=$|[\s.+~_-]|\.g[0-9a-f])/.exec(v);
    if (m) return m[1];
  }
  return undefined;
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.^]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.^]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---- reading ---------------------------------------------------------------------------------

/** columns of a line's leading white space, a tab to the next multiple of 8 (JSON pasted with tabs and spaces mixed) */
function indentWidth(ws: string): number {
  let col = 0;
  for (const ch of ws) col = ch === '\t' ? col + 8 - (col % 8) : col + 1;
  return col;
}

function unquoteYaml(v: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    try {
      return String(JSON.parse(v));
    } catch {
      return v.slice(1, -1);
    }
  }
  return v;
}

/** key paths by indentation; a block scalar (`|`, `|-`, `>`) is read as its first line, numbered as that line. */
function yamlEntries(src: string[]): Entry[] {
  const out: Entry[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (let i = 0; i < src.length; i++) {
    const raw = src[i].length > 8192 ? src[i].slice(0, 8192) : src[i];
    const m = YAML_KEY.exec(raw);
    if (!m) continue;
    const dash = /^\s*-\s+/.exec(raw);
    const indent = indentWidth(dash ? dash[0] : m[1]);
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), m[2]].join('.');
    let value = (m[3] ?? '').trim();
    let line = i + 1;
    let text = raw;
    if (/^[|>][-+]?$/.test(value)) {
      // block scalar: its lines are indented deeper than the key; the first one carries the value
      value = '';
      for (let j = i + 1; j < src.length; j++) {
        const l = src[j];
        if (l.trim() === '') continue;
        if (indentWidth(l.slice(0, l.length - l.trimStart().length)) <= indent) break;
        value = l.trim();
        line = j + 1;
        text = l;
        break;
      }
    } else value = unquoteYaml(value);
    if ((m[3] ?? '') === '') stack.push({ indent, key: m[2] });
    out.push({ path, value, line, text });
  }
  return out;
}

function jsonScalar(v: string): string {
  if (v === '{' || v === '[' || v === '{}' || v === '[]' || v === '') return '';
  try {
    const parsed: unknown = JSON.parse(v);
    if (typeof parsed === 'string') return parsed.split('\n')[0];
    if (typeof parsed === 'number' || typeof parsed === 'boolean') return String(parsed);
    return '';
  } catch {
    return '';
  }
}

/** Indented JSON by indentation; a one-line document through JSON.parse, every value at line 1. */
function jsonEntries(text: string, src: string[]): Entry[] {
  const keyed = src.filter((l) => JSON_KEY.test(l)).length;
  if (keyed >= 2) {
    const out: Entry[] = [];
    const stack: { indent: number; key: string }[] = [];
    for (let i = 0; i < src.length; i++) {
      const raw = src[i].length > 8192 ? src[i].slice(0, 8192) : src[i];
      const m = JSON_KEY.exec(raw);
      if (!m) continue;
      const indent = indentWidth(m[1]);
      while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
      const path = [...stack.map((s) => s.key), m[2]].join('.');
      const v = m[3].trim();
      if (v === '{' || v === '[') stack.push({ indent, key: m[2] });
      out.push({ path, value: jsonScalar(v), line: i + 1, text: raw });
    }
    return out;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(text.indexOf('{')));
  } catch {
    return [];
  }
  const out: Entry[] = [];
  const walk = (node: unknown, prefix: string, depth: number): void => {
    if (depth > 8 || node === null || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'string') out.push({ path, value: v.split('\n')[0], line: 1, text: `"${k}": ${JSON.stringify(v)}` });
      else if (typeof v === 'number' || typeof v === 'boolean') out.push({ path, value: String(v), line: 1, text: `"${k}": ${String(v)}` });
      else walk(v, path, depth + 1);
    }
  };
  walk(doc, '', 0);
  return out;
}
