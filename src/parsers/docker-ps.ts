/**
 * The containers Docker runs and the ports they publish: `docker ps` / `docker ps -a` /
 * `docker container ls [-a]` text output (sos's docker plugin: sos_commands/docker/docker_ps,
 * docker_ps_-a, docker_ps_-as with its size option; insights: docker_ps_--all_--no-trunc). The PORTS
 * column holds `0.0.0.0:8080->80/tcp, :::8080->80/tcp` (Docker < 28 writes the IPv6 wildcard `:::`,
 * 28+ `[::]:`), `127.0.0.1:5432->5432/tcp`, ranges `0.0.0.0:7000-7002->7000-7002/tcp`, and ports a
 * container exposes without publishing them (`80/tcp`). `podman ps` prints the same header: it is told
 * apart by the command line above it (podman.ts), never by this sniffer.
 * Every container keeps its line; an excerpt shows its name, status and the binding.
 */
import { SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';
import type { DnsServerSetting } from './resolv-conf.js';

export interface DockerPsBinding {
  /** `0.0.0.0`, `::`, `127.0.0.1`, `::1`, a host address; absent when the cell names none (`8080->80/tcp`) */
  hostIp?: string;
  /** the host port or the first of a range */
  hostPort: number;
  /** the last host port of a range (= hostPort for one port) */
  hostPortEnd: number;
  /** `80` or `7000-7002` */
  containerPort: string;
  protocol: string;
  /** the cell as printed */
  text: string;
}

export interface DockerPsContainer {
  /** the CONTAINER ID column (12 or 64 hex digits); the name when the listing has no id column */
  id: string;
  name?: string;
  image?: string;
  /** the STATUS column as printed: `Up 3 hours (healthy)`, `Exited (0) 2 days ago`, `Created` */
  status?: string;
  /** STATUS starts with Up (a paused container's ports are bound too: `Up 2 minutes (Paused)`) */
  running: boolean;
  bindings: DockerPsBinding[];
  /** ports exposed but not published (`80/tcp`) */
  exposed: string[];
  /** HostConfig.NetworkMode of `docker inspect` (`bridge`, `host`, a network's name, `container:<id>`); the table does not show it */
  networkMode?: string;
  /** docker inspect's HostConfig.Dns (--dns), each server at its line */
  dns?: DnsServerSetting[];
  ref: SourceRef;
  excerpt: string;
}

export interface DockerPs {
  file: string;
  containers: DockerPsContainer[];
  warnings: ParseWarning[];
}

/** The columns of `docker ps` (and of `--format 'table ...'` listings that keep PORTS and NAMES). */
const HEADER = /^(?=.*\bPORTS\b)(?=.*\bNAMES\b)(?=.*(?:CONTAINER ID|\bSTATUS\b))[A-Z][A-Z ]*$/;
/** one published binding: `0.0.0.0:8080->80/tcp`, `:::8080->80/tcp`, `[::]:8080->80/tcp`, `127.0.0.1:7000-7002->7000-7002/udp`, `8080->80/tcp` */
const BINDING = /^(?:(\[[0-9a-fA-F:.]*\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:):)?(\d+)(?:-(\d+))?->(\d+(?:-\d+)?)\/([a-z]+)$/;
const EXPOSED = /^\d+(?:-\d+)?\/[a-z]+$/;
const HEX_ID = /^[0-9a-f]{12}(?:[0-9a-f]{52})?$/;
const STATUS = /\b(Up|Exited|Created|Restarting|Paused|Removal In Progress|Dead)\b/;

/**
 * A file that starts with a `docker ps` listing: its header first, or under the command line that printed
 * it (`$ docker ps`, `user@host:~$ sudo docker container ls -a`). Not a podman command line (podman ps
 * prints the same header), and not a listing further down a transcript: that file stays what its start
 * says (ufw status, a log), as one file is read in one format.
 */
export function sniffDockerPs(head: string): boolean {
  const lines = head.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 3);
  const at = lines.findIndex((l) => /^CONTAINER ID\s{2,}IMAGE\s{2,}COMMAND\s{2,}CREATED\s{2,}STATUS\s{2,}PORTS\s{2,}NAMES(\s{2,}SIZE)?\s*$/.test(l));
  if (at < 0) return false;
  return lines.slice(0, at).every((l) => /\bdocker\s+(?:ps|container\s+(?:ls|list|ps))\b/.test(l) && !/\bpodman\b/.test(l));
}

function parseBinding(cell: string): DockerPsBinding | undefined {
  const m = BINDING.exec(cell);
  if (!m) return undefined;
  let ip = m[1];
  // `:::8080` is printed as the address `::` (then `:`), `[::]:8080` with brackets
  if (ip !== undefined) ip = ip.replace(/^\[(.*)\]$/, '$1');
  const b: DockerPsBinding = { hostPort: Number(m[2]), hostPortEnd: Number(m[3] ?? m[2]), containerPort: m[4], protocol: m[5], text: cell };
  if (ip) b.hostIp = ip;
  return b;
}

/** A PORTS cell (`0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp`): its published bindings, its exposed ports, and what is neither. */
export function parsePortsCell(cell: string): { bindings: DockerPsBinding[]; exposed: string[]; unknown: string[] } {
  const out = { bindings: [] as DockerPsBinding[], exposed: [] as string[], unknown: [] as string[] };
  for (const p of cell.split(/,\s*/).map((x) => x.trim()).filter(Boolean)) {
    const b = parseBinding(p);
    if (b) out.bindings.push(b);
    else if (EXPOSED.test(p)) out.exposed.push(p);
    else out.unknown.push(p);
  }
  return out;
}

/** `docker ps [-a] [-s] [--no-trunc]`, `docker container ls`: columns start where their header starts (Go's tabwriter aligns every row). */
export function parseDockerPs(text: string, file: string): DockerPs {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not docker ps output');
  const src = splitLines(text);
  const out: DockerPs = { file, containers: [], warnings: [] };
  let cols: { name: string; at: number }[] | undefined;
  let sawHeader = false;
  for (let i = 0; i < src.length; i++) {
    const line = src[i].length > 65536 ? src[i].slice(0, 65536) : src[i];
    if (HEADER.test(line.trimEnd())) {
      cols = [...line.matchAll(/CONTAINER ID|[A-Z]+(?: [A-Z]+)*/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
      sawHeader = true;
      continue;
    }
    if (!cols) continue;
    if (line.trim() === '') {
      cols = undefined;
      continue;
    }
    // where each cell starts in this row: the header's column, or a few characters left of it when the
    // row runs short (the CLI pads a column holding `…` by its display width, 2 in some terminals: later cells start early)
    const starts = cols.map((c, k) => {
      if (k === 0) return c.at;
      let a = c.at;
      while (a > cols![k - 1].at && c.at - a < 4 && line[a] !== undefined && line[a] !== ' ' && line[a - 1] !== ' ') a--;
      return line[a - 1] === ' ' || a === c.at ? a : c.at;
    });
    const cell = (name: string) => {
      const k = cols!.findIndex((c) => c.name === name);
      if (k < 0) return undefined;
      return line.slice(starts[k], k + 1 < cols!.length ? starts[k + 1] : undefined).trim();
    };
    const idCol = cols.some((c) => c.name === 'CONTAINER ID');
    const first = line.trim().split(/\s+/)[0];
    if (idCol && !HEX_ID.test(first)) {
      // a prompt, the next command, or the table's end
      cols = undefined;
      continue;
    }
    // the cells where the header says; a pasted table whose spacing was lost: the binding-shaped words of the row
    let ports = cell('PORTS') ?? '';
    let cells = ports.split(/,\s*/).filter(Boolean);
    const rowWords = line.split(/,?\s+/).filter((w) => BINDING.test(w) || EXPOSED.test(w));
    const misaligned = cells.some((c) => !BINDING.test(c) && !EXPOSED.test(c)) || rowWords.length > cells.length;
    if (misaligned) {
      cells = rowWords;
      ports = rowWords.join(', ');
    }
    let status = cell('STATUS');
    if (status === undefined || !STATUS.test(status.split(/\s+/)[0] ?? '')) {
      // a row out of line with its header: the status where it starts (after the quoted COMMAND when there is one)
      const from = line.lastIndexOf('"') + 1;
      const k = line.slice(from).search(STATUS);
      if (k >= 0) {
        const words = line.slice(from + k).split(/\s{2,}/)[0].trim().split(/\s+/);
        const end = words.findIndex((w) => BINDING.test(w.replace(/,$/, '')) || EXPOSED.test(w.replace(/,$/, '')));
        status = (end < 0 ? words : words.slice(0, end)).join(' ');
      }
    }
    // NAMES is the last column (but for SIZE): a misaligned row's name is its last word
    const namesLast = cols[cols.length - 1].name === 'NAMES';
    const name = (misaligned && namesLast ? line.trim().split(/\s+/).pop() : (cell('NAMES') ?? '').split(/\s+/)[0]) || undefined;
    const c: DockerPsContainer = {
      id: idCol ? first : (name ?? first),
      running: /^Up\b/.test(status ?? ''),
      bindings: [],
      exposed: [],
      ref: { file, line: i + 1 },
      excerpt: '',
    };
    if (name) c.name = name;
    const image = cell('IMAGE');
    if (image) c.image = image.split(/\s+/)[0];
    if (status) c.status = status;
    const parsed = parsePortsCell(cells.join(', '));
    c.bindings.push(...parsed.bindings);
    c.exposed.push(...parsed.exposed);
    for (const p of parsed.unknown) out.warnings.push({ file, line: i + 1, message: `port ${p} not understood` });
    c.excerpt = `${name ?? c.id} ${status ?? ''} ${ports}`.replace(/\s+/g, ' ').trim().slice(0, 400);
    out.containers.push(c);
  }
  if (!sawHeader) throw new SkipFile(file, 'no docker ps header');
  return out;
}

const LOOPBACK = /^(127\.|::1$)/;

/** One binding of a running container that a packet from elsewhere can reach (not 127.0.0.1 / ::1), with its container. */
export interface ReachableBinding {
  container: DockerPsContainer;
  binding: DockerPsBinding;
  /** 4 for 0.0.0.0 and IPv4 addresses, 6 for :: and IPv6 ones; an address-less cell (`8080->80/tcp`) counts as 4 */
  family: 4 | 6;
}

/** The bindings of running containers published on every address or on a non-loopback one. */
export function reachableBindings(lists: readonly DockerPs[]): ReachableBinding[] {
  const out: ReachableBinding[] = [];
  for (const l of lists)
    for (const c of l.containers) {
      if (!c.running) continue;
      for (const b of c.bindings) {
        if (b.hostIp && LOOPBACK.test(b.hostIp)) continue;
        out.push({ container: c, binding: b, family: b.hostIp?.includes(':') ? 6 : 4 });
      }
    }
  return out;
}
