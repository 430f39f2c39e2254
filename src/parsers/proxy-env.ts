/**
 * The HTTP proxy environment of the units that run a node's pods and their networking: containerd,
 * CRI-O, dockerd, kubelet, k3s / RKE2. Read from
 *
 * - systemd units and drop-ins (`/etc/systemd/system/containerd.service.d/http-proxy.conf`:
 *   `Environment="HTTPS_PROXY=http://proxy:3128" "NO_PROXY=..."`, several per line, quoted or
 *   not; `EnvironmentFile=`), and `[Manager] DefaultEnvironment=` of /etc/systemd/system.conf(.d),
 *   which every unit gets (kubernetes/kubernetes#48792);
 * - `systemctl show -p Environment <unit>` (`Environment=HTTP_PROXY=... NO_PROXY=...`; with `-p
 *   Id,Environment` or `--all`, the `Id=` line names the unit);
 * - /etc/environment (PAM's: a service gets it only through `EnvironmentFile=/etc/environment`);
 * - /etc/sysconfig/<unit>, /etc/default/<unit> and k3s' /etc/systemd/system/k3s.service.env. In
 *   the k3s / RKE2 files `CONTAINERD_HTTP_PROXY` / `CONTAINERD_NO_PROXY` are containerd's own
 *   (k3s-io/k3s#5642, rancher/rke2#4924) and stand for it as the unit `containerd`.
 *
 * Every value keeps its {file, line}; NO_PROXY is split the way Go's httpproxy splits it (on
 * commas, each entry trimmed) and each entry keeps its line. `noProxyCovers` decides, as
 * golang.org/x/net/http/httpproxy does, whether a host is exempt.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import { parseCidr, parseIp, cidrContains, type Cidr } from './cidr.js';
import type { DockerDaemonConfig } from './docker-daemon.js';
import { unitSettings } from './systemd-lines.js';

export interface ProxyVariable {
  /** the variable as written: HTTPS_PROXY, https_proxy, CONTAINERD_HTTPS_PROXY */
  name: string;
  /** the name the unit sees: CONTAINERD_HTTPS_PROXY is containerd's HTTPS_PROXY */
  key: string;
  value: string;
  ref: SourceRef;
  excerpt: string;
}

export interface NoProxyEntry {
  /** as written, trimmed */
  text: string;
  ref: SourceRef;
}

export interface ProxyEnvUnit {
  /**
   * containerd, crio, docker, kubelet, k3s, k3s-agent, rke2-server, rke2-agent, ... (the unit's
   * name without `.service`); `global` for /etc/environment; `systemd-default` for
   * DefaultEnvironment= (every unit's)
   */
  unit: string;
  /** set where a k3s / RKE2 file gives containerd its own variables (CONTAINERD_*): the file's unit */
  embeddedIn?: string;
  /** every variable of the three kinds this source sets, in order (later ones win) */
  variables: ProxyVariable[];
  /** what Go's httpproxy.FromEnvironment takes: the upper-case name first, then the lower-case */
  httpProxy?: ProxyVariable;
  httpsProxy?: ProxyVariable;
  noProxy?: ProxyVariable & { entries: NoProxyEntry[] };
  /** EnvironmentFile= paths (systemd's `-` prefix removed) */
  environmentFiles: string[];
}

export type ProxyEnvSource = 'unit' | 'drop-in' | 'systemd-manager' | 'systemctl-show' | 'environment' | 'env-file';

/** One file of the `proxyEnv` artifact kind. */
export interface ProxyEnvFile {
  file: string;
  source: ProxyEnvSource;
  units: ProxyEnvUnit[];
}

/** The variables this reader keeps: Go reads exactly these (no ALL_PROXY). */
const PROXY_VAR = /^(?:CONTAINERD_)?(?:HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy)$/;

/** The unit a path is about: `etc/systemd/system/containerd.service.d/http-proxy.conf` -> containerd. */
export function unitOfPath(path: string): { unit: string; source: ProxyEnvSource } | undefined {
  const p = path.replace(/\\/g, '/');
  let m = /(?:^|\/)([A-Za-z0-9@_.:-]+)\.service\.d\/[^/]+\.conf$/.exec(p);
  if (m) return { unit: m[1], source: 'drop-in' };
  m = /(?:^|\/)([A-Za-z0-9@_.:-]+)\.service\.env$/.exec(p);
  if (m) return { unit: m[1], source: 'env-file' };
  m = /(?:^|\/)([A-Za-z0-9@_.:-]+)\.service$/.exec(p);
  if (m) return { unit: m[1], source: 'unit' };
  if (/(?:^|\/)systemd\/system\.conf(?:\.d\/[^/]+\.conf)?$/.test(p)) return { unit: 'systemd-default', source: 'systemd-manager' };
  // sos' `systemctl show-environment`: the manager's environment, which every unit inherits
  if (/(?:^|\/)systemctl_show-environment$/.test(p)) return { unit: 'systemd-default', source: 'systemd-manager' };
  if (/(?:^|\/)etc\/environment$|^environment$/.test(p)) return { unit: 'global', source: 'environment' };
  m = /(?:^|\/)(?:sysconfig|default)\/([A-Za-z0-9@_.:-]+)$/.exec(p);
  if (m) return { unit: m[1], source: 'env-file' };
  return undefined;
}

const KNOWN_UNITS = ['cri-docker', 'containerd', 'crio', 'cri-o', 'docker', 'kubelet', 'k3s-agent', 'k3s', 'rke2-server', 'rke2-agent'];

/**
 * systemd's word splitting of an `Environment=` value: words separated by blanks, quotes
 * anywhere in a word group blanks (`"A=b c"`, `A="b c"`), backslash escapes the next character.
 */
export function systemdWords(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && i + 1 < value.length) cur += value[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '\\' && i + 1 < value.length) {
      cur += value[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Go's split of NO_PROXY: on commas, each entry trimmed, empty ones dropped. */
export function noProxyEntries(value: string, ref: SourceRef): NoProxyEntry[] {
  return value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((text) => ({ text, ref }));
}

interface Assignment {
  name: string;
  value: string;
  line: number;
  text: string;
}

/** Reads one file; `relPath` is its path in the host's tree (names the unit). */
export function parseProxyEnv(text: string, file: string, relPath = file): ProxyEnvFile {
  const all = lines(text);
  const byPath = unitOfPath(relPath);
  // `systemctl show`: property lines, no section headers
  const isShow = !byPath && all.some((l) => /^Environment=/.test(l)) && !all.some((l) => /^\s*\[(Service|Unit|Manager)\]\s*$/.test(l));
  if (isShow) return parseShow(all, file, relPath);
  if (!byPath) throw new SkipFile(file, 'not a unit, drop-in or environment file of a known path');
  // system.conf(.d) has a [Manager] section; `systemctl show-environment` prints bare VAR=value lines
  const isUnitFile = byPath.source === 'unit' || byPath.source === 'drop-in' || (byPath.source === 'systemd-manager' && all.some((l) => /^\s*\[Manager\]\s*$/.test(l)));
  const assignments: Assignment[] = [];
  const environmentFiles: string[] = [];
  if (isUnitFile) {
    for (const { section, key, value, line, text: t } of unitSettings(all)) {
      const wanted = byPath.source === 'systemd-manager' ? section === 'Manager' && key === 'DefaultEnvironment' : section === 'Service' && key === 'Environment';
      if (wanted) {
        for (const w of systemdWords(value)) {
          const eq = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(w);
          if (eq) assignments.push({ name: eq[1], value: eq[2], line, text: t });
        }
      } else if (section === 'Service' && key === 'EnvironmentFile' && value !== '') environmentFiles.push(value.replace(/^-/, '').trim());
    }
  } else {
    all.forEach((l, i) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
      if (!m) return;
      const v = m[2].trim();
      const value = /^"(.*)"$/.exec(v)?.[1] ?? /^'(.*)'$/.exec(v)?.[1] ?? v.replace(/\s+#.*$/, '');
      assignments.push({ name: m[1], value, line: i + 1, text: l.trim() });
    });
  }
  const units = unitsOf(byPath.unit, assignments, environmentFiles, file);
  if (units.length === 0) throw new SkipFile(file, 'no proxy variable and no EnvironmentFile=');
  return { file, source: byPath.source, units };
}

function parseShow(all: string[], file: string, relPath: string): ProxyEnvFile {
  // blocks: one per unit (systemctl show prints a blank line between units)
  const units: ProxyEnvUnit[] = [];
  const fromName = KNOWN_UNITS.find((u) => new RegExp(`(?:^|[^a-z0-9])${u}(?:\\.service)?(?:[^a-z0-9]|$)`).test(relPath.slice(relPath.lastIndexOf('/') + 1)));
  let id: string | undefined;
  let block: Assignment[] = [];
  let files: string[] = [];
  const flush = () => {
    const unit = id ?? (units.length === 0 ? fromName : undefined) ?? 'unknown';
    units.push(...unitsOf(unit, block, files, file));
    id = undefined;
    block = [];
    files = [];
  };
  all.forEach((l, i) => {
    if (l.trim() === '') {
      if (block.length > 0 || files.length > 0 || id) flush();
      return;
    }
    const idm = /^Id=([^\s]+?)(?:\.service)?\s*$/.exec(l);
    if (idm) id = idm[1];
    const env = /^Environment=(.*)$/.exec(l);
    if (env)
      for (const w of systemdWords(env[1])) {
        const eq = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(w);
        if (eq) block.push({ name: eq[1], value: eq[2], line: i + 1, text: l.trim() });
      }
    // `EnvironmentFiles=/etc/default/rke2-server (ignore_errors=yes)`
    const ef = /^EnvironmentFiles?=(\S+)/.exec(l);
    if (ef) files.push(ef[1].replace(/^-/, ''));
  });
  if (block.length > 0 || files.length > 0 || id) flush();
  const kept = units.filter((u) => u.variables.length > 0 || u.environmentFiles.length > 0);
  if (kept.length === 0) throw new SkipFile(file, 'systemctl show: no proxy variable');
  return { file, source: 'systemctl-show', units: kept };
}

/** The units one source speaks for: the file's own and, for k3s / RKE2, containerd's CONTAINERD_* view. */
function unitsOf(unit: string, assignments: Assignment[], environmentFiles: string[], file: string): ProxyEnvUnit[] {
  const proxyVars = assignments.filter((a) => PROXY_VAR.test(a.name));
  const own = proxyVars.filter((a) => !a.name.startsWith('CONTAINERD_'));
  const out: ProxyEnvUnit[] = [];
  if (own.length > 0 || environmentFiles.length > 0) out.push(resolve(unit, own, environmentFiles, file));
  const ctr = proxyVars.filter((a) => a.name.startsWith('CONTAINERD_'));
  if (ctr.length > 0) out.push({ ...resolve('containerd', ctr, [], file, 'CONTAINERD_'), embeddedIn: unit });
  return out;
}

function resolve(unit: string, vars: Assignment[], environmentFiles: string[], file: string, prefix = ''): ProxyEnvUnit {
  const variables: ProxyVariable[] = vars.map((a) => ({ name: a.name, key: a.name.slice(prefix.length), value: a.value, ref: { file, line: a.line }, excerpt: capped(a.text) }));
  return { unit, variables, environmentFiles, ...effectiveProxy(variables) };
}

/**
 * What Go's httpproxy.FromEnvironment takes from variables assigned in this order: the last
 * assignment of a name wins (systemd, shell); the upper-case name when it is not empty, else the
 * lower-case one.
 */
export function effectiveProxy(variables: readonly ProxyVariable[]): Pick<ProxyEnvUnit, 'httpProxy' | 'httpsProxy' | 'noProxy'> {
  const last = (n: string) => [...variables].reverse().find((v) => v.key === n);
  const pick = (upper: string) => [last(upper), last(upper.toLowerCase())].find((v) => v !== undefined && v.value !== '');
  const out: Pick<ProxyEnvUnit, 'httpProxy' | 'httpsProxy' | 'noProxy'> = {};
  const hp = pick('HTTP_PROXY');
  const hsp = pick('HTTPS_PROXY');
  const np = pick('NO_PROXY');
  if (hp) out.httpProxy = hp;
  if (hsp) out.httpsProxy = hsp;
  if (np) out.noProxy = { ...np, entries: noProxyEntries(np.value, np.ref) };
  return out;
}

// ---- Go's NO_PROXY matching (golang.org/x/net/http/httpproxy, config.init and useProxy) ----------

/**
 * The NO_PROXY entry that exempts `host` (an IP or a name) on `port` from the proxy, as Go decides:
 * `*` exempts everything; a CIDR its addresses; an IP (optionally `:port`) that address; any other
 * entry is a domain: `svc` (or `*.svc`... see below) matches `svc` and its subdomains, `.svc` only
 * the subdomains; `*.svc` is `.svc`. Loopback addresses and `localhost` are never proxied.
 * Returns the entry, `'loopback'`, or undefined (the request goes through the proxy).
 */
export function noProxyCovers(entries: readonly NoProxyEntry[], host: string, port = '443'): NoProxyEntry | 'loopback' | undefined {
  const h = host.toLowerCase().trim();
  if (h === 'localhost') return 'loopback';
  const ip = parseIp(h);
  if (ip && ((ip.family === 4 && ip.value >> 24n === 127n) || (ip.family === 6 && ip.value === 1n))) return 'loopback';
  const ipMatchers: { e: NoProxyEntry; cidr?: Cidr; ip?: Cidr; port?: string }[] = [];
  const domainMatchers: { e: NoProxyEntry; host: string; port?: string; matchHost: boolean }[] = [];
  for (const e of entries) {
    const p = e.text.toLowerCase().trim();
    if (p === '') continue;
    if (p === '*') return e;
    if (/^[0-9a-f:.]+\/\d{1,3}$/.test(p)) {
      const c = parseCidr(p);
      if (c) {
        ipMatchers.push({ e, cidr: c });
        continue;
      }
    }
    let phost = p;
    let pport: string | undefined;
    const hp = /^\[([^\]]*)\]:(\d*)$/.exec(p) ?? (/^[^:]*:\d*$/.test(p) ? /^([^:]*):(\d*)$/.exec(p) : null);
    if (hp) {
      phost = hp[1];
      pport = hp[2];
      if (phost === '') continue;
    }
    const pip = parseCidr(phost);
    if (pip && !phost.includes('/')) {
      ipMatchers.push({ e, ip: pip, port: pport || undefined });
      continue;
    }
    if (phost === '') continue;
    if (phost.startsWith('*.')) phost = phost.slice(1);
    let matchHost = false;
    if (!phost.startsWith('.')) {
      matchHost = true;
      phost = '.' + phost;
    }
    domainMatchers.push({ e, host: phost, port: pport || undefined, matchHost });
  }
  if (ip) {
    const addr = parseCidr(h)!;
    for (const m of ipMatchers) {
      if (m.cidr && cidrContains(m.cidr, addr)) return m.e;
      if (m.ip && m.ip.family === addr.family && m.ip.network === addr.network && (m.port === undefined || m.port === port)) return m.e;
    }
  }
  for (const m of domainMatchers) if (h.endsWith(m.host) || (m.matchHost && h === m.host.slice(1))) if (m.port === undefined || m.port === port) return m.e;
  return undefined;
}

/** A whole range exempt: a CIDR entry holding it, or `*`. */
export function noProxyCoversRange(entries: readonly NoProxyEntry[], range: Cidr): NoProxyEntry | undefined {
  for (const e of entries) {
    const p = e.text.trim();
    if (p === '*') return e;
    const c = /\//.test(p) ? parseCidr(p) : undefined;
    if (c && cidrContains(c, range)) return e;
  }
  return undefined;
}

/**
 * docker.service's proxy, from the `dockerDaemon` artifacts dockerd-flags.ts reads (its unit, its
 * drop-ins and the env files distributions pass it): the layout gives those files to that kind, so
 * they are not read twice. One ProxyEnvFile per unit file or env file that sets a proxy variable.
 */
export function proxyEnvOfDocker(configs: readonly DockerDaemonConfig[] | undefined): ProxyEnvFile[] {
  const out: ProxyEnvFile[] = [];
  for (const c of configs ?? []) {
    const vars = c.origin === 'unit' ? c.unit?.environment : c.origin === 'env-file' ? c.env : undefined;
    if (!vars) continue;
    const variables: ProxyVariable[] = Object.entries(vars)
      .filter(([name]) => PROXY_VAR.test(name) && !name.startsWith('CONTAINERD_'))
      .map(([name, v]) => ({ name, key: name, value: v.value, ref: v.ref, excerpt: v.excerpt }))
      .sort((a, b) => a.ref.line - b.ref.line);
    if (variables.length === 0) continue;
    const source: ProxyEnvSource = c.origin === 'env-file' ? 'env-file' : c.unit?.dropIn ? 'drop-in' : 'unit';
    out.push({ file: c.file, source, units: [{ unit: 'docker', variables, environmentFiles: c.unit?.environmentFiles ?? [], ...effectiveProxy(variables) }] });
  }
  return out;
}

/** `systemctl show -p Environment <unit>` (or `--all`) under any name: an Environment= property that sets a proxy variable. */
export function sniffProxyEnv(head: string): boolean {
  return /^Environment=.*\b(?:HTTPS?_PROXY|https?_proxy)=/m.test(head) && !/^\s*\[(?:Service|Unit|Manager)\]\s*$/m.test(head);
}
