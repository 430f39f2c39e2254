/**
 * CNI network configurations: /etc/cni/net.d/*.conf, *.conflist, *.json (libcni reads all three), k3s' own
 * /var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist (RKE2's /etc/cni/net.d too). A `.conflist` holds
 * `name`, `cniVersion` and a `plugins` array; a `.conf` is one plugin with the network's `name` beside it.
 *
 * Each plugin keeps its type and the settings networking diagnoses need, each at the {file, line} of its key:
 * the bridge plugin's `bridge` (default cni0), `hairpinMode`, `promiscMode`, `ipMasq`, `isGateway`,
 * `isDefaultGateway` (all default false in the bridge plugin, containernetworking/plugins
 * plugins/main/bridge/README.md), `mtu`; its `ipam` (type, `subnet`, `ranges[][].subnet`); and flannel's
 * `delegate` (flannel's CNI plugin writes the bridge plugin's conf from it: its hairpinMode, isDefaultGateway,
 * ipMasq and bridge pass through, flannel-io/cni-plugin). Every other key is kept too, with its line.
 *
 * The JSON is read with jsonc-parser, as strictly as Go's encoding/json (parseJsonWithLines), lines kept per key.
 *
 * Which file is in use: the runtime (containerd, CRI-O, kubelet's old dockershim) loads the first of the
 * directory's files in lexical order (libcni ConfFiles + sort): `cniConfInUse`.
 *
 * A file the runtime cannot load (`loadCniConf`, the registry's reader): not JSON as Go reads it, a `.conflist`
 * without a "plugins" list (libcni: `error parsing configuration list: no 'plugins' key`), a `.conf` / `.json`
 * without a "type" (`error parsing configuration: missing 'type'`: a conflist saved as .conf, cri-o/cri-o#7231) is
 * kept as a network with `invalid` set and no plugins, so analyzers see it (cni.config-invalid); its message stays a
 * coverage problem through `warnings`. What the runtime does with it (H83, from the runtimes' sources):
 * - containerd (go-cni opts.go loadFromConfDir): returns an error on the first file that fails, before any file
 *   after it: `failed to load CNI config list file %s: %v` inside `cni config load failed: ...`; it loads no network
 *   (kubelet: `NetworkReady=false ... cni plugin not initialized`). Files after the first valid one are not read
 *   (max_conf_num = 1 by default).
 * - CRI-O (cri-o/ocicni loadNetworks) and kubelet's dockershim (getDefaultCNINetwork): log `Error loading CNI config
 *   list file %s: %v` and go on to the next file: the first valid one becomes the default network.
 */
import { parseTree, type Node as JsonTreeNode, type ParseError as JsonParseError } from 'jsonc-parser';
import { excerpt as capped, lines, ParseError, SkipFile, type ParseWarning, type SourceRef } from '../model/source.js';
import { explainJsonError, LineIndex } from '../model/json-position.js';

/** A JSON value with the line it starts on. */
export type JsonNode =
  | { kind: 'object'; line: number; entries: { key: string; line: number; value: JsonNode }[] }
  | { kind: 'array'; line: number; items: JsonNode[] }
  | { kind: 'string'; line: number; value: string }
  | { kind: 'number'; line: number; value: number }
  | { kind: 'bool'; line: number; value: boolean }
  | { kind: 'null'; line: number };

export interface CniSetting<T = unknown> {
  value: T;
  ref: SourceRef;
  excerpt: string;
}

export interface CniIpam {
  type?: string;
  /** `subnet` and every `ranges[][].subnet`, as written */
  subnets: CniSetting<string>[];
  ref: SourceRef;
}

export interface CniPluginConf {
  /** position in `plugins` (0 for a .conf) */
  index: number;
  type?: string;
  /** the bridge plugin's bridge name when set (its default is cni0: `bridgeName`) */
  bridge?: CniSetting<string>;
  hairpinMode?: CniSetting<boolean>;
  promiscMode?: CniSetting<boolean>;
  ipMasq?: CniSetting<boolean>;
  isGateway?: CniSetting<boolean>;
  isDefaultGateway?: CniSetting<boolean>;
  mtu?: CniSetting<number>;
  ipam?: CniIpam;
  /** flannel's `delegate`: the bridge plugin conf flannel hands on (type defaults to bridge) */
  delegate?: CniPluginConf;
  /** every top-level key of the plugin, with its line (scalars as values; objects and arrays as undefined) */
  keys: Record<string, CniSetting<unknown>>;
  ref: SourceRef;
  excerpt: string;
}

export interface CniNetworkConf {
  file: string;
  format: 'conflist' | 'conf';
  name?: CniSetting<string>;
  cniVersion?: string;
  plugins: CniPluginConf[];
  /** `"disableCheck": true` etc. are kept on the plugins; this is the conflist's own `disabled` (libcni 1.1) */
  disabled?: boolean;
  /** the runtime cannot load the file (then `plugins` is empty): why, at the line libcni's error points to */
  invalid?: CniInvalid;
  warnings: ParseWarning[];
}

export interface CniInvalid {
  /** json: not JSON as Go's encoding/json reads it; no-plugins: a .conflist without a "plugins" list; no-type: a .conf / .json without "type" */
  kind: 'json' | 'no-plugins' | 'no-type';
  /** plain words, with libcni's reason */
  message: string;
  ref: SourceRef;
  /** the line cited, trimmed */
  excerpt: string;
}

/** The bridge plugin's default bridge name. */
export const CNI_DEFAULT_BRIDGE = 'cni0';

/** Deepest nesting read: real confs nest four or five levels (ipam.ranges[][]). */
const MAX_DEPTH = 64;

/** libcni reads a conf with Go's encoding/json: what that rejects, the runtime does not load. */
const REJECTED = 'libcni rejects the file and the runtime does not load this network';

/**
 * JSON text into nodes that keep their lines, read with jsonc-parser. Strict as Go's encoding/json, which
 * libcni reads confs with (its ConfFromBytes / ConfListFromBytes return the JSON error, and the runtime
 * loads no network from the file): a comment, a trailing comma or a byte-order mark is a ParseError at its
 * line (the comma's, for a trailing comma). Bad input never throws anything else (deep nesting, a 5 MB line,
 * binary data, a file cut short): one ParseError line each.
 */
export function parseJsonWithLines(text: string, file: string): JsonNode {
  if (text.charCodeAt(0) === 0xfeff) throw new ParseError(`not valid JSON: the file starts with a byte-order mark (U+FEFF); ${REJECTED}`, file, 1);
  if (text.trim() === '') throw new ParseError('not valid JSON: empty file', file, 1);
  const index = new LineIndex(text);
  const errors: JsonParseError[] = [];
  let tree: JsonTreeNode | undefined;
  try {
    tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (err) {
    // a stack overflow on absurd nesting: one clear line, not a crash
    if (err instanceof RangeError) throw new ParseError(`not valid JSON: nested deeper than ${MAX_DEPTH} levels`, file, 1);
    throw err;
  }
  const first = errors[0];
  if (first) {
    const { message, offset } = explainJsonError(first, text);
    throw new ParseError(`not valid JSON: ${message}${/comment|comma before/.test(message) ? `; ${REJECTED}` : ''}`, file, index.lineAt(offset));
  }
  if (!tree) throw new ParseError('not valid JSON: no value', file, 1);
  return toNode(tree, index, file, 0);
}

function toNode(n: JsonTreeNode, index: LineIndex, file: string, depth: number): JsonNode {
  const line = index.lineAt(n.offset);
  if (depth > MAX_DEPTH) throw new ParseError(`not valid JSON: nested deeper than ${MAX_DEPTH} levels`, file, line);
  switch (n.type) {
    case 'object': {
      const entries: { key: string; line: number; value: JsonNode }[] = [];
      for (const prop of n.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k?.type !== 'string' || typeof k.value !== 'string' || !v) continue;
        entries.push({ key: k.value, line: index.lineAt(k.offset), value: toNode(v, index, file, depth + 1) });
      }
      return { kind: 'object', line, entries };
    }
    case 'array':
      return { kind: 'array', line, items: (n.children ?? []).map((c) => toNode(c, index, file, depth + 1)) };
    case 'string':
      return { kind: 'string', line, value: String(n.value) };
    case 'number':
      return { kind: 'number', line, value: Number(n.value) };
    case 'boolean':
      return { kind: 'bool', line, value: n.value === true };
    default:
      return { kind: 'null', line };
  }
}

function get(o: JsonNode | undefined, key: string): { line: number; value: JsonNode } | undefined {
  if (o?.kind !== 'object') return undefined;
  // the last of duplicate keys wins, as Go's encoding/json does
  for (let i = o.entries.length - 1; i >= 0; i--) if (o.entries[i].key === key) return o.entries[i];
  return undefined;
}

function scalar(n: JsonNode): unknown {
  return n.kind === 'string' || n.kind === 'number' || n.kind === 'bool' ? n.value : n.kind === 'null' ? null : undefined;
}

function setting<T>(o: JsonNode, key: string, kind: 'string' | 'bool' | 'number', all: string[], file: string, warnings: ParseWarning[], strict = true): CniSetting<T> | undefined {
  const e = get(o, key);
  if (!e) return undefined;
  if (e.value.kind !== kind) {
    // only the bridge plugin's types are known here: the AWS VPC CNI's "mtu": "9001" is a string it reads as such
    if (strict) warnings.push({ file, line: e.line, message: `${key} is not a ${kind === 'bool' ? 'boolean' : kind}: the plugin rejects the network` });
    return undefined;
  }
  return { value: scalar(e.value) as T, ref: { file, line: e.line }, excerpt: capped((all[e.line - 1] ?? '').trim()) };
}

function plugin(o: JsonNode, index: number, all: string[], file: string, warnings: ParseWarning[], defaultType?: string): CniPluginConf {
  const keys: Record<string, CniSetting<unknown>> = {};
  if (o.kind === 'object') for (const e of o.entries) keys[e.key] = { value: scalar(e.value), ref: { file, line: e.line }, excerpt: capped((all[e.line - 1] ?? '').trim()) };
  const type = get(o, 'type')?.value;
  const p: CniPluginConf = {
    index,
    type: type?.kind === 'string' ? type.value : defaultType,
    keys,
    ref: { file, line: o.line },
    excerpt: capped((all[o.line - 1] ?? '').trim()),
  };
  const strict = p.type === 'bridge';
  const b = setting<string>(o, 'bridge', 'string', all, file, warnings, strict);
  if (b) p.bridge = b;
  for (const k of ['hairpinMode', 'promiscMode', 'ipMasq', 'isGateway', 'isDefaultGateway'] as const) {
    const s = setting<boolean>(o, k, 'bool', all, file, warnings, strict);
    if (s) p[k] = s;
  }
  const mtu = setting<number>(o, 'mtu', 'number', all, file, warnings, strict);
  if (mtu) p.mtu = mtu;
  const ipam = get(o, 'ipam');
  if (ipam?.value.kind === 'object') {
    const t = get(ipam.value, 'type')?.value;
    const subnets: CniSetting<string>[] = [];
    const sub = setting<string>(ipam.value, 'subnet', 'string', all, file, warnings);
    if (sub) subnets.push(sub);
    const ranges = get(ipam.value, 'ranges')?.value;
    if (ranges?.kind === 'array')
      for (const set of ranges.items)
        for (const r of set.kind === 'array' ? set.items : [set]) {
          const s = setting<string>(r, 'subnet', 'string', all, file, warnings);
          if (s) subnets.push(s);
        }
    p.ipam = { ...(t?.kind === 'string' ? { type: t.value } : {}), subnets, ref: { file, line: ipam.line } };
  }
  const d = get(o, 'delegate');
  // flannel's delegate is the bridge plugin's conf unless it names another type
  if (d?.value.kind === 'object') p.delegate = plugin(d.value, index, all, file, warnings, 'bridge');
  return p;
}

/** One CNI network configuration file (.conflist, or a single-plugin .conf / .json). */
export function parseCniConf(text: string, file: string): CniNetworkConf {
  if (!/"(?:type|plugins)"\s*:/.test(text)) throw new SkipFile(file, 'no CNI "type" nor "plugins"');
  const root = parseJsonWithLines(text, file);
  if (root.kind !== 'object') throw new SkipFile(file, 'not a JSON object');
  const all = lines(text);
  const warnings: ParseWarning[] = [];
  const name = setting<string>(root, 'name', 'string', all, file, warnings);
  const ver = get(root, 'cniVersion')?.value;
  const disabled = get(root, 'disabled')?.value;
  const plugins = get(root, 'plugins')?.value;
  if (plugins?.kind === 'array') {
    return {
      file,
      format: 'conflist',
      ...(name ? { name } : {}),
      ...(ver?.kind === 'string' ? { cniVersion: ver.value } : {}),
      ...(disabled?.kind === 'bool' ? { disabled: disabled.value } : {}),
      plugins: plugins.items.filter((x) => x.kind === 'object').map((x, i) => plugin(x, i, all, file, warnings)),
      warnings,
    };
  }
  if (!get(root, 'type')) throw new SkipFile(file, 'no CNI "type"');
  return { file, format: 'conf', ...(name ? { name } : {}), ...(ver?.kind === 'string' ? { cniVersion: ver.value } : {}), plugins: [plugin(root, 0, all, file, warnings)], warnings };
}

/** The runtime's reader of this file by its name: `.conflist` -> ConfListFromFile, `.conf` / `.json` -> ConfFromFile; other names the runtime does not read. */
export function cniFileKind(file: string): 'conflist' | 'conf' | undefined {
  return /\.conflist$/.test(file) ? 'conflist' : /\.(?:conf|json)$/.test(file) ? 'conf' : undefined;
}

function invalidConf(file: string, text: string, kind: CniInvalid['kind'], message: string, line: number): CniNetworkConf {
  const excerpt = capped((lines(text)[line - 1] ?? '').trim());
  const warning = { file, line, message, kind: 'error' as const };
  return { file, format: cniFileKind(file) ?? 'conf', plugins: [], invalid: { kind, message, ref: { file, line }, excerpt }, warnings: [warning] };
}

/**
 * The registry's reader: `parseCniConf`, but a file the runtime cannot load is a network with `invalid` set and
 * no plugins (its warning, marked kind 'error', keeps the coverage line), not a thrown ParseError. A file that is
 * no CNI conf at all (SkipFile) is still skipped.
 */
export function loadCniConf(text: string, file: string): CniNetworkConf {
  let conf: CniNetworkConf;
  try {
    conf = parseCniConf(text, file);
  } catch (err) {
    if (err instanceof ParseError) return invalidConf(err.file, text, 'json', err.message, err.line ?? 1);
    throw err;
  }
  const kind = cniFileKind(file);
  if (kind === 'conflist' && conf.format === 'conf')
    return invalidConf(file, text, 'no-plugins', `a .conflist without a "plugins" list: libcni rejects it (error parsing configuration list: no 'plugins' key) and the runtime does not load this network; a single-plugin conf is named .conf`, 1);
  if (kind === 'conf' && conf.format === 'conflist' && get(parseJsonWithLines(text, file), 'type')?.value.kind !== 'string')
    return invalidConf(file, text, 'no-type', `a conflist (a "plugins" list, no "type") in a ${file.slice(file.lastIndexOf('.'))} file: libcni reads it as a single-plugin conf and rejects it (error parsing configuration: missing 'type'); the runtime does not load this network. A file with "plugins" must be named .conflist`, 1);
  return conf;
}

/** Content test: a JSON object with a CNI network's keys. */
export function sniffCniConf(head: string): boolean {
  return /^\s*\{/.test(head) && /"cniVersion"\s*:/.test(head) && /"(?:type|plugins)"\s*:/.test(head);
}

/** The bridge plugins a network uses: bridge plugins themselves and flannel's delegates (which become bridge plugins). */
export function bridgePlugins(conf: CniNetworkConf): { plugin: CniPluginConf; via?: CniPluginConf }[] {
  const out: { plugin: CniPluginConf; via?: CniPluginConf }[] = [];
  for (const p of conf.plugins) {
    if (p.type === 'bridge') out.push({ plugin: p });
    else if (p.type === 'flannel') out.push({ plugin: p.delegate ?? { index: p.index, type: 'bridge', keys: {}, ref: p.ref, excerpt: p.excerpt }, via: p });
  }
  return out;
}

/** The bridge a bridge plugin conf names (default cni0). flannel's plugin names it cni0 too unless its delegate says otherwise. */
export function bridgeName(p: CniPluginConf): string {
  return p.bridge?.value || CNI_DEFAULT_BRIDGE;
}

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

function baseOf(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** How a runtime treats a CNI conf it cannot load: containerd stops there (no network), CRI-O and dockershim skip it. */
export type CniLoader = 'containerd' | 'crio' | 'dockershim';

const isK3sDir = (d: string): boolean => /agent\/etc\/cni\/net\.d$/.test(d);
/** a CNI configuration directory as the runtimes name it (/etc/cni/net.d, k3s' agent/etc/cni/net.d) */
export const isNetDir = (d: string): boolean => /(?:^|\/)cni\/net\.d$/.test(d);

/**
 * The directory the runtime reads (a k3s / RKE2 agent directory before /etc/cni/net.d, which k3s does not read)
 * and its files in the order the runtime reads them (Go's sort.Strings: byte order of the names), disabled
 * conflists left out, files the runtime cannot load kept (`invalid`).
 */
export function cniConfOrder(confs: readonly CniNetworkConf[] | undefined): { dir: string; files: CniNetworkConf[] } | undefined {
  // in a real net.d directory the runtime reads only .conf, .conflist and .json (10-calico.conflist.bak is not read);
  // a collector that renamed the file elsewhere keeps it
  const all = (confs ?? []).filter((c) => c.disabled !== true && (c.plugins.length > 0 || c.invalid) && (cniFileKind(c.file) !== undefined || !isNetDir(dirOf(c.file))));
  if (all.length === 0) return undefined;
  const dirs = [...new Set(all.map((c) => dirOf(c.file)))];
  dirs.sort((a, b) => Number(isK3sDir(b)) - Number(isK3sDir(a)) || Number(isNetDir(b)) - Number(isNetDir(a)) || a.localeCompare(b));
  const files = all.filter((c) => dirOf(c.file) === dirs[0]);
  files.sort((a, b) => (baseOf(a.file) < baseOf(b.file) ? -1 : baseOf(a.file) > baseOf(b.file) ? 1 : 0));
  return { dir: dirs[0], files };
}

/**
 * The conf the runtime loads: per directory, the first file in lexical order (libcni sorts the .conf,
 * .conflist and .json names); a k3s directory (…/agent/etc/cni/net.d) before /etc/cni/net.d, which k3s does not read.
 * A file the runtime cannot load (`invalid`) before it: containerd loads no network at all (undefined); CRI-O and
 * dockershim skip it and load the next valid one, which is what is returned when the runtime is not given.
 */
export function cniConfInUse(confs: readonly CniNetworkConf[] | undefined, runtime?: CniLoader): CniNetworkConf | undefined {
  const order = cniConfOrder(confs);
  if (!order) return undefined;
  if (runtime === 'containerd' && order.files[0]?.invalid) return undefined;
  return order.files.find((c) => !c.invalid);
}
