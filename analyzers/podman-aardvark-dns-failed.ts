/**
 * podman.aardvark-dns-failed: aardvark-dns, the DNS server of Podman's netavark networks, could not bind its
 * port on a network's gateway, so containers on that network get no DNS (neither the other containers' names
 * nor outside names). The log line (log.aardvark-dns-bind-failed, src/logs/signatures-podman.ts) says which
 * address and errno; the rest of the bundle says why:
 *
 * - errno 99 (EADDRNOTAVAIL) on an IPv6 gateway that ip addr / ip monitor shows `tentative` (or `dadfailed`):
 *   netavark added the gateway address to the new bridge and started aardvark-dns before the kernel's
 *   duplicate address detection finished; bind() to a tentative address fails (containers/aardvark-dns#725,
 *   the pod-net-4-6 capture). vyos/vyos-1x#5384 (netavark/aardvark-dns IPv6 DAD race) works around it with
 *   all/default accept_dad=0, as a per-bridge setting comes too late for the first container of a network
 *   (its bridge is created at that moment).
 * - errno 98 (EADDRINUSE): another program holds port 53 there: a container publishing port 53 on all
 *   addresses (podman ps: `0.0.0.0:53->53/udp`; with rootless networking the forwarder binds it in the same
 *   namespace as aardvark-dns, containers/netavark#1470, podman#23226), or a host DNS server (dnsmasq) on the
 *   wildcard or the gateway (ss -lunp; containers/aardvark-dns#13).
 *
 * podman info (src/parsers/podman-info.ts) adds rootless mode, the rootless network command (pasta or
 * slirp4netns) and the netavark / aardvark-dns versions. Without a bind failure in the logs, a rootless host
 * whose container publishes port 53 on all addresses gets a warning (netavark#1470: the queries to the
 * gateway reach that container, not aardvark-dns).
 */
import { defineAnalyzer, type FindingDraft, type Partly } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { LogMatch } from '../src/logs/index.js';
import type { Address, Interface } from '../src/parsers/interfaces.js';
import type { PodmanPublishedPort } from '../src/parsers/podman.js';
import type { ListeningSocket } from '../src/parsers/listening.js';
import { componentVersion, type PodmanInfo } from '../src/parsers/podman-info.js';
import { timeOf } from './lib/logs.js';

export const BIND_SIGNATURE = 'log.aardvark-dns-bind-failed';

/** podman info, once src/engine/artifacts.ts has the kind (H88's wiring); absent before */

export default defineAnalyzer({
  id: 'podman.aardvark-dns-failed',
  title: "aardvark-dns (Podman's network DNS) could not start",
  description:
    "aardvark-dns could not bind its DNS port on a netavark network's gateway (the log says so): containers on that network resolve no names. Says why where the bundle shows it: an IPv6 gateway still tentative (duplicate address detection), or port 53 taken by a published container or a host DNS server.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['logs', 'podmanPorts'],
  optional: ['logs', 'podmanPorts', 'ipAddr', 'sockets', 'podmanInfo'],
  analyze({ node, artifacts, partly }) {
    return aardvarkFindings(node, artifacts, partly);
  },
});

type Cause =
  | { kind: 'tentative'; itf: Interface; addr: Address }
  | { kind: 'present'; itf: Interface; addr: Address }
  | { kind: 'absent' }
  | { kind: 'published'; ports: PodmanPublishedPort[] }
  | { kind: 'listener'; sockets: ListeningSocket[] }
  | { kind: 'in-use' }
  | { kind: 'other' };

interface Failure {
  address: string;
  port: number;
  errno?: number;
  reason?: string;
  matches: LogMatch[];
}

export function aardvarkFindings(node: string, artifacts: NodeArtifacts, partly?: Partly): FindingDraft[] {
  const matches = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === BIND_SIGNATURE));
  const info = pickInfo(artifacts.podmanInfo);
  // no failure logged: a rootless container publishing 53 on every address is podman.aardvark-dns-port-shadowed's
  if (matches.length === 0) return [];

  const byKey = new Map<string, Failure>();
  for (const m of matches) {
    const address = (m.facts.address ?? '').replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const port = Number(m.facts.port ?? 53);
    const errno = m.facts.errno ? Number(m.facts.errno) : /already in use/i.test(m.facts.reason ?? '') ? 98 : /cannot assign requested address/i.test(m.facts.reason ?? '') ? 99 : undefined;
    const key = `${address}|${port}|${errno ?? ''}`;
    const f = byKey.get(key) ?? { address, port, errno, reason: m.facts.reason, matches: [] };
    f.matches.push(m);
    byKey.set(key, f);
  }

  const out: FindingDraft[] = [];
  for (const f of byKey.values()) {
    const cause = causeOf(f, artifacts, partly);
    out.push(finding(node, f, cause, info, artifacts));
  }
  return out;
}

// ---- causes ---------------------------------------------------------------------------------------

function causeOf(f: Failure, artifacts: NodeArtifacts, partly?: Partly): Cause {
  if (f.errno === 99) {
    if (!artifacts.ipAddr?.length) {
      partly?.(`aardvark-dns could not bind ${f.address}: without ip addr the bundle does not say whether that address was tentative (IPv6 duplicate address detection)`, ['ipAddr']);
      return { kind: 'other' };
    }
    const held = addressesNamed(artifacts, f.address);
    const dad = held.find((h) => h.addr.flags.includes('tentative') || h.addr.flags.includes('dadfailed'));
    if (dad) return { kind: 'tentative', ...dad };
    if (held.length > 0) return { kind: 'present', ...held[0] };
    return { kind: 'absent' };
  }
  if (f.errno === 98) {
    const published = (artifacts.podmanPorts ?? []).flatMap((p) => p.ports).filter((p) => p.running && coversPort(p.hostPort, f.port) && onAddress(p.hostIp, f.address));
    if (published.length > 0) return { kind: 'published', ports: published };
    const sockets = (artifacts.sockets ?? []).flatMap((s) => s.sockets).filter((s) => s.port === f.port && s.proto === 'udp' && onAddress(s.address, f.address) && !/aardvark/i.test(s.process ?? ''));
    if (sockets.length > 0) return { kind: 'listener', sockets };
    if (!artifacts.podmanPorts?.length && !artifacts.sockets?.length)
      partly?.(`port ${f.port} on ${f.address} was in use: neither podman ps nor the listening sockets are in the bundle to say by what`, ['podmanPorts', 'sockets']);
    return { kind: 'in-use' };
  }
  return { kind: 'other' };
}

function addressesNamed(artifacts: NodeArtifacts, address: string): { itf: Interface; addr: Address }[] {
  const want = canonical(address);
  const out: { itf: Interface; addr: Address }[] = [];
  for (const list of artifacts.ipAddr ?? []) for (const itf of list.interfaces) for (const a of itf.addresses) if (canonical(a.address) === want) out.push({ itf, addr: a });
  return out;
}

/** an IPv6 address with every group written out (`2001:db8::1` -> `2001:db8:0:0:0:0:0:1`); IPv4 as is */
function canonical(a: string): string {
  const s = a.toLowerCase().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!s.includes(':')) return s;
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = s.includes('::') ? Array(Math.max(0, 8 - h.length - t.length)).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}

function coversPort(hostPort: string, port: number): boolean {
  const [a, b] = hostPort.split('-').map(Number);
  return b === undefined ? a === port : a <= port && port <= b;
}

/** a bind on `hostIp` (absent, 0.0.0.0, [::], *: every address) that takes `address`'s port */
function onAddress(hostIp: string | undefined, address: string): boolean {
  if (hostIp === undefined) return true;
  const h = hostIp.replace(/^\[|\]$/g, '');
  if (h === '' || h === '*' || h === '0.0.0.0' || h === '::') return true;
  return canonical(h) === canonical(address);
}

function pickInfo(list: PodmanInfo[] | undefined): PodmanInfo | undefined {
  return (list ?? []).find((i) => i.networkBackend || i.rootlessNetworkCmd || i.aardvarkDns) ?? list?.[0];
}

// ---- wording --------------------------------------------------------------------------------------

function infoEvidence(info: PodmanInfo | undefined): Evidence[] {
  if (!info) return [];
  const out: Evidence[] = [];
  const add = (v: { ref: { file: string; line: number }; excerpt: string } | undefined, note: string) => {
    if (v) out.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note });
  };
  add(info.rootless, info.rootless?.rootless ? 'rootless Podman' : 'Podman as root');
  add(info.rootlessNetworkCmd, `rootless network command: ${info.rootlessNetworkCmd?.value}`);
  add(info.aardvarkDns?.version ?? info.aardvarkDns?.package, 'the aardvark-dns in use');
  add(info.netavark?.version ?? info.netavark?.package, 'the netavark in use');
  return out;
}

function versions(info: PodmanInfo | undefined): string {
  const a = componentVersion(info?.aardvarkDns);
  const n = componentVersion(info?.netavark);
  const parts = [n ? `netavark ${n}` : '', a ? `aardvark-dns ${a}` : ''].filter(Boolean);
  return parts.length > 0 ? ` podman info: ${parts.join(', ')}.` : '';
}

function rootlessClause(info: PodmanInfo | undefined): string {
  if (!info?.rootless) return '';
  if (!info.rootless.rootless) return ' Podman runs as root here.';
  const cmd = info.rootlessNetworkCmd?.value;
  return ` Podman runs rootless${cmd ? ` with ${cmd} as its network command` : ''}: aardvark-dns and the networks' bridges live in the rootless network namespace, not the host's.`;
}

function files(artifacts: NodeArtifacts): string {
  return [...new Set((artifacts.ipAddr ?? []).map((l) => l.file))].slice(0, 3).join(', ');
}

function finding(node: string, f: Failure, cause: Cause, info: PodmanInfo | undefined, artifacts: NodeArtifacts): FindingDraft {
  const where = f.address.includes(':') ? `[${f.address}]:${f.port}` : `${f.address}:${f.port}`;
  const evidence: Evidence[] = f.matches.slice(0, 4).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: `aardvark-dns could not bind ${where}${f.errno ? ` (errno ${f.errno})` : ''}`, ...timeOf(m) }));
  let why: string;
  let summary: string;
  let commands: string[];
  let caution: string | undefined;
  const bridge = cause.kind === 'tentative' || cause.kind === 'present' ? cause.itf.name : '<bridge>';

  switch (cause.kind) {
    case 'tentative': {
      const flag = cause.addr.flags.includes('dadfailed') ? 'dadfailed' : 'tentative';
      evidence.push({ file: cause.addr.ref.file, line: cause.addr.ref.line, excerpt: cause.addr.excerpt, note: `${cause.itf.name}: ${cause.addr.cidr} is ${flag}${cause.itf.state ? `, the bridge ${cause.itf.state}` : ''}` });
      why =
        flag === 'dadfailed'
          ? ` ${cause.itf.name} holds ${cause.addr.cidr} as dadfailed: another host on that link answered for the address (duplicate address detection failed), so the kernel never lets it be bound.`
          : ` ${cause.itf.name} holds ${cause.addr.cidr} as tentative: IPv6 duplicate address detection had not finished when netavark started aardvark-dns, and the kernel refuses bind() on a tentative address (errno 99, EADDRNOTAVAIL; containers/aardvark-dns#725).`;
      summary =
        flag === 'dadfailed'
          ? 'Give the network another IPv6 subnet (the gateway address is taken on that link), or create it without IPv6.'
          : 'Turn off duplicate address detection for new interfaces (all and default: the bridge is created with the first container, too late for a per-bridge setting, vyos/vyos-1x#5384), or recreate the network without IPv6; then start the containers again. Keep netavark and aardvark-dns at the newest release your distribution has: whether a release waits for DAD is not shown here.';
      commands =
        flag === 'dadfailed'
          ? ['podman network inspect <network>   # its subnets and gateways', 'podman network create --ipv6 --subnet <other IPv6 /64> <network>   # after podman network rm <network>']
          : [
              'sysctl -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
              "printf 'net.ipv6.conf.all.accept_dad = 0\\nnet.ipv6.conf.default.accept_dad = 0\\n' > /etc/sysctl.d/90-podman-nodad.conf   # kept at boot",
              `sysctl -w net.ipv6.conf.${bridge}.accept_dad=0   # the bridge that exists now, for the next start`,
              '# or, without IPv6 on the network: podman network rm <network> && podman network create <network>   (no --ipv6)',
            ];
      caution = flag === 'dadfailed' ? 'Recreating a network needs its containers stopped and removed from it.' : 'With accept_dad=0 the kernel no longer detects a duplicate IPv6 address on new interfaces (for a container bridge the gateway is yours alone).';
      break;
    }
    case 'present':
      evidence.push({ file: cause.addr.ref.file, line: cause.addr.ref.line, excerpt: cause.addr.excerpt, note: `${cause.itf.name}: ${cause.addr.cidr}, usable when the bundle was collected` });
      why = ` ${cause.itf.name} holds ${cause.addr.cidr} now, without tentative: the address was not usable yet when aardvark-dns started (for an IPv6 gateway, duplicate address detection not finished, containers/aardvark-dns#725), and is by the time of collection.`;
      summary = f.address.includes(':')
        ? 'Start the container again; to keep it from recurring, turn off duplicate address detection for new interfaces (all and default), or recreate the network without IPv6.'
        : 'Start the container again; if it recurs, collect `ip monitor address` while it starts.';
      commands = f.address.includes(':')
        ? ['sysctl -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0', 'podman start <container>']
        : ['ip monitor address   # while the container starts', 'podman start <container>'];
      break;
    case 'absent':
      why =
        ` No address line of the bundle's ip addr (${files(artifacts)}) holds ${f.address}: the network's gateway was not on its bridge when the bundle was collected (or the bridge is gone)` +
        (f.address.includes(':') ? '; an IPv6 gateway that is still tentative when aardvark-dns starts fails the same way (duplicate address detection, containers/aardvark-dns#725).' : '.');
      summary = f.address.includes(':')
        ? "Check the bridge's IPv6 address while the container starts (tentative: turn off duplicate address detection for new interfaces, all and default, or recreate the network without IPv6); else compare the network's gateway with the bridge's addresses and recreate the network if they differ."
        : "Compare the network's gateway with the bridge's addresses; recreate the network if they differ.";
      commands = [
        'podman network inspect <network>   # network_interface, subnets, gateway',
        ...(f.address.includes(':') ? ['ip -6 addr show | grep -e tentative -e dadfailed', 'sysctl -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0   # if the gateway shows tentative'] : ['ip addr show']),
      ];
      break;
    case 'published': {
      const p = cause.ports[0];
      for (const x of cause.ports.slice(0, 3)) evidence.push({ file: x.ref.file, line: x.ref.line, excerpt: x.excerpt, note: `${x.name ?? x.container} publishes port ${x.hostPort}/${x.protocol} on ${x.hostIp ?? 'every address'}` });
      why = ` Container ${p.name ?? p.container} publishes port ${p.hostPort}/${p.protocol} on ${p.hostIp ?? 'every address'}, which includes the gateway (errno 98, EADDRINUSE; containers/netavark#1470).`;
      summary = `Publish ${p.name ?? p.container}'s DNS port on one host address only (not the network gateway), or move aardvark-dns to another port with dns_bind_port in containers.conf; then restart the containers.`;
      commands = [
        `podman run ... -p <host IP>:${p.hostPort}:${p.containerPort}/${p.protocol} ...   # in place of -p ${p.hostPort}:${p.containerPort}`,
        "# or /etc/containers/containers.conf (rootless: ~/.config/containers/containers.conf): [network] dns_bind_port = 1153",
      ];
      break;
    }
    case 'listener': {
      const s = cause.sockets[0];
      for (const x of cause.sockets.slice(0, 3)) evidence.push({ file: x.ref.file, line: x.ref.line, excerpt: x.excerpt, note: `${x.process ?? 'a process'} listens on ${x.address}:${x.port}/${x.proto}` });
      why = ` ${s.process ?? 'A process'} listens on ${s.address}:${s.port}/udp, which takes the gateway's port (errno 98, EADDRINUSE${/dnsmasq/i.test(s.process ?? '') ? '; containers/aardvark-dns#13' : ''}).`;
      summary = `Make ${s.process ?? 'that server'} listen on its own addresses only (dnsmasq: bind-interfaces with except-interface for the Podman bridges), or move aardvark-dns to another port with dns_bind_port in containers.conf.`;
      commands = [
        ...(/dnsmasq/i.test(s.process ?? '') ? ["# dnsmasq.conf: bind-interfaces and except-interface=podman* (or listen-address=<its own addresses>), then restart dnsmasq"] : []),
        '# /etc/containers/containers.conf: [network] dns_bind_port = 1153',
        'ss -lunp | grep -w 53',
      ];
      break;
    }
    case 'in-use':
      why = ` Another program holds port ${f.port} there (errno 98, EADDRINUSE); the bundle does not show which.`;
      summary = 'Find what listens on port 53 on the gateway or on every address (a container publishing 53, a host DNS server), and move it or aardvark-dns (dns_bind_port).';
      commands = ['ss -lunp | grep -w 53', "podman ps --format '{{.Names}} {{.Ports}}' | grep ':53->'"];
      break;
    default:
      why = f.reason ? ` aardvark-dns said: ${f.reason}.` : '';
      summary = "Read aardvark-dns's reason on the line; check the network's gateway and what listens on port 53.";
      commands = ['podman network inspect <network>', 'ip addr show', 'ss -lunp | grep -w 53'];
  }
  evidence.push(...infoEvidence(info));

  return {
    severity: 'critical',
    title:
      cause.kind === 'tentative'
        ? `aardvark-dns could not bind ${where}: the IPv6 gateway was still tentative (DAD)`
        : cause.kind === 'published' || cause.kind === 'listener' || cause.kind === 'in-use'
          ? `aardvark-dns could not bind ${where}: the port is already in use`
          : `aardvark-dns could not bind ${where}`,
    message:
      `On ${node}, aardvark-dns, the DNS server of a Podman netavark network, could not listen on ${where} (${f.matches.length} log line${f.matches.length > 1 ? 's' : ''}), so it did not start: containers on that network resolve neither the other containers' names nor outside names.` +
      why +
      rootlessClause(info) +
      versions(info),
    impact: 'Containers on the network get no DNS: name resolution of other containers and of outside names fails (and podman run fails where netavark gives up).',
    evidence,
    remedy: { summary, commands, ...(caution ? { caution } : {}) },
    facts: {
      address: f.address,
      port: f.port,
      ...(f.errno !== undefined ? { errno: f.errno } : {}),
      cause: cause.kind,
      ...(cause.kind === 'tentative' || cause.kind === 'present' ? { interface: cause.itf.name, flags: cause.addr.flags } : {}),
      ...(info?.rootless ? { rootless: info.rootless.rootless } : {}),
      ...(info?.rootlessNetworkCmd ? { rootlessNetworkCmd: info.rootlessNetworkCmd.value } : {}),
      ...(componentVersion(info?.aardvarkDns) ? { aardvarkDns: componentVersion(info?.aardvarkDns) } : {}),
      ...(componentVersion(info?.netavark) ? { netavark: componentVersion(info?.netavark) } : {}),
    },
    related: [BIND_SIGNATURE],
  };
}
