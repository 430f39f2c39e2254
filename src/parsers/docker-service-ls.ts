/**
 * Swarm's services and the ports they publish: `docker service ls` text output. Its header is
 * `ID  NAME  MODE  REPLICAS  IMAGE  PORTS` (Go's tabwriter: every row's cells start under their header).
 * The PORTS column prints a port published in ingress mode (the routing mesh, the default) as
 * `*:80->80/tcp`; `docker service ls` only answers on a Swarm manager, so the listing itself says the
 * node is in a Swarm, and an ingress port says the routing mesh (DOCKER-INGRESS, docker_gwbridge's
 * ingress sandbox) carries it. Every service keeps its line.
 */
import { SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface DockerServicePort {
  /** `ingress` for `*:80->80/tcp` (the routing mesh); `host` for a cell without `*:` */
  mode: 'ingress' | 'host';
  publishedPort: number;
  /** the last published port of a range (= publishedPort for one port) */
  publishedPortEnd: number;
  /** `80` or `7000-7002` */
  targetPort: string;
  protocol: string;
  /** the cell as printed */
  text: string;
}

export interface DockerService {
  id: string;
  name: string;
  /** `replicated`, `global`, `replicated-job`, `global-job` */
  mode?: string;
  /** `1/1` */
  replicas?: string;
  image?: string;
  ports: DockerServicePort[];
  ref: SourceRef;
  excerpt: string;
}

export interface DockerServiceList {
  file: string;
  services: DockerService[];
  warnings: ParseWarning[];
}

const HEADER_LINE = /^ID\s{2,}NAME\s{2,}MODE\s{2,}REPLICAS\s{2,}IMAGE\s{2,}PORTS\s*$/;
/** `*:80->80/tcp`, `*:7000-7002->7000-7002/udp`, `8080->80/tcp` */
const PORT = /^(\*:)?(\d+)(?:-(\d+))?->(\d+(?:-\d+)?)\/([a-z]+)$/;
/** Swarm's ids: 25 lower-case base-36 characters, 12 shown unless --no-trunc */
const SERVICE_ID = /^[0-9a-z]{12}(?:[0-9a-z]{13})?$/;

/**
 * A file that starts with a `docker service ls` listing: its header first, or under the command line that
 * printed it (`$ docker service ls`, `sudo docker service ls`).
 */
export function sniffDockerServiceLs(head: string): boolean {
  const ls = head.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 3);
  const at = ls.findIndex((l) => HEADER_LINE.test(l));
  if (at < 0) return false;
  return ls.slice(0, at).every((l) => /\bdocker\s+service\s+(?:ls|list)\b/.test(l));
}

/** A PORTS cell of `docker service ls`: `*:80->80/tcp, *:443->443/tcp`. */
export function parseServicePorts(cell: string): { ports: DockerServicePort[]; unknown: string[] } {
  const out = { ports: [] as DockerServicePort[], unknown: [] as string[] };
  for (const p of cell.split(/,\s*/).map((x) => x.trim()).filter(Boolean)) {
    const m = PORT.exec(p);
    if (!m) {
      out.unknown.push(p);
      continue;
    }
    out.ports.push({ mode: m[1] ? 'ingress' : 'host', publishedPort: Number(m[2]), publishedPortEnd: Number(m[3] ?? m[2]), targetPort: m[4], protocol: m[5], text: p });
  }
  return out;
}

/** `docker service ls`: rows under the header, cells where the header's columns start. */
export function parseDockerServiceLs(text: string, file: string): DockerServiceList {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not docker service ls output');
  const src = splitLines(text);
  const out: DockerServiceList = { file, services: [], warnings: [] };
  let cols: { name: string; at: number }[] | undefined;
  let sawHeader = false;
  for (let i = 0; i < src.length; i++) {
    const line = src[i].length > 65536 ? src[i].slice(0, 65536) : src[i];
    if (HEADER_LINE.test(line)) {
      cols = [...line.matchAll(/[A-Z]+/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
      sawHeader = true;
      continue;
    }
    if (!cols) continue;
    const first = line.trim().split(/\s+/)[0] ?? '';
    if (line.trim() === '' || !SERVICE_ID.test(first)) {
      cols = undefined;
      continue;
    }
    const cell = (name: string) => {
      const k = cols!.findIndex((c) => c.name === name);
      return line.slice(cols![k].at, k + 1 < cols!.length ? cols![k + 1].at : undefined).trim();
    };
    const words = line.trim().split(/\s+/);
    // the PORTS cell: from its column; a row whose spacing was lost: the port-shaped words
    let portsCell = cell('PORTS');
    if (portsCell.split(/,\s*/).filter(Boolean).some((p) => !PORT.test(p.trim()))) portsCell = words.map((w) => w.replace(/,$/, '')).filter((w) => PORT.test(w)).join(', ');
    const { ports, unknown } = parseServicePorts(portsCell);
    if (unknown.length) out.warnings.push({ file, line: i + 1, message: `PORTS cell not understood: ${unknown.join(', ')}` });
    const name = cell('NAME') || words[1] || first;
    const svc: DockerService = { id: first, name, ports, ref: { file, line: i + 1 }, excerpt: line.trimEnd() };
    const mode = cell('MODE');
    if (mode) svc.mode = mode;
    const replicas = cell('REPLICAS');
    if (replicas) svc.replicas = replicas;
    const image = cell('IMAGE');
    if (image) svc.image = image;
    out.services.push(svc);
  }
  if (!sawHeader) throw new SkipFile(file, 'no docker service ls header');
  return out;
}

/** The services that publish a port in ingress mode (the routing mesh): the node is in a Swarm, with DOCKER-INGRESS in use. */
export function ingressServices(lists: readonly DockerServiceList[] | undefined): DockerService[] {
  return (lists ?? []).flatMap((l) => l.services.filter((s) => s.ports.some((p) => p.mode === 'ingress')));
}
