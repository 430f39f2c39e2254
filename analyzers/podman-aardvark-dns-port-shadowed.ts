/**
 * podman.aardvark-dns-port-shadowed: rootless Podman, a container publishing port 53 on every host address, and
 * netavark networks with DNS: the containers' DNS queries to their network gateway reach that container (pihole,
 * AdGuard ...) instead of aardvark-dns, so container names stop resolving on every rootless network
 * (containers/netavark#1470, podman-container-tools/podman#23226).
 *
 * Why rootless only: with rootless networking aardvark-dns and the networks' bridges live in the rootless network
 * namespace, and the published port is forwarded into that same namespace (pasta / rootlessport), where netavark's
 * port-forwarding DNAT for a port published on every address has no destination match (netavark src/firewall/nft.rs:
 * `fib daddr type local` jumps to NETAVARK-HOSTPORT-DNAT; a 0.0.0.0 mapping adds no `ip daddr`): the gateway is a
 * local address there, so a query to gateway:53 is sent to the published container. Publishing on one host address
 * adds `ip daddr <that address>` and the gateway is left alone (the ticket: "Binding the same container port to a
 * specific host IP address immediately restores correct inter-container DNS resolution"). A rootless user can bind
 * port 53 only with net.ipv4.ip_unprivileged_port_start <= 53, which the ticket sets.
 *
 * As root the same DNAT exists in the host namespace, but Podman also reserves the host port (conmon holds it open,
 * containers.conf enable_port_reservation) and aardvark-dns binds gateway:53 there too: the two collide loudly
 * (aardvark-dns `failed to bind udp listener on 10.89.0.1:53 ... (os error 98)`, podman.aardvark-dns-failed) rather than
 * silently; this analyzer leaves root to that one.
 *
 * Where the publish is read: podman ps / podman port --all (src/parsers/podman.ts, running containers) and the way a
 * container is started, a quadlet PublishPort= or a typed podman run -p (parsePodmanPublishDeclared). DNS-enabled
 * networks: podman network inspect (`"dns_enabled": true`); without it, networks created by `podman network create`
 * (and quadlet .network units) have DNS on by default while the default `podman` network has it off, so the bundle
 * cannot say: a warning that says so. Severity critical only where the bundle also shows container names failing to
 * resolve (log.dns-lookup-failed for a one-label name or a *.dns.podman name, or a lookup sent to a DNS network's gateway).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import type { LogMatch } from '../src/logs/index.js';
import type { PodmanNetwork, PodmanPublishedPort } from '../src/parsers/podman.js';
import { runtimeValue, type SysctlValue } from '../src/parsers/sysctl.js';
import { timeOf } from './lib/logs.js';

export const ID = 'podman.aardvark-dns-port-shadowed';

export default defineAnalyzer({
  id: ID,
  title: "A rootless container publishing port 53 on every address takes aardvark-dns's queries",
  description:
    "Rootless Podman with netavark DNS networks and a container publishing port 53 on all host addresses: the other containers' DNS queries to their gateway reach that container, not aardvark-dns, so container names stop resolving (containers/netavark#1470).",
  scope: 'node',
  // not run where the bundle shows neither; where it shows one, the other is asked for in the coverage (partly)
  requires: [],
  requiresOneOf: ['podmanInfo', 'podmanPorts'],
  optional: ['podmanInfo', 'podmanPorts', 'sysctl', 'logs', 'podmanNetworks'],
  analyze({ node, artifacts, partly }) {
    const rootless = (artifacts.podmanInfo ?? []).find((i) => i.rootless?.rootless && i.networkBackend?.value !== 'cni');
    const published53 = (artifacts.podmanPorts ?? []).some((l) => l.ports.some((p) => (p.running || p.declared !== undefined) && coversPort(p.hostPort, 53) && everyAddress(p.hostIp)));
    if (rootless && !artifacts.podmanPorts?.length)
      partly?.("rootless Podman runs here, but the bundle does not show its containers' published ports: a container publishing 53 on every address would take aardvark-dns's queries", ['podmanPorts']);
    if (published53 && !artifacts.podmanInfo?.length)
      partly?.('a Podman container publishes port 53 on every address, but podman info is not in the bundle: whether Podman runs rootless (where that takes aardvark-dns\'s queries) is unknown', ['podmanInfo']);
    return shadowedFindings(node, artifacts);
  },
});

export function shadowedFindings(node: string, artifacts: NodeArtifacts): FindingDraft[] {
  const info = (artifacts.podmanInfo ?? []).find((i) => i.rootless) ?? artifacts.podmanInfo?.[0];
  if (!info?.rootless?.rootless) return [];
  if (info.networkBackend?.value === 'cni') return [];

  const ports = (artifacts.podmanPorts ?? []).flatMap((l) => l.ports).filter((p) => (p.running || p.declared !== undefined) && coversPort(p.hostPort, 53) && everyAddress(p.hostIp) && onNetavark(p));
  if (ports.length === 0) return [];

  const networks = (artifacts.podmanNetworks ?? []).flatMap((n) => n.networks);
  const dnsNetworks = networks.filter((n) => n.dnsEnabled && (n.driver === undefined || n.driver === 'bridge'));
  // network inspect shows the networks and none has DNS: aardvark-dns does not run, nothing to shadow
  if (networks.length > 0 && dnsNetworks.length === 0) return [];

  const sysctl = runtimeValue(artifacts.sysctl ?? [], 'net.ipv4.ip_unprivileged_port_start')[0];
  const failures = nameFailures(artifacts, dnsNetworks);
  const p = ports[0];
  const who = p.name ?? p.container;
  const where = p.hostIp ?? 'every address';
  const how = p.declared === 'quadlet' ? 'its quadlet unit publishes' : p.declared === 'command' ? 'its podman run publishes' : 'publishes';

  const evidence: Evidence[] = ports.slice(0, 3).map((x) => ({
    file: x.ref.file,
    line: x.ref.line,
    excerpt: x.excerpt,
    note: `${x.name ?? x.container} publishes ${x.hostPort}/${x.protocol} on ${x.hostIp ?? 'every address'}${x.declared ? ` (${x.declared === 'quadlet' ? 'quadlet PublishPort=' : 'typed podman run'})` : x.running ? ', running' : ''}`,
  }));
  evidence.push({ file: info.rootless.ref.file, line: info.rootless.ref.line, excerpt: info.rootless.excerpt, note: 'rootless Podman' });
  if (info.rootlessNetworkCmd) evidence.push({ file: info.rootlessNetworkCmd.ref.file, line: info.rootlessNetworkCmd.ref.line, excerpt: info.rootlessNetworkCmd.excerpt, note: `rootless network command: ${info.rootlessNetworkCmd.value}` });
  for (const n of dnsNetworks.slice(0, 3)) evidence.push({ file: n.ref.file, line: n.ref.line, excerpt: n.excerpt, note: `network ${n.name} has DNS (aardvark-dns on ${n.gateways.join(', ') || 'its gateway'}:53)` });
  if (sysctl) evidence.push(sysctlEvidence(sysctl));
  for (const m of failures.slice(0, 3)) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: `a lookup of ${m.facts.lookup ?? 'a name'} failed`, ...timeOf(m) });

  const cmd = info.rootlessNetworkCmd?.value;
  const networkClause =
    dnsNetworks.length > 0
      ? ` podman network inspect shows DNS on ${dnsNetworks.map((n) => n.name).slice(0, 4).join(', ')}${dnsNetworks.length > 4 ? ' ...' : ''}.`
      : ' The bundle has no podman network inspect: networks made with podman network create (or a quadlet .network) have DNS on by default, the default network `podman` has it off; this applies if the containers use such a network.';
  const sysctlClause = sysctl ? ` net.ipv4.ip_unprivileged_port_start is ${sysctl.value}${sysctl.typed ? ' (typed as a command)' : ''}, which lets a rootless user publish port 53.` : '';
  const failClause = failures.length > 0 ? ` The bundle shows container name lookups failing (${failures.length} line${failures.length > 1 ? 's' : ''}).` : '';
  const protocolHint = p.protocol.includes('udp') ? `${p.containerPort}/udp` : `${p.containerPort}/${p.protocol}`;

  return [
    {
      severity: failures.length > 0 ? 'critical' : 'warning',
      title: `Rootless Podman: ${who} publishes port 53 on every address, which takes aardvark-dns's queries`,
      message:
        `On ${node}, rootless Podman${cmd ? ` (${cmd})` : ''} runs ${who}, and ${how} port ${p.hostPort}/${p.protocol} on ${where}. ` +
        "With rootless networking aardvark-dns answers on each network's gateway, port 53, inside the rootless network namespace, and a port published on every address is forwarded in that same namespace with no address to match: the other containers' DNS queries to their gateway go to " +
        `${who} instead of aardvark-dns, so container names stop resolving on every rootless network (containers/netavark#1470).` +
        (p.declared === undefined
          ? ` This holds where ${who} is on a netavark network (podman network ls; \`podman inspect ${who} --format '{{.HostConfig.NetworkMode}}'\`): a container run with --network pasta or slirp4netns, or with no --network (rootless Podman's default), gets its port straight from pasta/slirp4netns and takes nothing from aardvark-dns.`
          : ` ${who} is on the network ${p.network}, a netavark network whose port forward runs in that namespace.`) +
        networkClause +
        sysctlClause +
        failClause,
      impact: "Containers on the rootless Podman networks cannot resolve each other's names (or get the published DNS server's answers instead).",
      evidence,
      remedy: {
        summary: `Publish ${who}'s port 53 on one host address only (the address clients use, not every address), then recreate the container; containers.conf's dns_bind_port, which moves aardvark-dns off port 53, is documented for rootful bridge networks only.`,
        commands: [
          `podman run ... -p <host IP>:53:${protocolHint} ...   # in place of -p 53:${protocolHint}; also the tcp mapping if there is one`,
          `# quadlet: PublishPort=<host IP>:53:${protocolHint}   then: systemctl --user daemon-reload && systemctl --user restart ${who}`,
          "podman ps --format '{{.Names}} {{.Ports}}' | grep ':53->'   # check: no 0.0.0.0:53 or [::]:53 left",
        ],
        caution: 'Clients that reached the DNS server through another host address (or 127.0.0.1) need that address published too, one -p per address.',
      },
      facts: {
        container: who,
        hostPort: p.hostPort,
        protocol: p.protocol,
        hostIp: p.hostIp ?? '',
        from: p.declared ?? 'listing',
        rootlessNetworkCmd: cmd ?? '',
        dnsNetworks: dnsNetworks.map((n) => n.name),
        ...(sysctl ? { unprivilegedPortStart: sysctl.value } : {}),
        nameLookupsFailing: failures.length,
      },
      related: ['log.dns-lookup-failed', 'podman.aardvark-dns-failed'],
    },
  ];
}

function coversPort(hostPort: string, port: number): boolean {
  const [a, b] = hostPort.split('-').map(Number);
  return b === undefined ? a === port : a <= port && port <= b;
}

/** no host address (podman ps `53->53/udp`, `-p 53:53`), 0.0.0.0, [::] or * */
function everyAddress(hostIp: string | undefined): boolean {
  if (hostIp === undefined) return true;
  const h = hostIp.replace(/^\[|\]$/g, '');
  return h === '' || h === '*' || h === '0.0.0.0' || h === '::';
}

function sysctlEvidence(v: SysctlValue): Evidence {
  return { file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `net.ipv4.ip_unprivileged_port_start = ${v.value}${v.typed ? ' (typed)' : ''}: rootless users may bind ports from ${v.value} up` };
}

/** failed lookups of container names: one label (`web`), `*.dns.podman`, or asked of a DNS network's gateway */
function nameFailures(artifacts: NodeArtifacts, dnsNetworks: PodmanNetwork[]): LogMatch[] {
  const gateways = new Set(dnsNetworks.flatMap((n) => n.gateways));
  return (artifacts.logs ?? []).flatMap((l) =>
    l.matches.filter((m) => {
      if (m.signature !== 'log.dns-lookup-failed') return false;
      const name = (m.facts.lookup ?? '').replace(/\.$/, '');
      if (m.facts.host && gateways.has(m.facts.host)) return true;
      return name !== '' && (!name.includes('.') || /\.dns\.podman$/i.test(name));
    }),
  );
}

/**
 * Whether the publish goes through netavark's port forward in the rootless namespace (where aardvark-dns listens):
 * a listed container (podman ps does not say its network: kept, the message says it applies to a netavark network),
 * or one declared on a named network or `bridge`. Declared with no network, pasta or slirp4netns: rootless Podman
 * forwards the port straight into the container's own namespace (Podman 5: pasta by default, 4: slirp4netns), not
 * through the rootless namespace; in a pod: the pod's network, not read here.
 */
function onNetavark(p: PodmanPublishedPort): boolean {
  if (p.declared === undefined) return true;
  if (p.network === undefined || p.network === 'pod') return false;
  return !/^(?:pasta|slirp4netns|private)(?::|$)/.test(p.network);
}
