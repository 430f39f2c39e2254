/**
 * The ports Podman's containers publish: `podman ps` / `podman ps -a` (the PORTS column,
 * `0.0.0.0:8000->80/tcp`) and `podman port --all` (`<id>\t80/tcp -> 0.0.0.0:8000`, or the id
 * alone on a line and its mappings under it). sos's podman plugin runs all three as root
 * (sos_commands/podman/podman_ps, podman_ps_-a, podman_port_--all). Only what the netavark
 * analyzers need: which container publishes which host port, whether it is running, and the line.
 */
import { ParseError, SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface PodmanPublishedPort {
  /** the container id (as printed: 12 or 64 hex digits) or, when only names are known, its name */
  container: string;
  name?: string;
  /** `0.0.0.0`, `127.0.0.1`, `[::]`; absent when the listing does not say */
  hostIp?: string;
  /** `8000` or a range `8000-8002` */
  hostPort: string;
  containerPort: string;
  protocol: string;
  /** from podman ps's STATUS column (`Up ...`); `podman port` lists running containers only */
  running: boolean;
  /** set where the port is how the container is configured (a quadlet PublishPort=, a typed podman run -p), not a listing */
  declared?: 'quadlet' | 'command';
  /**
   * declared only: the network the quadlet (`Network=`) or the command (`--network` / `--net`) names; `pod` where it
   * joins a pod (`--pod`, `Pod=`). Unset: none named (rootless: pasta (Podman 5) or slirp4netns, not a netavark network)
   */
  network?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface PodmanPorts {
  file: string;
  source: 'ps' | 'port' | 'declared';
  /** containers listed (rows of podman ps; ids of podman port) */
  containers: number;
  ports: PodmanPublishedPort[];
  warnings: ParseWarning[];
}

const PS_HEADER = /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s*$/;
/** `0.0.0.0:8000->80/tcp`, `[::]:8000->80/tcp`, `127.0.0.1:8000-8002->80-82/udp`, `8000->80/tcp` */
const PS_PORT = /^(?:(\[[0-9a-fA-F:.]*\]|[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*?):)?(\d+(?:-\d+)?)->(\d+(?:-\d+)?)\/([a-z]+)$/;
/** `80/tcp -> 0.0.0.0:8000` */
const PORT_LINE = /^(\d+(?:-\d+)?)\/([a-z]+)\s+->\s+(.*):(\d+(?:-\d+)?)$/;
const HEX_ID = /^[0-9a-f]{12}(?:[0-9a-f]{52})?$/;

/** A `podman ps` header under a command line that names podman (docker ps prints the same header). */
export function sniffPodmanPs(head: string): boolean {
  return /^(?:[^\n]{0,80}?[$#]\s*)?(?:sudo\s+)?podman\s+(?:ps|container\s+(?:ls|list|ps))\b[^\n]*\r?\n(?:[^\n]*\r?\n)?CONTAINER ID\s+IMAGE\s+COMMAND/m.test(head);
}

/** `podman port --all`: an id, a tab, a mapping (docker port has no --all, and no id column). */
export function sniffPodmanPort(head: string): boolean {
  return /^[0-9a-f]{12}(?:[0-9a-f]{52})?\t\d+(?:-\d+)?\/[a-z]+ -> \S+:\d+/m.test(head);
}

/** `podman ps [-a]`: columns start where their header starts (Go's tabwriter aligns every row). */
export function parsePodmanPs(text: string, file: string): PodmanPorts {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not podman ps output');
  const src = splitLines(text);
  const out: PodmanPorts = { file, source: 'ps', containers: 0, ports: [], warnings: [] };
  let cols: { status: number; ports: number; names: number } | undefined;
  let sawHeader = false;
  for (let i = 0; i < src.length; i++) {
    const line = src[i].length > 65536 ? src[i].slice(0, 65536) : src[i];
    if (PS_HEADER.test(line)) {
      cols = { status: line.indexOf('STATUS'), ports: line.indexOf('PORTS'), names: line.indexOf('NAMES') };
      sawHeader = true;
      continue;
    }
    if (!cols || line.trim() === '') {
      if (line.trim() === '') cols = undefined;
      continue;
    }
    const id = line.slice(0, line.indexOf(' ') < 0 ? line.length : line.indexOf(' '));
    if (!HEX_ID.test(id) || line.length <= cols.names) {
      // a prompt, the next command, or a row cut short: the table ends
      cols = undefined;
      continue;
    }
    out.containers++;
    const status = line.slice(cols.status, cols.ports).trim();
    const ports = line.slice(cols.ports, cols.names).trim();
    const name = line.slice(cols.names).trim().split(/\s+/)[0];
    const running = /^Up\b/.test(status);
    for (const cell of ports.split(/,\s*/).filter(Boolean)) {
      const m = PS_PORT.exec(cell.trim());
      if (!m) {
        // `80/tcp`: exposed, not published (podman >= 4 lists them)
        if (!/^\d+(?:-\d+)?\/[a-z]+$/.test(cell.trim())) out.warnings.push({ file, line: i + 1, message: `port ${cell.trim()} not understood` });
        continue;
      }
      const p: PodmanPublishedPort = { container: id, name, hostPort: m[2], containerPort: m[3], protocol: m[4], running, ref: { file, line: i + 1 }, excerpt: `${name} ${status} ${cell.trim()}` };
      if (m[1]) p.hostIp = m[1];
      out.ports.push(p);
    }
  }
  if (!sawHeader) throw new SkipFile(file, 'no podman ps header');
  return out;
}

/** `podman port --all` / `podman port -a` (and `podman port CONTAINER` under a named file). */
export function parsePodmanPort(text: string, file: string): PodmanPorts {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not podman port output');
  const src = splitLines(text);
  const out: PodmanPorts = { file, source: 'port', containers: 0, ports: [], warnings: [] };
  const ids = new Set<string>();
  let current: string | undefined;
  let sawMapping = false;
  for (let i = 0; i < src.length; i++) {
    const line = src[i].trim();
    if (line === '') continue;
    let id: string | undefined;
    let mapping = line;
    const tab = /^([0-9a-f]{12}(?:[0-9a-f]{52})?)\s+(\d.*)$/.exec(line);
    if (tab) {
      id = tab[1];
      mapping = tab[2];
    } else if (HEX_ID.test(line)) {
      // the manual's layout: the id on its own line, its mappings under it
      current = line;
      ids.add(line);
      continue;
    }
    const m = PORT_LINE.exec(mapping);
    if (!m) continue;
    const container = id ?? current ?? '';
    if (container) ids.add(container);
    sawMapping = true;
    out.ports.push({ container, hostIp: m[3], hostPort: m[4], containerPort: m[1], protocol: m[2], running: true, ref: { file, line: i + 1 }, excerpt: line });
  }
  if (!sawMapping && ids.size === 0) throw new SkipFile(file, 'no podman port mappings');
  out.containers = ids.size;
  return out;
}

/** Ports of running containers that the host forwards (not those bound to loopback only). */
export function publishedPorts(lists: readonly PodmanPorts[]): PodmanPublishedPort[] {
  return lists.flatMap((l) => l.ports).filter((p) => p.running && !/^(127\.|\[?::1\]?$)/.test(p.hostIp ?? ''));
}

// ---- H93: ports declared, not listed: quadlet PublishPort= and typed `podman run -p` ---------------------------

/**
 * Ports a container is set to publish, as written: a quadlet `.container` unit's `PublishPort=` lines (its
 * `ContainerName=` for the name, else the file's base name) or a typed `podman run|create ... -p|--publish X` command
 * (lines joined at a trailing `\`). The value is podman's `[[ip:][hostPort]:]containerPort[/protocol]`; a port
 * without a host port (podman picks one) is left out. These entries say how the container is started, not that it
 * runs now: `running` is false and `declared` says where the line came from.
 */
export function parsePodmanPublishDeclared(text: string, file: string): PodmanPorts {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not a quadlet unit or a podman command');
  const src = splitLines(text);
  const out: PodmanPorts = { file, source: 'declared', containers: 0, ports: [], warnings: [] };
  const quadlet = src.some((l) => /^\s*\[Container\]\s*$/.test(l));
  if (quadlet) {
    const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.container$/, '');
    const name = src.map((l) => /^\s*ContainerName\s*=\s*(\S+)\s*$/.exec(l)?.[1]).find(Boolean) ?? base;
    const network = src.map((l) => /^\s*Network\s*=\s*"?([^"\s]+)"?\s*$/.exec(l)?.[1]).find(Boolean) ?? (src.some((l) => /^\s*Pod\s*=/.test(l)) ? 'pod' : undefined);
    // host / none / another container's namespace: podman discards the port mappings
    if (network && DISCARDS_PORTS.test(network)) return { ...out, containers: 1 };
    let section = '';
    for (let i = 0; i < src.length; i++) {
      const l = src[i].trim();
      const sec = /^\[([^\]]+)\]$/.exec(l);
      if (sec) section = sec[1];
      if (section !== 'Container') continue;
      const m = /^PublishPort\s*=\s*"?([^"\s]+)"?\s*$/.exec(l);
      if (!m) continue;
      const p = publishSpec(m[1]);
      if (p) out.ports.push({ container: name, name, ...p, running: false, declared: 'quadlet', ...(network ? { network } : {}), ref: { file, line: i + 1 }, excerpt: l });
    }
    out.containers = 1;
    if (out.ports.length === 0 && !src.some((l) => /^\s*Image\s*=/.test(l))) throw new SkipFile(file, 'no [Container] Image= nor PublishPort=');
    return out;
  }
  for (let i = 0; i < src.length; i++) {
    const start = i;
    let cmd = src[i];
    while (/\\\s*$/.test(cmd) && i + 1 < src.length && cmd.length < 16384) cmd = cmd.replace(/\\\s*$/, ' ') + src[++i];
    const run = PODMAN_RUN.exec(cmd);
    if (!run) continue;
    out.containers++;
    const args = cmd.slice(run.index + run[0].length);
    const name = /(?:^|\s)--name(?:=|\s+)["']?([\w.-]+)/.exec(args)?.[1];
    const network = /(?:^|\s)--net(?:work)?(?:=|\s+)["']?([^\s"']+)/.exec(args)?.[1] ?? (/(?:^|\s)--pod(?:=|\s)/.test(args) ? 'pod' : undefined);
    // `--network host` / none / container:<id> / ns:<path>: podman discards -p ("Port mappings have been discarded")
    if (network && DISCARDS_PORTS.test(network)) continue;
    for (const pm of args.matchAll(/(?:^|\s)(?:-p|--publish)(?:=|\s+)["']?([^\s"']+)/g)) {
      const p = publishSpec(pm[1]);
      if (!p) continue;
      const who = name ?? '(unnamed)';
      out.ports.push({ container: who, ...(name ? { name } : {}), ...p, running: false, declared: 'command', ...(network ? { network } : {}), ref: { file, line: start + 1 }, excerpt: cmd.trim().replace(/\s+/g, ' ').slice(0, 300) });
    }
  }
  if (out.containers === 0) throw new SkipFile(file, 'no quadlet [Container] section nor podman run/create command');
  return out;
}

/** network modes whose container publishes nothing: podman discards its -p / PublishPort= */
const DISCARDS_PORTS = /^(?:host|none|container:.*|ns:.*)$/;

/** `podman run`, `podman container create`, `$ podman run` at a prompt, `sudo podman run` (not `docker run`) */
const PODMAN_RUN = /^(?:.{0,80}?[#$%>]\s+)?(?:sudo\s+)?(?:\S*\/)?podman\s+(?:--\S+\s+)*(?:container\s+)?(?:run|create)\b/;

/** Content test: a quadlet `.container` unit, or a text whose first command is a podman run / create. */
export function sniffPodmanPublishDeclared(head: string): boolean {
  if (/^\[Container\]\s*$/m.test(head) && /^\s*(?:Image|PublishPort)\s*=/m.test(head)) return true;
  // typed commands: only a file that holds podman commands and nothing else (a script, a saved command line); a
  // terminal transcript with output or log lines after the command is a log (the scanner reads it)
  const lines = head.replace(/\\\r?\n/g, ' ').split('\n').filter((l) => l.trim() !== '' && !/^\s*#(?!\s*(?:sudo\s+)?podman\b)/.test(l));
  if (lines.length === 0 || !PODMAN_RUN.test(lines[0])) return false;
  if (!lines.every((l) => /^(?:.{0,80}?[#$%>]\s+)?(?:sudo\s+)?(?:\S*\/)?podman\s/.test(l))) return false;
  return /(?:^|\s)(?:-p|--publish)(?:=|\s)/m.test(head);
}

/** `[[ip:][hostPort]:]containerPort[/protocol]` -> host IP, host and container port, protocol (tcp unless said). */
export function publishSpec(spec: string): { hostIp?: string; hostPort: string; containerPort: string; protocol: string } | undefined {
  const m = /^(?:(\[[0-9a-fA-F:.]*\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/([a-z]+(?:,[a-z]+)?))?$/.exec(spec.trim());
  if (!m || !m[2]) return undefined;
  return { ...(m[1] ? { hostIp: m[1] } : {}), hostPort: m[2], containerPort: m[3], protocol: m[4] ?? 'tcp' };
}

// ---- H93: podman network inspect ---------------------------------------------------------------------------

export interface PodmanNetwork {
  name: string;
  driver?: string;
  /** `dns_enabled`: aardvark-dns answers on the gateways */
  dnsEnabled: boolean;
  gateways: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface PodmanNetworks {
  file: string;
  networks: PodmanNetwork[];
  warnings: ParseWarning[];
}

/** `podman network inspect` JSON (netavark's network config: `"name"`, `"driver"`, `"dns_enabled"`, `"subnets"`). */
export function sniffPodmanNetworkInspect(head: string): boolean {
  return /^\s*\[?\s*\{/.test(head.replace(/^[^\n]*podman\s+network\s+inspect[^\n]*\n/, '')) && /"dns_enabled"\s*:/.test(head) && /"network_interface"\s*:|"driver"\s*:\s*"(?:bridge|macvlan|ipvlan)"/.test(head);
}

export function parsePodmanNetworkInspect(text: string, file: string): PodmanNetworks {
  const at = text.search(/[[{]/);
  if (at < 0) throw new SkipFile(file, 'no JSON in it');
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(at));
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  const list = Array.isArray(doc) ? doc : [doc];
  const src = splitLines(text);
  const out: PodmanNetworks = { file, networks: [], warnings: [] };
  let from = 0;
  for (const n of list) {
    if (!n || typeof n !== 'object') continue;
    const o = n as Record<string, unknown>;
    if (typeof o.name !== 'string' || !('dns_enabled' in o)) continue;
    // the network's own `"dns_enabled"` line, after its `"name"` line
    const nameLine = src.findIndex((l, i) => i >= from && l.includes(`"name": ${JSON.stringify(o.name)}`));
    const dnsLine = src.findIndex((l, i) => i >= Math.max(nameLine, from) && /"dns_enabled"\s*:/.test(l));
    const line = dnsLine >= 0 ? dnsLine : Math.max(nameLine, 0);
    if (dnsLine >= 0) from = dnsLine + 1;
    const subnets = Array.isArray(o.subnets) ? (o.subnets as Record<string, unknown>[]) : [];
    out.networks.push({
      name: o.name,
      ...(typeof o.driver === 'string' ? { driver: o.driver } : {}),
      dnsEnabled: o.dns_enabled === true,
      gateways: subnets.map((s) => s?.gateway).filter((g): g is string => typeof g === 'string'),
      ref: { file, line: line + 1 },
      excerpt: dnsLine >= 0 ? `${o.name}: ${src[dnsLine].trim()}` : `${o.name}: "dns_enabled": ${String(o.dns_enabled)}`,
    });
  }
  if (out.networks.length === 0) throw new SkipFile(file, 'no podman network (name, dns_enabled) in it');
  return out;
}
