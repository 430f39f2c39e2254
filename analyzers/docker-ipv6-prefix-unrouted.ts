/**
 * docker.ipv6-prefix-unrouted: Docker gives its containers IPv6 addresses from a global prefix
 * (`--ipv6 --fixed-cidr-v6=<global>`, or daemon.json `"ipv6": true` + `"fixed-cidr-v6"`) and does not
 * NAT them (ip6tables management off, or a Docker without it), while nothing on the node answers for
 * the prefix on the uplink (no NDP proxy: `net.ipv6.conf.*.proxy_ndp = 1`, ndppd). The containers then
 * send with their own global addresses and the replies reach the host only if the upstream router
 * routes the prefix to it: otherwise their IPv6 reaches nothing (moby/moby#32605: `docker daemon --ipv6
 * --fixed-cidr-v6="2001:db8:1::/64"`, a container's `ping6 2000::3` 100% packet loss).
 *
 * Docker's IPv6 documentation (docs.docker.com/engine/daemon/ipv6/, docker/docs content/manuals/engine/
 * daemon/ipv6.md): `ipv6` enables IPv6 on the default network, `fixed-cidr-v6` assigns its subnet, and
 * `ip6tables` "enables additional IPv6 packet filter rules, providing network isolation and port mapping.
 * It is enabled by-default". The option came with Docker 20.10 (moby/moby#41622: "--ip6tables enables IPv6
 * iptables rules (only if experimental)", off by default) and is on by default, without experimental, from
 * Docker 27.0 (docker/docs#20026, moby/moby#47747). The docs' example prefix 2001:db8:1::/64 "is reserved for use in
 * documentation. Replace it with a valid IPv6 network, for example a Unique Local Address (ULA) subnet
 * from fd00::/8". With ip6tables on, Docker masquerades the network's subnet like IPv4 (ip-masq), so a
 * ULA or a global prefix both leave through the host's address: quiet then.
 *
 * Severity: a warning. The bundle cannot see the upstream router, so the condition is a network design
 * that fails unless someone routes the prefix, not a proven fault. A ULA prefix (fc00::/7) without NAT
 * cannot reach the internet at all, but that is Docker's documented default to be used with ip6tables:
 * only said where ip6tables is off (the same warning). Link-local and other non-unicast prefixes are
 * left alone. Where Docker's version is unknown and ip6tables is not set, the finding is info: what to
 * collect decides it.
 *
 * The live rules come first: where the node's ip6tables nat rules (or a native nftables nat chain) masquerade or
 * SNAT a connection from the prefix leaving by the uplink (Docker's `-A POSTROUTING -s <prefix> ! -o docker0 -j
 * MASQUERADE`, or an admin's), it is NATed, whatever the settings say: quiet. Without an ip6tables key, Docker's
 * own ip6tables chains (or Docker 28's DOCKER-FORWARD in the IPv4 rules: ip6tables on by default since 27) say it
 * manages ip6tables (lib/ipv6-use.ts dockerManagesIp6tables; a missing masquerade is then
 * iptables.docker-masquerade-missing's); a live ip6tables nat table that NATs nothing from the prefix says it is
 * not NATed. The remedy asks to collect only what the bundle lacks.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerdSettings, type DockerdSetting } from '../src/parsers/dockerd-flags.js';
import type { DockerDaemonConfig } from '../src/parsers/docker-daemon.js';
import { dockerEngine, dockerVersionNumbers } from '../src/parsers/docker-info.js';
import type { SysctlRuntime, SysctlValue } from '../src/parsers/sysctl.js';
import { ipv6PrefixKind } from '../src/parsers/cidr.js';
import { liveViews6, localAddresses, nativeNftables, uplinkOf } from './lib/node-view.js';
import { dockerManagesIp6tables } from './lib/ipv6-use.js';
import { memberAddress, outboundPacket, postroutingNat, SOME_UPLINK, sourceNat } from './lib/source-nat.js';
import { outsideAddress } from './lib/probe-address.js';

const ID = 'docker.ipv6-prefix-unrouted';

export default defineAnalyzer({
  id: ID,
  title: "Containers' global IPv6 prefix is not NATed and not routed to the host",
  description: 'Docker runs with --ipv6 and a global fixed-cidr-v6 but without ip6tables (no IPv6 NAT), and no NDP proxy answers for the prefix: the upstream router must route it to the host.',
  scope: 'node',
  requires: ['dockerDaemon'],
  optional: ['sysctl', 'iptables', 'nftables', 'ipAddr', 'routes', 'logs'],
  analyze({ node, artifacts }) {
    const s = dockerdSettings(artifacts.dockerDaemon);
    if (!s.ipv6?.value || !s.fixedCidrV6) return [];
    const prefix = s.fixedCidrV6.value;
    const kind = ipv6PrefixKind(prefix);
    if (kind !== 'global' && kind !== 'documentation') return [];
    // the live rules NAT the prefix (Docker's masquerade, or an admin's): nothing to say, whatever the settings
    const live = liveNat(artifacts, prefix);
    if (live.kind === 'covered' || live.kind === 'unknown' || live.kind === 'maybe') return [];
    const ip6 = ip6tablesState(artifacts, s, live);
    if (ip6.on === true) return [];
    // something answers for the prefix on the uplink: an NDP proxy (the kernel's, or ndppd)
    if (ndpProxy(artifacts).length > 0) return [];

    const configs = artifacts.dockerDaemon;
    const evidence: Evidence[] = [
      setting(s.ipv6, 'IPv6 on the default bridge', configs),
      setting(s.fixedCidrV6, `the containers' addresses: ${kind === 'documentation' ? 'a prefix reserved for documentation (2001:db8::/32), which no network routes' : 'a global prefix, used as the source of their packets'}`, configs),
    ];
    if (ip6.evidence) evidence.push(ip6.evidence);
    // docker version only where it decides (ip6tables neither set nor shown by the live rules)
    const collect = missingToCollect(artifacts, ip6.on === undefined);
    const fwd = sysctlValue(artifacts.sysctl, 'net.ipv6.conf.all.forwarding');
    if (fwd) evidence.push(at(fwd, fwd.value === '0' ? 'IPv6 forwarding is off: the host does not pass the containers\' IPv6 packets at all' : 'IPv6 forwarding is on'));
    const proxyOff = sysctlValue(artifacts.sysctl, 'net.ipv6.conf.all.proxy_ndp');
    if (proxyOff) evidence.push(at(proxyOff, 'no NDP proxy: the host does not answer neighbour solicitations for the containers\' addresses'));

    const known = ip6.on === false;
    const message =
      `Docker on ${node} gives its containers IPv6 addresses from ${prefix} (${whereSet(s.fixedCidrV6, configs)}), ${kind === 'documentation' ? "the documentation prefix of Docker's own example, which nobody routes" : 'a global prefix'}, ` +
      `and ${known ? 'does not NAT them' : 'may not NAT them'}: ${ip6.text}. Their packets leave with these addresses unchanged, and the replies come back only if the upstream router routes ${prefix} to this host. ` +
      'Nothing in the bundle answers for the prefix on the uplink either (no net.ipv6.conf.*.proxy_ndp = 1), so unless the router has that route the containers\' IPv6 reaches nothing beyond the host ' +
      '(moby/moby#32605: ping6 from a container, 100% packet loss).' +
      (fwd?.value === '0' ? ` IPv6 forwarding is off too (${fwd.ref.file}:${fwd.ref.line}).` : '') +
      (known ? '' : " Whether Docker NATs IPv6 here depends on its version, which the bundle does not say: `docker version` decides (ip6tables is on by default from Docker 27).");
    return [
      {
        id: ID,
        severity: known ? 'warning' : 'info',
        title: "Containers' global IPv6 prefix is neither NATed nor proxied: it must be routed to the host",
        message,
        impact: "Containers' IPv6 connections beyond the host fail (IPv4 is not affected) unless the upstream router routes the prefix to this host.",
        evidence,
        facts: { prefix, prefixKind: kind, ip6tables: ip6.on ?? null, dockerVersion: ip6.version ?? null, forwarding: fwd ? fwd.value : null },
        remedy: {
          summary:
            `Either have the upstream router route ${prefix} to this host's address (the design Docker's global prefixes assume), or let Docker NAT IPv6: ` +
            'a ULA prefix (fd00::/8) with `"ip6tables": true` (Docker >= 27 has it on by default; 20.10 to 26 need `"experimental": true` too), and IPv6 forwarding on.' +
            (collect.length > 0 ? ` Collect ${collect.map((c) => `\`${c}\``).join(', ')} (not in the bundle) to tell which applies.` : ''),
          commands: [
            ...(collect.length > 0 ? [`${collect.join('; ')}   # what to collect (not in the bundle)`] : []),
            "# on the upstream router (not this host): a route for the prefix to this host's global address, e.g. `ip -6 route replace " + prefix + ' via <this host>`',
            '# or, Docker NATs it: in /etc/docker/daemon.json set "ipv6": true, "fixed-cidr-v6": "fd00:d0c:1::/64" (a ULA prefix of your choice) and "ip6tables": true (plus "experimental": true before Docker 27), then:',
            'systemctl restart docker',
            ...(fwd?.value === '1' ? [] : ["sysctl -w net.ipv6.conf.all.forwarding=1 && echo 'net.ipv6.conf.all.forwarding = 1' > /etc/sysctl.d/90-docker-ipv6-forwarding.conf   # where it says 0"]),
          ],
          caution:
            'Restarting docker restarts the containers that have no live-restore. IPv6 forwarding on makes the kernel stop accepting router advertisements on interfaces with accept_ra = 1 (set it to 2 on the uplink if it gets its address by SLAAC). ' +
            'A dockerd flag on its command line (--fixed-cidr-v6, --ip6tables) and the same key in daemon.json make dockerd refuse to start: change it where it is set.',
        },
      },
    ];
  },
});

interface Ip6tablesState {
  /** true: Docker manages ip6tables (and NATs IPv6); false: it does not; undefined: unknown */
  on?: boolean;
  text: string;
  version?: string;
  evidence?: Evidence;
}

/**
 * Is a connection from the prefix NATed by the live rules? A new connection from an address of it (its ::2)
 * on docker0 to an outside address, leaving by the IPv6 uplink, walked through nat POSTROUTING of each
 * ip6tables back end the bundle shows with a nat table (not cut) and the native nftables nat chains on
 * postrouting (ip6 and inet tables). `shown`: the ip6tables nat table whose rules were walked (a walk that
 * NATs nothing then says the prefix is not NATed); `none` without it says nothing (no rules shown).
 */
function liveNat(artifacts: NodeArtifacts, prefix: string): ReturnType<typeof sourceNat> & { shown?: Evidence } {
  const views = liveViews6(artifacts).filter((v) => v.tables.has('nat') && !v.truncated.has('nat'));
  const native = nativeNftables(artifacts);
  if (views.length === 0 && native.length === 0) return { kind: 'none' };
  const packet = outboundPacket(memberAddress(prefix), 'docker0', uplinkOf(artifacts, 6) ?? SOME_UPLINK, outsideAddress(artifacts, 6, [prefix]));
  const walked = sourceNat(
    views.map((v) => v.tables),
    packet,
    { localAddresses: localAddresses(artifacts, 6) },
    postroutingNat(native, 6),
  );
  const file = views[0]?.files.get('nat');
  const post = views[0]?.tables.get('nat')?.get('POSTROUTING');
  const shown: Evidence | undefined = file
    ? { file, line: post?.ref.line ?? 0, excerpt: post ? ':POSTROUTING' : '*nat', note: `the live ip6tables nat rules: none of them masquerades or SNATs a connection from ${prefix} leaving the node` }
    : undefined;
  return { ...walked, ...(walked.kind === 'none' && shown ? { shown } : {}) };
}

/** What the remedy asks to collect: only what the bundle lacks (IPv6 routes, ip6tables rules, the two sysctl keys, Docker's version where it decides). */
function missingToCollect(artifacts: NodeArtifacts, needVersion: boolean): string[] {
  const out: string[] = [];
  if (!(artifacts.routes ?? []).some((t) => t.routes.some((r) => r.destination.includes(':')))) out.push('ip -6 route');
  if (!(artifacts.iptables ?? []).some((r) => r.family === 'ipv6' && r.origin === 'live')) out.push('ip6tables-save');
  const keys = ['net.ipv6.conf.all.forwarding', 'net.ipv6.conf.all.proxy_ndp'].filter((k) => !sysctlValue(artifacts.sysctl, k));
  if (keys.length > 0) out.push(`sysctl ${keys.join(' ')}`);
  if (needVersion && !dockerEngine(artifacts.dockerDaemon)?.serverVersion) out.push('docker version');
  return out;
}

function ip6tablesState(artifacts: NodeArtifacts, s: ReturnType<typeof dockerdSettings>, live: { shown?: Evidence }): Ip6tablesState {
  const engine = dockerEngine(artifacts.dockerDaemon);
  const version = engine?.serverVersion?.value;
  const nums = version ? dockerVersionNumbers(version) : undefined;
  const verEv = engine?.serverVersion ? { file: engine.serverVersion.ref.file, line: engine.serverVersion.ref.line, excerpt: engine.serverVersion.excerpt } : undefined;
  if (s.ip6tables) {
    if (!s.ip6tables.value) return { on: false, version, text: `ip6tables management is off (${s.ip6tables.excerpt})`, evidence: setting(s.ip6tables, 'Docker writes no ip6tables rules: no IPv6 NAT', artifacts.dockerDaemon ?? []) };
    // 20.10 to 26: ip6tables needs experimental
    if (nums && nums[0] < 27 && !s.experimental?.value && verEv)
      return { on: false, version, text: `ip6tables is set but Docker ${version} takes it only with experimental, which is off`, evidence: { ...verEv, note: `Docker ${version}: ip6tables needs "experimental": true before Docker 27` } };
    return { on: true, version, text: 'ip6tables is on' };
  }
  if (nums && verEv) {
    if (nums[0] >= 27) return { on: true, version, text: 'ip6tables is on (the default since Docker 27)' };
    return { on: false, version, text: `Docker ${version} does not manage ip6tables unless told to (before Docker 27 it is off by default)`, evidence: { ...verEv, note: `Docker ${version}: ip6tables off by default before Docker 27` } };
  }
  // no setting, no version: Docker's chains in the live ip6tables rules, DOCKER-FORWARD (Docker 28+) in the IPv4 ones, dockerd running ip6tables
  const managed = dockerManagesIp6tables(artifacts, liveViews6(artifacts));
  if (managed) return { on: true, text: `Docker manages ip6tables (${managed.note})` };
  // the live ip6tables nat rules NAT nothing from the prefix
  if (live.shown) return { on: false, text: `the node's live ip6tables nat rules (${live.shown.file}) masquerade nothing from it`, evidence: live.shown };
  const cmd = s.commandLine;
  if (cmd && /^(?:\S*\/)?docker(?:-current)?\s+(?:daemon|-d|--daemon)\b/.test(cmd.text.trim()))
    return {
      on: false,
      text: 'it is a Docker old enough to be started as `docker daemon`, from long before Docker 20.10 added ip6tables management, so it writes no IPv6 NAT rules',
      evidence: { file: cmd.ref.file, line: cmd.ref.line, excerpt: cmd.excerpt, note: '`docker daemon`: a Docker from before the dockerd binary became the only way to start it, without ip6tables support' },
    };
  return { text: 'ip6tables is not set, so Docker NATs IPv6 only if it is version 27 or later' };
}

/**
 * NDP proxying on the node: net.ipv6.conf.<if>.proxy_ndp = 1 anywhere. (ndppd in a ps listing would
 * count too, once processes.ts lists it as a component; it does not today.)
 */
function ndpProxy(artifacts: NodeArtifacts): Evidence[] {
  const out: Evidence[] = [];
  for (const src of artifacts.sysctl ?? [])
    for (const [k, v] of src.values) if (/^net\.ipv6\.conf\.[^.]+\.proxy_ndp$/.test(k) && v.value.trim() === '1') out.push(at(v, 'NDP proxy on'));
  return out;
}

function sysctlValue(sources: readonly SysctlRuntime[] | undefined, key: string): SysctlValue | undefined {
  for (const s of sources ?? []) {
    const v = s.values.get(key);
    if (v) return v;
  }
  return undefined;
}

function setting<T>(x: DockerdSetting<T>, note: string, configs: readonly DockerDaemonConfig[]): Evidence {
  return { file: x.ref.file, line: x.ref.line, excerpt: x.excerpt, note: `${note} (${whereSet(x, configs)})` };
}

/** Where a setting was read; a dockerd command line saved on its own (dockerd-cmdline.ts: one ExecStart, no unit file's name) says so. */
function whereSet<T>(x: DockerdSetting<T>, configs: readonly DockerDaemonConfig[]): string {
  if (x.from !== 'unit') return x.note;
  const c = configs.find((d) => d.origin === 'unit' && d.file === x.ref.file);
  const pasted = c?.unit && !/\.(service|conf)$/.test(c.unit.path) && c.unit.execStart.length === 1 && Object.keys(c.unit.environment).length === 0;
  return pasted ? 'the dockerd command line saved in the bundle: how dockerd is started' : x.note;
}

function at(v: SysctlValue, note: string): Evidence {
  return { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note };
}
