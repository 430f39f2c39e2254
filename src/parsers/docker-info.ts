/**
 * What the running Docker daemon says of itself: `docker info` and `docker version`, as text (every
 * layout of Docker 1.12 ... 29: the flat one of Docker <= 18.09's CLI, the `Client:` / `Server:`
 * sections since 19.03) or as JSON (`docker info --format '{{json .}}'`, `docker version --format
 * '{{json .}}'`, the API's /info). Read into the `dockerDaemon` artifact kind (origins `docker-info`
 * and `docker-version`); `dockerEngine` combines a node's files into one view.
 *
 * The values analyzers need: the Engine version (Docker 28.0.0's FORWARD ordering, 28.0/28.1's
 * per-port raw DROPs, 28.2's trusted_host_interfaces, 29's nftables back end), the Swarm state,
 * rootless mode (`rootless` among the security options), the firewall back end (`Firewall Backend:`,
 * API 1.49 = Docker 28.2 on, printed by the CLI since 28.4), and docker info's own WARNING lines
 * (`WARNING: IPv4 forwarding is disabled`, `WARNING: bridge-nf-call-iptables is disabled`: moby's
 * daemon/info_unix.go), each with its file and line.
 *
 * The CLI writes the warnings to stderr: at the end (19.03+, after the server section), in the
 * middle (Docker <= 18.09 printed them where it checked), or first when only stdout was piped. They
 * are read wherever they stand, except in the `Client:` section (the CLI's own, of its plugins).
 */
import { ParseError, SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import type { DockerDaemonConfig } from './docker-daemon.js';

/** A value the daemon reported, with the line it stands on. */
export interface Reported<T> {
  value: T;
  ref: SourceRef;
  excerpt: string;
}

/** What a WARNING line is about, where it is one the analyzers know. */
export type DockerInfoWarningKind =
  | 'ip-forward-disabled'
  | 'bridge-nf-call-iptables-disabled'
  | 'bridge-nf-call-ip6tables-disabled'
  | 'no-swap-limit'
  | 'api-unencrypted'
  | 'storage-driver-deprecated'
  | 'other';

export interface DockerInfoWarning {
  /** the warning's text: its first line, and the lines it continues on (indented, moby's multi-line warnings) joined by a space */
  text: string;
  kind: DockerInfoWarningKind;
  ref: SourceRef;
  excerpt: string;
}

/** What `docker info` / `docker version` say of the daemon; only what the file shows is set. */
export interface DockerEngineInfo {
  /** info: `docker info`; version: `docker version` */
  command: 'info' | 'version';
  format: 'text' | 'json';
  /** `Server Version:` (info), the Engine's `Version:` (version): `28.0.4`, `17.09.0-ce`, `1.13.1` */
  serverVersion?: Reported<string>;
  /** version: the server's `API version:`, without `(minimum version ...)` */
  apiVersion?: Reported<string>;
  /** version: `Server: Docker Engine - Community` */
  platform?: Reported<string>;
  /** the CLI's own version (`Client:` section) */
  clientVersion?: Reported<string>;
  /** `Swarm:` active | inactive | pending | error | locked */
  swarm?: Reported<string>;
  swarmNodeId?: Reported<string>;
  swarmManager?: Reported<boolean>;
  swarmNodeAddr?: Reported<string>;
  swarmError?: Reported<string>;
  /** a manager's count of the Swarm's nodes and managers (docker info `Nodes:` / `Managers:`) */
  swarmNodes?: Reported<number>;
  swarmManagers?: Reported<number>;
  /** `Security Options:` names (apparmor, seccomp, selinux, userns, rootless, cgroupns) */
  securityOptions?: Reported<string>[];
  /** rootless Docker (`rootless` among the security options); false where the options are listed without it */
  rootless?: Reported<boolean>;
  /** `Firewall Backend:` iptables | nftables | iptables+firewalld | nftables+firewalld */
  firewallBackend?: Reported<string> & { details?: Record<string, string> };
  cgroupDriver?: Reported<string>;
  cgroupVersion?: Reported<string>;
  storageDriver?: Reported<string>;
  loggingDriver?: Reported<string>;
  dockerRootDir?: Reported<string>;
  liveRestore?: Reported<boolean>;
  kernelVersion?: Reported<string>;
  operatingSystem?: Reported<string>;
  osType?: Reported<string>;
  /** `Name:`: the daemon host's name */
  name?: Reported<string>;
  containers?: Reported<number>;
  containersRunning?: Reported<number>;
  defaultAddressPools?: Reported<{ base: string; size: number }>[];
  /** JSON only (the text shows them as WARNING lines): the daemon's view of the kernel settings */
  ipv4Forwarding?: Reported<boolean>;
  bridgeNfIptables?: Reported<boolean>;
  bridgeNfIp6tables?: Reported<boolean>;
  warnings: DockerInfoWarning[];
  /** the CLI could not reach the daemon: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?` (daemonUnreachable tells a daemon that is not there from one that refused) */
  daemonError?: Reported<string>;
}

// ---- text -----------------------------------------------------------------------------------

const LABEL = /^( *)([A-Za-z][A-Za-z0-9 ()/._+-]*?):(?:[ \t]+(.*?))?[ \t]*$/;
const WARNING = /^\s*((?:WARNING|DEPRECATED):.*?)\s*$/;
const DAEMON_ERROR =
  /^\s*(?:ERROR:\s*)?((?:Cannot connect to the Docker daemon|failed to connect to the docker API|(?:Got )?permission denied while trying to connect to the (?:Docker daemon|docker API)|error during connect|Error response from daemon)\b.*?)\s*$/i;
/**
 * The errors that say no daemon answered on the socket (it is not running, or not there): Docker 1.x's
 * `Cannot connect to the Docker daemon. Is the docker daemon running on this host?`, 17.x-28.x's
 * `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`,
 * 29's `failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct
 * and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory`. Not
 * `permission denied` (a daemon answers; the user may not use it) nor `Error response from daemon`.
 */
const DAEMON_DOWN = /^(?:Cannot connect to the Docker daemon|failed to connect to the docker API)\b/i;

function warningKind(text: string): DockerInfoWarningKind {
  if (/IPv4 forwarding is disabled/i.test(text)) return 'ip-forward-disabled';
  if (/bridge-nf-call-iptables is disabled/i.test(text)) return 'bridge-nf-call-iptables-disabled';
  if (/bridge-nf-call-ip6tables is disabled/i.test(text)) return 'bridge-nf-call-ip6tables-disabled';
  if (/No swap limit support/i.test(text)) return 'no-swap-limit';
  if (/API is accessible on/i.test(text)) return 'api-unencrypted';
  if (/storage-driver is deprecated/i.test(text)) return 'storage-driver-deprecated';
  return 'other';
}

interface Line {
  n: number;
  raw: string;
  indent: number;
  label?: string;
  value?: string;
}

type Section = 'none' | 'client' | 'server';

/** The lines with their section (`Client:` / `Server:` headers at column 0) and, where they are `Label: value`, label and value. */
function scan(text: string): { all: Line[]; section: Section[] } {
  const all: Line[] = [];
  const section: Section[] = [];
  let current: Section = 'none';
  lines(text).forEach((raw, i) => {
    const l = raw.replace(/\t/g, '    ');
    if (/^Client:/.test(l)) current = 'client';
    else if (/^Server:/.test(l)) current = 'server';
    const m = LABEL.exec(l);
    all.push({ n: i + 1, raw, indent: l.length - l.trimStart().length, label: m?.[2], value: m?.[3] });
    section.push(current);
  });
  return { all, section };
}

const bool = (v: string | undefined): boolean | undefined => (v === 'true' ? true : v === 'false' ? false : undefined);

/** Warnings and the daemon error, wherever they stand outside the client's own section. */
function warningsAndErrors(all: Line[], section: Section[], file: string, out: DockerEngineInfo): void {
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    const err = DAEMON_ERROR.exec(l.raw);
    if (err && !out.daemonError) out.daemonError = { value: err[1], ref: { file, line: l.n }, excerpt: capped(l.raw) };
    if (section[i] === 'client') continue;
    const w = WARNING.exec(l.raw);
    if (!w) continue;
    let text = w[1];
    // moby's multi-line warnings go on indented by nine spaces
    while (i + 1 < all.length && /^ {5,}\S/.test(all[i + 1].raw) && !WARNING.test(all[i + 1].raw)) text += ' ' + all[++i].raw.trim();
    out.warnings.push({ text, kind: warningKind(text), ref: { file, line: l.n }, excerpt: capped(l.raw) });
  }
}

/** nerdctl's `info` mimics docker's (`Namespace:` in its client section, no containers count); podman's is YAML. */
function notDocker(all: Line[]): boolean {
  return all.some((l) => l.indent <= 1 && (l.label === 'Namespace' || /Podman Engine/.test(l.raw)));
}

/**
 * `docker info` text. The server section's labels sit at one indent (0 before Docker 19.03's CLI,
 * 1 since), their details one deeper; `Containers:` or `Server Version:` gives it.
 */
export function parseDockerInfo(text: string, file: string): DockerDaemonConfig {
  if (/^\s*\{/.test(text)) return parseDockerInfoJson(text, file);
  const { all, section } = scan(text);
  if (notDocker(all)) throw new SkipFile(file, 'not Docker: nerdctl or podman output');
  const out: DockerEngineInfo = { command: 'info', format: 'text', warnings: [] };
  warningsAndErrors(all, section, file, out);
  const server = all.filter((_, i) => section[i] !== 'client');
  const anchor = server.find((l) => l.label === 'Server Version' || (l.label === 'Containers' && /^\d+$/.test(l.value ?? '')));
  const base = anchor?.indent ?? 0;
  const rep = <T>(l: Line, value: T): Reported<T> => ({ value, ref: { file, line: l.n }, excerpt: capped(l.raw) });
  let sawAfterSecurity = false;
  for (let i = 0; i < server.length; i++) {
    const l = server[i];
    if (l.label === undefined || l.indent !== base || WARNING.test(l.raw)) continue;
    const v = l.value ?? '';
    // the lines under this one: deeper, up to the next label at the base indent
    const under: Line[] = [];
    for (let j = i + 1; j < server.length && (server[j].indent > base || server[j].raw.trim() === ''); j++) if (server[j].raw.trim() !== '') under.push(server[j]);
    const child = (label: string) => under.find((c) => c.indent === base + 1 && c.label === label);
    switch (l.label) {
      case 'Server Version':
        if (v) out.serverVersion = rep(l, v);
        break;
      case 'Containers':
        if (/^\d+$/.test(v)) {
          out.containers = rep(l, Number(v));
          const running = child('Running');
          if (running && /^\d+$/.test(running.value ?? '')) out.containersRunning = rep(running, Number(running.value));
        }
        break;
      case 'Storage Driver':
        if (v) out.storageDriver = rep(l, v);
        break;
      case 'Logging Driver':
        if (v) out.loggingDriver = rep(l, v);
        break;
      case 'Cgroup Driver':
        if (v) out.cgroupDriver = rep(l, v);
        break;
      case 'Cgroup Version':
        if (v) out.cgroupVersion = rep(l, v);
        break;
      case 'Swarm': {
        if (!v) break;
        out.swarm = rep(l, v);
        const id = child('NodeID');
        if (id?.value) out.swarmNodeId = rep(id, id.value);
        const manager = child('Is Manager');
        const isManager = bool(manager?.value);
        if (manager && isManager !== undefined) out.swarmManager = rep(manager, isManager);
        const addr = child('Node Address');
        if (addr?.value) out.swarmNodeAddr = rep(addr, addr.value);
        const error = child('Error');
        if (error?.value) out.swarmError = rep(error, error.value);
        // a manager's view of the cluster: `Managers: 3`, `Nodes: 5`
        const nodes = child('Nodes');
        if (nodes && /^\d+$/.test(nodes.value ?? '')) out.swarmNodes = rep(nodes, Number(nodes.value));
        const managers = child('Managers');
        if (managers && /^\d+$/.test(managers.value ?? '')) out.swarmManagers = rep(managers, Number(managers.value));
        break;
      }
      case 'Security Options': {
        // Docker <= 1.12: `Security Options: apparmor seccomp`; since 1.13 one per line, a profile under seccomp
        const options = v
          ? v.split(/\s+/).map((name) => rep(l, name))
          : under.filter((c) => c.indent === base + 1 && c.label === undefined && /^[a-z][\w=,.-]*$/i.test(c.raw.trim())).map((c) => rep(c, c.raw.trim()));
        const named = options.map((o) => ({ ...o, value: /(?:^|,)name=([^,]+)/.exec(o.value)?.[1] ?? o.value }));
        out.securityOptions = named;
        const rootless = named.find((o) => o.value === 'rootless');
        out.rootless = rootless ? { ...rootless, value: true } : rep(l, false);
        break;
      }
      case 'Kernel Version':
        sawAfterSecurity = true;
        if (v) out.kernelVersion = rep(l, v);
        break;
      case 'Operating System':
        if (v) out.operatingSystem = rep(l, v);
        break;
      case 'OSType':
        if (v) out.osType = rep(l, v);
        break;
      case 'Name':
        if (v) out.name = rep(l, v);
        break;
      case 'Docker Root Dir':
        sawAfterSecurity = true;
        if (v) out.dockerRootDir = rep(l, v);
        break;
      case 'Live Restore Enabled': {
        const b = bool(v);
        if (b !== undefined) out.liveRestore = rep(l, b);
        break;
      }
      case 'Firewall Backend': {
        if (!v) break;
        const details: Record<string, string> = {};
        for (const c of under) if (c.label && c.value !== undefined) details[c.label] = c.value;
        out.firewallBackend = { ...rep(l, v), ...(Object.keys(details).length ? { details } : {}) };
        break;
      }
      case 'Default Address Pools':
        out.defaultAddressPools = under
          .map((c) => ({ c, m: /^\s*Base:\s*(\S+),\s*Size:\s*(\d+)\s*$/.exec(c.raw) }))
          .filter((x) => x.m)
          .map(({ c, m }) => rep(c, { base: m![1], size: Number(m![2]) }));
        break;
    }
  }
  // the CLI prints the security options of every daemon that has one (rootless Docker always has
  // `rootless`): an output that went on past them without listing any is not rootless
  if (!out.rootless && out.serverVersion && sawAfterSecurity) {
    const at = out.dockerRootDir ?? out.kernelVersion!;
    out.rootless = { value: false, ref: at.ref, excerpt: at.excerpt };
  }
  // Docker's versions never start with `v`; nerdctl's (containerd's) do
  if (out.serverVersion && /^v\d/.test(out.serverVersion.value)) throw new SkipFile(file, 'not Docker: a containerd version');
  if (!out.serverVersion && !out.containers && !out.swarm && !out.dockerRootDir && !out.daemonError && out.warnings.length === 0)
    throw new SkipFile(file, 'no docker info output');
  return { file, origin: 'docker-info', engine: out };
}

/**
 * `docker version` text. The server's version is `Version:` right under `Server:` (Docker <= 17.x,
 * RHEL's docker 1.13) or under its ` Engine:` component (18.x on), never a containerd or runc one.
 */
export function parseDockerVersionOutput(text: string, file: string): DockerDaemonConfig {
  if (/^\s*\{/.test(text)) return parseDockerVersionJson(text, file);
  const { all, section } = scan(text);
  if (notDocker(all)) throw new SkipFile(file, 'not Docker: nerdctl or podman output');
  const out: DockerEngineInfo = { command: 'version', format: 'text', warnings: [] };
  warningsAndErrors(all, section, file, out);
  const rep = <T>(l: Line, value: T): Reported<T> => ({ value, ref: { file, line: l.n }, excerpt: capped(l.raw) });
  let component: string | undefined;
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    if (section[i] === 'client') {
      if (l.indent === 1 && l.label === 'Version' && l.value && !out.clientVersion) out.clientVersion = rep(l, l.value);
      continue;
    }
    if (section[i] !== 'server') continue;
    if (l.indent === 0) {
      const platform = /^Server:\s+(\S.*?)\s*$/.exec(l.raw)?.[1];
      if (platform) out.platform = rep(l, platform);
      component = undefined;
      continue;
    }
    if (l.label === undefined) continue;
    if (l.indent === 1 && !l.value) {
      component = l.label;
      continue;
    }
    const engine = (l.indent === 1 && component === undefined) || (l.indent === 2 && component === 'Engine');
    if (!engine || !l.value) continue;
    if (l.label === 'Version' && !out.serverVersion) out.serverVersion = rep(l, l.value);
    else if (l.label === 'API version' && !out.apiVersion) out.apiVersion = rep(l, l.value.replace(/\s*\(.*\)\s*$/, ''));
  }
  if (!out.serverVersion && !out.clientVersion && !out.daemonError) throw new SkipFile(file, 'no docker version output');
  return { file, origin: 'docker-version', engine: out };
}

// ---- JSON -----------------------------------------------------------------------------------

function jsonOf(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SkipFile(file, 'not a JSON object');
  return raw as Record<string, unknown>;
}

/** Where a key (or a string value) first stands: its line, line 1 for one-line JSON. */
function jsonRefs(text: string, file: string) {
  const fileLines = lines(text);
  const find = (needle: string, from = 0): Line | undefined => {
    for (let i = from; i < fileLines.length; i++) if (fileLines[i].includes(needle)) return { n: i + 1, raw: fileLines[i], indent: 0 };
    return undefined;
  };
  // the line itself where it is short (pretty-printed JSON), else the key and its value (one-line JSON)
  const excerptOf = (raw: string, key: string, value: unknown) => (raw.trim().length <= LINE_EXCERPT ? raw.trim() : capped(`"${key}":${JSON.stringify(value)}`));
  const at = (key: string, after?: Line, value?: unknown): { ref: SourceRef; excerpt: string } => {
    const l = find(`"${key}"`, after ? after.n - 1 : 0) ?? after ?? { n: 1, raw: fileLines[0] ?? '', indent: 0 };
    return { ref: { file, line: l.n }, excerpt: excerptOf(l.raw, key, value) };
  };
  return { find, at };
}

/** Longer than this, a JSON line is one-line JSON: its excerpt is the key and value, not the line. */
const LINE_EXCERPT = 200;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseDockerInfoJson(text: string, file: string): DockerDaemonConfig {
  const j = jsonOf(text, file);
  if (!('ServerVersion' in j) && !('Swarm' in j) && !('ContainersRunning' in j)) throw new SkipFile(file, 'not docker info JSON');
  const { find, at } = jsonRefs(text, file);
  const out: DockerEngineInfo = { command: 'info', format: 'json', warnings: [] };
  const put = <K extends keyof DockerEngineInfo>(key: K, jsonKey: string, value: unknown, after?: Line) => {
    if (value === undefined) return;
    (out as unknown as Record<string, unknown>)[key] = { value, ...at(jsonKey, after, value) };
  };
  put('serverVersion', 'ServerVersion', str(j.ServerVersion));
  put('containers', 'Containers', typeof j.Containers === 'number' ? j.Containers : undefined);
  put('containersRunning', 'ContainersRunning', typeof j.ContainersRunning === 'number' ? j.ContainersRunning : undefined);
  put('storageDriver', 'Driver', str(j.Driver));
  put('loggingDriver', 'LoggingDriver', str(j.LoggingDriver));
  put('cgroupDriver', 'CgroupDriver', str(j.CgroupDriver));
  put('cgroupVersion', 'CgroupVersion', str(j.CgroupVersion));
  put('dockerRootDir', 'DockerRootDir', str(j.DockerRootDir));
  put('liveRestore', 'LiveRestoreEnabled', typeof j.LiveRestoreEnabled === 'boolean' ? j.LiveRestoreEnabled : undefined);
  put('kernelVersion', 'KernelVersion', str(j.KernelVersion));
  put('operatingSystem', 'OperatingSystem', str(j.OperatingSystem));
  put('osType', 'OSType', str(j.OSType));
  put('name', 'Name', str(j.Name));
  put('ipv4Forwarding', 'IPv4Forwarding', typeof j.IPv4Forwarding === 'boolean' ? j.IPv4Forwarding : undefined);
  put('bridgeNfIptables', 'BridgeNfIptables', typeof j.BridgeNfIptables === 'boolean' ? j.BridgeNfIptables : undefined);
  put('bridgeNfIp6tables', 'BridgeNfIp6tables', typeof j.BridgeNfIp6tables === 'boolean' ? j.BridgeNfIp6tables : undefined);
  const swarm = j.Swarm && typeof j.Swarm === 'object' ? (j.Swarm as Record<string, unknown>) : undefined;
  if (swarm) {
    const swarmLine = find('"Swarm"');
    put('swarm', 'LocalNodeState', str(swarm.LocalNodeState), swarmLine);
    put('swarmNodeId', 'NodeID', str(swarm.NodeID), swarmLine);
    put('swarmNodeAddr', 'NodeAddr', str(swarm.NodeAddr), swarmLine);
    put('swarmError', 'Error', str(swarm.Error), swarmLine);
    put('swarmNodes', 'Nodes', typeof swarm.Nodes === 'number' ? swarm.Nodes : undefined, swarmLine);
    put('swarmManagers', 'Managers', typeof swarm.Managers === 'number' ? swarm.Managers : undefined, swarmLine);
    if (str(swarm.NodeID)) put('swarmManager', 'ControlAvailable', typeof swarm.ControlAvailable === 'boolean' ? swarm.ControlAvailable : undefined, swarmLine);
  }
  if (Array.isArray(j.SecurityOptions)) {
    const names = j.SecurityOptions.filter((o): o is string => typeof o === 'string').map((o) => /(?:^|,)name=([^,]+)/.exec(o)?.[1] ?? o);
    out.securityOptions = names.map((value) => ({ value, ...at('SecurityOptions', undefined, j.SecurityOptions) }));
    out.rootless = { value: names.includes('rootless'), ...at('SecurityOptions', undefined, j.SecurityOptions) };
  }
  const fw = j.FirewallBackend && typeof j.FirewallBackend === 'object' ? (j.FirewallBackend as Record<string, unknown>) : undefined;
  if (fw && str(fw.Driver)) {
    const details: Record<string, string> = {};
    if (Array.isArray(fw.Info)) for (const p of fw.Info) if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string') details[p[0]] = p[1];
    out.firewallBackend = { value: str(fw.Driver)!, ...at('FirewallBackend', undefined, fw), ...(Object.keys(details).length ? { details } : {}) };
  }
  if (Array.isArray(j.DefaultAddressPools))
    out.defaultAddressPools = j.DefaultAddressPools.filter((p): p is { Base: string; Size: number } => !!p && typeof p.Base === 'string' && typeof p.Size === 'number').map((p) => ({
      value: { base: p.Base, size: p.Size },
      ...at('DefaultAddressPools', undefined, p),
    }));
  const warningsLine = find('"Warnings"');
  if (Array.isArray(j.Warnings))
    for (const w of j.Warnings) {
      if (typeof w !== 'string' || w.trim() === '') continue;
      const text = w.trim().replace(/\s*\n\s*/g, ' ');
      // pretty-printed JSON has each warning on its own line
      const l = find(JSON.stringify(w).slice(0, 60), warningsLine ? warningsLine.n - 1 : 0) ?? warningsLine;
      out.warnings.push({ text, kind: warningKind(text), ref: { file, line: l?.n ?? 1 }, excerpt: l && l.raw.trim().length <= LINE_EXCERPT ? l.raw.trim() : capped(JSON.stringify(w)) });
    }
  const errors = Array.isArray(j.ServerErrors) ? j.ServerErrors.filter((e): e is string => typeof e === 'string') : [];
  if (errors[0]) out.daemonError = { value: errors[0], ...at('ServerErrors', undefined, errors[0]) };
  return { file, origin: 'docker-info', engine: out };
}

function parseDockerVersionJson(text: string, file: string): DockerDaemonConfig {
  const j = jsonOf(text, file);
  const server = j.Server && typeof j.Server === 'object' ? (j.Server as Record<string, unknown>) : undefined;
  const client = j.Client && typeof j.Client === 'object' ? (j.Client as Record<string, unknown>) : undefined;
  if (!server && !client) throw new SkipFile(file, 'not docker version JSON');
  const { find, at } = jsonRefs(text, file);
  const out: DockerEngineInfo = { command: 'version', format: 'json', warnings: [] };
  const clientLine = find('"Client"');
  const serverLine = find('"Server"');
  if (client && str(client.Version)) out.clientVersion = { value: str(client.Version)!, ...at('Version', clientLine, client.Version) };
  if (server) {
    const components = Array.isArray(server.Components) ? (server.Components as Record<string, unknown>[]) : [];
    const engine = components.find((c) => c && c.Name === 'Engine');
    const version = str(engine?.Version) ?? str(server.Version);
    if (version) out.serverVersion = { value: version, ...at('Version', serverLine, version) };
    const details = engine?.Details && typeof engine.Details === 'object' ? (engine.Details as Record<string, unknown>) : {};
    const api = str(details.ApiVersion) ?? str(server.ApiVersion);
    if (api) out.apiVersion = { value: api, ...at('ApiVersion', serverLine, api) };
    const platform = server.Platform && typeof server.Platform === 'object' ? str((server.Platform as Record<string, unknown>).Name) : undefined;
    if (platform) {
      if (/Podman/i.test(platform)) throw new SkipFile(file, 'not Docker: podman output');
      out.platform = { value: platform, ...at('Name', serverLine, platform) };
    }
  }
  if (!out.serverVersion && !out.clientVersion) throw new SkipFile(file, 'no docker version output');
  return { file, origin: 'docker-version', engine: out };
}

// ---- sniffing -------------------------------------------------------------------------------

/** A prompt or comment naming the command, as pastes start (`# docker info`, `[root@h ~]# docker version`). */
const PROMPT = (command: 'info' | 'version') => new RegExp(`^\\S*.*?(?:[#$>%]\\s*|^)(?:sudo\\s+)?docker\\s+(?:system\\s+)?${command}\\b[^\\n]*$`);
/** A line at column 0 the CLI prints: a label of Docker <= 18.09's flat layout (no digits: not a log line's time), a section, a warning or error. */
const TOP_LINE = /^(?:[A-Za-z][A-Za-z ()/._-]*:(?:\s.*)?|(?:WARNING|DEPRECATED|ERROR):.*|errors pretty printing info)$/;

/**
 * Whether the start of a file is nothing but the command's output: every line indented (the CLI's
 * details), a section or flat-layout label, a warning or the daemon error, after at most a prompt
 * naming the command. A ticket's paste of `docker version` followed by a `docker run` and its
 * warning is not: it stays a log, scanned for its signatures.
 */
function onlyOutput(head: string, command: 'info' | 'version'): boolean {
  const all = head.split('\n').map((l) => l.replace(/\r$/, ''));
  // a head cut at the sniffing limit ends inside a line
  if (head.length >= 4000) all.pop();
  const first = all.findIndex((l) => l.trim() !== '');
  return all.every((l, i) => l.trim() === '' || /^[ \t]/.test(l) || TOP_LINE.test(l) || DAEMON_ERROR.test(l) || (i === first && PROMPT(command).test(l)));
}

/**
 * `docker info`: the CLI's client header (`Client:`, then `Version:`, `Context:`, `Debug Mode:`; 19.03 on)
 * or the server's counts (`Containers: N`, `Images: N` beside `Server Version:`, every version), and
 * nothing else (see onlyOutput); its JSON by the container counts only /info has. Not nerdctl's (no
 * counts) nor podman's (YAML).
 */
export function sniffDockerInfo(head: string): boolean {
  if (/^\s*\{/.test(head)) return /"ContainersRunning"\s*:\s*\d/.test(head) && /"ContainersStopped"\s*:\s*\d/.test(head) && /"Images"\s*:\s*\d/.test(head);
  const client = /^Client:[^\n]*\r?\n(?: Version: +\S+\r?\n)?(?: Context: +\S+\r?\n)? Debug Mode: (?:true|false)\r?$/m.test(head) && !/^ API version:/m.test(head);
  const server = /^ ?Containers: \d+\r?$/m.test(head) && /^ ?Images: \d+\r?$/m.test(head) && /^ ?(?:Server Version|Storage Driver|Swarm|Logging Driver):/m.test(head);
  return (client || server) && onlyOutput(head, 'info');
}

/** `docker version`: the client's `API version:`, `Go version: go...` and `Git commit:` (every version), and nothing else; its JSON by `Client` with `ApiVersion` and `GoVersion`. */
export function sniffDockerVersion(head: string): boolean {
  if (/^\s*\{/.test(head)) return /^\s*\{\s*"Client"\s*:/.test(head) && /"ApiVersion"\s*:/.test(head) && /"GoVersion"\s*:/.test(head);
  return /^Client:/m.test(head) && /^ API version: +\d+\.\d+/m.test(head) && /^ Go version: +go\d/m.test(head) && /^ Git commit: +\S/m.test(head) && onlyOutput(head, 'version');
}

// ---- the node's view ------------------------------------------------------------------------

/** A node's docker info and docker version combined: docker info first, docker version for what it lacks. */
export interface DockerEngineView extends Omit<DockerEngineInfo, 'command' | 'format'> {
  /** the files read, docker info's first */
  files: string[];
}

const views = new WeakMap<readonly DockerDaemonConfig[], DockerEngineView | undefined>();

/** What the node's `docker info` / `docker version` outputs say of its daemon; undefined without any. */
export function dockerEngine(configs: readonly DockerDaemonConfig[] | undefined): DockerEngineView | undefined {
  if (!configs) return undefined;
  if (views.has(configs)) return views.get(configs);
  const engines = configs
    .filter((c) => (c.origin === 'docker-info' || c.origin === 'docker-version') && c.engine)
    .sort((a, b) => (a.origin === b.origin ? 0 : a.origin === 'docker-info' ? -1 : 1));
  let view: DockerEngineView | undefined;
  if (engines.length > 0) {
    view = { files: [...new Set(engines.map((e) => e.file))], warnings: [] };
    const seen = new Set<string>();
    for (const { engine } of engines) {
      for (const [k, v] of Object.entries(engine!)) {
        if (k === 'command' || k === 'format' || k === 'warnings' || v === undefined) continue;
        const rec = view as unknown as Record<string, unknown>;
        if (rec[k] === undefined) rec[k] = v;
      }
      for (const w of engine!.warnings)
        if (!seen.has(w.text)) {
          seen.add(w.text);
          view.warnings.push(w);
        }
    }
  }
  views.set(configs, view);
  return view;
}

/** docker info / docker version's error where it says no daemon answered (DAEMON_DOWN); undefined where the daemon answered, or refused for another reason. */
export function daemonUnreachable(view: Pick<DockerEngineInfo, 'daemonError' | 'serverVersion'> | undefined): Reported<string> | undefined {
  const e = view?.daemonError;
  return e && !view.serverVersion && DAEMON_DOWN.test(e.value) ? e : undefined;
}

/** A Docker version's numbers: `28.0.4` -> [28, 0, 4]; `17.09.0-ce` -> [17, 9, 0]; `1.13.1` -> [1, 13, 1]. Undefined for what is no version. */
export function dockerVersionNumbers(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}
