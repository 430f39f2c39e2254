/**
 * `/etc/docker/daemon.json`: whether Docker manages iptables at all, and through which firewall
 * back end. Both change what "Docker's chains are missing" means.
 *
 * A key of the wrong JSON type (`"iptables": "false"`, a quoted boolean; `"mtu": "1450"`;
 * `"insecure-registries": "host:5000"`) does not make the file unreadable here: dockerd refuses such a
 * file at its start (`unable to configure the Docker daemon with file /etc/docker/daemon.json: json:
 * cannot unmarshal string into Go struct field Config.iptables of type bool`, docs#7351, moby#44905),
 * so the key is kept in `invalid` with its line, and its setting is left unset (dockerd never takes it).
 */
import { z } from 'zod';
import { ParseError, excerpt, lines, type SourceRef } from '../model/source.js';
import type { DockerUnitFile, DockerdProcess } from './dockerd-flags.js';
import type { DockerEngineInfo } from './docker-info.js';
import type { LogSignature } from '../logs/index.js';
import { signatureById } from '../logs/signatures.js';
import type { DockerRootless } from './docker-rootless.js';
import { daemonJsonDns, type DnsServerSetting } from './resolv-conf.js';

export interface DockerDaemonConfig {
  file: string;
  /**
   * Where the settings were read: daemon.json (absent means the same), the running dockerd's
   * command line (`process`: ps output), or raw material for the command line it starts with
   * (`unit`: docker.service and its drop-ins; `env-file`: /etc/sysconfig/docker, /etc/default/docker),
   * which only dockerdSettings (dockerd-flags.ts) can combine. Only `daemon.json` and `process`
   * fill the settings below. `docker-info` / `docker-version`: what the running daemon reported of
   * itself (`docker info`, `docker version`, as text or JSON) in `engine`; dockerEngine (docker-info.ts)
   * combines them.
   */
  origin?: 'daemon.json' | 'process' | 'unit' | 'env-file' | 'docker-info' | 'docker-version';
  /** origin docker-info / docker-version: the daemon's version, Swarm state, rootless mode, firewall back end, warnings */
  engine?: DockerEngineInfo;
  /** origin process: the dockerd processes of the listing (none: the listing shows no dockerd running) */
  processes?: DockerdProcess[];
  /** origin process: the listing is a `systemctl status` CGroup tree (its unit's processes only), not ps */
  cgroup?: true;
  /** origin unit: what the unit file or drop-in says */
  unit?: DockerUnitFile;
  /** origin env-file: its variables */
  env?: Record<string, { value: string; ref: SourceRef; excerpt: string }>;
  /** origin env-file: the path in the host's tree (etc/sysconfig/docker) */
  envPath?: string;
  /** false: `"iptables": false`, Docker writes no rules */
  iptables?: { value: boolean; ref: SourceRef };
  /** Docker 29+: "iptables" (default) or "nftables" */
  firewallBackend?: { value: string; ref: SourceRef };
  bip?: { value: string; ref: SourceRef };
  ipForward?: { value: boolean; ref: SourceRef };
  /** false: `"ip-masq": false`, Docker adds no MASQUERADE rule for the default bridge */
  ipMasq?: { value: boolean; ref: SourceRef };
  /** false: `"userland-proxy": false`, no docker-proxy: the host's own connections to published ports need nat OUTPUT */
  userlandProxy?: { value: boolean; ref: SourceRef };
  defaultAddressPools?: { base: string; size?: number }[];
  /** `"ipv6": true`: IPv6 on the default bridge */
  ipv6?: { value: boolean; ref: SourceRef };
  /** `"ip6tables"`: Docker manages ip6tables (default true since Docker 27; before, only with experimental) */
  ip6tables?: { value: boolean; ref: SourceRef };
  /** `"fixed-cidr-v6"`: the default bridge's IPv6 subnet */
  fixedCidrV6?: { value: string; ref: SourceRef };
  experimental?: { value: boolean; ref: SourceRef };
  /** `"mtu"`: the MTU Docker gives the default bridge docker0 and its containers' veths (1500 when unset); user networks take com.docker.network.driver.mtu */
  mtu?: { value: number; ref: SourceRef };
  /** false: `"icc": false`, no traffic between containers of the default bridge (Docker implements it with iptables rules) */
  icc?: { value: boolean; ref: SourceRef };
  /** `"bridge"`: the default bridge's interface instead of docker0; `"none"`: no default bridge at all */
  bridge?: { value: string; ref: SourceRef };
  /** origin daemon.json: "dns", each server at its line */
  dns?: DnsServerSetting[];
  /**
   * origin process: what the listing shows of rootless Docker (RootlessKit's command line and port
   * driver, DOCKERD_ROOTLESS_ROOTLESSKIT_* in `ps e` output): scanRootless (docker-rootless.ts) of
   * the listing's text, where it found any; rootlessDocker combines it with the node's other sources
   */
  rootless?: DockerRootless;
  /** origin daemon.json: its top-level keys in file order, each with its own line (for keys dockerd also takes as flags) */
  keys?: { key: string; ref: SourceRef; excerpt: string }[];
  /**
   * origin daemon.json: keys whose JSON type dockerd does not take (a quoted boolean, a number as a
   * string, one string for a list): dockerd refuses the whole file at its next start
   */
  invalid?: DaemonJsonInvalidKey[];
}

export interface DaemonJsonInvalidKey {
  key: string;
  /** the JSON type written: string, number, boolean, array, object */
  found: string;
  /** the Go type dockerd reads the key into: bool, int, string, []string */
  expected: string;
  ref: SourceRef;
  excerpt: string;
  /** the error dockerd prints for it, in its words (json's UnmarshalTypeError) */
  message: string;
}

/**
 * The Go type dockerd reads each top-level key into (daemon/config's Config): a JSON value of
 * another type makes json.Unmarshal fail and dockerd refuse the file. Only keys whose type is sure
 * are listed; others are not judged.
 */
const GO_TYPE: Record<string, 'bool' | 'int' | 'string' | '[]string'> = {
  iptables: 'bool',
  ip6tables: 'bool',
  'ip-forward': 'bool',
  'ip-forward-no-drop': 'bool',
  'ip-masq': 'bool',
  'userland-proxy': 'bool',
  ipv6: 'bool',
  icc: 'bool',
  experimental: 'bool',
  debug: 'bool',
  'live-restore': 'bool',
  tls: 'bool',
  tlsverify: 'bool',
  'selinux-enabled': 'bool',
  'no-new-privileges': 'bool',
  init: 'bool',
  mtu: 'int',
  'max-concurrent-downloads': 'int',
  'max-concurrent-uploads': 'int',
  'shutdown-timeout': 'int',
  bip: 'string',
  'fixed-cidr': 'string',
  'fixed-cidr-v6': 'string',
  'firewall-backend': 'string',
  bridge: 'string',
  'data-root': 'string',
  'storage-driver': 'string',
  'log-level': 'string',
  hosts: '[]string',
  dns: '[]string',
  'dns-search': '[]string',
  'insecure-registries': '[]string',
  'registry-mirrors': '[]string',
  'exec-opts': '[]string',
  'storage-opts': '[]string',
};

/** JSON's name for a value's type, as Go's json error says it. */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function fitsGoType(v: unknown, t: (typeof GO_TYPE)[string]): boolean {
  // null leaves a Go value as it is: no error
  if (v === null) return true;
  if (t === 'bool') return typeof v === 'boolean';
  if (t === 'int') return typeof v === 'number' && Number.isInteger(v);
  if (t === 'string') return typeof v === 'string';
  return Array.isArray(v) && v.every((x) => typeof x === 'string' || x === null);
}

const Schema = z
  .object({
    // the typed keys are read leniently: a wrong type is recorded in `invalid` (dockerd refuses it), not a parse error
    'default-address-pools': z.array(z.object({ base: z.string(), size: z.number().optional() })).optional(),
  })
  .loose();

export function parseDockerDaemonJson(text: string, file: string): DockerDaemonConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ParseError('unexpected daemon.json shape (not a JSON object)', file);
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) throw new ParseError(`unexpected daemon.json shape (${parsed.error.issues[0]?.message ?? 'invalid'})`, file);
  // every typed key of its Go type, else left out of the settings (and recorded in `invalid` below)
  const typed = parsed.data as Record<string, unknown>;
  const d: {
    iptables?: boolean;
    'firewall-backend'?: string;
    bip?: string;
    'ip-forward'?: boolean;
    'ip-masq'?: boolean;
    'userland-proxy'?: boolean;
    ipv6?: boolean;
    ip6tables?: boolean;
    'fixed-cidr-v6'?: string;
    experimental?: boolean;
    mtu?: unknown;
    icc?: unknown;
    bridge?: unknown;
    'default-address-pools'?: { base: string; size?: number }[];
  } = { 'default-address-pools': parsed.data['default-address-pools'] };
  for (const [k, v] of Object.entries(typed)) {
    const t = GO_TYPE[k];
    if (t && v !== null && fitsGoType(v, t)) (d as Record<string, unknown>)[k] = v;
  }
  const fileLines = lines(text);
  const refOf = (key: string): SourceRef => {
    const i = fileLines.findIndex((l) => l.includes(`"${key}"`));
    return { file, line: i < 0 ? 1 : i + 1 };
  };
  // the top-level key with a value of its type: not "bridge" of "default-network-opts": { "bridge": { ... } }
  const refOfValue = (key: string, value: RegExp): SourceRef => {
    const re = new RegExp(`"${key}"\\s*:\\s*${value.source}`);
    const i = fileLines.findIndex((l) => re.test(l));
    return i < 0 ? refOf(key) : { file, line: i + 1 };
  };
  const out: DockerDaemonConfig = { file, origin: 'daemon.json' };
  const keys = topLevelKeys(text, file, fileLines);
  if (keys.length) out.keys = keys;
  const invalid: DaemonJsonInvalidKey[] = [];
  for (const [k, v] of Object.entries(typed)) {
    const t = GO_TYPE[k];
    if (!t || fitsGoType(v, t)) continue;
    const at = keys.find((x) => x.key === k) ?? { ref: refOf(k), excerpt: `"${k}": ${JSON.stringify(v)}` };
    // Go names the element's type for a list of the wrong items: `cannot unmarshal number into Go struct field Config.dns of type string`
    const found = jsonType(v);
    const elem = t === '[]string' && Array.isArray(v) ? jsonType(v.find((x) => typeof x !== 'string' && x !== null)) : undefined;
    invalid.push({ key: k, found, expected: t, ref: at.ref, excerpt: at.excerpt, message: `json: cannot unmarshal ${elem ?? found} into Go struct field Config.${k} of type ${elem ? 'string' : t}` });
  }
  if (invalid.length) out.invalid = invalid;
  if (d.iptables !== undefined) out.iptables = { value: d.iptables, ref: refOf('iptables') };
  if (d['firewall-backend'] !== undefined) out.firewallBackend = { value: d['firewall-backend'], ref: refOf('firewall-backend') };
  if (d.bip !== undefined) out.bip = { value: d.bip, ref: refOf('bip') };
  if (d['ip-forward'] !== undefined) out.ipForward = { value: d['ip-forward'], ref: refOf('ip-forward') };
  if (d['ip-masq'] !== undefined) out.ipMasq = { value: d['ip-masq'], ref: refOf('ip-masq') };
  if (d['userland-proxy'] !== undefined) out.userlandProxy = { value: d['userland-proxy'], ref: refOf('userland-proxy') };
  if (d['default-address-pools']) out.defaultAddressPools = d['default-address-pools'];
  if (d.ipv6 !== undefined) out.ipv6 = { value: d.ipv6, ref: refOf('ipv6') };
  if (d.ip6tables !== undefined) out.ip6tables = { value: d.ip6tables, ref: refOf('ip6tables') };
  if (d['fixed-cidr-v6'] !== undefined) out.fixedCidrV6 = { value: d['fixed-cidr-v6'], ref: refOf('fixed-cidr-v6') };
  if (d.experimental !== undefined) out.experimental = { value: d.experimental, ref: refOf('experimental') };
  if (typeof d.mtu === 'number' && Number.isInteger(d.mtu) && d.mtu > 0) out.mtu = { value: d.mtu, ref: refOfValue('mtu', /\d/) };
  if (typeof d.icc === 'boolean') out.icc = { value: d.icc, ref: refOfValue('icc', /(true|false)/) };
  if (typeof d.bridge === 'string') out.bridge = { value: d.bridge, ref: refOfValue('bridge', /"/) };
  const dns = daemonJsonDns(text, file, raw);
  if (dns) out.dns = dns;
  return out;
}

/**
 * The keys of daemon.json's top-level object, each with the line it stands on: a string at depth 1
 * followed by `:` (keys of nested objects, such as "bridge" of "default-network-opts", are not).
 */
function topLevelKeys(text: string, file: string, fileLines: string[]): { key: string; ref: SourceRef; excerpt: string }[] {
  const out: { key: string; ref: SourceRef; excerpt: string }[] = [];
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      const startLine = line;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '\n') line++;
      }
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (text[j] !== ':') continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(start, i + 1)) as string;
      } catch {
        continue;
      }
      out.push({ key, ref: { file, line: startLine }, excerpt: excerpt(fileLines[startLine - 1]?.trim() ?? `"${key}"`) });
    }
  }
  return out;
}

/**
 * Proposed log signature (for src/logs/signatures.ts): dockerd refusing its configuration file at
 * start and exiting. Real lines: `dockerd[19412]: unable to configure the Docker daemon with file
 * /etc/docker/daemon.json: json: cannot unmarshal string into Go struct field Config.iptables of type
 * bool` (docker/docs#7351), `... the following directives don't match any configuration option:
 * data-root` (canonical/microk8s#36), `... the following directives are specified both as a flag and
 * in the configuration file: debug: (from flag: true, from file: true)` (moby/moby#42948).
 */
export const DAEMON_CONFIG_LOG_SIGNATURE: LogSignature = signatureById('log.docker-config-invalid')!;
