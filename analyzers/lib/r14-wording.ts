/**
 * H64 (reviews R21, R22): the cause behind several lines.
 *
 * - lockRace: dockerd's start failing on `iptables: Resource temporarily unavailable.` (exit status 4): another program
 *   replaced the table between iptables' read and its write; named where the logs show it starting within seconds
 *   (coreos/bugs#469: iptables-restore.service). A start again works; a drop-in orders docker after that unit.
 * - dockerChainsGone: Docker's rules failing on a missing DOCKER chain: through firewalld's passthrough (`COMMAND_FAILED:
 *   '/sbin/iptables -w -t nat -A DOCKER ... -j DNAT ...' failed: iptables: No chain/target/match by that name.`,
 *   moby/moby#15948) firewalld (re)started or reloaded over Docker's chains; from dockerd itself (coreos/bugs#338) a
 *   unit flushed them after dockerd started. ``Couldn't load target `DOCKER'`` for a chain name is the chain missing,
 *   not a kernel module. Critical where a published port's rule (its DNAT, its ACCEPT) failed: that container did not start.
 * - networkUnreachable: ENETUNREACH: the routes (a default route?), a Service ClusterIP (the route lookup of a local
 *   connect comes before kube-proxy's DNAT: kubernetes/kubernetes#110659), IPv6 tried first on a host without IPv6.
 * - imageLegacy: a CNI or kube-proxy image's legacy iptables failing on a table the host does not have (flannel-io/flannel#1306):
 *   the image's back end against the host's, before any module.
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch } from '../../src/logs/index.js';
import type { Evidence } from '../../src/report/schema.js';
import { addressIn } from '../../src/parsers/cidr.js';
import { timeOf } from './logs.js';
import { dockerOnFirewalldReload, dockerVersion } from './container-host.js';
import { liveViews } from './node-view.js';

// ---- 1. a table replaced under dockerd ---------------------------------------------------------

/** EAGAIN from the kernel on iptables' commit (legacy), or the xtables lock held by another */
const TABLE_RACE = /Resource temporarily unavailable|xtables lock/;

/** the systemd unit of a firewall service as log.firewall-restart's `service` fact names it */
const UNIT_OF_SERVICE: Record<string, string> = {
  firewalld: 'firewalld.service',
  iptables: 'iptables.service',
  ip6tables: 'ip6tables.service',
  'netfilter-persistent': 'netfilter-persistent.service',
  'netfilter persistent configuration': 'netfilter-persistent.service',
  ufw: 'ufw.service',
  'Uncomplicated firewall': 'ufw.service',
  nftables: 'nftables.service',
  'Netfilter Tables': 'nftables.service',
};

const RACE_WINDOW_MS = 30_000;

function unitOf(m: LogMatch): string | undefined {
  if (m.signature === 'log.firewall-writer-start') return m.facts.unit ?? (m.facts.family ? `${m.facts.family}-restore.service` : undefined);
  if (m.signature === 'log.firewall-restart') return m.facts.service ? UNIT_OF_SERVICE[m.facts.service] : undefined;
  if (m.signature === 'log.kube-proxy-started') return 'kube-proxy';
  return undefined;
}

/** a writer's line near a failure: within RACE_WINDOW_MS before it (or 2 s after), else a few lines above it in the same log when neither has a time */
function near(w: LogMatch, f: LogMatch): boolean {
  if (w.timestamp && f.timestamp) {
    // a year guessed for one of them (syslog's lines give none; dockerd's own time= does): compare within the year
    const within = (t: { iso: string }) => Date.parse(`2000-${t.iso.slice(5)}`);
    const guessed = w.timestamp.yearInferred || f.timestamp.yearInferred;
    const d = guessed ? within(f.timestamp) - within(w.timestamp) : f.timestamp.epochMs - w.timestamp.epochMs;
    return d >= -2000 && d <= RACE_WINDOW_MS;
  }
  return w.file === f.file && w.line < f.line && f.line - w.line <= 20;
}

function evidenceOf(m: LogMatch, note: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note };
}

// ---- dockerd started again ----------------------------------------------------------------------

/**
 * H68 (R23 14, 38): the log.docker-daemon-initialized lines (dockerd's `Daemon has completed initialization`, its
 * `API listen on /var/run/docker.sock`, systemd's `Started Docker Application Container
 * Engine.`) after the last of `failures`: later in the same log, else later in time. The one test every "did dockerd
 * start again" question asks (dockerStart, dockerChainsGone, lockRace). The first such line, or undefined.
 */
export function dockerStartedAfter(failures: readonly LogMatch[], started: readonly LogMatch[]): LogMatch | undefined {
  if (failures.length === 0) return undefined;
  const last = failures.reduce((a, b) => (a.file === b.file ? (b.line > a.line ? b : a) : a.timestamp && b.timestamp && b.timestamp.epochMs > a.timestamp.epochMs ? b : a));
  const after = started.filter((s) => (s.file === last.file ? s.line > last.line : !!s.timestamp && !!last.timestamp && s.timestamp.epochMs > last.timestamp.epochMs));
  return [...after].sort((a, b) => (a.file === b.file ? a.line - b.line : (a.timestamp?.epochMs ?? 0) - (b.timestamp?.epochMs ?? 0)))[0];
}

/** what a dockerd-started line says, for the message: `file:line: Daemon has completed initialization` */
export function dockerStartedSays(s: LogMatch): string {
  const said = /Daemon has completed initialization|API listen on \S+|Started (?:docker\.service - )?Docker Application Container Engine/.exec(s.excerpt)?.[0];
  return `${s.file}:${s.line}${said ? `: ${said}` : ''}`;
}

/**
 * dockerd's start (network controller) failing on a table another program replaced at that moment. The
 * finding's fix is wrong there: restarting dockerd unchanged works once the other writer is done.
 * `writers`: log.firewall-writer-start, log.firewall-restart (starts only), log.kube-proxy-started lines.
 * `started`: log.docker-daemon-initialized lines: dockerd started later (systemd's restart), then the failure is past.
 */
export function lockRace(draft: FindingDraft, matches: readonly LogMatch[], writers: readonly LogMatch[], started: readonly LogMatch[] = []): boolean {
  const races = matches.filter((m) => TABLE_RACE.test(m.excerpt) || TABLE_RACE.test(m.facts.reason ?? ''));
  if (races.length === 0 || races.length < matches.length) return false;
  const starting = writers.filter((w) => w.signature !== 'log.firewall-restart' || /^(?:Starting|Started|Restarting|Restarted|Reloading|Reloaded|start|restart|reload|try-restart|reload-or-restart)$/.test(w.facts.action ?? ''));
  const close = starting.filter((w) => races.some((f) => near(w, f)));
  const units = [...new Set(close.map(unitOf).filter((u): u is string => u !== undefined))];
  const systemdUnits = units.filter((u) => u.endsWith('.service'));
  const lock = races.some((m) => /xtables lock/.test(m.excerpt));
  const what = lock
    ? 'iptables could not get the xtables lock: another program held it while it changed the rules'
    : 'iptables answered "Resource temporarily unavailable" (exit status 4): it read the table, another program replaced the table before iptables wrote it back, and the kernel refused the stale copy';
  const who =
    units.length > 0
      ? ` ${units.join(' and ')} started at that moment (${close.map((w) => `${w.file}:${w.line}`).slice(0, 3).join(', ')}): ${units.length > 1 ? 'they rewrite' : 'it rewrites'} the tables while dockerd adds its rules (coreos/bugs#469).`
      : ' The logs do not show which program: look for a firewall unit (iptables-restore.service, iptables.service, firewalld, netfilter-persistent) or kube-proxy starting at that time.';
  // the generic iptables clause (modules, back ends, flushed chains) is not this
  draft.message = draft.message.replace(/ \(chain [^)]{1,200}\)(?=:)/, '');
  draft.message += ` ${what}: two programs changed the rules at the same moment.${who} Nothing is wrong with Docker's configuration, the kernel or iptables: started again, dockerd comes up.`;
  draft.title = 'Docker did not start: another program changed the iptables rules at the same moment';
  draft.facts = { ...draft.facts, cause: 'concurrent-iptables-writer', ...(units.length > 0 ? { concurrentWriters: units } : {}) };
  for (const w of close.slice(0, 3)) draft.evidence.push(evidenceOf(w, `${unitOf(w) ?? 'a firewall unit'} starting`));
  const order = systemdUnits.length > 0 ? systemdUnits : ['iptables-restore.service'];
  const dropIn = [
    'mkdir -p /etc/systemd/system/docker.service.d',
    `printf '[Unit]\\nAfter=${order.join(' ')}\\n' > /etc/systemd/system/docker.service.d/10-after-firewall.conf${systemdUnits.length > 0 ? '' : '   # the firewall unit this host runs'}`,
    'systemctl daemon-reload',
  ];
  // H68 (R23 38): dockerd started later (systemd restarted it): the failure is past; only the boot order is left to fix
  const later = dockerStartedAfter(matches, started);
  if (later) {
    draft.severity = 'info';
    draft.title = 'Docker failed to start once (another program changed the iptables rules at the same moment) and started later';
    if (!draft.message.includes(`${later.file}:${later.line}`)) draft.message += ` dockerd started after it (${dockerStartedSays(later)}): the failure is past, as far as the logs go.`;
    draft.evidence.push(evidenceOf(later, 'dockerd started again'));
    draft.facts = { ...draft.facts, dockerStartedAfter: `${later.file}:${later.line}` };
    draft.remedy = {
      summary: `Nothing to start: dockerd came up on its next try. So that the race does not come back at the next boot, order docker.service after ${systemdUnits.length > 0 ? systemdUnits.join(' and ') : 'the unit that loads the firewall rules (iptables-restore.service in CoreOS; iptables.service, netfilter-persistent.service or firewalld.service elsewhere: the one this host runs)'} with a drop-in (After=${order.join(' ')}).`,
      commands: dropIn,
    };
    return true;
  }
  draft.remedy = {
    summary:
      `Start docker again: the other writer is done by now, so the same start succeeds. So that it does not happen at the next boot, order docker.service after ${systemdUnits.length > 0 ? systemdUnits.join(' and ') : 'the unit that loads the firewall rules (iptables-restore.service in CoreOS; iptables.service, netfilter-persistent.service or firewalld.service elsewhere: the one this host runs)'} with a drop-in (After=${order.join(' ')}).` +
      (units.includes('kube-proxy') ? ' kube-proxy writes its rules at every sync: there the start again is the fix.' : ''),
    commands: ['systemctl start docker', ...dropIn],
  };
  return true;
}

// ---- 2. Docker's chains gone ------------------------------------------------------------------

/** firewalld's passthrough reporting the iptables command it ran for a client (Docker before 20.10 and after) */
const FIREWALLD_PASSTHROUGH = /COMMAND_FAILED: '?(?:\/usr)?\/s?bin\/ip6?tables(?:-legacy|-nft)?\s/;
/** the chain names of Docker, Kubernetes, Calico, flannel: a target of that name is a chain, not an extension */
export const COMPONENT_CHAIN = /^(?:DOCKER(?:-[A-Z0-9-]{1,40})?|KUBE-[A-Z0-9-]{1,60}|cali-[\w-]{1,60}|FLANNEL(?:-[A-Z0-9-]{1,40})?|CNI-[\w-]{1,60}|CILIUM_[\w-]{1,60}|WEAVE(?:-[\w-]{1,40})?)$/;
const DOCKER_CHAIN = /^DOCKER(?:-[A-Z0-9-]{1,40})?$/;
/** a published port's own rule: its DNAT in nat DOCKER, its ACCEPT in filter DOCKER */
const PUBLISHED_PORT_RULE = /\s(?:-A|--append|-I|--insert)\s{1,4}DOCKER\s[^\n]{0,400}?(?:-j\s{1,4}DNAT\b|--dport\s{1,4}\d{1,5}[^\n]{0,200}?-j\s{1,4}ACCEPT\b)/;

function chainsOf(matches: readonly LogMatch[]): string[] {
  const names = matches.flatMap((m) => [m.facts.kind === 'target' ? m.facts.module : undefined, m.facts.target, m.facts.chain]).filter((c): c is string => !!c && COMPONENT_CHAIN.test(c));
  return [...new Set(names)];
}

/**
 * A missing chain of Docker's (log.iptables-no-chain, log.iptables-couldnt-load-match): who removed it, as the lines
 * say (firewalld's passthrough: firewalld (re)started or reloaded; dockerd's own: a unit flushed the rules after it
 * started), and critical where a published port's rule failed, unless dockerd started again after the last line.
 * For log.iptables-couldnt-load-match of a chain name not worded already: the missing chain first, modules after.
 * `dockerStarted`: log.docker-daemon-initialized lines; `restart`: the node's restart commands for docker.
 */
export function dockerChainsGone(draft: FindingDraft, id: string, matches: readonly LogMatch[], dockerStarted: readonly LogMatch[], restart: readonly string[]): boolean {
  const chains = chainsOf(matches);
  const passthrough = matches.filter((m) => FIREWALLD_PASSTHROUGH.test(m.excerpt) || m.unit === 'firewalld');
  const docker = chains.length > 0 && chains.every((c) => DOCKER_CHAIN.test(c));
  // a target of another name (REJECT, a module's extension) is log.iptables-couldnt-load-match's own reading
  if (id === 'log.iptables-couldnt-load-match') {
    const targets = [...new Set(matches.map((m) => m.facts.module).filter(Boolean))];
    if (targets.length === 0 || !targets.every((t) => COMPONENT_CHAIN.test(t))) return false;
    // missingChainTarget worded a restore that jumps to a chain: keep it unless these are firewalld's lines
    if (draft.title !== 'iptables cannot load a match or target' && passthrough.length === 0) return false;
    draft.title = `The rules jump to a chain that does not exist (${targets.join(', ')})`;
    draft.message =
      draft.message.replace(/: iptables does not know a match or target[^]*$/, ': ') +
      `iptables says "Couldn't load target" for a chain it cannot find: ${targets.join(', ')} ${targets.length > 1 ? 'are chain names' : 'is a chain name'} (${docker ? "Docker's" : 'a component\'s'}), not an extension, and that chain is not in the table. A missing kernel module or another iptables version is the reading only for a name that is not a chain.`;
  } else if (!docker) return false;
  if (!docker) {
    draft.remedy = {
      summary: `Recreate ${chains.join(', ')} by restarting the component that owns ${chains.length > 1 ? 'them' : 'it'} (its name says whose it is); a kernel module or another iptables version does not bring a chain back.`,
      commands: chains.map((c) => `iptables -S ${c} 2>&1 | head -3; iptables -t nat -S ${c} 2>&1 | head -3   # which table holds it, if any`),
    };
    return true;
  }
  const ports = [...new Set(matches.flatMap((m) => (PUBLISHED_PORT_RULE.test(m.excerpt) ? [/--dport\s{1,4}(\d{1,5})/.exec(m.excerpt)?.[1] ?? ''] : [])).filter(Boolean))];
  // H68 (R23 14): the same test as dockerStart's and lockRace's (systemd's Started line, dockerd's API listen on ...)
  const later = dockerStartedAfter(matches, dockerStarted);
  const startedAfter = later ? [later] : [];
  if (passthrough.length > 0) {
    draft.message += ` These are firewalld's lines: Docker adds its rules through firewalld's passthrough while firewalld runs, and firewalld reports the command that failed. ${chains.join(', ')} ${chains.length > 1 ? 'were' : 'was'} gone because firewalld (re)started or reloaded after docker: it rebuilds the tables from its own configuration and drops the chains Docker made at run time (moby/moby#15948).`;
  } else if (id === 'log.iptables-no-chain') {
    draft.message += ` ${chains.join(', ')} is Docker's own chain, made when dockerd starts: something removed it while dockerd ran, a unit that loads a saved rule set (iptables-restore.service, iptables.service, netfilter-persistent) or firewalld starting after docker, or iptables -F / -X (coreos/bugs#338).`;
  }
  if (ports.length > 0 && startedAfter.length === 0) {
    draft.severity = 'critical';
    draft.message += ` The failed rule is the one that publishes port ${ports.join(', ')}: the container that publishes it did not start, and no container that publishes a port starts until Docker's chains are back (nothing later in the logs shows dockerd starting again).`;
    draft.facts = { ...draft.facts, publishedPorts: ports };
  } else if (startedAfter.length > 0) {
    draft.message += ` dockerd started after it (${startedAfter[0].file}:${startedAfter[0].line}), which makes its chains again.`;
  }
  const afterUnit = passthrough.length > 0 ? 'firewalld.service' : 'the unit that loads the saved rules (iptables-restore.service, iptables.service, netfilter-persistent.service)';
  draft.remedy = {
    summary:
      (startedAfter.length > 0
        ? `dockerd started again after these lines, which made its chains again: check that they are there, and restart docker (this restarts its containers) only if they are not; restart it after every ${passthrough.length > 0 ? 'firewalld restart' : 'flush'}.`
        : `Restart docker so that it makes its chains again (this restarts its containers), and do it after every ${passthrough.length > 0 ? 'firewalld restart' : 'flush'}.`) +
      (passthrough.length > 0
        ? " Docker 20.10 and later, where firewalld runs, put docker0 in firewalld's docker zone and make their rules again when firewalld reloads; with an older Docker, upgrade it, or restart docker after every firewalld restart or reload."
        : ` So that it does not happen at boot, order docker.service after ${afterUnit} with a drop-in (After=), and keep that unit from reloading while docker runs.`),
    commands:
      startedAfter.length > 0
        ? ['iptables -t nat -S DOCKER | head -3; iptables -S DOCKER | head -3   # "No chain" here: gone again, then restart docker', ...restart.map((c) => (c.startsWith('#') ? c : c.includes('   # ') ? c.replace('   # ', '   # only if the chains are missing; ') : `${c}   # only if the chains are missing`))]
        : [...restart, "iptables -t nat -S DOCKER | head -3; iptables -S DOCKER | head -3   # the chains are back"],
  };
  draft.facts = { ...draft.facts, chainsGone: chains, ...(passthrough.length > 0 ? { cause: 'firewalld-reloaded-over-docker' } : {}) };
  return true;
}

// ---- 3. ENETUNREACH ---------------------------------------------------------------------------

/** Service ranges by default: kubeadm's 10.96.0.0/12, k3s' and RKE2's 10.43.0.0/16 */
const DEFAULT_SERVICE_RANGES = ['10.96.0.0/12', '10.43.0.0/16'];

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

function isV6(host: string): boolean {
  return bare(host).includes(':');
}

function isIpv4(host: string): boolean {
  return /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * ENETUNREACH lines: IPv6 peers alone where the host shows no IPv6 default route are a client trying IPv6 first
 * (info); a peer in a Service range is the route lookup before kube-proxy's DNAT; the routes, where the bundle has
 * them, say whether a default route exists.
 */
export function networkUnreachable(draft: FindingDraft, matches: readonly LogMatch[], artifacts: NodeArtifacts): void {
  const hosts = [...new Set(matches.map((m) => m.facts.host).filter((h): h is string => !!h))];
  const v6Peers = hosts.filter(isV6);
  const v4Peers = hosts.filter((h) => !isV6(h));
  const routes = (artifacts.routes ?? []).flatMap((t) => t.routes);
  const haveRoutes = (artifacts.routes ?? []).length > 0;
  const mainTable = (r: { table?: string }) => !r.table || r.table === 'main';
  const default4 = routes.find((r) => r.destination === '0.0.0.0/0' && mainTable(r) && r.type !== 'unreachable' && r.type !== 'blackhole' && r.type !== 'prohibit');
  const default6 = routes.find((r) => r.destination === '::/0' && mainTable(r) && r.type !== 'unreachable' && r.type !== 'blackhole' && r.type !== 'prohibit');
  const global6 = (artifacts.ipAddr ?? []).some((l) => l.interfaces.some((i) => i.addresses.some((a) => a.family === 6 && a.scope === 'global')));
  // only IPv6 peers, and the host has no IPv6 path out: a dual-stack client that tried IPv6 first
  if (v6Peers.length > 0 && v4Peers.length === 0 && matches.every((m) => m.facts.host && isV6(m.facts.host)) && !default6 && !global6) {
    draft.severity = 'info';
    draft.title = 'IPv6 unreachable: a client tried IPv6 on a host without an IPv6 route';
    draft.message += ` Every address here is IPv6 (${v6Peers.slice(0, 3).join(', ')})${haveRoutes || (artifacts.ipAddr ?? []).length > 0 ? ' and the bundle shows no IPv6 default route or global IPv6 address' : ''}: the client resolved a name to IPv6 and IPv4 addresses and tried IPv6 first. Where it then connected over IPv4 this is harmless; it matters only where the client never falls back (it failed with this line alone).`;
    draft.remedy = {
      summary: 'Nothing to fix where the connection then went over IPv4. Where it did not, give the host IPv6 (an address and a default route), or make the client prefer IPv4 (for Docker pulls: disable IPv6 name answers, or set precedence ::ffff:0:0/96 100 in /etc/gai.conf).',
      commands: ['ip -6 route show default; ip -6 addr show scope global   # no output: no IPv6 path out'],
    };
    draft.facts = { ...draft.facts, ipv6Only: true };
    return;
  }
  const services = v4Peers.filter((h) => isIpv4(h) && DEFAULT_SERVICE_RANGES.some((r) => addressIn(h, r)));
  if (services.length > 0) {
    draft.message += ` ${services.join(', ')} ${services.length > 1 ? 'are' : 'is'} in a Kubernetes Service range (a ClusterIP: 10.96.0.1 is the API server's). For a connection made on the node itself (calico-node, kubelet, a pod on the host network) the kernel picks the route before kube-proxy's DNAT in nat OUTPUT rewrites the address: with no default route and no route covering the Service range, connect() fails here and the KUBE-SERVICES rules never see a packet (their counters stay 0), however complete they are (kubernetes/kubernetes#110659).`;
    draft.facts = { ...draft.facts, serviceAddresses: services };
  }
  const summaryTail = services.length > 0 ? " or at least a route that covers the Service range through the node's interface (ip route add 10.96.0.0/12 dev eth0, with this cluster's range and interface)" : '';
  if (haveRoutes) {
    const file = (artifacts.routes ?? [])[0].file;
    if (default4) {
      draft.message += ` The routes in the bundle have a default route (${default4.ref.file}:${default4.ref.line}: ${default4.excerpt.trim()}): if they were collected where the client ran, the failure was earlier or elsewhere (a container's or pod's own routes).`;
      draft.evidence.push({ file: default4.ref.file, line: default4.ref.line, excerpt: default4.excerpt, note: 'default route' });
    } else if (v4Peers.length > 0 || hosts.length === 0) {
      draft.message += ` The routes in the bundle (${file}) have no IPv4 default route: that is why.`;
      draft.facts = { ...draft.facts, defaultRoute: false };
    }
  } else {
    draft.message += ' The bundle has no routes (ip route) to say whether a default route exists.';
  }
  draft.remedy = {
    summary: `Give the node a default route (its gateway)${summaryTail}, where the client runs; make it persistent in the network configuration.`,
    commands: ['ip route show; ip -6 route show   # is there a default route?', ...hosts.filter(isIpv4).slice(0, 3).map((h) => `ip route get ${h}   # "Network is unreachable": no route covers it`), 'ip route add default via <gateway> dev <interface>   # then persist it in the network configuration'],
  };
}

// ---- 4. the image's legacy iptables on an nf_tables host ----------------------------------------

const CONTAINER_WRITER = /flannel|kube-proxy|calico|canal|cilium|weave|kube-router|antrea|multus|istio/i;
/** the writers of the host's own rules from an image (host network): kube-proxy and the CNIs' node daemons; not istio-init (its pod's namespace) */
const HOST_NETWORK_WRITER = /flannel|kube-proxy|calico|canal|cilium|weave|kube-router|antrea/i;
/**
 * A legacy iptables that finds no table at all: `can't initialize iptables table `nat': Table does not exist` and
 * iptables-restore's `unable to initialize table 'nat'` (H68, R23 39). iptables.mixed-backends leaves these lines to
 * imageLegacy (the image writes nothing, so no rules are split).
 */
export const IMAGE_NO_TABLE = /can't initialize ip6?tables table|Table does not exist|unable to initialize table/;
const RESTORE_NO_TABLE = /unable to initialize table '(?<table>filter|nat|mangle|raw|security)'/;

function hostNetworkWriter(m: LogMatch): boolean {
  return HOST_NETWORK_WRITER.test(`${m.file} ${m.pod ?? ''} ${m.container ?? ''} ${m.unit ?? ''}`);
}
/** busybox modprobe in a container that has no /lib/modules */
const NO_MODULES_DIR = /modprobe: can't change directory to '\/lib\/modules'/;

function inContainer(m: LogMatch): boolean {
  return m.pod !== undefined || m.container !== undefined || CONTAINER_WRITER.test(m.file) || NO_MODULES_DIR.test(m.excerpt) || CONTAINER_WRITER.test(m.unit ?? '');
}

/**
 * A table that legacy iptables, in a CNI's or kube-proxy's image, cannot initialize, where nothing in the bundle
 * shows legacy tables on the host (or the host's iptables is nf_tables): the back ends differ; loading iptable_nat on
 * the host would put legacy tables beside the nft ones. Critical for flannel's own ensure loop on that line: flannel
 * programs none of its rules until the image or the host changes.
 */
export function imageLegacy(draft: FindingDraft, id: string, matches: readonly LogMatch[], artifacts: NodeArtifacts, allMatches: readonly LogMatch[]): boolean | 'folded' {
  // the table missing, not another reason (flannel#1271's `Bad address`: EFAULT, not a back end); an excerpt may end
  // before the reason
  const otherReason = /can't initialize ip6?tables table [`'"]?\w+[`'"]?: (?!Table does not exist)\S/;
  const legacy = matches.filter(
    (m) =>
      m.facts.backend === 'legacy' &&
      ((/can't initialize ip6?tables table|Table does not exist/.test(m.excerpt) && !otherReason.test(m.excerpt) && (m.facts.reason === undefined || m.facts.reason === 'Table does not exist') && inContainer(m)) ||
        // H68 (R23 39): legacy iptables-restore's `unable to initialize table 'nat'` of a host-network writer (kube-proxy,
        // a CNI daemon); istio-init's (its pod's own namespace) keeps the module advice of log.iptables-module-missing
        (RESTORE_NO_TABLE.test(m.excerpt) && hostNetworkWriter(m))),
  );
  if (legacy.length === 0) return false;
  // the module finding: only where every line is such a line (another module's line keeps its advice)
  if (id === 'log.iptables-module-missing' && legacy.length < matches.length) return false;
  const rulesets = artifacts.iptables ?? [];
  const hostLegacy =
    rulesets.some((r) => r.backend === 'legacy' && Object.keys(r.tables).length > 0) ||
    rulesets.some((r) => r.legacyTablesPresent) ||
    (artifacts.iptablesVersion ?? []).some((l) => l.some((v) => v.backend === 'legacy')) ||
    allMatches.some((m) => m.signature === 'log.iptables-legacy-tables-present');
  if (hostLegacy) return false;
  const hostNft =
    rulesets.find((r) => r.backend === 'nf_tables') ??
    (artifacts.iptablesVersion ?? []).flat().find((v) => v.backend === 'nf_tables') ??
    ((artifacts.nftables ?? []).length > 0 ? (artifacts.nftables ?? [])[0] : undefined);
  const version = legacy[0].facts.version;
  const writer = legacy.some((m) => /flannel/i.test(`${m.file} ${m.pod ?? ''} ${m.container ?? ''} ${m.excerpt}`)) ? 'flannel' : legacy.some((m) => /kube-proxy/i.test(`${m.file} ${m.pod ?? ''} ${m.container ?? ''}`)) ? 'kube-proxy' : 'the component';
  const hostSays = hostNft ? `the host's iptables is nf_tables (${'file' in hostNft ? hostNft.file : 'its rules'})` : 'nothing in the bundle shows legacy tables on the host (RHEL/CentOS 8 and later, Debian 10 and later use nf_tables)';
  const table = legacy[0].facts.table ?? legacy[0].facts.initTable ?? RESTORE_NO_TABLE.exec(legacy[0].excerpt)?.groups?.table ?? 'nat';
  draft.title = `${writer === 'the component' ? 'A container' : writer === 'kube-proxy' ? 'kube-proxy' : capital(writer)}'s legacy iptables finds no ${table} table: the host ${hostNft ? 'uses' : 'most likely uses'} nf_tables`;
  draft.message =
    id === 'log.iptables-module-missing'
      ? // the module reading (load iptable_nat on the host) is the wrong fix here: the lines' count, then the back ends
        draft.message.slice(0, draft.message.indexOf(': ') + 2)
      : draft.message.replace(/: iptables cannot use a table at all[^]*$/, ': ') + (id === 'log.iptables-table-unavailable' ? '' : ' ');
  draft.message +=
    `${writer === 'the component' ? "The component's image" : `${capital(writer)}'s image`} runs legacy iptables${version ? ` ${version}` : ''} ("(legacy)" in the line), and ${hostSays}: the legacy ${table} table does not exist on this host, and the container cannot load a module${legacy.some((m) => NO_MODULES_DIR.test(m.excerpt)) ? " (modprobe: can't change directory to '/lib/modules')" : ''}. The image's back end and the host's differ, so ${writer} programs none of its rules${writer === 'flannel' ? ' (no MASQUERADE, no FORWARD accept: pod traffic between nodes fails)' : writer === 'kube-proxy' ? ' (no Service rules: ClusterIPs and NodePorts do not answer)' : ''}.`;
  // the same line read as the continuation of flannel's ensure failure: one finding (flannel's), not two
  if (id === 'log.iptables-table-unavailable' && legacy.length === matches.length) {
    const flannel = allMatches.filter((m) => m.signature === 'log.flannel-iptables-failed' && m.facts.backend === 'legacy');
    if (matches.every((l) => flannel.some((f) => f.file === l.file && l.line >= f.line && l.line <= (f.endLine ?? f.line)))) return 'folded';
  }
  const flannelEnsure = allMatches.some((m) => m.signature === 'log.flannel-iptables-failed' && legacy.some((l) => l.file === m.file && Math.abs(l.line - m.line) <= 4));
  if (writer === 'flannel' && (id === 'log.flannel-iptables-failed' || flannelEnsure)) {
    draft.severity = 'critical';
    draft.message += " flannel's ensure loop fails the same way every time until the image or the host changes.";
  }
  const hostIs = hostNft ? 'nf_tables' : 'most likely nf_tables (iptables -V on the host says which)';
  const onlyThen =
    "Only then, if the host must stay legacy: load the legacy table modules on the host (modprobe iptable_nat iptable_filter); doing that on an nf_tables host puts legacy tables beside the nft rules of kube-proxy and the host, and each side sees half of the rules.";
  draft.remedy = {
    summary:
      writer === 'kube-proxy'
        ? // H68 (R23 39): the image first; loading iptable_nat on the host is what splits the back ends
          `Run a kube-proxy image that picks the host's back end (Kubernetes 1.17 and later ship iptables-wrapper): the image's iptables is legacy, the host's is ${hostIs}. Or make the host use the image's back end. ${onlyThen}`
        : `The image's iptables is legacy, the host's is ${hostIs}: ${writer === 'flannel' ? 'upgrade flannel (v0.13 and later ship iptables-wrapper, which picks the back end the host uses)' : 'upgrade the image to one whose iptables picks the back end the host uses (iptables-wrapper)'}, or make the host use the image's back end. ${onlyThen}`,
    commands: [
      'iptables -V; ls -l $(command -v iptables)   # on the host: (nf_tables) or (legacy)',
      writer === 'flannel'
        ? "kubectl -n kube-flannel get ds kube-flannel-ds -o jsonpath='{..image}'; kubectl -n kube-system get ds -l app=flannel -o jsonpath='{..image}'   # the flannel image in use"
        : writer === 'kube-proxy'
          ? "kubectl -n kube-system get ds kube-proxy -o jsonpath='{..image}'   # the kube-proxy image in use: v1.17 and later pick the host's back end"
          : "kubectl get pods -A -o jsonpath='{..image}' | tr ' ' '\\n' | sort -u   # the images in use",
    ],
  };
  draft.facts = { ...draft.facts, imageBackend: 'legacy', hostBackend: hostNft ? 'nf_tables' : 'unknown' };
  return true;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---- 5. firewalld reloaded under Docker 20.10 and later --------------------------------------------

/** a firewalld reload (systemd's Reloading/Reloaded firewalld, firewall-cmd --reload), not a restart or stop */
function firewalldReload(m: LogMatch): boolean {
  return (
    /firewalld|firewall-cmd|dynamic firewall daemon/.test(m.excerpt) &&
    /^(?:Reloading|Reloaded|reload|complete-reload)$/.test(m.facts.action ?? '') &&
    (m.facts.service === undefined || m.facts.service === 'firewalld')
  );
}

/**
 * H68 (R23 12): log.firewall-restart made only of firewalld reloads, on a host whose Docker is 20.10 or later
 * (docker version / docker info, else the engine package: container-host.ts dockerVersion). Docker listens for
 * firewalld's reload signal and writes its rules again itself (dockerd logs `Firewalld: docker zone already exists`):
 * nothing needs restarting unless Docker's chains are missing from the nat rules now. Before 28.0 the isolation rules
 * between its networks, 28.0-28.3.2 the direct-access rules stay out (container-host.ts dockerOnFirewalldReload):
 * said as the one gap. Older Docker, other services, no version: the finding keeps restarting docker.
 * `restartDocker`: the node's restart commands for docker (filtered out of the remedy).
 */
export function firewalldReloadDocker(draft: FindingDraft, matches: readonly LogMatch[], artifacts: NodeArtifacts, restartDocker: readonly string[]): boolean {
  if (matches.length === 0 || !matches.every(firewalldReload)) return false;
  const d = dockerVersion(artifacts);
  if (!d) return false;
  const [major, minor] = d.numbers;
  if (major < 20 || (major === 20 && minor < 10)) return false;
  // Docker's chains in the nat rules now (a whole nat table: its built-ins there, not cut at its top)
  const nat = liveViews(artifacts).flatMap((v) => {
    const t = v.tables.get('nat');
    return t && t.has('PREROUTING') && t.has('POSTROUTING') && !v.truncated.has('nat') ? [{ chains: t, file: v.files.get('nat')! }] : [];
  });
  if (nat.length > 0 && !nat.some((n) => n.chains.has('DOCKER'))) {
    draft.message += ` Docker ${d.version} (${d.evidence.file}) writes its rules again when firewalld reloads, yet the nat rules (${nat[0].file}) have no DOCKER chain now: restart docker to put them back.`;
    return false;
  }
  const present = nat.find((n) => n.chains.has('DOCKER'));
  const answer = dockerOnFirewalldReload(artifacts);
  const n = d.numbers;
  const atLeast = (a: number, b: number, c: number) => n[0] > a || (n[0] === a && (n[1] > b || (n[1] === b && n[2] >= c)));
  const gap = atLeast(28, 3, 3)
    ? ''
    : atLeast(28, 0, 0)
      ? ' One gap: 28.0 to 28.3.2 leave out the rules that keep containers\' unpublished ports from other hosts (CVE-2025-54388, fixed in 28.3.3): where that matters, upgrade Docker or restart it after a reload.'
      : " One gap: before 28.0 Docker leaves out the rules that isolate its networks from each other (CVE-2025-54410): where separate Docker networks must not reach each other, upgrade Docker (28.3.3 and later restore everything) or restart it after a reload.";
  draft.message += ` Docker ${d.version} runs here (${d.evidence.file}${d.from === 'package' ? ', its installed package' : ''}): since 20.10 Docker listens for firewalld's reload signal and writes its rules again by itself (dockerd then logs "Firewalld: docker zone already exists"), so this reload needs no restart of docker${present ? `; Docker's nat chain DOCKER is in the rules now (${present.file})` : ''}.${gap}`;
  draft.evidence.push({ ...d.evidence, note: `${d.evidence.note ?? `Docker ${d.version}`}: 20.10 or later writes its rules again on firewalld's reload` });
  draft.facts = { ...draft.facts, dockerVersion: d.version, dockerReappliesOnReload: true, ...(answer ? { dockerRestoresAll: answer.restoresAll } : {}) };
  const restart = new Set(restartDocker);
  const generic = /the bundle does not show which/.test(draft.remedy?.summary ?? '');
  const others = generic ? '' : (draft.remedy?.summary ?? '').replace(/After a firewall restart, restart docker so that it creates its chains and rules again \(this restarts its containers\)\.\s*/, '');
  draft.remedy = {
    summary: `Nothing needs doing for Docker: it put its rules back after the reload. Only if containers' traffic or published ports fail now, check Docker's chains and restart docker then (this restarts its containers).${others ? ` ${others}` : ''}`,
    commands: [
      "iptables -t nat -S DOCKER | head -3; iptables -S DOCKER | head -3   # Docker's chains: there, nothing to do; \"No chain\": restart docker",
      ...(draft.remedy?.commands ?? []).filter((c) => !restart.has(c)),
    ],
  };
  return true;
}
