/**
 * dockerd's command-line flags, read from wherever a bundle holds them: the process list (`ps
 * auxwww`, `ps -ef`: what the running daemon was started with), docker.service and its drop-ins
 * (`ExecStart=`, `Environment=`, `EnvironmentFile=`), and the environment files distributions pass
 * to it (`/etc/sysconfig/docker` OPTIONS=, `/etc/default/docker` DOCKER_OPTS=). Flags such as
 * `--iptables=false` change what "Docker's chains are missing" means, as daemon.json's keys do.
 *
 * Each file is parsed on its own into a DockerDaemonConfig (the `dockerDaemon` artifact kind);
 * `dockerdSettings` combines them with daemon.json: the running process wins over the unit files
 * (edited since dockerd started, they say how it starts next time), a flag over daemon.json's key.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';
import type { DockerDaemonConfig } from './docker-daemon.js';
import { commandColumn, isPsHeader, parsePsProcesses, processesOf, psTable, type ProcessListing, type ProcessSources } from './processes.js';
import { unitSettings } from './systemd-lines.js';
import { scanRootless } from './docker-rootless.js';
import { OTHER_ROOTLESS_DAEMON } from '../logs/signatures.js';

export interface DockerdProcess {
  pid?: number;
  /** the command line from the executable on */
  commandLine: string;
  ref: SourceRef;
  excerpt: string;
  /** false: the listing shows command names only (`ps -e`, `ps auxc`), not the flags */
  argsShown: boolean;
  /** the user it runs as (ps's USER or UID column), when the listing shows one */
  user?: string;
  /**
   * rootless Docker: dockerd runs as a user inside RootlessKit's own network namespace (its
   * bridge, iptables rules and forwarding live there, not in the host's), its user not root, or
   * the only dockerd beside RootlessKit in a listing without users
   */
  rootless: boolean;
}

export interface DockerUnitFile {
  /** the unit's path in the host's tree (etc/systemd/system/docker.service.d/override.conf), for precedence */
  path: string;
  dropIn: boolean;
  /** ExecStart= lines in order; an empty value resets the list (how drop-ins replace the command) */
  execStart: { value: string; ref: SourceRef; excerpt: string }[];
  /** Environment= assignments */
  environment: Record<string, { value: string; ref: SourceRef; excerpt: string }>;
  /** EnvironmentFile= paths, without systemd's `-` prefix */
  environmentFiles: string[];
}

/** The settings the flags decide; the same names as DockerDaemonConfig's. */
export type DockerdSettingKey = 'iptables' | 'ipForward' | 'ipMasq' | 'userlandProxy' | 'bip' | 'firewallBackend' | 'ipv6' | 'ip6tables' | 'fixedCidrV6' | 'experimental' | 'mtu' | 'icc' | 'bridge';

const FLAG_OF: Record<string, DockerdSettingKey> = {
  iptables: 'iptables',
  'ip-forward': 'ipForward',
  'ip-masq': 'ipMasq',
  'userland-proxy': 'userlandProxy',
  bip: 'bip',
  'firewall-backend': 'firewallBackend',
  ipv6: 'ipv6',
  ip6tables: 'ip6tables',
  'fixed-cidr-v6': 'fixedCidrV6',
  experimental: 'experimental',
  mtu: 'mtu',
  icc: 'icc',
  // `-b none`, `--bridge=none`
  b: 'bridge',
  bridge: 'bridge',
};
const BOOLEAN_FLAGS = new Set<DockerdSettingKey>(['iptables', 'ipForward', 'ipMasq', 'userlandProxy', 'ipv6', 'ip6tables', 'experimental', 'icc']);
/** flags whose value is a number (`--mtu 1450`, `--mtu=1450`) */
const NUMBER_FLAGS = new Set<DockerdSettingKey>(['mtu']);
const SETTING_KEYS = ['iptables', 'ipForward', 'ipMasq', 'userlandProxy', 'bip', 'firewallBackend', 'ipv6', 'ip6tables', 'fixedCidrV6', 'experimental', 'mtu', 'icc', 'bridge'] as const;

export interface DockerdFlag {
  key: DockerdSettingKey;
  /** a number for NUMBER_FLAGS (mtu) */
  value: boolean | string | number;
  /** the flag as written: --iptables=false */
  text: string;
}

/** The command line's words after the executable, when it runs dockerd (dockerd, dockerd-current, `docker daemon`, `docker -d`). */
export function dockerdArgs(commandLine: string): string[] | undefined {
  const words = commandLine.trim().split(/\s+/).map(unquote);
  if (words.length === 0) return undefined;
  const exe = words[0].replace(/^[-@+!:]+/, '');
  const base = exe.slice(exe.lastIndexOf('/') + 1);
  if (/^dockerd(-current)?$/.test(base)) return words.slice(1);
  if (/^docker(-current)?$/.test(base) && (words[1] === 'daemon' || words[1] === '-d' || words[1] === '--daemon')) return words.slice(2);
  return undefined;
}

/** The settings a dockerd command line sets, in its order (a later one of the same flag wins, as in dockerd). */
export function parseDockerdFlags(args: string[]): DockerdFlag[] {
  const out: DockerdFlag[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const key = FLAG_OF[m[1]];
    if (!key) continue;
    if (BOOLEAN_FLAGS.has(key)) {
      // Go's flag parsing: a bool flag takes its value only after `=`; `--iptables` alone is true
      const v = m[2] === undefined ? true : parseBool(m[2]);
      if (v !== undefined) out.push({ key, value: v, text: args[i] });
    } else {
      const v = m[2] ?? (args[i + 1] !== undefined && !args[i + 1].startsWith('-') ? args[++i] : undefined);
      if (v === undefined) continue;
      const text = m[2] === undefined ? `${args[i - 1]} ${v}` : args[i];
      if (NUMBER_FLAGS.has(key)) {
        // dockerd refuses a value that is no integer: such a flag sets nothing
        if (/^\d+$/.test(v) && Number(v) > 0) out.push({ key, value: Number(v), text });
      } else out.push({ key, value: v, text });
    }
  }
  return out;
}

function parseBool(v: string): boolean | undefined {
  if (/^(1|t|T|TRUE|true|True)$/.test(v)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(v)) return false;
  return undefined;
}

function unquote(w: string): string {
  return w.replace(/^(["'])(.*)\1$/, '$2');
}

// ---- ps output -------------------------------------------------------------------------------

export function sniffPs(head: string): boolean {
  return head.split('\n', 5).some((l) => isPsHeader(l.replace(/\r$/, '')));
}

/**
 * A ps listing read as a `dockerDaemon` artifact: dockerd's processes and flags, and (`listing`)
 * the other processes that decide the node's networking (kube-proxy, k3s, cilium-agent, ...; see
 * processes.ts), which `nodeProcesses` gives the analyzers.
 */
export type PsDockerDaemonConfig = DockerDaemonConfig & { listing: ProcessListing };

/**
 * The dockerd processes of a ps listing. The command column is found by the header's field count
 * (the columns before it hold no spaces), so `grep dockerd` or a container's `sleep dockerd` is
 * not taken for the daemon. A listing without dockerd says it is not running (processes: []).
 */
export function parsePsDockerd(text: string, file: string): PsDockerDaemonConfig {
  const { all, h, before, pidCol, userCol } = psTable(text, file);
  const processes: DockerdProcess[] = [];
  let rootlessKit = false;
  const pids = new Set<number>();
  // `ps -e` and `ps auxc` print the command's name alone: then a dockerd line says nothing of its flags
  let argsShown = false;
  for (let i = h + 1; i < all.length && !argsShown; i++) argsShown = /\S\s+\S/.test(commandColumn(all[i], before) ?? '');
  for (let i = h + 1; i < all.length; i++) {
    const raw = all[i];
    if (!rootlessKit && raw.includes('rootless') && !OTHER_ROOTLESS_DAEMON.test(raw)) rootlessKit = /^(\S*\/)?(rootlesskit|dockerd-rootless(-setuptool)?\.sh)\b/.test(commandColumn(raw, before) ?? '');
    // however long: a dockerd started with thousands of --label flags is still dockerd
    if (!raw.includes('docker')) continue;
    const cmd = commandColumn(raw, before);
    if (cmd === undefined || !dockerdArgs(cmd)) continue;
    const fields = raw.trim().split(/\s+/);
    const user = userCol >= 0 && userCol < before ? fields[userCol] : undefined;
    const pid = Number(fields[pidCol]);
    // ps -elfL lists each thread: one line per process is enough
    if (Number.isInteger(pid)) {
      if (pids.has(pid)) continue;
      pids.add(pid);
    }
    processes.push({ pid: Number.isInteger(pid) ? pid : undefined, commandLine: cmd, ref: { file, line: i + 1 }, excerpt: capped(raw.trim()), argsShown, user, rootless: user !== undefined && user !== 'root' && user !== '0' });
  }
  // without a user column, RootlessKit beside a single dockerd says whose it is
  if (rootlessKit && userCol < 0 && processes.length === 1) processes[0].rootless = true;
  const out: PsDockerDaemonConfig = { file, origin: 'process', processes, listing: parsePsProcesses(text, file) };
  // rootless Docker's RootlessKit command line (its port driver) and DOCKERD_ROOTLESS_* in `ps e` output
  if (rootlessKit || text.includes('DOCKERD_ROOTLESS_')) {
    const rootless = scanRootless(text, file);
    if (rootless.clues.length > 0 || rootless.portDriver) out.rootless = rootless;
  }
  // the host's daemon: the first rootful one (lowest pid in ps order; a Docker-in-Docker one starts later)
  const host = hostDaemon(processes);
  if (host?.argsShown) applyFlags(out, host);
  return out;
}

/** The daemon whose rules are the host's: the first that is not rootless, else the first. */
function hostDaemon(processes: readonly DockerdProcess[]): DockerdProcess | undefined {
  return processes.find((p) => !p.rootless) ?? processes[0];
}

function applyFlags(out: DockerDaemonConfig, p: DockerdProcess): void {
  for (const f of parseDockerdFlags(dockerdArgs(p.commandLine) ?? [])) {
    const ref = p.ref;
    if (f.key === 'iptables') out.iptables = { value: f.value as boolean, ref };
    else if (f.key === 'ipForward') out.ipForward = { value: f.value as boolean, ref };
    else if (f.key === 'ipMasq') out.ipMasq = { value: f.value as boolean, ref };
    else if (f.key === 'userlandProxy') out.userlandProxy = { value: f.value as boolean, ref };
    else if (f.key === 'bip') out.bip = { value: f.value as string, ref };
    else if (f.key === 'firewallBackend') out.firewallBackend = { value: f.value as string, ref };
    else if (f.key === 'mtu') out.mtu = { value: f.value as number, ref };
    else if (f.key === 'icc') out.icc = { value: f.value as boolean, ref };
    else if (f.key === 'bridge') out.bridge = { value: f.value as string, ref };
  }
}

// ---- systemd units and environment files ----------------------------------------------------

/** A docker.service unit or drop-in (named by path rules; sniffed when its ExecStart runs dockerd). */
export function sniffDockerUnit(head: string): boolean {
  return /^\s*\[(Unit|Service)\]\s*$/m.test(head) && /^\s*ExecStart\s*=\s*[-@+!:]*\S*\/?dockerd(-current)?\b/m.test(head);
}

export function parseDockerUnit(text: string, file: string, relPath = file): DockerDaemonConfig {
  const unit: DockerUnitFile = { path: relPath, dropIn: /\.service\.d\/[^/]+\.conf$/.test(relPath), execStart: [], environment: {}, environmentFiles: [] };
  for (const { section, key, value, line, text: t } of unitSettings(lines(text))) {
    if (section !== 'Service') continue;
    const ref = { file, line };
    if (key === 'ExecStart') unit.execStart.push({ value, ref, excerpt: capped(t) });
    else if (key === 'EnvironmentFile' && value !== '') unit.environmentFiles.push(value.replace(/^-/, ''));
    else if (key === 'Environment')
      for (const a of value.match(/"[^"]*"|'[^']*'|\S+/g) ?? []) {
        const eq = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(unquote(a));
        // systemd removes the quotes of a quoted value (`VAR="slirp4netns"`)
        if (eq) unit.environment[eq[1]] = { value: eq[2].replace(/^(["'])(.*)\1$/, '$2'), ref, excerpt: capped(t) };
      }
  }
  if (unit.execStart.length === 0 && unit.environmentFiles.length === 0 && Object.keys(unit.environment).length === 0) throw new SkipFile(file, 'nothing of dockerd in this unit');
  return { file, origin: 'unit', unit };
}

/** /etc/sysconfig/docker (OPTIONS=...), /etc/sysconfig/docker-network, /etc/default/docker (DOCKER_OPTS=...): shell variable assignments. */
export function parseDockerEnvFile(text: string, file: string, relPath = file): DockerDaemonConfig {
  const env: NonNullable<DockerDaemonConfig['env']> = {};
  lines(text).forEach((l, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (!m) return;
    const v = m[2].trim();
    const value = /^"(.*)"$/.exec(v)?.[1] ?? /^'(.*)'$/.exec(v)?.[1] ?? v.replace(/\s+#.*$/, '');
    env[m[1]] = { value, ref: { file, line: i + 1 }, excerpt: capped(l.trim()) };
  });
  return { file, origin: 'env-file', env, envPath: relPath };
}

// ---- combining ------------------------------------------------------------------------------

export type DockerdSettingFrom = 'process' | 'unit' | 'env-file' | 'daemon.json';

export interface DockerdSetting<T> {
  value: T;
  from: DockerdSettingFrom;
  /** where it is written (the ps line, the ExecStart or OPTIONS= line, daemon.json's key) */
  ref: SourceRef;
  excerpt: string;
  /** says where the setting was read, for evidence notes: "the running dockerd's command line" */
  note: string;
}

export interface DockerdSettings {
  /** true: ps shows dockerd; false: a process listing shows none; undefined: no listing */
  running?: boolean;
  /**
   * every dockerd the listing shows is rootless (runs as a user, in RootlessKit's network
   * namespace): the host's own iptables rules, bridges and forwarding switch are not Docker's
   */
  rootless?: { user?: string; ref: SourceRef; excerpt: string };
  /** the command line the settings were read from: the running process's, else docker.service's ExecStart with its variables */
  commandLine?: { text: string; from: 'process' | 'unit'; ref: SourceRef; excerpt: string };
  iptables?: DockerdSetting<boolean>;
  ipForward?: DockerdSetting<boolean>;
  ipMasq?: DockerdSetting<boolean>;
  userlandProxy?: DockerdSetting<boolean>;
  bip?: DockerdSetting<string>;
  firewallBackend?: DockerdSetting<string>;
  ipv6?: DockerdSetting<boolean>;
  /** Docker manages ip6tables (default true since Docker 27; before, only with experimental) */
  ip6tables?: DockerdSetting<boolean>;
  fixedCidrV6?: DockerdSetting<string>;
  experimental?: DockerdSetting<boolean>;
  /** `"mtu"` / `--mtu`: the default bridge's (docker0's) MTU, which its containers' veths get; 1500 when unset */
  mtu?: DockerdSetting<number>;
  /** `"icc"` / `--icc`: false forbids traffic between containers of the default bridge (dockerd refuses it with iptables off) */
  icc?: DockerdSetting<boolean>;
  /** `"bridge"` / `-b`, `--bridge`: the default bridge's interface; "none": no default bridge */
  bridge?: DockerdSetting<string>;
  /** flags the unit files set that the running dockerd does not have: they apply at its next restart */
  pending: { flag: string; ref: SourceRef; excerpt: string }[];
}

const NOTE: Record<DockerdSettingFrom, string> = {
  process: "the running dockerd's command line (ps)",
  unit: "docker.service's ExecStart (the unit files; no process listing in the bundle)",
  'env-file': "the options file docker.service's ExecStart reads",
  'daemon.json': 'daemon.json',
};

const cache = new WeakMap<readonly DockerDaemonConfig[], DockerdSettings>();

/** What dockerd runs with, combined from every source of the node: process > unit files > daemon.json. */
export function dockerdSettings(configs: readonly DockerDaemonConfig[] | undefined): DockerdSettings {
  if (!configs) return { pending: [] };
  let s = cache.get(configs);
  if (!s) cache.set(configs, (s = combine(configs)));
  return s;
}

/**
 * The dockerd processes `systemctl status` CGroup trees list (the node's `services` artifacts), as
 * a process listing of their own (`cgroup`): one under a user's manager (user@UID.service) is
 * rootless. The loader adds it to the node's dockerDaemon artifacts, where it stands in for ps
 * when the bundle has none. Undefined when no tree shows a dockerd.
 */
export function dockerdFromCgroups(services: NonNullable<ProcessSources['services']>): DockerDaemonConfig | undefined {
  const found = processesOf({ services }, 'dockerd');
  if (found.length === 0) return undefined;
  const processes = found.map((p) => {
    // the user's own manager: `/user.slice/user-1000.slice/user@1000.service[/app.slice/docker.service]`
    const uid = /\/user@(\d+)\.service(?:\/|$)/.exec(p.cgroup ?? '')?.[1];
    return {
      pid: p.pid,
      commandLine: p.words.join(' '),
      ref: p.ref,
      excerpt: p.excerpt,
      // a line systemd cut (`…`) says nothing of the flags after the cut: the unit's ExecStart tells them
      argsShown: !p.cut,
      rootless: uid !== undefined,
      ...(uid !== undefined ? { user: uid } : {}),
    };
  });
  return { file: found[0].ref.file, origin: 'process', cgroup: true, processes };
}

function combine(configs: readonly DockerDaemonConfig[]): DockerdSettings {
  const out: DockerdSettings = { pending: [] };
  // ps lists every process; a CGroup tree only its unit's: it stands in where the bundle has no ps
  const ps = configs.filter((c) => c.origin === 'process' && !c.cgroup);
  const listings = ps.length > 0 ? ps : configs.filter((c) => c.origin === 'process');
  const proc = hostDaemon(listings.flatMap((c) => c.processes ?? []));
  if (listings.length > 0) out.running = proc !== undefined;
  if (proc?.rootless) out.rootless = { user: proc.user, ref: proc.ref, excerpt: proc.excerpt };
  const unitLine = unitCommandLine(configs);
  let flags: { flag: DockerdFlag; from: 'process' | 'unit' | 'env-file'; ref: SourceRef; excerpt: string }[] = [];
  if (proc?.argsShown) {
    out.commandLine = { text: proc.commandLine, from: 'process', ref: proc.ref, excerpt: proc.excerpt };
    flags = parseDockerdFlags(dockerdArgs(proc.commandLine) ?? []).map((flag) => ({ flag, from: 'process' as const, ref: proc.ref, excerpt: proc.excerpt }));
    // a unit edited since dockerd started: its flags wait for the next restart
    for (const u of unitLine?.flags ?? [])
      if (!flags.some((f) => f.flag.key === u.flag.key && f.flag.value === u.flag.value)) out.pending.push({ flag: u.flag.text, ref: u.ref, excerpt: u.excerpt });
  } else if (unitLine) {
    out.commandLine = { text: unitLine.text, from: 'unit', ref: unitLine.ref, excerpt: unitLine.excerpt };
    flags = unitLine.flags;
  }
  const set = <K extends DockerdSettingKey>(key: K, value: boolean | string | number, from: DockerdSettingFrom, ref: SourceRef, excerpt: string) => {
    const note = from === 'process' && ps.length === 0 ? "the running dockerd's command line (systemctl status, its CGroup)" : NOTE[from];
    (out as unknown as Record<string, DockerdSetting<boolean | string | number>>)[key] = { value, from, ref, excerpt, note };
  };
  // daemon.json first: a flag of the command line replaces it (dockerd refuses both, so only one is ever there)
  for (const d of configs.filter((c) => (c.origin ?? 'daemon.json') === 'daemon.json')) {
    for (const key of SETTING_KEYS) {
      const v = d[key];
      if (v) set(key, v.value, 'daemon.json', v.ref, daemonJsonExcerpt(key, v.value));
    }
  }
  for (const f of flags) set(f.flag.key, f.flag.value, f.from, f.ref, f.excerpt);
  return out;
}

const JSON_KEY: Record<DockerdSettingKey, string> = {
  iptables: 'iptables',
  ipForward: 'ip-forward',
  ipMasq: 'ip-masq',
  userlandProxy: 'userland-proxy',
  bip: 'bip',
  firewallBackend: 'firewall-backend',
  ipv6: 'ipv6',
  ip6tables: 'ip6tables',
  fixedCidrV6: 'fixed-cidr-v6',
  experimental: 'experimental',
  mtu: 'mtu',
  icc: 'icc',
  bridge: 'bridge',
};

function daemonJsonExcerpt(key: DockerdSettingKey, value: boolean | string | number): string {
  return `"${JSON_KEY[key]}": ${JSON.stringify(value)}`;
}

/** At most this much text is put into an ExecStart by its variables (dockerd's real flags are a few hundred bytes). */
const MAX_EXPANDED = 256 * 1024;

/** Where systemd looks for units, the first the strongest. */
const UNIT_DIRS = ['etc/systemd/system/', 'run/systemd/system/', 'usr/local/lib/systemd/system/', 'usr/lib/systemd/system/', 'lib/systemd/system/'];

function unitRank(path: string): number {
  const i = UNIT_DIRS.findIndex((d) => path.includes(d));
  // a hand-made bundle's docker.service, wherever it sits: most likely what the admin looked at
  return i < 0 ? UNIT_DIRS.length : i;
}

/**
 * docker.service's effective ExecStart: the strongest unit file's, with the drop-ins applied in
 * the order systemd applies them (by file name; an empty `ExecStart=` clears the list), and its
 * `$VAR` / `${VAR}` filled from Environment= and the EnvironmentFile= files of the bundle.
 */
function unitCommandLine(configs: readonly DockerDaemonConfig[]):
  | { text: string; ref: SourceRef; excerpt: string; flags: { flag: DockerdFlag; from: 'unit' | 'env-file'; ref: SourceRef; excerpt: string }[] }
  | undefined {
  const units = configs.filter((c) => c.origin === 'unit' && c.unit).map((c) => c.unit!);
  const envFiles = configs.filter((c) => c.origin === 'env-file' && c.env);
  const mains = units.filter((u) => !u.dropIn).sort((a, b) => unitRank(a.path) - unitRank(b.path));
  const byName = new Map<string, DockerUnitFile>();
  for (const d of units.filter((u) => u.dropIn).sort((a, b) => unitRank(a.path) - unitRank(b.path))) {
    const name = d.path.slice(d.path.lastIndexOf('/') + 1);
    if (!byName.has(name)) byName.set(name, d);
  }
  const ordered = [...(mains[0] ? [mains[0]] : []), ...[...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d)];
  let exec: DockerUnitFile['execStart'] = [];
  const env: Record<string, { value: string; ref: SourceRef; excerpt: string; from: 'unit' | 'env-file' }> = {};
  const envFilePaths: string[] = [];
  for (const u of ordered) {
    for (const e of u.execStart) exec = e.value.trim() === '' ? [] : [...exec, e];
    for (const [k, v] of Object.entries(u.environment)) env[k] = { ...v, from: 'unit' };
    envFilePaths.push(...u.environmentFiles);
  }
  // no unit file in the bundle: distribution packages pass these files to dockerd (RHEL OPTIONS, Debian DOCKER_OPTS)
  const readFiles = ordered.length === 0 ? envFiles : envFiles.filter((f) => envFilePaths.some((p) => samePath(p, f.envPath ?? f.file)));
  for (const f of readFiles) for (const [k, v] of Object.entries(f.env!)) env[k] ??= { ...v, from: 'env-file' };
  const last = exec.at(-1);
  let text: string;
  let used: string[] = [];
  if (last) {
    used = [...new Set([...last.value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1]))];
    // one pass (a variable's own $VARs stay as written, so nothing loops), and bounded: a unit
    // repeating a large variable thousands of times must not make a string of gigabytes
    let budget = MAX_EXPANDED;
    text = last.value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k: string) => {
      const v = env[k]?.value ?? '';
      if (v.length > budget) return '';
      budget -= v.length;
      return v;
    });
    if (!dockerdArgs(text)) return undefined;
  } else if (ordered.length === 0 && readFiles.length > 0) {
    used = ['OPTIONS', 'DOCKER_OPTS', 'DOCKER_NETWORK_OPTIONS'].filter((k) => env[k]);
    if (used.length === 0) return undefined;
    text = `dockerd ${used.map((k) => env[k].value).join(' ')}`;
  } else return undefined;
  const ref = last?.ref ?? env[used[0]].ref;
  const excerpt = last?.excerpt ?? env[used[0]].excerpt;
  const flags: { flag: DockerdFlag; from: 'unit' | 'env-file'; ref: SourceRef; excerpt: string }[] = [];
  const own = last ? parseDockerdFlags(dockerdArgs(last.value.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '')) ?? []) : [];
  for (const flag of own) flags.push({ flag, from: 'unit', ref, excerpt });
  // a flag that came through a variable is cited where the variable is set
  for (const k of used)
    for (const flag of parseDockerdFlags(env[k]?.value.split(/\s+/).map(unquote) ?? [])) flags.push({ flag, from: env[k].from, ref: env[k].ref, excerpt: env[k].excerpt });
  return { text, ref, excerpt, flags };
}

/** `/etc/sysconfig/docker` and the bundle's `etc/sysconfig/docker` (or a hand-made `sysconfig/docker`). */
function samePath(unitPath: string, bundlePath: string): boolean {
  const want = unitPath.replace(/^\/+/, '').split('/');
  const have = bundlePath.split('/');
  const n = Math.min(2, want.length);
  return want.slice(-n).join('/') === have.slice(-n).join('/');
}
