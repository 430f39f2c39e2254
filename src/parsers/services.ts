/**
 * systemd unit state: `systemctl list-unit-files`, `systemctl list-units`, `systemctl status`
 * (one unit or `--all`, as sos saves it), and troubleshoot's
 * `host-collectors/system/systemctl_services.json`. Records whether a unit is enabled and
 * whether it is running, with the line that says so; and, from `systemctl status`, the processes
 * its `CGroup:` tree lists (dockerd, k3s, kube-proxy, ...: see processes.ts), each at its line.
 */
import { ParseError, SkipFile, lines, type SourceRef } from '../model/source.js';
import { cgroupLine, type ListedProcess } from './processes.js';
import { scanRootless, type DockerRootless } from './docker-rootless.js';
import { parseLogPrefix } from '../logs/timestamps.js';

export interface ServiceState {
  unit: string;
  /** unit-file state: enabled, disabled, masked, static, generated, ... */
  enabled?: string;
  /** active, inactive, failed, activating, ... */
  active?: string;
  sub?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface ServiceList {
  file: string;
  services: ServiceState[];
  /** `systemctl status`: the networking processes its CGroup trees list (absent when none) */
  processes?: ListedProcess[];
  /** `systemctl [--user] status`: what its CGroup trees show of rootless Docker (RootlessKit's command line, its port driver) */
  rootless?: DockerRootless;
  /**
   * `systemctl status`: the journal's last lines it prints under each unit (`Dec 03 10:00:01 host dockerd[123]: ...`),
   * in file order, each at its line: read as log lines by the engine (engine/logs.ts), which counts a line the
   * node's journal also holds once. Absent when none.
   */
  journal?: StatusJournalLine[];
}

/** A journal line `systemctl status` printed under a unit's state. */
export interface StatusJournalLine {
  /** the unit whose block it is in (`docker.service`) */
  unit: string;
  /** 1-based line in the file */
  line: number;
  text: string;
}

const UNIT = /^\s*[●*]?\s*([A-Za-z0-9@_.:\\-]+\.(?:service|socket|target|timer|mount|path|slice|scope))\s+(.*)$/;
const FILE_STATES = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient', 'bad', 'alias']);
const LOAD_STATES = new Set(['loaded', 'not-found', 'bad-setting', 'error', 'masked', 'stub', 'merged']);

/** `systemctl status`: a unit's header (`● docker.service - Docker Application Container Engine`; ○ inactive, × failed). */
const STATUS_HEADER = /^\s*[●○×*]?\s*([A-Za-z0-9@_.:\\-]+\.(?:service|socket|target|timer|mount|path|slice|scope))(?:\s+-\s.*)?$/;
/** `     Loaded: loaded (/lib/systemd/system/docker.service; enabled; vendor preset: enabled)` */
const STATUS_LOADED = /^\s*Loaded:\s+(\S+)(?:\s+\(([^;)]*)(?:;\s*([a-z-]+))?)?/;
/** `     Active: active (running) since Fri 2026-11-20 10:00:00 UTC; 2h ago` */
const STATUS_ACTIVE = /^\s*Active:\s+([a-z-]+)(?:\s+\(([^)]*)\))?/;
/** `     CGroup: /system.slice/docker.service` */
const STATUS_CGROUP = /^\s*CGroup:\s+(\S+)/;
/** the unit file `Loaded:` names (`(/lib/systemd/system/docker.service;`): the unit of a paste that lost its header line */
const LOADED_UNIT_FILE = /^\s*Loaded:\s+\S+\s+\([^;)]*\/([A-Za-z0-9@_.:\\-]+\.(?:service|socket|target|timer|mount|path|slice|scope))[;)]/;
/** any block's first line in `systemctl status` (a unit of any type, the machine's own `● host`): journal lines after it are that block's */
const ANY_HEADER = /^\s{0,2}[●○×*]\s+([^\s]+)(?:\s+-\s.*)?$/;
/** Journal lines are kept up to this length (a cut line still has its prefix and the start of its message). */
const JOURNAL_LINE_MAX = 16 * 1024;
/** `Unit docker.service could not be found.` */
const STATUS_NOT_FOUND = /^\s*Unit ([A-Za-z0-9@_.:\\-]+) could not be found\.?\s*$/;

export function parseSystemctlText(text: string, file: string): ServiceList {
  const services: ServiceState[] = [];
  const all = lines(text);
  // `systemctl status` blocks: the unit of the header above, its unit-file state from Loaded:
  let status: { unit: string; enabled?: string } | undefined;
  // the unit of the block being read, and its CGroup tree while the lines are the tree's
  let blockUnit: string | undefined;
  let cgroup: string | undefined;
  const processes: ListedProcess[] = [];
  const journal: StatusJournalLine[] = [];
  // whose journal lines follow: the unit of the last block header, of any kind (`* dev-vda1.device - /dev/vda1` too)
  let tailUnit: string | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (cgroup !== undefined) {
      // however long the command line: a process of the tree
      const p = cgroupLine(raw, file, i + 1, blockUnit!, cgroup);
      if (p !== undefined) {
        if (p !== 'tree') processes.push(p);
        continue;
      }
      cgroup = undefined;
    }
    // the journal's tail under a unit's state: a line with a time and a writer (`Dec 03 10:00:01 host dockerd[123]:`)
    const anyHeader = raw.length < 1024 ? ANY_HEADER.exec(raw) : null;
    if (anyHeader) tailUnit = anyHeader[1];
    else if (tailUnit !== undefined && status === undefined && isJournalLine(raw)) {
      journal.push({ unit: tailUnit, line: i + 1, text: raw.length > JOURNAL_LINE_MAX ? raw.slice(0, JOURNAL_LINE_MAX) : raw });
      continue;
    }
    if (raw.length > 4096) continue;
    const cg = blockUnit !== undefined ? STATUS_CGROUP.exec(raw) : null;
    if (cg) {
      cgroup = cg[1];
      continue;
    }
    const gone = STATUS_NOT_FOUND.exec(raw);
    if (gone) {
      services.push({ unit: gone[1], enabled: 'not-found', active: 'inactive', sub: 'not-found', ref: { file, line: i + 1 }, excerpt: raw.trim() });
      continue;
    }
    const header = STATUS_HEADER.exec(raw);
    if (header && /^\s*Loaded:/.test(all[i + 1] ?? '')) {
      status = { unit: header[1] };
      blockUnit = header[1];
      continue;
    }
    // a paste that starts at `Loaded:` (its `● docker.service - ...` line not copied): the unit is the file Loaded: names
    const headless = status === undefined ? LOADED_UNIT_FILE.exec(raw) : null;
    if (headless && all.slice(i + 1, i + 4).some((l) => STATUS_ACTIVE.test(l))) {
      status = { unit: headless[1] };
      blockUnit = headless[1];
      tailUnit = headless[1];
    }
    if (status) {
      const loaded = STATUS_LOADED.exec(raw);
      if (loaded) {
        status.enabled = loaded[1] === 'masked' || loaded[1] === 'not-found' ? loaded[1] : loaded[3] && FILE_STATES.has(loaded[3]) ? loaded[3] : undefined;
        continue;
      }
      const active = STATUS_ACTIVE.exec(raw);
      if (active) {
        // `active (running)`, `inactive (dead)`; `failed (Result: exit-code)` names no sub-state
        const sub = active[2]?.split(/\s/)[0];
        services.push({ unit: status.unit, enabled: status.enabled, active: active[1], sub: sub && /^[a-z-]+$/.test(sub) ? sub : undefined, ref: { file, line: i + 1 }, excerpt: raw.trim() });
        status = undefined;
        continue;
      }
    }
    const m = UNIT.exec(raw);
    if (!m) continue;
    const cols = m[2].trim().split(/\s+/);
    const ref = { file, line: i + 1 };
    if (cols.length >= 3 && LOAD_STATES.has(cols[0])) {
      // list-units: UNIT LOAD ACTIVE SUB DESCRIPTION
      services.push({ unit: m[1], active: cols[1], sub: cols[2], ref, excerpt: raw.trim() });
    } else if (cols.length >= 1 && FILE_STATES.has(cols[0])) {
      // list-unit-files: UNIT STATE [PRESET]
      services.push({ unit: m[1], enabled: cols[0], ref, excerpt: raw.trim() });
    }
  }
  if (services.length === 0) throw new SkipFile(file, 'no systemctl unit lines');
  const out: ServiceList = processes.length > 0 ? { file, services, processes } : { file, services };
  if (journal.length > 0) out.journal = journal;
  if (text.includes('rootlesskit') || text.includes('DOCKERD_ROOTLESS_')) {
    const rootless = scanRootless(text, file);
    if (rootless.clues.length > 0 || rootless.portDriver) out.rootless = rootless;
  }
  return out;
}

/**
 * A journal line as `systemctl status` prints it (journalctl's short format, or -o short-iso / short-precise):
 * a time, then a host and a writer. Property lines (`Active: ... since Tue 2026-12-01 ...`) and CGroup rows have neither.
 */
function isJournalLine(raw: string): boolean {
  const c = raw.charCodeAt(0);
  // the short format starts with a month or a year; a little indentation is tolerated (pasted into a ticket)
  if (!(c >= 48 && c <= 57) && !(c >= 65 && c <= 90) && c !== 32) return false;
  const p = parseLogPrefix(raw);
  return p.timestamp !== undefined && p.unit !== undefined && p.messageStart > 0;
}

/** troubleshoot: `[{"Unit":"docker.service","Load":"loaded","Active":"active","Sub":"running"}, ...]` */
export function parseSystemctlJson(text: string, file: string): ServiceList {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (!Array.isArray(data)) throw new ParseError('expected a JSON array of units', file);
  const fileLines = lines(text);
  const services: ServiceState[] = [];
  for (const item of data) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const unit = String(o.Unit ?? o.unit ?? '');
    if (!unit) continue;
    const line = Math.max(1, fileLines.findIndex((l) => l.includes(`"${unit}"`)) + 1);
    services.push({
      unit,
      active: o.Active !== undefined ? String(o.Active) : undefined,
      sub: o.Sub !== undefined ? String(o.Sub) : undefined,
      enabled: o.UnitFileState !== undefined ? String(o.UnitFileState) : undefined,
      ref: { file, line },
      excerpt: JSON.stringify(o).slice(0, 300),
    });
  }
  return { file, services };
}

/**
 * The header of `systemctl list-unit-files` (`UNIT FILE  STATE  VENDOR PRESET`, newer `... PRESET`)
 * or `list-units`, which systemd indents by the width of its `●` column (`  UNIT  LOAD  ACTIVE`);
 * or, printed with --no-legend, unit lines alone: two or more with a load or unit-file state.
 */
export function sniffSystemctl(head: string): boolean {
  if (/^[ \t]*UNIT( FILE)?[ \t]+(STATE|LOAD)\b/m.test(head)) return true;
  // `systemctl status <unit>`: its header, then Loaded: and Active:; or systemctl saying the unit does not exist
  if (/^\s*Loaded:\s+(loaded|not-found|masked|error|bad-setting)\b/m.test(head) && /^\s*Active:\s+[a-z]/m.test(head)) return true;
  if (STATUS_NOT_FOUND.test(head.split('\n', 3).find((l) => l.trim() !== '') ?? '')) return true;
  let units = 0;
  for (const l of head.split('\n', 20)) {
    const m = UNIT.exec(l.replace(/\r$/, ''));
    const first = m?.[2].trim().split(/\s+/);
    if (m && first && ((first.length >= 3 && LOAD_STATES.has(first[0])) || (first.length <= 3 && FILE_STATES.has(first[0])))) units++;
    else if (l.trim() !== '') return false;
    if (units >= 2) return true;
  }
  return false;
}

/** Every record of `unit` across the node's service lists (enabled state and running state may sit in different files). */
export function findService(lists: ServiceList[], unit: string): ServiceState[] {
  const name = unit.includes('.') ? unit : unit + '.service';
  return lists.flatMap((l) => l.services.filter((s) => s.unit === name));
}

export function isEnabled(states: ServiceState[]): ServiceState | undefined {
  return states.find((s) => s.enabled === 'enabled' || s.enabled === 'enabled-runtime' || s.enabled === 'static' || s.enabled === 'alias');
}

export function isActive(states: ServiceState[]): ServiceState | undefined {
  return states.find((s) => s.active === 'active' || s.active === 'activating' || s.active === 'reloading');
}
