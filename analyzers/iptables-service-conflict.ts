/**
 * iptables.service-conflict: iptables.service, ip6tables.service, netfilter-persistent or firewalld
 * is enabled on a host running Docker or kubelet. At every (re)start it flushes the live rules and
 * restores its own, and the rules Docker and Kubernetes added are gone.
 *
 * nftables.service too: Debian's and RHEL's units stop with `nft flush ruleset` (RHEL's reload
 * flushes as well), and the file they load usually starts with it (Debian's stock /etc/nftables.conf,
 * RHEL's /etc/nftables/main.nft sample). That deletes every nf_tables table: the ip filter / ip nat
 * tables iptables-nft keeps Docker's and kube-proxy's rules in, Docker 29's ip docker-bridges,
 * netavark's, kube-proxy's nftables table. iptables-legacy's rules (x_tables) stay: no finding there.
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { allRules, type Ruleset } from '../src/netfilter/rules.js';
import { loadedNftablesConfig } from '../src/nft/config.js';
import { liveZoneOfInterface, zoneOfInterface } from '../src/nft/firewalld.js';
import { findService, isActive, isEnabled } from '../src/parsers/services.js';
import { dockerPresence, hasKubernetes } from './lib/node-view.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { logEvidence } from './lib/logs.js';
import { dockerAfterFirewalldReload, dockerRestartOf, restartDocker, type DockerRestart } from './lib/node-services.js';
import { dockerOnFirewalldReload } from './lib/container-host.js';

/**
 * What each firewall unit restores at start: the saved files (default paths first, the ones found
 * in the bundle named instead when present), how to recognise them in the bundle, which rules.
 */
interface FirewallUnit {
  unit: string;
  /** the files it restores, as the message names them */
  files: string[];
  /** a saved configuration in the bundle that this unit restores */
  restores?: RegExp;
  /** IPv4, IPv6 or both */
  families: string;
  /** its own lines among the logged firewall restarts */
  logged: RegExp;
}

const UNITS: FirewallUnit[] = [
  { unit: 'iptables', files: ['/etc/sysconfig/iptables'], restores: /(^|\/)(sysconfig\/iptables|iptables\/iptables\.rules)$/, families: 'IPv4', logged: /IPv4 firewall with iptables|\biptables\.service\b|systemctl \S+ iptables\b/ },
  { unit: 'ip6tables', files: ['/etc/sysconfig/ip6tables'], restores: /(^|\/)(sysconfig\/ip6tables|iptables\/ip6tables\.rules)$/, families: 'IPv6', logged: /IPv6 firewall with ip6tables|\bip6tables\.service\b|systemctl \S+ ip6tables\b/ },
  { unit: 'firewalld', files: [], families: 'IPv4 and IPv6', logged: /firewalld|firewall-cmd --/ },
  { unit: 'netfilter-persistent', files: ['/etc/iptables/rules.v4', '/etc/iptables/rules.v6'], restores: /(^|\/)rules\.v[46]$/, families: 'IPv4 and IPv6', logged: /netfilter[- ]persistent/ },
];

export default defineAnalyzer({
  id: 'iptables.service-conflict',
  title: 'A firewall service will wipe container rules',
  description: 'iptables.service, ip6tables.service, netfilter-persistent, firewalld or nftables.service is enabled/active on a Docker or Kubernetes host.',
  scope: 'node',
  requires: ['services'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'logs', 'dockerDaemon', 'nftables', 'nftablesConfig', 'iptablesVersion', 'packages', 'firewalldZones', 'firewalldConf'],
  analyze({ node, artifacts, partly }) {
    const docker = dockerPresence(artifacts).evidence;
    const kube = hasKubernetes(artifacts);
    if (docker.length === 0 && !kube) return [];
    // how dockerd runs here: docker.service, rootless, the snap, or a unit the listing does not name
    const dockerRestart = dockerRestartOf(artifacts);
    const restart = restartDocker({ dockerRestart });
    const reloadAnswer = dockerOnFirewalldReload(artifacts);
    const findings = [];
    for (const fw of UNITS) {
      const { unit } = fw;
      const states = findService(artifacts.services, unit);
      const on = isActive(states) ?? isEnabled(states);
      if (!on) continue;
      const service = on.unit;
      const evidence: Evidence[] = states.map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit}: ${s.enabled ?? ''}${s.active ? ` ${s.active}` : ''}`.trim() }));
      // only the saved files this unit restores: /etc/sysconfig/iptables says nothing about netfilter-persistent
      const saved = (artifacts.iptables ?? []).filter((r) => r.origin === 'saved-config' && !!fw.restores?.test(r.file));
      const dockerInSaved = saved.flatMap((rs) => allRules(rs).filter((r) => /DOCKER|KUBE-/.test(r.chain) || /DOCKER|KUBE-/.test(r.target ?? '')));
      for (const r of dockerInSaved.slice(0, 3)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'the saved configuration holds container rules: restoring them later goes stale' });
      const savedReject = saved.flatMap((rs) => allRules(rs).filter((r) => r.target === 'REJECT' && (r.chain === 'INPUT' || r.chain === 'FORWARD')));
      for (const r of savedReject.slice(0, 2)) evidence.push({ file: r.ref.file, line: r.ref.line, excerpt: r.text, note: 'restored at every start: blocks container traffic' });
      evidence.push(...[...docker.slice(0, 1), ...(kube ? [kube] : [])]);
      // this unit's logged (re)starts, and the init script's "Flushing firewall rules" line where a signature names it
      const logged = logEvidence(artifacts.logs, ['log.firewall-restart', 'log.firewall-flushed'], 8).filter((e) => fw.logged.test(e.excerpt) || /Flushing firewall rules/.test(e.excerpt));
      evidence.push(...(logged.length ? logged : logEvidence(artifacts.logs, ['log.firewall-restart'], 4)));
      const started = logged.find((e) => /\bStart(ed|ing)\b|\brestart\b|--reload|--complete-reload|Reload(ed|ing)\b/.test(e.excerpt));
      const firewalld = unit === 'firewalld';
      const fwd = firewalld ? firewalldView(artifacts, docker.length > 0, !!kube) : undefined;
      // Docker 28.3.3+ re-creates its rules when firewalld reloads (moby#50506), and its bridges in the docker or trusted
      // zone keep their traffic allowed by firewalld itself: nothing is lost for long. Kubernetes' rules come back at
      // kube-proxy's and the CNI plugin's next resync.
      const dockerSafe = firewalld && docker.length > 0 && !!reloadAnswer?.restoresAll;
      const zonedAll = !!fwd && fwd.bridges.length > 0 && fwd.bridges.every((b) => b.zone);
      if (firewalld && fwd) {
        for (const b of fwd.bridges)
          if (b.zone)
            evidence.push(
              b.zone.live
                ? { file: b.zone.ref.file, line: b.zone.ref.line, excerpt: b.zone.live, note: `${b.name} is bound to the ${b.zone.name} zone at runtime (firewalld's live rules)` }
                : { file: b.zone.ref.file, line: b.zone.ref.line, excerpt: `<interface name="${b.zone.pattern ?? b.name}"/>`, note: `${b.name} is in the ${b.zone.name} zone already${b.zone.pattern ? ` (its ${b.zone.pattern} entry)` : ''}` },
            );
        if (fwd.backend) evidence.push(fwd.backend);
        if (reloadAnswer && docker.length > 0) evidence.push({ ...reloadAnswer.evidence, note: `${reloadAnswer.evidence.note ?? ''}${reloadAnswer.evidence.note ? ': ' : ''}${reloadAnswer.says}` });
      }
      if (dockerSafe && zonedAll && reloadAnswer!.from === 'engine' && !kube) continue;
      // a bridge no zone file names and no dispatch rule in a cut-off nft listing binds: its live binding may be past the cut
      const zoneCut = fwd && !zonedAll ? nftCutNote(artifacts.nftables ?? [], { name: 'firewalld' }) : undefined;
      if (zoneCut) {
        const unknown = fwd!.bridges.filter((b) => !b.zone).map((b) => b.name);
        partly?.(`whether firewalld binds ${unknown.join(', ')} to a zone at runtime was not checked: ${zoneCut}; collect the whole nft list ruleset (or firewall-cmd --get-active-zones)`, ['nftables']);
        // the info says only "the bridges are not all zoned": held back; the warning stands on the reload alone
        if (dockerSafe && reloadAnswer!.from === 'engine' && !kube) continue;
      }
      const fwSeverity: 'warning' | 'info' = dockerSafe ? 'info' : 'warning';
      // the saved files in the bundle name the paths on this host (Arch keeps /etc/iptables/iptables.rules)
      const files = savedFiles(fw, saved.map((r) => r.file));
      const restores = files.join(' and ');
      const host = `a ${docker.length ? 'Docker' : ''}${docker.length && kube ? ' and ' : ''}${kube ? 'Kubernetes' : ''} host`;
      const who = fw.families === 'IPv6' ? 'the IPv6 rules Docker and Kubernetes added' : 'the rules Docker and Kubernetes added';
      findings.push({
        severity: firewalld ? fwSeverity : ('warning' as const),
        title: firewalld
          ? dockerSafe
            ? 'firewalld reloads: Docker re-creates its rules'
            : started
              ? 'A firewalld restart or reload removed container rules'
              : fwd?.backend?.excerpt.includes('iptables') && !/nftables/.test(fwd.backend.excerpt)
                ? 'A firewall service will wipe container rules'
                : 'A firewalld reload can remove container rules'
          : started
            ? 'A firewall service restart wiped the container rules'
            : 'A firewall service will wipe container rules',
        message:
          `${service} is ${isActive(states) ? 'active' : 'enabled'} on ${node}, ${host}. ` +
          (firewalld
            ? firewalldSays(fwd!, docker.length > 0, !!kube, reloadAnswer)
            : unit === 'netfilter-persistent'
              ? `At every start (boot, or "netfilter-persistent reload") it restores ${restores} with iptables-restore, which replaces every table those files hold: ${who} to those tables are lost and Docker does not re-create them.`
              : `At every start it flushes all ${fw.families} rules and restores ${restores}; ${who} are lost and Docker does not re-create them.`) +
          (dockerInSaved.length ? ' Its saved configuration even contains container rules, which will be stale when restored.' : '') +
          (started ? ` ${firewalld && fwd?.backendValue !== 'iptables' ? 'The logs show a firewalld restart or reload' : 'The logs show it happened'}: ${causeOf(service, fw, firewalld, restores, started, logged, fwd?.backendValue)}.` : ''),
        impact: firewalld
          ? dockerSafe
            ? `A firewalld reload removes Docker's iptables rules for a moment, until Docker writes them again${kube ? "; Kubernetes' until kube-proxy's and the CNI plugin's next resync" : ''}.`
            : docker.length > 0
              ? `Where a firewalld reload or restart removes Docker's iptables rules, container networking (published ports, outbound NAT) stays broken until docker is restarted${kube ? "; Kubernetes' rules come back at kube-proxy's and the CNI plugin's next resync" : ''}.`
              : "Where a firewalld reload or restart removes Kubernetes' iptables rules, Services and pod traffic fail until kube-proxy's and the CNI plugin's next resync."
          : 'The next firewall restart (or a reboot order race) breaks container networking until docker and the node service are restarted.',
        evidence,
        facts: {
          unit: service,
          savedContainerRules: dockerInSaved.length,
          ...(firewalld ? {} : { restores: files }),
          // the logged restart: correlation makes this finding the root cause of the container rules found missing after it
          ...(started ? { loggedRestart: { time: started.time, at: `${started.file}:${started.line}` }, cause: causeOf(service, fw, firewalld, restores, started, logged, fwd?.backendValue) } : {}),
        },
        remedy: firewalld
          ? {
              summary:
                `Keep firewalld but let it own only the host rules: ${
                  zonedAll
                    ? `the container bridges are in the docker or trusted zone already (${fwd!.bridges.map((b) => `${b.name}: ${b.zone!.name}`).join(', ')})`
                    : fwd!.bridges.some((b) => b.zone)
                      ? `put the other container bridges in the trusted (or docker) zone too (${fwd!.bridges.filter((b) => b.zone).map((b) => `${b.name} is in ${b.zone!.name} already`).join(', ')})`
                      : 'put container bridges in the trusted (or docker) zone'
                }${
                  docker.length === 0
                    ? ''
                    : reloadAnswer?.restoresAll
                      ? ` (${reloadAnswer.says})`
                      : reloadAnswer
                        ? `, and restart docker after any firewalld reload (${reloadAnswer.says})`
                        : ', and restart docker after any firewalld reload (Docker before 28.3.3 does not re-create all its rules when firewalld reloads)'
                }.`,
              commands: [
                ...fwd!.bridges.filter((b) => !b.zone).map((b) => `firewall-cmd --permanent --zone=trusted --add-interface=${b.name}${b.shown ? '' : '   # if the node has it (the bundle has no ip addr)'}`),
                ...(reloadAnswer?.restoresAll
                  ? // nothing to add to a zone: no reload to run, only the check after the next one
                    [...(zonedAll ? [] : ['firewall-cmd --reload']), ...dockerAfterFirewalldReload(artifacts, { dockerRestart }, '').commands]
                  : dockerRestart.how === 'docker.service'
                    ? [`firewall-cmd --reload && ${dockerRestart.command}${reloadAnswer ? `   # ${zonedAll ? 'only when a firewalld change must be loaded: ' : ''}${reloadAnswer.says}` : zonedAll ? '   # only when a firewalld change must be loaded' : ''}`]
                    : ['firewall-cmd --reload', ...restart]),
              ],
              caution: reloadAnswer?.restoresAll ? "firewall-cmd --reload can remove Docker's iptables rules for a moment, until Docker writes them again." : 'Restarting docker restarts every container on the node.',
            }
          : {
              summary:
                `Stop ${service} from managing the live rules, or keep ${restores} limited to host rules` +
                (unit === 'netfilter-persistent' ? ' (no DOCKER or KUBE- chains: never run "netfilter-persistent save" while Docker runs)' : '') +
                ` and restart docker and the node service after every restart of ${service}.`,
              commands: [
                `systemctl disable ${service}   # not --now: stopping it runs its stop action now`,
                `systemctl mask ${service}`,
                // restarting docker restarts every container: only where its chains are gone already
                ...restart.map((c) => (!c.startsWith('#') && /\brestart\b/.test(c.split('#')[0]) ? `iptables -t nat -nL DOCKER >/dev/null 2>&1 || ${c}   # only if its last start already removed Docker's chains (iptables.docker-chain-missing)` : c)),
              ],
              caution:
                `Do not stop ${service} now (systemctl stop, disable --now): its stop action flushes every rule of its tables and sets the policies to ACCEPT (RHEL's iptables.init; ufw and netfilter-persistent with flushing on stop do the same), which removes the host firewall and Docker's and Kubernetes' rules at once. Disabled, it is simply not started at the next boot. ` +
                `Restarting docker restarts every container on the node; in OpenShift also restart the node service.${files.length ? ` Without ${service} the host rules of ${restores} are not restored at boot: move them to the firewall that will keep them (firewalld with the docker zone, an nftables table of their own, DOCKER-USER for container traffic) before the next reboot.` : ''}`,
            },
      });
    }
    const nft = nftablesService(node, artifacts, dockerRestart);
    if (nft) findings.push(nft);
    return findings;
  },
});

/**
 * What the bundle shows of firewalld next to the container bridges: each bridge's zone where a zone file or listing
 * names it, or where the running firewalld's own nftables table dispatches it (Docker binds its bridges to the docker
 * zone at runtime, over D-Bus: no zone file shows that), the back end.
 */
interface FirewalldView {
  /** zone.pattern: the zone's wildcard entry that takes the bridge (`docker+`), where it is not named itself */
  bridges: { name: string; shown: boolean; zone?: { name: string; ref: { file: string; line: number }; live?: string; pattern?: string } }[];
  /** firewalld.conf's FirewallBackend line (firewalld 0.6+ defaults to nftables where the line is absent) */
  backend?: Evidence;
  backendValue?: 'nftables' | 'iptables';
}

/** Zones whose interfaces firewalld accepts container traffic from: Docker's own (target ACCEPT) and trusted. */
const CONTAINER_ZONES = new Set(['docker', 'trusted']);

function firewalldView(artifacts: NodeArtifacts, docker: boolean, kube: boolean): FirewalldView {
  const zones = (artifacts.firewalldZones ?? []).flatMap((zs) => zs.zones).filter((z) => CONTAINER_ZONES.has(z.name));
  const bridges = containerBridges(artifacts, docker, kube).map((b) => {
    // a container zone that names the bridge (firewalld's `docker+` wildcards too); not a default zone
    const hit = zoneOfInterface(zones, b.name);
    if (hit?.via === 'interface') {
      // the zone file's own line for this interface (or for the `docker+` wildcard that takes it), not its first interface's
      const named = hit.zone.interfaces.find((i) => i === b.name) ?? hit.zone.interfaces.find((i) => i.endsWith('+') && b.name.startsWith(i.slice(0, -1)));
      const own = named !== undefined && hit.zone.interfaceRefs && Object.prototype.hasOwnProperty.call(hit.zone.interfaceRefs, named) ? hit.zone.interfaceRefs[named] : undefined;
      return { ...b, zone: { name: hit.zone.name, ref: own ?? hit.zone.fieldRefs.interfaces ?? hit.zone.ref, ...(named !== undefined && named !== b.name ? { pattern: named } : {}) } };
    }
    // else the live dispatch rule (`iifname "docker0" jump filter_IN_docker`), to the docker or trusted zone only
    const live = liveZoneOfInterface(artifacts.nftables, b.name);
    return live && CONTAINER_ZONES.has(live.zone) ? { ...b, zone: { name: live.zone, ref: live.ref, live: live.excerpt } } : b;
  });
  const conf = (artifacts.firewalldConf ?? []).find((c) => c.refs.FirewallBackend);
  const ref = conf?.refs.FirewallBackend;
  const backend = conf && ref ? { file: ref.file, line: ref.line, excerpt: `FirewallBackend=${conf.settings.FirewallBackend ?? conf.backend ?? ''}`, note: 'the back end firewalld writes its own rules with' } : undefined;
  return { bridges, ...(backend ? { backend } : {}), ...(conf?.backend ? { backendValue: conf.backend } : {}) };
}

/**
 * What a firewalld reload or restart does to the container rules, as far as the bundle shows. With
 * FirewallBackend=iptables it flushes every iptables table. With nftables (the default since 0.6) it
 * rebuilds its own table (inet firewalld) and leaves other iptables rules alone unless it has direct
 * rules or predates the fix of firewalld#863 (PR #1082): then it flushes the iptables tables too.
 */
function firewalldSays(fwd: FirewalldView, docker: boolean, kube: boolean, reload: ReturnType<typeof dockerOnFirewalldReload>): string {
  const whose = [docker ? "Docker's" : '', kube ? "Kubernetes'" : ''].filter(Boolean).join(' and ');
  const removes =
    fwd.backendValue === 'iptables'
      ? `With FirewallBackend=iptables (${fwd.backend!.file}:${fwd.backend!.line}) each firewalld restart or reload flushes every iptables table, removing the rules ${whose} added at run time.`
      : `${fwd.backendValue === 'nftables' ? `With FirewallBackend=nftables (${fwd.backend!.file}:${fwd.backend!.line})` : 'With the nftables back end (firewalld 0.6+ default; the bundle has no firewalld.conf line saying which)'} a firewalld reload rebuilds its own table (inet firewalld); it also flushes the iptables tables, removing ${whose} rules, where firewalld has direct rules (/etc/firewalld/direct.xml) or is a release without the fix of firewalld#863 (firewalld 2.0.0 and later have it). A restart or stop of firewalld flushes them on such releases too.`;
  const dockerPart = !docker
    ? ''
    : reload?.restoresAll
      ? ` Where that happens, ${reload.says}.`
      : reload
        ? ` Where that happens, ${reload.says}.`
        : ' Where that happens, Docker before 28.3.3 does not re-create all its rules (the bundle does not show its version).';
  const zones = fwd.bridges.filter((b) => b.zone);
  const zonePart = zones.length
    ? ` ${zones.map((b) => (b.zone!.live ? `${b.name} is bound to the ${b.zone!.name} zone at runtime (firewalld's live rules, ${b.zone!.ref.file}:${b.zone!.ref.line})` : `${b.name} is in the ${b.zone!.name} zone already (${b.zone!.ref.file}:${b.zone!.ref.line})`)).join('; ')}.`
    : '';
  const kubePart = kube ? ' kube-proxy and most CNI plugins write their rules again at their next resync.' : '';
  return `${removes}${dockerPart}${zonePart}${kubePart}`;
}

/** Container bridges to put in the trusted zone: those the bundle's ip addr shows, else the default names (not shown). */
function containerBridges(artifacts: NodeArtifacts, docker: boolean, kube: boolean): { name: string; shown: boolean }[] {
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  if (itfs.size === 0) return [...(docker ? ['docker0'] : []), ...(kube ? ['cni0'] : [])].map((name) => ({ name, shown: false }));
  return [...itfs.keys()].filter((n) => /^(docker0|br-[0-9a-f]{12}|cni0|cbr0|podman\d+|docker_gwbridge)$/.test(n)).sort().map((name) => ({ name, shown: true }));
}

/** One sentence: the logged restart of the unit and what it did, with the lines that show it. */
function causeOf(service: string, fw: FirewallUnit, firewalld: boolean, restores: string, started: Evidence, logged: Evidence[], backend?: 'nftables' | 'iptables'): string {
  // the first of its lines in that file: the stop, where the flush happens
  const first = logged.find((e) => e.file === started.file) ?? started;
  const at = first.time ? ` at ${first.time.replace(/\.000Z$/, 'Z')}` : '';
  const file = started.file.split('/').slice(-1)[0];
  const lines = [...new Set(logged.filter((e) => e.file === started.file).map((e) => e.line))].sort((a, b) => a - b);
  const where = `${file}:${lines.length > 1 ? `${lines[0]}-${lines[lines.length - 1]}` : started.line}`;
  const flushed = logged.find((e) => /Flushing firewall rules/.test(e.excerpt));
  return firewalld
    ? backend === 'iptables'
      ? `${service} was restarted or reloaded${at} (${where}) and flushed every iptables table, removing the rules Docker and Kubernetes had added`
      : `${service} was restarted or reloaded${at} (${where}) and rebuilt its rules; whether that removed the container rules depends on its release and direct rules (above)`
    : `${service} restarted${at} (${where}${flushed ? `; line ${flushed.line}: "Flushing firewall rules"` : ''}): it flushed every ${fw.families} rule and restored ${restores}`;
}

/** The files a unit restores: those found in the bundle (as absolute paths), else its default ones. */
function savedFiles(fw: FirewallUnit, found: string[]): string[] {
  const inBundle = [...new Set(found.map((f) => {
    const m = /(?:^|\/)(etc\/.*)$/.exec(f);
    return m ? `/${m[1]}` : undefined;
  }).filter((f): f is string => f !== undefined))];
  if (inBundle.length === 0) return fw.files;
  // netfilter-persistent restores rules.v6 too when it exists; name the defaults the bundle does not show
  return [...inBundle, ...fw.files.filter((d) => !inBundle.includes(d) && !inBundle.some((b) => b.endsWith('.rules')))].sort();
}

/** Chains Docker, kube-proxy, the kubelet and the CNI plugins create in iptables' tables. */
const CONTAINER_CHAIN = /^(DOCKER|KUBE-|FLANNEL|CNI-|cali-|CILIUM_|WEAVE|NETAVARK|FLANNEL-)/;
/** Tables the container tools keep in nftables themselves (Docker 29's nftables back end, netavark, kube-proxy's nftables mode, Calico's, Cilium's). */
const CONTAINER_NFT_TABLE = /^(docker-bridges|netavark|kube-proxy|calico|cilium.*|flannel.*)$/;
/** iptables-nft's tables: a host configuration that declares one shares it with Docker's and kube-proxy's rules */
const IPTABLES_NFT_TABLE = /^(ip|ip6|arp|bridge) (filter|nat|mangle|raw|security|broute)$/;

/** One nf_tables table holding container rules, which `nft flush ruleset` deletes. */
interface RiskTable {
  key: string;
  chains: string[];
  evidence: Evidence;
}

/**
 * Where the node's container rules are: nf_tables tables (`flush ruleset` takes them), only
 * iptables-legacy (x_tables: it leaves them), or not shown (`unknown`: the tables are named with
 * "if", from the iptables dumps whose back end no header, command or name says).
 */
function containerTables(artifacts: NodeArtifacts): { backend: 'nf_tables' | 'legacy' | 'unknown'; tables: RiskTable[]; legacy?: Evidence } {
  const tables = new Map<string, RiskTable>();
  const add = (key: string, chains: string[], evidence: Evidence) => {
    const t = tables.get(key);
    if (!t) tables.set(key, { key, chains: [...chains], evidence });
    else for (const c of chains) if (!t.chains.includes(c)) t.chains.push(c);
  };
  const listings = artifacts.nftables ?? [];
  for (const n of listings)
    for (const t of n.tables) {
      const chains = t.chains.map((c) => c.name).filter((c) => CONTAINER_CHAIN.test(c));
      const own = !t.iptablesCompat && CONTAINER_NFT_TABLE.test(t.name);
      if (chains.length || own)
        add(`${t.family} ${t.name}`, chains, { file: t.ref.file, line: t.ref.line, excerpt: `table ${t.family} ${t.name}`, note: own ? 'a container table in nftables' : `iptables-nft's table, with ${chains.slice(0, 3).join(', ')}` });
    }
  const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
  const withContainerChains = (rs: Ruleset) =>
    Object.values(rs.tables).flatMap((t) => {
      const chains = Object.values(t.chains).filter((c) => CONTAINER_CHAIN.test(c.name));
      return chains.length ? [{ table: t.name, chains }] : [];
    });
  const unknown: { rs: Ruleset; table: string; chains: ReturnType<typeof withContainerChains>[number]['chains'] }[] = [];
  let legacy: Evidence | undefined;
  for (const rs of live)
    for (const { table, chains } of withContainerChains(rs)) {
      const key = `${rs.family === 'ipv6' ? 'ip6' : 'ip'} ${table}`;
      const ev: Evidence = { file: chains[0].ref.file, line: chains[0].ref.line, excerpt: `chain ${chains[0].name}`, note: `${rs.backend === 'nf_tables' ? "iptables-nft's" : 'the iptables'} ${table} table, with ${chains.slice(0, 3).map((c) => c.name).join(', ')}` };
      if (rs.backend === 'nf_tables' || rs.format === 'nft') add(key, chains.map((c) => c.name), ev);
      else if (rs.backend === 'legacy') legacy ??= { ...ev, note: `the container rules are iptables-legacy's (x_tables): nft flush ruleset leaves them (${table} table)` };
      else unknown.push({ rs, table, chains });
    }
  if (tables.size) return { backend: 'nf_tables', tables: [...tables.values()], legacy };
  const versions = (artifacts.iptablesVersion ?? []).flat().filter((v) => v.backend !== 'unknown');
  const said = versions.length > 0 && versions.every((v) => v.backend === versions[0].backend) ? versions[0] : undefined;
  if (unknown.length) {
    // an nft listing beside them without those tables: they are not in nf_tables
    // (a cut-off listing does not show all its tables: the container ones may be past the cut)
    const listed = listings.find((n) => (n.tables.length > 0 || n.warnings.length === 0) && !n.truncated);
    if (said?.backend === 'legacy' || listed) {
      const why = said?.backend === 'legacy' ? `${said.tool} -V says legacy` : `${listed!.file} lists no container table`;
      const u = unknown[0];
      return { backend: 'legacy', tables: [], legacy: { file: u.chains[0].ref.file, line: u.chains[0].ref.line, excerpt: `chain ${u.chains[0].name}`, note: `the container rules are not in nf_tables (${why}): nft flush ruleset leaves them` } };
    }
    for (const u of unknown) {
      const ev: Evidence = { file: u.chains[0].ref.file, line: u.chains[0].ref.line, excerpt: `chain ${u.chains[0].name}`, note: `the ${u.table} table, with ${u.chains.slice(0, 3).map((c) => c.name).join(', ')}` };
      add(`${u.rs.family === 'ipv6' ? 'ip6' : 'ip'} ${u.table}`, u.chains.map((c) => c.name), ev);
    }
    return { backend: said?.backend === 'nf_tables' ? 'nf_tables' : 'unknown', tables: [...tables.values()] };
  }
  if (legacy || said?.backend === 'legacy')
    return { backend: 'legacy', tables: [], legacy: legacy ?? { file: said!.ref.file, line: said!.ref.line, excerpt: said!.excerpt, note: 'iptables uses the legacy back end (x_tables): nft flush ruleset leaves its rules' } };
  return { backend: 'unknown', tables: [] };
}



const SED_FLUSH = 's/^[[:space:]]*flush[[:space:]]\\+ruleset\\([[:space:]]\\+[a-z0-9]\\+\\)\\?[[:space:]]*;\\?[[:space:]]*$/';
const SIMPLE_FLUSH = /^flush\s+ruleset(\s+[a-z0-9]+)?\s*;?$/;
const DROP_IN = '/etc/systemd/system/nftables.service.d/keep-container-rules.conf';

/**
 * nftables.service enabled or active on a Docker or Kubernetes host whose container rules are in
 * nf_tables (or whose back end the bundle does not show): a warning, an info where the file it
 * loads is shown to reset only its own tables (then only a stop or restart flushes everything).
 */
function nftablesService(node: string, artifacts: NodeArtifacts, dockerRestart: DockerRestart): FindingDraft | undefined {
  const states = findService(artifacts.services ?? [], 'nftables');
  const on = isActive(states) ?? isEnabled(states);
  if (!on) return undefined;
  const presence = dockerPresence(artifacts);
  const kube = hasKubernetes(artifacts);
  // a rootless dockerd, or one told not to touch the firewall, has no rules in the host's nf_tables
  const dockerRules = presence.evidence.length > 0 && !presence.rootless && !presence.firewallOff;
  if (!dockerRules && !kube) return undefined;
  const where = containerTables(artifacts);
  if (where.backend === 'legacy') return undefined;
  const service = on.unit;
  const active = isActive(states) !== undefined;
  const config = loadedNftablesConfig(artifacts.nftablesConfig ?? []);
  const risky = new Set(where.tables.map((t) => t.key.split(' ')[0]));
  // `flush ruleset` of every family, or of a family whose tables hold container rules (ip, ip6; iptables-nft's when not shown)
  const flushes = (config?.statements ?? []).filter((s) => s.kind === 'flush-ruleset' && (!s.family || (risky.size ? risky.has(s.family) : ['ip', 'ip6'].includes(s.family))));
  const shownScoped = config !== undefined && flushes.length === 0 && config.missing.length === 0;
  const flavour = config?.flavour;
  const conf = config ? config.main.hostPath : '/etc/nftables.conf (RHEL: /etc/sysconfig/nftables.conf)';

  // the tables the host's configuration declares and resets
  const declared = [...new Set((config?.statements ?? []).filter((s) => s.kind === 'table').map((s) => `${s.family} ${s.table}`))];
  const reset = new Set((config?.statements ?? []).filter((s) => /^(flush|delete|destroy)-table$/.test(s.kind)).map((s) => `${s.family} ${s.table}`));
  const shared = declared.filter((t) => IPTABLES_NFT_TABLE.test(t) || CONTAINER_NFT_TABLE.test(t.split(' ')[1]) || where.tables.some((r) => r.key === t));
  const own = declared.filter((t) => !shared.includes(t));

  const evidence: Evidence[] = states.map((s) => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.unit}: ${[s.enabled, s.active].filter(Boolean).join(' ')}` }));
  for (const f of flushes) evidence.push({ file: f.ref.file, line: f.ref.line, excerpt: f.excerpt, note: `loaded at every start and reload of ${service}: deletes every nf_tables table${f.family ? ` of the ${f.family} family` : ''}, the container rules' among them` });
  if (shownScoped)
    for (const t of declared.slice(0, 2)) {
      const st = config!.statements.find((s) => s.kind === 'table' && `${s.family} ${s.table}` === t)!;
      evidence.push({ file: st.ref.file, line: st.ref.line, excerpt: st.excerpt, note: `${config!.main.hostPath} loads its own table, without flush ruleset` });
    }
  for (const t of where.tables.slice(0, 4)) evidence.push({ ...t.evidence, note: `${t.evidence.note}: nft flush ruleset deletes this table${where.backend === 'unknown' ? ' if it is in nf_tables (iptables-nft)' : ''}` });
  if (where.legacy) evidence.push(where.legacy);
  evidence.push(...[...presence.evidence.slice(0, 1), ...(kube ? [kube] : [])]);
  evidence.push(...logEvidence(artifacts.logs, ['log.firewall-restart'], 4));

  const host = `a ${presence.evidence.length ? 'Docker' : ''}${presence.evidence.length && kube ? ' and ' : ''}${kube ? 'Kubernetes' : ''} host`;
  const named = (t: RiskTable) => `table ${t.key}${t.chains.length ? ` (${t.chains.slice(0, 4).join(', ')}${t.chains.length > 4 ? `, ${t.chains.length - 4} more` : ''})` : ''}`;
  const list = where.tables.length
    ? where.tables.map(named).join(', ')
    : [dockerRules ? "Docker's chains in ip filter and ip nat" : '', kube ? "kube-proxy's and the kubelet's chains" : ''].filter(Boolean).join(', ');
  const takes =
    where.backend === 'nf_tables'
      ? `"nft flush ruleset" deletes every nf_tables table, the node's container rules among them: ${list}.`
      : `Whether "nft flush ruleset" takes the container rules depends on the iptables back end, which the bundle does not show: with iptables-nft (the nf_tables back end, the default of current Debian, Ubuntu and RHEL) they are nf_tables tables (${list}) and are deleted with every other table; iptables-legacy's rules (x_tables) are left alone.`;
  const unitDoes =
    flavour === 'rhel'
      ? `RHEL's ${service} runs "nft flush ruleset" at every stop (so at every restart) and at every reload (ExecStop, and ExecReload before it loads ${conf} again).`
      : flavour === 'debian'
        ? `${service} (Debian, Ubuntu) loads ${conf} at every start and reload and runs "nft flush ruleset" at every stop, so at every restart (ExecStop).`
        : `The packaged ${service} of Debian/Ubuntu and of RHEL/Fedora runs "nft flush ruleset" at every stop, so at every restart (RHEL's at every reload too), and loads ${conf} at every start.`;
  const file = flushes.length
    ? ` ${flushes[0].ref.file === config?.main.file ? conf : `${config!.files.find((f) => f.file === flushes[0].ref.file)?.hostPath ?? flushes[0].ref.file} (which ${conf} includes)`} starts with "flush ruleset" (line ${flushes[0].ref.line}), so a reload, a restart, a start while the containers run, and loading that file by hand (nft -f) each delete every table.`
    : shownScoped
      ? ` ${conf} ${declared.length ? `loads only its own tables (${declared.map((t) => `table ${t}`).join(', ')}), without` : 'declares no table and has no'} "flush ruleset": loading it by hand${flavour === 'debian' ? ' or a reload' : ''} leaves the container rules alone, but a stop or restart of the packaged unit still deletes every table${flavour === 'rhel' ? ', and so does a reload' : ''}.`
      : config
        ? ` ${conf} includes ${config.missing.join(', ')}, which the bundle does not hold: whether it flushes the ruleset is not shown.`
        : ' The bundle does not hold that file; Debian\'s stock /etc/nftables.conf and RHEL\'s /etc/nftables/main.nft sample start with "flush ruleset".';
  const severity = shownScoped ? ('info' as const) : ('warning' as const);

  // the remedy: the host's own tables reset instead of the whole ruleset; stop (and RHEL's reload) scoped likewise
  const commands: string[] = [];
  // table names sed, the shell and systemd take as they are
  const plainNames = own.every((t) => /^[a-z0-9]+ [A-Za-z0-9_.-]+$/.test(t));
  const fixable = config !== undefined && config.missing.length === 0 && own.length > 0 && shared.length === 0 && plainNames;
  const resetLines = own.map((t) => `table ${t}\\ndelete table ${t}`).join('\\n');
  if (flushes.length) {
    for (const f of flushes) {
      const path = config!.files.find((c) => c.file === f.ref.file)?.hostPath ?? conf;
      if (fixable && SIMPLE_FLUSH.test(f.excerpt))
        commands.push(`sed -i '${SED_FLUSH}${resetLines}/' ${path}   # line ${f.ref.line}: reset only the host's own table${own.length > 1 ? 's' : ''} (declared, then deleted, then loaded again) instead of every table`);
      else
        commands.push(
          `# in ${path}, line ${f.ref.line} ("${f.excerpt}"): replace "flush ruleset" by a reset of the host's own tables only: for each table the file declares, the two lines "table <family> <name>" and "delete table <family> <name>"` +
            (shared.length ? `; ${shared.map((t) => `table ${t}`).join(', ')} ${shared.length > 1 ? 'are tables' : 'is a table'} iptables-nft or the container tools keep their rules in: move the host's rules there to a table of their own (table inet host_filter) first` : ''),
        );
    }
    if (fixable) commands.push(`nft --check --file ${conf}   # --check only parses and checks the edited file: it applies nothing (its rules are live already; do not load it now)`);
  } else if (!config)
    commands.push(`# in the file ${service} loads (/etc/nftables.conf; RHEL: /etc/sysconfig/nftables.conf and the files it includes), replace "flush ruleset" by a reset of the host's own tables only: for each table it declares, "table <family> <name>" then "delete table <family> <name>"; never name ip filter or ip nat there (iptables-nft's tables)`);
  // the unit's stop (and RHEL's reload): only the host's own tables
  const stop = fixable || (shownScoped && own.length > 0 && shared.length === 0 && plainNames) ? `"ExecStop=/usr/sbin/nft '${own.map((t) => `add table ${t}; delete table ${t}`).join('; ')}'"` : undefined;
  const resetsAll = config !== undefined && config.missing.length === 0 && declared.length > 0 && (fixable ? flushes.every((f) => SIMPLE_FLUSH.test(f.excerpt)) : declared.every((t) => reset.has(t)));
  const reload = flavour === 'rhel' && resetsAll && shared.length === 0 ? ` 'ExecReload=' 'ExecReload=/usr/sbin/nft -f ${conf}'` : '';
  commands.push('mkdir -p /etc/systemd/system/nftables.service.d');
  commands.push(
    `printf '%s\\n' '[Service]' 'ExecStop='${stop ? ` ${stop}` : ''}${reload} > ${DROP_IN}   # stop and restart ${stop ? 'delete only the host\'s own tables, not every table' : 'no longer flush the ruleset (they delete nothing)'}${reload ? '; reload loads the file without flush ruleset' : ''}`,
  );
  commands.push('systemctl daemon-reload   # reloads the unit files only: the live rules are not touched');
  if (flavour !== 'debian' && !reload) commands.push(`# ${flavour === 'rhel' ? 'RHEL\'s' : 'on RHEL/Fedora the'} reload still runs "nft flush ruleset": apply later changes to the host's own table with nft commands, not with systemctl reload nftables`);
  // Docker does not re-create its rules; restart it only where they are gone already
  if (dockerRules && (where.backend === 'unknown' || where.tables.some((t) => /docker/i.test(t.key) || t.chains.some((c) => c.startsWith('DOCKER'))) || presence.nftBackend)) {
    const check = presence.nftBackend
      ? 'nft list table ip docker-bridges >/dev/null 2>&1'
      : presence.backendUnknown
        ? '{ iptables -t nat -nL DOCKER || nft list table ip docker-bridges; } >/dev/null 2>&1'
        : 'iptables -t nat -nL DOCKER >/dev/null 2>&1';
    for (const c of restartDocker({ dockerRestart }))
      commands.push(!c.startsWith('#') && /\brestart\b/.test(c.split('#')[0]) ? `${check} || ${c}   # only if a flush already removed Docker's ${presence.nftBackend ? 'table' : 'chains'} (Docker does not re-create them)` : c);
  }

  return {
    severity,
    title: shownScoped ? 'nftables.service flushes every table when it stops' : 'nftables.service flushes the whole ruleset, container rules included',
    message:
      `${service} is ${active ? 'active' : 'enabled'} on ${node}, ${host}. ${unitDoes}${file} ${takes}` +
      (dockerRules ? ' Docker does not re-create its rules until it restarts.' : '') +
      (kube ? ' kube-proxy, the kubelet and most CNI plugins re-create theirs at their next resync.' : ''),
    impact:
      (shownScoped ? `A stop or restart of ${service}` : `The next restart or reload of ${service}, or loading its file by hand,`) +
      ` breaks container networking (published ports, outbound NAT, Services) ${dockerRules ? 'until docker is restarted' : 'until kube-proxy and the CNI plugin have written their rules again'}.`,
    evidence,
    facts: { unit: service, backend: where.backend, config: config?.main.hostPath, flushesRuleset: flushes.length > 0 ? true : shownScoped ? false : undefined, tables: where.tables.map((t) => t.key) },
    remedy: {
      summary:
        `Let ${service} leave the container tables alone: ${flushes.length || !config ? 'replace "flush ruleset" in the file it loads by a reset of each table that file declares, and ' : ''}give it a drop-in whose stop action${flavour !== 'debian' ? ' (and RHEL\'s reload)' : ''} resets only the host's own tables instead of flushing the ruleset. ` +
        `Where the host's own rules live elsewhere, disable ${service} instead (systemctl disable, not --now). ` +
        (dockerRules ? 'Restart docker only where a flush already removed its rules.' : ''),
      commands,
      caution:
        `Do not restart, stop or reload ${service}, and do not load its file with nft -f, before the file is changed and the drop-in is in place (systemctl daemon-reload run): until then each deletes the container tables. None of these commands changes the live rules; the new file and drop-in apply from the next start. ` +
        `systemctl stop and disable --now run its stop action too.${dockerRules ? ' Restarting docker restarts every container on the node.' : ''}`,
    },
  };
}
