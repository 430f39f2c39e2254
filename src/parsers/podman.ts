/**
 * The ports Podman's containers publish: `podman ps` / `podman ps -a` (the PORTS column,
 * `0.0.0.0:8000->80/tcp`) and `podman port --all` (`<id>\t80/tcp -> 0.0.0.0:8000`, or the id
 * alone on a line and its mappings under it). sos's podman plugin runs all three as root
 * (sos_commands/podman/podman_ps, podman_ps_-a, podman_port_--all). Only what the netavark
 * analyzers need: which container publishes which host port, whether it is running, and the line.
 */
import { SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';

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
  ref: SourceRef;
  excerpt: string;
}

export interface PodmanPorts {
  file: string;
  source: 'ps' | 'port';
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
