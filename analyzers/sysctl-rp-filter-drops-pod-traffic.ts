/**
 * sysctl.rp-filter-drops-pod-traffic: reverse-path filtering on the interfaces of a CNI that needs
 * it off, so the kernel drops pod traffic.
 *
 * How the kernel decides. A packet's source is validated on the interface it arrives on with
 * max(net.ipv4.conf.all.rp_filter, net.ipv4.conf.<iface>.rp_filter) (include/linux/inetdevice.h:
 * IN_DEV_RPFILTER is IN_DEV_MAXCONF(RP_FILTER); Documentation/networking/ip-sysctl: "The max value
 * from conf/{all,interface}/rp_filter is used"): 0 none, 1 strict (RFC 3704: the route back to the
 * source must leave by this interface), 2 loose (the source must be routable by some interface).
 * So `all` = 2 makes every interface loose whatever its own value says, and `default` only gives
 * the value of interfaces created later. Checked on kernel 6.18 in a network namespace: a packet
 * from an unroutable source is dropped (TcpExtIPReversePathFilter) with all=2/iface=0, all=0/iface=2,
 * all=1/iface=0 and all=0/iface=1, and accepted with both 0. rp_filter is IPv4 only.
 *
 * Cilium needs 0 on its interfaces: the pods' lxc<hex> veths, lxc_health, cilium_host, cilium_net and
 * its tunnel devices. Its agent sets 0 itself (in Cilium 1.7, as quoted in #10645: pkg/endpoint/connector
 * for net.ipv4.conf.<lxc>.rp_filter, pkg/datapath/loader for net.ipv4.conf.all.rp_filter), and its sysctl
 * override says why: "Disable rp_filter on Cilium interfaces since it may cause mangled packets to be
 * dropped" (tools/sysctlfix/main.go).
 * systemd >= 245 undoes it: /usr/lib/sysctl.d/50-default.conf has
 *     net.ipv4.conf.default.rp_filter = 2
 *     net.ipv4.conf.*.rp_filter = 2
 *     -net.ipv4.conf.all.rp_filter
 * (a glob over every interface's key; the last line keeps `all` out of it, sysctl.d(5)), applied at
 * boot and, by udev's 99-systemd.rules (`systemd-sysctl --prefix=/net/ipv4/conf/$name`), to each
 * interface as it appears: each pod's lxc gets 2 after Cilium set 0. Pod traffic leaving the node is
 * dropped while IPv6 keeps working (cilium/cilium#10645: `net.ipv4.conf.lxc4d36398ebb25.rp_filter = 2`,
 * `net.ipv4.conf.all.rp_filter = 0`, `net.ipv4.conf.cilium_host.rp_filter = 2` on systemd 245; the docs
 * note of cilium/cilium#13717). Strict mode breaks it the same way (CIS hardening's all = 1:
 * charmed-kubernetes/bundle#886). Reproduced with systemd-sysctl 252 in a network namespace: the glob
 * sets 2 on lxc*, cilium_* and eth0, `all` stays 0; run for one new interface with --prefix it sets 2
 * again after a 0 was written.
 * The fix: Cilium >= 1.12 writes /etc/sysctl.d/99-zzz-override_cilium.conf from an init container and
 * restarts systemd-sysctl (cilium/cilium#20072); its current content is
 *     -net.ipv4.conf.lxc*.rp_filter = 0
 *     -net.ipv4.conf.cilium_*.rp_filter = 0
 *     net.ipv4.conf.all.rp_filter = 0
 * (the earlier docs fix, `net.ipv4.conf.lxc*.rp_filter = 0` in 90-override.conf, left cilium_host at 2).
 * Of two globs matching a key, the one of the file applied later wins (checked with systemd-sysctl 252:
 * 50-default.conf then 90-override.conf gives lxc* 0; the other order gives 2), and the files are
 * applied in the order of their names, so 99-zzz-... comes after everything else.
 * Severity: critical when the pods' lxc<hex> interfaces filter (what the ticket shows). With
 * enable-endpoint-routes (a /32 route per pod to its lxc) routing is symmetric and loose mode was
 * reported to work (tgraf, nberlee in #10645): a warning then. Only cilium_* or lxc_health filtering,
 * the pods' lxc not: a warning (the docs' lxc*-only fix left cilium_host at 2 and was reported to work).
 *
 * Calico: Felix before Calico v3.12 exits at start when net.ipv4.conf.all.rp_filter is 2 ("Kernel's RPF
 * check is set to 'loose'. This would allow endpoints to spoof their IP address. Calico requires
 * net.ipv4.conf.all.rp_filter to be set to 0 or 1. ...", felix int_dataplane.go, FATAL), so calico-node
 * restarts in a loop (clearlinux/cloud-native-setup#88, labring/sealos#559). Felix 3.12 and later
 * check sources with an iptables rpfilter rule instead and ignore the sysctl (projectcalico/felix#2189,
 * libcalico-go#1181 "IgnoreLooseRPF removed"): `all` = 2 on a Calico node is no fault by itself, so only
 * Felix's own log line (log.calico-loose-rpf) makes a finding.
 *
 * flannel, the bridge CNI, Docker: pod and container traffic arrives on the bridge (cni0, docker0) or
 * on flannel.1 from a source routed back through that same interface: neither loose nor strict mode
 * drops it, and loose is most distributions' default. Nothing is said for them. (Strict mode can drop
 * asymmetric routing on a multi-homed host, but that is the host's routing, not its containers'.)
 *
 * Only runtime values decide; the configuration files (sysctl.d) of the bundle only say where a
 * value comes from.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { orderedConfig, type SysctlConfigFile, type SysctlRuntime, type SysctlValue } from '../src/parsers/sysctl.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { processesOf } from '../src/parsers/processes.js';
import { liveIpv4 } from './lib/node-view.js';
import { logEvidence } from './lib/logs.js';
import { NODE_SERVICE_KINDS, nodeServices } from './lib/node-services.js';
import { hostSysctlPath, persistSysctlsByMachineConfig, sysctlLinePattern } from './lib/sysctl-fix.js';
import { systemdRelease, type SystemdRelease } from '../src/parsers/systemd-version.js';

const ID = 'sysctl.rp-filter-drops-pod-traffic';
const ALL = 'net.ipv4.conf.all.rp_filter';

/** Cilium's interfaces: the pods' lxc<hex> veths (netkit devices too), its health endpoint's, cilium_host/_net and its tunnels (cilium_vxlan, cilium_geneve, cilium_wg0). */
const CILIUM_ITF = /^(lxc[0-9a-f]{8,}|lxc_health|cilium_[a-z0-9_]+)$/;
/** the pods' own lxc interfaces: where pod traffic arrives */
const POD_LXC = /^lxc[0-9a-f]{8,}$/;
/** Calico's workload veths and VXLAN device */
const CALICO_ITF = /^(cali[0-9a-f]{11}|vxlan\.calico|vxlan-v6\.calico)$/;

/** Cilium's own override file (tools/sysctlfix/main.go), which Cilium >= 1.12 writes from its init container. */
export const CILIUM_OVERRIDE_FILE = '/etc/sysctl.d/99-zzz-override_cilium.conf';
const CILIUM_OVERRIDE_LINES = ['-net.ipv4.conf.lxc*.rp_filter = 0', '-net.ipv4.conf.cilium_*.rp_filter = 0', 'net.ipv4.conf.all.rp_filter = 0'];

/**
 * Felix's FATAL line (Calico before v3.12) when net.ipv4.conf.all.rp_filter is 2, as a log signature
 * (to go into src/logs/signatures.ts). Not the warning it prints instead with IgnoreLooseRPF set
 * ("...set to 'loose' and IgnoreLooseRPF set to true."): no period after 'loose' there.
 */
/** Felix's exit over loose reverse-path filtering, in the log catalog (src/logs/signatures.ts). */
export const CALICO_LOOSE_RPF = 'log.calico-loose-rpf';

export default defineAnalyzer({
  id: 'sysctl.rp-filter-drops-pod-traffic',
  title: 'Reverse-path filtering drops pod traffic',
  description: "rp_filter is on (max of net.ipv4.conf.all and the interface's own value) on Cilium's lxc*/cilium_* interfaces, or loose while an old calico-node exits over it.",
  scope: 'node',
  requires: ['sysctl'],
  optional: [...new Set(['sysctlConfig', 'ipAddr', 'routes', 'iptables', 'dockerDaemon', 'services', 'logs', 'packages', 'systemdVersion', ...NODE_SERVICE_KINDS] as const)],
  analyze({ node, artifacts }) {
    const rp = runtimeRpFilter(artifacts.sysctl);
    return [...cilium(node, artifacts, rp), ...calico(node, artifacts, rp)];
  },
});

/** One interface's runtime rp_filter. */
interface RpValue {
  /** the interface (`flannel.1`; the dump's key writes it `flannel/1`), or `all` / `default` */
  itf: string;
  value: number;
  at: SysctlValue;
}

/** The sysctl key of an interface's rp_filter: a dotted name is written with '/' in the dotted form. */
export function rpFilterKey(itf: string): string {
  return `net.ipv4.conf.${itf.replace(/\./g, '/')}.rp_filter`;
}

/** Every net.ipv4.conf.<x>.rp_filter of the node's runtime sources; the first source that has a key wins. */
function runtimeRpFilter(sources: SysctlRuntime[]): Map<string, RpValue> {
  const out = new Map<string, RpValue>();
  for (const s of sources)
    for (const [k, v] of s.values) {
      const m = /^net\.ipv4\.conf\.([^.]+)\.rp_filter$/.exec(k);
      if (!m || !/^\d+$/.test(v.value)) continue;
      const itf = m[1].replace(/\//g, '.');
      if (!out.has(itf)) out.set(itf, { itf, value: Number(v.value), at: v });
    }
  return out;
}

/** What the kernel uses on an interface: max(all, the interface's own); without `all` in the bundle, its own (a lower bound). */
function effective(own: number | undefined, all: number | undefined): number | undefined {
  if (own === undefined) return all;
  return Math.max(own, all ?? 0);
}

const MODE: Record<number, string> = { 0: 'off', 1: 'strict', 2: 'loose' };
const mode = (n: number) => `${n}${MODE[n] ? ` (${MODE[n]})` : ''}`;

// ---- Cilium ---------------------------------------------------------------------------------

interface Filtering {
  itf: string;
  /** the interface's own value, when the dump has it */
  own?: RpValue;
  eff: number;
}

function cilium(node: string, artifacts: NodeArtifacts & { sysctl: SysctlRuntime[] }, rp: Map<string, RpValue>): FindingDraft[] {
  const all = rp.get('all');
  const itfs = interfacesOf(artifacts.ipAddr ?? []);
  // Cilium's interfaces: from the dump's keys, and from ip addr (a dump of `all` alone, a sysctl.json)
  const names = new Set<string>([...rp.keys()].filter((n) => CILIUM_ITF.test(n)));
  for (const n of itfs.keys()) if (CILIUM_ITF.test(n)) names.add(n);
  const signs = ciliumSigns(artifacts, itfs);
  if (names.size === 0 && signs.length === 0) return [];
  const filtering: Filtering[] = [];
  for (const itf of [...names].sort(byRole)) {
    const own = rp.get(itf);
    const eff = effective(own?.value, all?.value);
    if (eff !== undefined && eff > 0) filtering.push({ itf, own, eff });
  }
  // Cilium runs (chains, agent) but the bundle names none of its interfaces: `all` alone raises them all
  const viaAllOnly = names.size === 0 && all !== undefined && all.value > 0;
  if (filtering.length === 0 && !viaAllOnly) return [];

  const pods = filtering.filter((f) => POD_LXC.test(f.itf));
  const podsHit = pods.length > 0 || (all !== undefined && all.value > 0);
  const maxEff = Math.max(...filtering.map((f) => f.eff), viaAllOnly ? all!.value : 0);
  // what the pods' own interfaces get: theirs, or `all` for pods the dump does not list
  const podEff = Math.max(...pods.map((f) => f.eff), all?.value ?? 0);
  const endpointRoute = endpointRoutes(artifacts);
  const loosePodsOnEndpointRoutes = endpointRoute !== undefined && podEff === 2;
  const severity: FindingDraft['severity'] = podsHit && !loosePodsOnEndpointRoutes ? 'critical' : 'warning';

  const evidence: Evidence[] = [];
  for (const f of filtering.slice(0, 6)) {
    if (f.own) evidence.push(at(f.own.at, `${f.itf}${POD_LXC.test(f.itf) ? " (a pod's interface)" : ''}: the kernel uses max(all = ${all?.value ?? '?'}, ${f.own.value}) = ${f.eff}`));
  }
  if (all)
    evidence.push(
      at(
        all.at,
        all.value > 0
          ? `raises every interface, each pod's lxc too, to at least ${all.value}: the kernel uses the larger of this and the interface's own value`
          : "the kernel uses the larger of this and the interface's own value: here the interfaces' own values decide",
      ),
    );
  const dflt = rp.get('default');
  if (dflt && dflt.value > 0) evidence.push(at(dflt.at, `interfaces created from now on, each new pod's lxc, start with ${dflt.value}`));
  evidence.push(...signs.slice(0, 2));
  if (endpointRoute) evidence.push(endpointRoute);

  // where the values come from: the configuration lines that set them at boot (and, by udev, on each new interface)
  const config = artifacts.sysctlConfig ?? [];
  const systemdGlob = configFor(config, filtering[0]?.itf ?? 'lxc0000000000');
  const configNotes: string[] = [];
  const seen = new Set<SysctlValue>();
  for (const f of filtering) {
    const line = configFor(config, f.itf);
    if (!line || seen.has(line)) continue;
    seen.add(line);
    const which = filtering.filter((g) => configFor(config, g.itf) === line).map((g) => g.itf);
    const value = Number(line.value);
    if (value > 0) {
      const systemd = isSystemdDefault(line);
      evidence.push(at(line, `${systemd ? "systemd's default (>= 245): " : ''}sets ${value} on ${list(which)} at boot and, through udev, on each new interface as it appears`));
      if (systemd) configNotes.push(`${line.ref.file}:${line.ref.line} (\`${line.excerpt}\`) is systemd's default since v245: it sets ${value} on every interface at boot, and udev applies it to each new one, each pod's lxc too, after Cilium set 0 (cilium/cilium#10645).`);
      else configNotes.push(`${line.ref.file}:${line.ref.line} (\`${line.excerpt}\`) sets it at boot.`);
    } else if (f.own && f.own.value > 0) {
      evidence.push(at(line, `sets 0 on ${list(which)}, but the runtime value is ${f.own.value}: systemd-sysctl has not applied it since ${which.length > 1 ? 'these interfaces' : 'this interface'} appeared`));
      configNotes.push(`${line.ref.file}:${line.ref.line} sets 0 on ${list(which)}, but the runtime value is not 0: the file was not applied after the interfaces appeared (systemd-sysctl not restarted since it was written).`);
    }
  }
  const allLines = allConfigRaising(config);
  for (const e of allLines) {
    evidence.push(at(e, `sets ${ALL} = ${e.value} at boot`));
    const last = hostSysctlPath(e.ref.file) === '/etc/sysctl.conf' ? ' (`sysctl --system` applies /etc/sysctl.conf after every sysctl.d file)' : '';
    configNotes.push(`${e.ref.file}:${e.ref.line} (\`${e.excerpt}\`) sets \`all\` to ${e.value} at boot${last}.`);
  }
  const overrideFile = config.find((f) => /(^|\/)99-zzz-override_cilium\.conf$/.test(f.file));

  const itfList = viaAllOnly
    ? `every one of Cilium's interfaces (${ALL} = ${all!.value}; the bundle lists none of them by name)`
    : list(filtering.map((f) => f.itf));
  const values = [...new Set(filtering.map((f) => f.eff))];
  const valueText = viaAllOnly ? mode(all!.value) : values.length === 1 ? mode(values[0]) : values.map(mode).join(' or ');
  const combine =
    all === undefined
      ? `: ${ALL} is not in the bundle, and could only raise these`
      : all.value > 0
        ? `: ${ALL} = ${all.value}, and the kernel uses the larger of \`all\` and the interface's own value, so ${all.value} at least whatever the interfaces say`
        : `: ${ALL} = 0, and the kernel uses max(all, interface) = max(0, ${filtering[0]?.own?.value ?? maxEff}) = ${filtering[0]?.eff ?? maxEff}`;
  // systemd's release (systemctl --version, else the installed package): proof of the usual cause, or that it is not it
  const systemd = systemdOf(artifacts);
  const perInterface = filtering.some((f) => f.own && f.own.value > 0);
  const sd = systemd ? systemdCause(systemd, perInterface) : undefined;
  if (sd) evidence.push(sd.evidence);
  const cause =
    configNotes.length > 0
      ? ' ' + configNotes.join(' ') + (sd ? ` ${sd.short}` : '')
      : all && all.value > 0
        ? ` Something sets ${ALL} = ${all.value} (a hardening profile, /etc/sysctl.conf, a distribution's sysctl.d file) after Cilium set it to 0.`
        : sd
          ? ` ${sd.text}`
          : " The usual cause is systemd >= 245: its /usr/lib/sysctl.d/50-default.conf sets net.ipv4.conf.*.rp_filter = 2, and udev applies it to each new interface, each pod's lxc too, after Cilium set 0 (cilium/cilium#10645; `systemctl --version` tells the version).";
  const message =
    `Reverse-path filtering is ${valueText} on ${itfList} on ${node}, a Cilium node (${signs[0]?.note ?? 'its interface names in the sysctl dump'})${viaAllOnly ? '' : combine}. ` +
    "Cilium needs it off on its interfaces: its eBPF datapath redirects and rewrites the pods' packets, and the kernel drops those whose source does not pass the check on the interface they arrive on, so " +
    (podsHit ? 'pods lose traffic to and from outside the node (IPv6 is not affected: rp_filter is IPv4 only).' : "traffic through Cilium's host interfaces can be dropped; the pods' own lxc interfaces are not filtering.") +
    (loosePodsOnEndpointRoutes && podsHit ? ' This node routes each pod by its own route to its lxc (enable-endpoint-routes): routing is then symmetric and loose mode was reported to work (cilium/cilium#10645), so this may not drop yet; Cilium still wants 0.' : '') +
    cause +
    (overrideFile && !configNotes.some((n) => n.includes('sets 0')) ? ` Cilium's override file ${overrideFile.file} is in the bundle: the runtime values show it is not in effect.` : '');

  const services = nodeServices(artifacts);
  const grep = "sysctl -a 2>/dev/null | grep -E '^net\\.ipv4\\.conf\\.(all|lxc[^.]*|cilium_[^.]*)\\.rp_filter = [12]$'";
  const check = `${grep}   # must print nothing`;
  let commands: string[];
  let summary: string;
  if (services.machineConfig) {
    const persist = persistSysctlsByMachineConfig([{ key: ALL, want: '0', wrong: String(all?.value ?? 2), bad: [] }], CILIUM_OVERRIDE_FILE, { dropInLines: CILIUM_OVERRIDE_LINES });
    commands = [...persist.commands, `oc debug node/${node} -- chroot /host sh -c "${grep}"   # must print nothing once the pool is updated`];
    summary = `Turn reverse-path filtering off on Cilium's interfaces and on \`all\` (which the kernel combines by max), for good: ${persist.summary}. The file is the one Cilium >= 1.12 writes itself (0 for lxc* and cilium_*, and for all).`;
  } else {
    // /etc/sysctl.conf is read last by `sysctl --system`: a value of `all` left there wins over the override
    const seds = allLines
      .filter((e) => hostSysctlPath(e.ref.file) === '/etc/sysctl.conf')
      .map((e) => `sed -i -E 's|${sysctlLinePattern(ALL, e.value)}|${ALL} = 0|' /etc/sysctl.conf   # \`sysctl --system\` reads /etc/sysctl.conf last: its ${ALL} = ${e.value} would win over the override`);
    commands = [
      `printf '%s\\n' ${CILIUM_OVERRIDE_LINES.map((l) => `'${l}'`).join(' ')} > ${CILIUM_OVERRIDE_FILE}`,
      ...seds,
      'systemctl restart systemd-sysctl   # applies every sysctl.d file again, the globs to the interfaces there are now; udev applies them to each new one',
      'for f in /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/lxc*/rp_filter /proc/sys/net/ipv4/conf/cilium_*/rp_filter; do echo 0 > "$f"; done   # only on a host without systemd-sysctl: now, until the next boot',
      check,
      `kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data && kubectl uncordon ${node}   # only if pods still cannot reach out: recreates them`,
    ];
    summary =
      `Turn reverse-path filtering off on Cilium's interfaces and keep it off: write ${CILIUM_OVERRIDE_FILE}, the file Cilium >= 1.12 writes itself (0 for lxc* and cilium_*, and for \`all\`, which the kernel combines by max; named to be applied after every other sysctl.d file), and restart systemd-sysctl, which applies it to the interfaces there are now. ` +
      'Pods whose connections still hang are recreated by draining the node.';
  }
  return [
    {
      id: ID,
      severity,
      title: podsHit ? "Reverse-path filtering drops Cilium's pod traffic" : "Reverse-path filtering is on for Cilium's host interfaces",
      message,
      impact: podsHit
        ? "IPv4 traffic of the node's pods to other nodes and the outside (and its replies) is dropped; pod-to-pod traffic on the node may still work."
        : "Traffic through Cilium's host-side interfaces (cilium_host, the health endpoint) can be dropped.",
      evidence,
      facts: {
        cni: 'cilium',
        all: all?.value,
        default: dflt?.value,
        effective: Object.fromEntries(filtering.map((f) => [f.itf, f.eff])),
        endpointRoutes: endpointRoute !== undefined,
        ...(systemdGlob && isSystemdDefault(systemdGlob) ? { setBy: `${systemdGlob.ref.file}:${systemdGlob.ref.line}` } : {}),
        ...(systemd ? { systemd: systemd.release } : {}),
      },
      remedy: {
        summary,
        commands,
        caution:
          'Until the override is applied the pods on this node have no IPv4 connectivity off the node. Draining evicts the pods of the node (PodDisruptionBudgets respected). ' +
          "`all` = 0 removes the kernel-wide floor: every interface keeps its own value (systemd's glob sets 2 on each). A value of `all` in /etc/sysctl.conf wins at `sysctl --system`, which reads that file last.",
      },
    },
  ];
}

// ---- systemd's release ---------------------------------------------------------------------------

/** The node's systemd release: `systemctl --version` (the systemdVersion kind), else the installed systemd package. */
function systemdOf(artifacts: NodeArtifacts): SystemdRelease | undefined {
  return systemdRelease(artifacts.systemdVersion, artifacts.packages);
}

/** Debian's own builds (`252.39-1~deb12u2`, `247.3-7+deb11u4`): its systemd package installs no 50-default.conf. */
const DEBIAN_BUILD = /[~+]deb\d+u\d+/;

/**
 * What systemd's release says of the cause. From 245 on systemd's /usr/lib/sysctl.d/50-default.conf sets
 * `net.ipv4.conf.default.rp_filter = 2` and `net.ipv4.conf.*.rp_filter = 2` (and `-net.ipv4.conf.all.rp_filter`,
 * keeping `all` out), which udev applies to each new interface (Cilium's docs note of cilium/cilium#13717:
 * "Systemd 245 and above (`systemctl --version`) overrides rp_filter setting of Cilium network interfaces").
 * systemd's NEWS for 245 does not mention it. Before 245 the file sets only `net.ipv4.conf.all.rp_filter = 2`
 * (since 240, systemd#10971), which Cilium sets back to 0, and nothing reapplies a value to each new interface:
 * an interface's own value above 0 comes from another file. Debian's package installs no 50-default.conf at all.
 */
function systemdCause(s: SystemdRelease, perInterface: boolean): { evidence: Evidence; text: string; short: string } {
  const where = `${s.ref.file}:${s.ref.line}`;
  const debian = DEBIAN_BUILD.test(s.excerpt) || DEBIAN_BUILD.test(s.label);
  const other =
    "the interfaces' own value comes from another sysctl.d file or tool (a `net.ipv4.conf.*.rp_filter` or `lxc*` glob of a distribution or hardening profile): `grep -rn rp_filter /etc/sysctl.conf /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d` finds it.";
  if (s.release >= 245 && !debian) {
    const note = `${s.label}: from 245 on, systemd's /usr/lib/sysctl.d/50-default.conf sets net.ipv4.conf.*.rp_filter = 2, which udev applies to each new interface`;
    return {
      evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note },
      text:
        `This node ${s.from === 'systemctl' ? 'runs' : 'has'} ${s.label} (${where}): from 245 on, systemd's /usr/lib/sysctl.d/50-default.conf sets \`net.ipv4.conf.default.rp_filter = 2\` and \`net.ipv4.conf.*.rp_filter = 2\` (leaving \`all\` out), and udev applies the glob to each new interface, each pod's lxc too, after Cilium set 0 (cilium/cilium#10645, Cilium's docs note of #13717).`,
      short: `${s.label} (${where}) is one whose 50-default.conf sets that glob (245 and later).`,
    };
  }
  const why = debian
    ? `Debian's systemd package installs no /usr/lib/sysctl.d/50-default.conf, so systemd's own rp_filter glob is not what sets it here`
    : `upstream systemd before 245 sets no per-interface rp_filter (its 50-default.conf sets only \`net.ipv4.conf.all.rp_filter = 2\`, from 240 on, which Cilium sets back to 0)`;
  return {
    evidence: { file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note: `${s.label}: ${debian ? "Debian's build, without systemd's 50-default.conf" : "older than 245: upstream systemd's default has no per-interface rp_filter glob"}` },
    text: `This node ${s.from === 'systemctl' ? 'runs' : 'has'} ${s.label} (${where}): ${why}; ${perInterface ? other : 'something else raises it.'}`,
    short: `(${s.label}, ${where}: ${debian ? "Debian's build, without systemd's 50-default.conf" : 'older than 245, whose default has no per-interface glob'}.)`,
  };
}

/** pods' interfaces first, then lxc_health, then cilium_* */
function byRole(a: string, b: string): number {
  const rank = (n: string) => (POD_LXC.test(n) ? 0 : n === 'lxc_health' ? 1 : n === 'cilium_host' ? 2 : 3);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** What shows Cilium runs here, beside its interface names: cilium_host in ip addr, its iptables chains, cilium-agent. */
function ciliumSigns(artifacts: NodeArtifacts, itfs: ReturnType<typeof interfacesOf>): Evidence[] {
  const out: Evidence[] = [];
  const host = itfs.get('cilium_host') ?? [...itfs.values()].find((i) => CILIUM_ITF.test(i.name));
  if (host) out.push({ file: host.ref.file, line: host.ref.line, excerpt: host.name, note: `${host.name} in ip addr: Cilium's interface` });
  chains: for (const rs of liveIpv4(artifacts))
    for (const t of Object.values(rs.tables))
      for (const c of Object.values(t.chains))
        if (/^CILIUM_/.test(c.name)) {
          out.push({ file: c.ref.file, line: c.ref.line, excerpt: `chain ${c.name}`, note: `Cilium's chain ${c.name}` });
          break chains;
        }
  const agent = processesOf(artifacts, 'cilium-agent')[0];
  if (agent) out.push({ file: agent.ref.file, line: agent.ref.line, excerpt: agent.excerpt, note: 'cilium-agent runs' });
  return out;
}

/** A /32 route straight to a pod's lxc (Cilium's enable-endpoint-routes), as evidence. */
function endpointRoutes(artifacts: NodeArtifacts): Evidence | undefined {
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes)
      if (r.dev && POD_LXC.test(r.dev) && !r.via && (r.table === undefined || r.table === 'main') && /^\d{1,3}(\.\d{1,3}){3}(\/32)?$/.test(r.destination))
        return { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: `a route per pod to its own lxc (enable-endpoint-routes): routing to pods is symmetric` };
  return undefined;
}

// ---- Calico ---------------------------------------------------------------------------------

function calico(node: string, artifacts: NodeArtifacts, rp: Map<string, RpValue>): FindingDraft[] {
  const felix = logEvidence(artifacts.logs, [CALICO_LOOSE_RPF], 3);
  const all = rp.get('all');
  // Felix checks `all` alone, and only for 2; a value changed since the line was logged is no fault now
  if (felix.length === 0 || !all || all.value !== 2) return [];
  for (const e of felix) e.note = "Felix (calico-node) refuses to run with loose reverse-path filtering and exits";
  const evidence: Evidence[] = [at(all.at, 'Felix before Calico v3.12 requires 0 or 1 here'), ...felix];
  const names = [...new Set([...rp.keys(), ...interfacesOf(artifacts.ipAddr ?? []).keys()])].filter((n) => CALICO_ITF.test(n));
  const calicoItf = [...interfacesOf(artifacts.ipAddr ?? []).values()].find((i) => CALICO_ITF.test(i.name));
  if (calicoItf) evidence.push({ file: calicoItf.ref.file, line: calicoItf.ref.line, excerpt: calicoItf.name, note: "Calico's interface" });
  const allLines = allConfigRaising(artifacts.sysctlConfig ?? []).filter((e) => e.value === '2');
  for (const e of allLines) evidence.push(at(e, `sets ${ALL} = 2 at boot`));
  const placed = [...new Set(allLines.map((e) => hostSysctlPath(e.ref.file)).filter((p): p is string => p !== undefined && p.startsWith('/etc/')))];
  return [
    {
      id: ID,
      severity: 'critical',
      title: 'calico-node exits: reverse-path filtering is loose',
      message:
        `${ALL} is 2 (loose) on ${node}${names.length ? `, a Calico node (${list(names)})` : ''}, and Felix says it will not run so (${felix[0].file}:${felix[0].line}): ` +
        "Felix before Calico v3.12 requires 0 or 1 there, because loose mode would let a pod spoof another pod's address, and exits; calico-node restarts in a loop and the node's pods get no routes or policy. " +
        'Calico 3.12 and later check sources with their own iptables rule and do not look at this setting.' +
        (allLines.length ? ` ${allLines.map((e) => `${e.ref.file}:${e.ref.line}`).join(', ')} set${allLines.length === 1 ? 's' : ''} it at boot.` : ''),
      impact: 'calico-node is not running on this node: new pods get no network, and routes and network policy are not kept up to date.',
      evidence,
      facts: { cni: 'calico', all: 2 },
      remedy: {
        summary:
          `Set ${ALL} to 1 (strict, what Calico's maintainers advise; 0 is the other value Felix accepts) now and at boot, then restart calico-node on the node. ` +
          'Upgrading Calico to 3.12 or later removes the check; FELIX_IGNORELOOSERPF=true only silences it and leaves pods able to spoof.',
        commands: [
          `sysctl -w ${ALL}=1`,
          ...placed.map((p) => `sed -i -E 's|${sysctlLinePattern(ALL, '2')}|${ALL} = 1|' ${p.includes('/sysctl.d/') ? `"$(readlink -f ${p})"` : p}`),
          `echo '${ALL} = 1' > /etc/sysctl.d/99-zzz-calico-rp-filter.conf`,
          `kubectl delete pod -A -l k8s-app=calico-node --field-selector spec.nodeName=${node}   # its DaemonSet starts it again`,
        ],
        caution: `Strict mode drops packets that arrive on an interface the route back does not use: on a host that routes asymmetrically (several uplinks), set 0 instead, or 2 on that interface alone. /etc/sysctl.conf is read last by \`sysctl --system\`: a ${ALL} = 2 left there wins.`,
      },
    },
  ];
}

// ---- configuration files -----------------------------------------------------------------------

/** The configuration line that sets an interface's rp_filter at boot: an exact key wins over any glob (sysctl.d(5)); of the globs, the last one applied. */
function configFor(files: readonly SysctlConfigFile[], itf: string): SysctlValue | undefined {
  const key = rpFilterKey(itf);
  let exact: SysctlValue | undefined;
  let glob: SysctlValue | undefined;
  for (const f of orderedConfig(files))
    for (const e of f.entries) {
      if (e.key === key) exact = e;
      else if (/[*?[]/.test(e.key) && globMatches(e.key, key)) glob = e;
    }
  return exact ?? glob;
}

/** Exact settings of a key (not globs: `net.ipv4.conf.*.rp_filter` leaves `all` out with an exclusion line the parser does not keep). */
function explicitConfig(files: readonly SysctlConfigFile[], key: string): SysctlValue[] {
  return orderedConfig(files).flatMap((f) => f.entries.filter((e) => e.key === key));
}

/**
 * The lines that leave `all` above 0 after a reload: the last one applied (if above 0), and one in
 * /etc/sysctl.conf, which `sysctl --system` applies after every sysctl.d file (systemd-sysctl reads it
 * through 99-sysctl.conf, before 99-zzz-...). A line a later file overrides is left out.
 */
function allConfigRaising(files: readonly SysctlConfigFile[]): SysctlValue[] {
  const lines = explicitConfig(files, ALL);
  const last = lines[lines.length - 1];
  return lines.filter((e) => Number(e.value) > 0 && (e === last || hostSysctlPath(e.ref.file) === '/etc/sysctl.conf'));
}

/** A sysctl.d glob against a dotted key, part by part: `*` and `?` do not cross a separator (glob(7) over /proc/sys paths). */
export function globMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  if (p.length !== k.length) return false;
  return p.every((part, i) => globPart(part).test(k[i]));
}

function globPart(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '*') re += '[^.]*';
    else if (c === '?') re += '[^.]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[\\^$.|+(){}\]]/g, (x) => `\\${x}`);
  }
  return new RegExp(`^${re}$`);
}

/** systemd's own 50-default.conf glob: `net.ipv4.conf.*.rp_filter = 2`. */
function isSystemdDefault(e: SysctlValue): boolean {
  return /(^|\/)50-default\.conf$/.test(e.ref.file) && e.key === 'net.ipv4.conf.*.rp_filter';
}

function at(v: SysctlValue, note: string): Evidence {
  return { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note };
}

function list(names: string[]): string {
  if (names.length <= 4) return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names.join('');
  return `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}
