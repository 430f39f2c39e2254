/**
 * Docker's containers and the ports they publish, from the two JSON shapes a bundle holds besides the
 * `docker ps` table (docker-ps.ts), both read into the same artifact (dockerPs):
 * - `docker inspect <container>...` (sos's docker plugin writes one per container:
 *   sos_commands/docker/containers/docker_inspect_<name>; by hand `docker inspect $(docker ps -q)`):
 *   State.Status, Name, HostConfig.NetworkMode and NetworkSettings.Ports, whose bound entries are
 *   `{"HostIp": "0.0.0.0", "HostPort": "32770"}` per container port (null: exposed, not published).
 *   podman's inspect has the same keys but is Podman's (ConmonPidFile, OCIRuntime): not read here.
 * - `docker ps --format '{{json .}}'` / `--format json` (Docker 23+): one object per line whose Ports
 *   cell is the table's PORTS column.
 * Each container keeps the line of its published ports (else of its Name).
 */
import { SkipFile, excerpt as cut, type ParseWarning } from '../model/source.js';
import { parsePortsCell, type DockerPs, type DockerPsBinding, type DockerPsContainer } from './docker-ps.js';
import { inspectDns } from './resolv-conf.js';

/** newline offsets of a text, and the 1-based line of an offset */
function lineIndex(text: string): (offset: number) => number {
  const nl: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) nl.push(i);
  return (offset: number) => {
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nl[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/** The top-level JSON values of a text: one document, or several one after another (files of several `docker inspect` runs). */
function documents(text: string, file: string): { value: unknown; offset: number }[] {
  try {
    return [{ value: JSON.parse(text), offset: 0 }];
  } catch {
    // several documents: split where a line opens a new top-level array or object
  }
  const out: { value: unknown; offset: number }[] = [];
  const starts = [...text.matchAll(/^[[{]/gm)].map((m) => m.index ?? 0);
  for (let k = 0; k < starts.length; k++) {
    const chunk = text.slice(starts[k], starts[k + 1] ?? text.length);
    try {
      out.push({ value: JSON.parse(chunk), offset: starts[k] });
    } catch {
      // a fragment: skipped, its neighbours still read
    }
  }
  if (out.length === 0) throw new SkipFile(file, 'not valid JSON');
  return out;
}

interface InspectShape {
  Id?: unknown;
  Name?: unknown;
  State?: { Status?: unknown; Running?: unknown; Paused?: unknown };
  Config?: { Image?: unknown; ExposedPorts?: unknown };
  HostConfig?: { NetworkMode?: unknown; Dns?: unknown };
  NetworkSettings?: { Ports?: unknown };
}

const isContainer = (v: unknown): v is InspectShape =>
  !!v && typeof v === 'object' && typeof (v as InspectShape).Id === 'string' && typeof (v as InspectShape).State === 'object' && 'NetworkSettings' in (v as object) && !('ConmonPidFile' in (v as object)) && !('OCIRuntime' in (v as object));

/** `docker inspect` of containers: a JSON array (or object) whose entries have Id, State and NetworkSettings, not Podman's. */
export function sniffDockerContainerInspect(head: string): boolean {
  return /^\s*[[{]/.test(head) && /"Id"\s*:\s*"[0-9a-f]{64}"/.test(head) && /"State"\s*:\s*\{/.test(head) && /"ResolvConfPath"|"HostConfig"/.test(head) && !/"ConmonPidFile"|"OCIRuntime"/.test(head);
}

export function parseDockerContainerInspect(text: string, file: string): DockerPs {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not docker inspect output');
  const lineOf = lineIndex(text);
  const out: DockerPs = { file, containers: [], warnings: [] };
  for (const doc of documents(text, file)) {
    const list = Array.isArray(doc.value) ? doc.value : [doc.value];
    for (const raw of list) {
      if (!isContainer(raw)) continue;
      const id = raw.Id as string;
      const name = typeof raw.Name === 'string' ? raw.Name.replace(/^\//, '') : undefined;
      const status = typeof raw.State?.Status === 'string' ? raw.State.Status : undefined;
      const running = raw.State?.Running === true || status === 'running' || status === 'paused';
      // where this container's text is: its Id, then its NetworkSettings' Ports after it
      const idAt = text.indexOf(`"${id}"`, doc.offset);
      const nsAt = idAt >= 0 ? text.indexOf('"NetworkSettings"', idAt) : -1;
      const portsAt = nsAt >= 0 ? text.indexOf('"Ports"', nsAt) : -1;
      const nameAt = idAt >= 0 && name ? text.indexOf(`"/${name}"`, idAt) : -1;
      const bindings: DockerPsBinding[] = [];
      const exposed: string[] = [];
      const ports = raw.NetworkSettings?.Ports;
      let firstHostPortAt = -1;
      if (ports && typeof ports === 'object') {
        for (const [key, entries] of Object.entries(ports as Record<string, unknown>)) {
          const m = /^(\d+(?:-\d+)?)\/([a-z]+)$/.exec(key);
          if (!m) {
            out.warnings.push({ file, line: lineOf(portsAt >= 0 ? portsAt : Math.max(idAt, 0)), message: `port ${key} not understood` });
            continue;
          }
          if (!Array.isArray(entries) || entries.length === 0) {
            exposed.push(key);
            continue;
          }
          for (const e of entries as { HostIp?: unknown; HostPort?: unknown }[]) {
            const hostPort = Number(e?.HostPort);
            if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
            const hostIp = typeof e.HostIp === 'string' && e.HostIp !== '' ? e.HostIp : undefined;
            const shown = hostIp === undefined ? '' : hostIp.includes(':') ? `[${hostIp}]:` : `${hostIp}:`;
            bindings.push({ ...(hostIp !== undefined ? { hostIp } : {}), hostPort, hostPortEnd: hostPort, containerPort: m[1], protocol: m[2], text: `${shown}${hostPort}->${key}` });
            if (firstHostPortAt < 0 && portsAt >= 0) firstHostPortAt = text.indexOf(`"${e.HostPort}"`, portsAt);
          }
        }
      }
      const at = firstHostPortAt >= 0 ? firstHostPortAt : nameAt >= 0 ? nameAt : Math.max(idAt, 0);
      const c: DockerPsContainer = { id, running, bindings, exposed, ref: { file, line: lineOf(at) }, excerpt: '' };
      if (name) c.name = name;
      if (typeof raw.Config?.Image === 'string') c.image = raw.Config.Image;
      if (status) c.status = status;
      if (typeof raw.HostConfig?.NetworkMode === 'string') c.networkMode = raw.HostConfig.NetworkMode;
      const dns = inspectDns(text, file, raw.HostConfig, Math.max(idAt, doc.offset), lineOf);
      if (dns && dns.length > 0) c.dns = dns;
      c.excerpt = cut(`${name ?? id.slice(0, 12)} ${status ?? ''} ${bindings.map((b) => b.text).join(', ')}`.replace(/\s+/g, ' ').trim());
      out.containers.push(c);
    }
  }
  if (out.containers.length === 0) throw new SkipFile(file, 'no Docker container in this inspect output');
  return out;
}

/** `docker ps --format '{{json .}}'` / `docker ps --format json`: a JSON object per line with ID, Names, Status and Ports. */
export function sniffDockerPsJsonLines(head: string): boolean {
  const first = head.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return /^\s*\{/.test(first) && /"ID"\s*:/.test(first) && /"Names"\s*:/.test(first) && /"Ports"\s*:/.test(first) && /"Status"\s*:/.test(first);
}

export function parseDockerPsJsonLines(text: string, file: string): DockerPs {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not docker ps output');
  const out: DockerPs = { file, containers: [], warnings: [] as ParseWarning[] };
  const src = text.split(/\r?\n/);
  for (let i = 0; i < src.length; i++) {
    const line = src[i].trim();
    if (!line.startsWith('{')) continue;
    let row: { ID?: unknown; Names?: unknown; Image?: unknown; Status?: unknown; State?: unknown; Ports?: unknown; Networks?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      out.warnings.push({ file, line: i + 1, message: 'not a JSON object' });
      continue;
    }
    if (typeof row.ID !== 'string') continue;
    const status = typeof row.Status === 'string' ? row.Status : undefined;
    const name = typeof row.Names === 'string' ? row.Names.split(',')[0] : undefined;
    const cell = typeof row.Ports === 'string' ? row.Ports : '';
    const { bindings, exposed, unknown } = parsePortsCell(cell);
    for (const p of unknown) out.warnings.push({ file, line: i + 1, message: `port ${p} not understood` });
    const c: DockerPsContainer = {
      id: row.ID,
      running: row.State === 'running' || row.State === 'paused' || /^Up\b/.test(status ?? ''),
      bindings,
      exposed,
      ref: { file, line: i + 1 },
      excerpt: cut(`${name ?? row.ID} ${status ?? ''} ${cell}`.replace(/\s+/g, ' ').trim()),
    };
    if (name) c.name = name;
    if (typeof row.Image === 'string') c.image = row.Image;
    if (status) c.status = status;
    out.containers.push(c);
  }
  if (out.containers.length === 0) throw new SkipFile(file, 'no docker ps JSON line');
  return out;
}
