/**
 * The processes that decide a node's networking, read from its process listings: `ps auxwww`,
 * `ps -ef`, `ps -eo pid,args` (sos `sos_commands/process/ps_*`, insights `ps_auxww`, the EKS
 * collector's `system/ps.txt`, a ticket's paste) and the `CGroup:` tree of `systemctl status`
 * (`└─981 /usr/bin/dockerd -H fd://`). Kept per process: its line, its command-line words and,
 * for the components below, its flags. Only these are kept (a host lists thousands of processes):
 *
 * - dockerd (its flags are read by dockerd-flags.ts)
 * - kube-proxy (`--proxy-mode`, `--cluster-cidr`, `--config`), kubelet
 * - k3s, RKE2, k0s (`k3s server|agent`, `rke2 server|agent`, `k0s controller|worker`; their flags
 *   `--disable-kube-proxy`, `--flannel-backend`, `--disable-network-policy`,
 *   `--kube-proxy-arg=proxy-mode=ipvs`, k0s `--disable-components`). k3s and RKE2 replace their
 *   command line with `k3s server` to hide tokens: usually no flag of theirs is listed.
 * - MicroK8s' kubelite (kube-proxy in-process), cilium-agent (`--kube-proxy-replacement`),
 *   flanneld, calico-node, kube-router (`--run-service-proxy`)
 */
import { excerpt as capped, lines, SkipFile, type SourceRef } from '../model/source.js';

export type NetworkComponent =
  | 'dockerd'
  | 'kube-proxy'
  | 'kubelet'
  | 'k3s'
  | 'rke2'
  | 'k0s'
  | 'kubelite'
  | 'cilium-agent'
  | 'flanneld'
  | 'calico-node'
  | 'kube-router'
  /** the control plane's own ranges: --service-cluster-ip-range, --cluster-cidr */
  | 'kube-apiserver'
  | 'kube-controller-manager';

export interface ListedProcess {
  component: NetworkComponent;
  /** k3s / RKE2 `server` or `agent`, k0s `controller` or `worker` */
  role?: string;
  pid?: number;
  /** ps's USER or UID column, when the listing has one */
  user?: string;
  /** the command line as listed, from the executable on */
  commandLine: string;
  /** its words (systemd's quoting undone); the executable first */
  words: string[];
  /**
   * the flags after the executable (and role): name without dashes -> values in order (a flag
   * given twice, as k3s' `--kube-proxy-arg`, keeps both); a flag without a value is `true`
   */
  flags: Map<string, string[]>;
  /** false: the listing shows command names only (`ps -e`, `ps auxc`): nothing of the flags */
  argsShown: boolean;
  /** systemd cut the line (`…`): flags after the cut are unknown */
  cut?: boolean;
  /** systemctl status: the unit whose CGroup lists it, and the cgroup (`/system.slice/docker.service`) */
  unit?: string;
  cgroup?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface ProcessListing {
  file: string;
  /** ps: every process of the host; systemctl-status: the processes of the units shown */
  from: 'ps' | 'systemctl-status';
  /** ps shows command lines (not names only) */
  argsShown: boolean;
  processes: ListedProcess[];
}

/** Flags that never take the next word as their value (Go's bool flags, urfave/cli's BoolFlag). */
const BOOLEAN_FLAGS = new Set([
  'disable-kube-proxy',
  'disable-network-policy',
  'disable-cloud-controller',
  'disable-helm-controller',
  'flannel-ipv6-masq',
  'flannel-external-ip',
  'cluster-init',
  'docker',
  'rootless',
  'enable-worker',
  'single',
  'masquerade-all',
  'run-service-proxy',
  'run-router',
  'run-firewall',
  'felix',
  'confd',
  'bird',
  'bird6',
  'allocate-node-cidrs',
  'ip-masq',
  'kube-subnet-mgr',
  'iptables',
  'ip6tables',
  'ipv6',
  'userland-proxy',
  'experimental',
  'debug',
]);

/** Cheap test before a line is split: one of these names is in it. */
const LITERALS = ['docker', 'kube-proxy', 'kubelet', 'k3s', 'rke2', 'k0s', 'kubelite', 'cilium-agent', 'flanneld', 'calico-node', 'kube-router', 'hyperkube', 'kube-apiserver', 'kube-controller-manager'];

/** What a command line runs, when it is one of the components; undefined otherwise. */
export function classifyCommand(words: readonly string[]): { component: NetworkComponent; role?: string; args: string[] } | undefined {
  if (words.length === 0) return undefined;
  const exe = words[0].replace(/^[-@+!:]+/, '');
  let base = exe.slice(exe.lastIndexOf('/') + 1);
  let rest = words.slice(1);
  // hyperkube kube-proxy / hyperkube proxy (Kubernetes before 1.17 shipped one binary)
  if (base === 'hyperkube' && rest[0]) {
    base = rest[0] === 'proxy' ? 'kube-proxy' : rest[0] === 'apiserver' ? 'kube-apiserver' : rest[0] === 'controller-manager' ? 'kube-controller-manager' : rest[0];
    rest = rest.slice(1);
  }
  if (/^dockerd(-current)?$/.test(base)) return { component: 'dockerd', args: rest };
  if (/^docker(-current)?$/.test(base) && (rest[0] === 'daemon' || rest[0] === '-d' || rest[0] === '--daemon')) return { component: 'dockerd', args: rest.slice(1) };
  if (base === 'kube-proxy') return { component: 'kube-proxy', args: rest };
  if (base === 'kubelet') return { component: 'kubelet', args: rest };
  if (base === 'kubelite') return { component: 'kubelite', args: rest };
  if (base === 'kube-apiserver' || base === 'kube-controller-manager') return { component: base, args: rest };
  for (const [name, roles] of [
    ['k3s', ['server', 'agent']],
    ['rke2', ['server', 'agent']],
    ['k0s', ['controller', 'worker']],
  ] as const) {
    // `k3s server` (its own title), or the name ps -e / comm prints (`k3s-server`)
    const comm = new RegExp(`^${name}-(${roles.join('|')})$`).exec(base);
    if (comm) return { component: name, role: comm[1], args: rest };
    if (base === name && (roles as readonly string[]).includes(rest[0] ?? '')) return { component: name, role: rest[0], args: rest.slice(1) };
  }
  if (base === 'cilium-agent') return { component: 'cilium-agent', args: rest };
  if (base === 'flanneld') return { component: 'flanneld', args: rest };
  if (base === 'calico-node') return { component: 'calico-node', args: rest };
  if (base === 'kube-router') return { component: 'kube-router', args: rest };
  return undefined;
}

/** `--name=value`, `--name value`, `--name` (true); single-dash Go flags too. */
export function parseFlags(args: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (k: string, v: string) => {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  };
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([A-Za-z][\w.-]*)(?:=([\s\S]*))?$/.exec(args[i]);
    if (!m) continue;
    if (m[2] !== undefined) add(m[1], m[2]);
    else if (!BOOLEAN_FLAGS.has(m[1]) && args[i + 1] !== undefined && !args[i + 1].startsWith('-')) add(m[1], args[++i]);
    else add(m[1], 'true');
  }
  return out;
}

/** The last value of a flag (the one a Go program keeps). */
export function flagValue(p: ListedProcess, name: string): string | undefined {
  return p.flags.get(name)?.at(-1);
}

/** A boolean flag's value: `--disable-kube-proxy`, `--disable-kube-proxy=true`; undefined when not given. */
export function flagBool(p: ListedProcess, name: string): boolean | undefined {
  const v = flagValue(p, name);
  if (v === undefined) return undefined;
  if (/^(1|t|true|yes|on)$/i.test(v)) return true;
  if (/^(0|f|false|no|off)$/i.test(v)) return false;
  return undefined;
}

/**
 * The values a component passes on to its embedded kube-proxy (`--kube-proxy-arg=proxy-mode=ipvs`,
 * `--kube-proxy-arg --proxy-mode=ipvs`), as kube-proxy flags; a kube-proxy process' own flags.
 */
export function kubeProxyFlags(p: ListedProcess): Map<string, string[]> {
  if (p.component === 'kube-proxy') return p.flags;
  const out = new Map<string, string[]>();
  for (const a of p.flags.get('kube-proxy-arg') ?? []) {
    const m = /^-{0,2}([A-Za-z][\w.-]*)(?:=(.*))?$/.exec(a.trim());
    if (!m) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2] ?? 'true']);
  }
  return out;
}

// ---- ps ------------------------------------------------------------------------------------

/** A ps header: the PID column, then the command column last (ps aux, ps -ef, ps -elf, ps alx, ps -eo pid,args). */
export function isPsHeader(line: string): boolean {
  // words, not a regex: a backtracking pattern took minutes on a long line of repeated "PID "
  if (line.length > 4096) return false;
  const words = line.trim().split(/\s+/);
  const pid = words.indexOf('PID');
  return pid >= 0 && pid < words.length - 1 && /^(COMMAND|CMD|ARGS)$/.test(words[words.length - 1]);
}

/** The text of a line from its `n`th whitespace-separated field on (the command with its own spacing). */
export function commandColumn(line: string, n: number): string | undefined {
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  let k = 0;
  while ((m = re.exec(line))) {
    // ps auxf draws the process tree before the command (` \_ /usr/bin/dockerd`)
    if (k === n) return line.slice(m.index).replace(/^(?:\\_|[|\s])+/, '').trimEnd();
    k++;
  }
  return undefined;
}

/**
 * The components of a ps listing, each at its line. The command column is found by the header's
 * field count (the columns before it hold no spaces), so a `grep kube-proxy` or a container's
 * `sleep k3s` is not taken for the component. A thread listing (`ps -eLf`) gives each pid once.
 */
/**
 * A ps listing's lines and columns: the header line (within the first 20), the number of columns
 * before the command, and the PID and USER/UID columns (-1 when absent).
 */
export function psTable(text: string, file: string): { all: string[]; h: number; before: number; pidCol: number; userCol: number } {
  const all = lines(text);
  const h = all.findIndex((l, i) => i < 20 && isPsHeader(l));
  if (h < 0) throw new SkipFile(file, 'no ps header');
  const header = all[h].trim().split(/\s+/);
  return { all, h, before: header.length - 1, pidCol: header.indexOf('PID'), userCol: header.findIndex((w) => w === 'USER' || w === 'UID') };
}

export function parsePsProcesses(text: string, file: string): ProcessListing {
  const { all, h, before, pidCol, userCol } = psTable(text, file);
  // `ps -e` and `ps auxc` print the command's name alone
  let argsShown = false;
  for (let i = h + 1; i < all.length && !argsShown; i++) argsShown = /\S\s+\S/.test(commandColumn(all[i], before) ?? '');
  const processes: ListedProcess[] = [];
  const pids = new Set<number>();
  for (let i = h + 1; i < all.length; i++) {
    const raw = all[i];
    if (!LITERALS.some((l) => raw.includes(l))) continue;
    const cmd = commandColumn(raw, before);
    if (cmd === undefined) continue;
    const words = cmd.split(/\s+/);
    const c = classifyCommand(words);
    if (!c) continue;
    const fields = raw.trim().split(/\s+/);
    const pid = Number(fields[pidCol]);
    if (Number.isInteger(pid)) {
      if (pids.has(pid)) continue;
      pids.add(pid);
    }
    const user = userCol >= 0 && userCol < before ? fields[userCol] : undefined;
    processes.push({
      component: c.component,
      role: c.role,
      pid: Number.isInteger(pid) ? pid : undefined,
      user,
      commandLine: cmd,
      words,
      flags: argsShown ? parseFlags(c.args) : new Map(),
      argsShown,
      ref: { file, line: i + 1 },
      excerpt: capped(raw.trim()),
    });
  }
  return { file, from: 'ps', argsShown, processes };
}

// ---- systemctl status: the CGroup tree ------------------------------------------------------

/**
 * The words of a command line as systemd prints it in a CGroup tree: arguments holding spaces are
 * quoted (`"/usr/local/bin/k3s server"`: k3s' own process title, one argument), `\"` escaped.
 */
export function systemdWords(cmd: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cmd))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  // a process title that is the whole command line in one argument (k3s, RKE2, `containerd `)
  if (out.length > 0 && /\s/.test(out[0].trim())) out.splice(0, 1, ...out[0].trim().split(/\s+/));
  return out;
}

/**
 * One line of a `CGroup:` tree (`├─3244 "/usr/local/bin/k3s server"`, `│ └─1683 kube-proxy ...`,
 * ASCII `|-981 ...` / `` `-981 ...``): the pid and the command, when the line is a process of
 * interest; `tree` when it is a line of the tree that is not (another process, a sub-cgroup);
 * undefined when the tree has ended.
 */
export function cgroupLine(raw: string, file: string, line: number, unit: string, cgroup?: string): ListedProcess | 'tree' | undefined {
  // `‣ 3796039 ...`: the unit's main process outside its cgroup (k3s-io/k3s#2502), listed after the tree
  const m = /^\s+((?:[│├└|`]\s*)+[─-]+|‣)\s*(\S.*)$/.exec(raw);
  if (!m) return undefined;
  const proc = /^(\d+)\s+(\S.*)$/.exec(m[2]);
  if (!proc) return 'tree';
  const pid = Number(proc[1]);
  let cmd = proc[2].trimEnd();
  if (!LITERALS.some((l) => cmd.includes(l))) return 'tree';
  // systemd ellipsizes a line for the terminal (`…`; `...` where it prints ASCII); a pager cuts it at the screen's edge (`>`)
  const cut = /(?:…|\.\.\.|\S>)$/.test(cmd);
  if (cut) cmd = cmd.replace(/\s*\S*(?:…|\.\.\.|>)$/, '');
  const words = systemdWords(cmd);
  const c = classifyCommand(words);
  if (!c) return 'tree';
  return {
    component: c.component,
    role: c.role,
    pid,
    commandLine: cmd,
    words,
    flags: parseFlags(c.args),
    argsShown: true,
    cut: cut || undefined,
    unit,
    cgroup,
    ref: { file, line },
    excerpt: capped(raw.trim()),
  };
}

// ---- the node's processes --------------------------------------------------------------------

/** The artifacts that carry process listings: ps is read into `dockerDaemon`, CGroup trees into `services`. */
export interface ProcessSources {
  dockerDaemon?: readonly object[];
  services?: readonly { file: string; processes?: ListedProcess[] }[];
}

/** A ps listing carried by a dockerDaemon artifact (parsePsDockerd adds it as `listing`). */
function listingOf(x: object): ProcessListing | undefined {
  const l = (x as { listing?: unknown }).listing;
  return l && typeof l === 'object' && Array.isArray((l as ProcessListing).processes) ? (l as ProcessListing) : undefined;
}

export interface NodeProcesses {
  /** every listed component process, ps first, then the CGroup trees' processes ps did not list */
  processes: ListedProcess[];
  /** a ps listing with command lines exists: a component it does not show is not running */
  complete: boolean;
  /** the ps listings read */
  listings: ProcessListing[];
}

/** The node's component processes, from its ps listings and its `systemctl status` CGroup trees. */
export function nodeProcesses(a: ProcessSources): NodeProcesses {
  const listings = (a.dockerDaemon ?? []).map(listingOf).filter((l): l is ProcessListing => l !== undefined);
  const processes: ListedProcess[] = [];
  const pids = new Set<number>();
  const add = (p: ListedProcess) => {
    if (p.pid !== undefined) {
      if (pids.has(p.pid)) return;
      pids.add(p.pid);
    }
    processes.push(p);
  };
  for (const l of listings) for (const p of l.processes) add(p);
  for (const s of a.services ?? []) for (const p of s.processes ?? []) add(p);
  return { processes, complete: listings.some((l) => l.argsShown), listings };
}

/** The node's processes of one component. */
export function processesOf(a: ProcessSources, component: NetworkComponent): ListedProcess[] {
  return nodeProcesses(a).processes.filter((p) => p.component === component);
}
