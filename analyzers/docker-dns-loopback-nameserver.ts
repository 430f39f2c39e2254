/**
 * docker.dns-loopback-nameserver: Docker is told to give containers a loopback DNS server (daemon.json
 * `"dns": ["127.0.0.53"]`, dockerd `--dns 127.0.0.53`), or a container's resolv.conf lists one. Inside a
 * container's network namespace 127.0.0.0/8 and ::1 are the container itself: nothing listens there, and every
 * lookup fails (`Temporary failure resolving 'archive.ubuntu.com'`, debops/debops#1929).
 *
 * Docker's behaviour (moby libnetwork sandbox_dns_unix.go, internal/resolvconf):
 * - from the host's own resolv.conf Docker drops loopback nameservers (falling back to 8.8.8.8 / 8.8.4.4:
 *   log.docker-dns-fallback-public), and the embedded DNS 127.0.0.11 of user-defined networks asks them from the
 *   host's namespace (`# ExtServers: [host(127.0.0.53)]`): the host's 127.0.0.53 is fine there;
 * - servers named explicitly (--dns, daemon.json "dns") are used as written: on the default bridge they go into
 *   the container's resolv.conf, and on user-defined networks 127.0.0.11 forwards to them from the container's
 *   own namespace ("Overriding the nameserver with a localhost address means use the container's loopback
 *   interface, not the host's", since moby/moby#38512; footer `# ExtServers: [127.0.0.53]`, no host()). Both
 *   kinds of network are hit; only --network host containers (the host's own loopback) are not.
 *
 * - critical: such a setting or file, and lookups failing in the bundle's logs (log.dns-lookup-failed, H84).
 * - warning: the setting or file, no failing lookup in the logs.
 * - quiet: the host's own resolv.conf with 127.0.0.53 (normal; kubernetes.dns-forwarding-loop judges what kubelet
 *   hands pods); a container's 127.0.0.11 (Docker's embedded DNS) whose servers are asked from the host.
 *
 * docker.dns-fallback-resolvers (info): a container's or build's resolv.conf holding only Docker's built-in
 * fallback servers (moby/buildkit#5009: buildkitd in a container sees the host's stub and not
 * /run/systemd/resolve/resolv.conf). Kept here, not in log-signatures.ts: it reads the same container files; it is
 * left out when log.docker-dns-fallback-public already reports the fallback.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import { dnsLookupKind } from '../src/logs/signatures-dns.js';
import { dockerdArgs, dockerdSettings } from '../src/parsers/dockerd-flags.js';
import {
  DOCKER_DEFAULT_NAMESERVERS,
  DOCKER_EMBEDDED_DNS,
  dockerdDnsFlags,
  resolvConfFiles,
  type DnsServerSetting,
  type ResolvConfFile,
} from '../src/parsers/resolv-conf.js';
import type { Evidence } from '../src/report/schema.js';

export const DNS_LOOKUP_FAILED = 'log.dns-lookup-failed';
const FALLBACK_LOG = 'log.docker-dns-fallback-public';
const FALLBACK_ID = 'docker.dns-fallback-resolvers';
const MAX_LOG_EVIDENCE = 4;

interface Named {
  where: 'daemon.json' | 'flag' | 'container' | 'inspect';
  server: DnsServerSetting;
  note: string;
  file?: ResolvConfFile;
}

function containerWord(f: ResolvConfFile): string {
  return f.owner === 'buildkit' ? "a build's resolv.conf" : f.owner === 'podman-container' ? "a Podman container's resolv.conf" : "a container's resolv.conf";
}

/** lookups that failed for want of an answer (not NXDOMAIN: a resolver answered), asked of no server or of one named here */
function failingLookups(artifacts: NodeArtifacts, loopback: Set<string>): LogMatch[] {
  const out: LogMatch[] = [];
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      if (m.signature !== DNS_LOOKUP_FAILED) continue;
      const kind = dnsLookupKind(m.facts);
      if (kind === undefined || kind === 'nxdomain' || kind === 'servfail' || kind === 'rejected') continue;
      const host = m.facts.host?.replace(/^\[|\]$/g, '');
      if (host !== undefined && !loopback.has(host)) continue;
      out.push(m);
    }
  out.sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
  return out;
}

export default defineAnalyzer({
  id: 'docker.dns-loopback-nameserver',
  title: 'Docker gives containers a loopback DNS server',
  description:
    "daemon.json \"dns\", dockerd --dns or a container's resolv.conf names a loopback nameserver (127.0.0.53, 127.0.0.1, ::1; not Docker's own 127.0.0.11): inside a container that is the container itself, so lookups fail. Critical with failing lookups in the logs. Also (info, docker.dns-fallback-resolvers) a container's or build's resolv.conf with only Docker's fallback 8.8.8.8 / 8.8.4.4.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['resolvConf', 'dockerDaemon', 'dockerPs'],
  optional: ['resolvConf', 'dockerDaemon', 'logs', 'dockerPs'],
  analyze({ artifacts, partly }) {
    const out: FindingDraft[] = [];
    const named: Named[] = [];
    for (const c of artifacts.dockerDaemon ?? [])
      if ((c.origin ?? 'daemon.json') === 'daemon.json')
        for (const s of c.dns ?? []) if (s.loopback) named.push({ where: 'daemon.json', server: s, note: `daemon.json "dns" names ${s.address}, a loopback address: Docker hands it to containers as it is` });
    const settings = dockerdSettings(artifacts.dockerDaemon);
    if (settings.commandLine)
      for (const s of dockerdDnsFlags(dockerdArgs(settings.commandLine.text) ?? [], settings.commandLine.ref, settings.commandLine.excerpt))
        if (s.loopback) named.push({ where: 'flag', server: s, note: `dockerd runs with --dns ${s.address}, a loopback address: Docker hands it to containers as it is` });
    const files = resolvConfFiles(artifacts.resolvConf).filter((f) => f.owner !== undefined);
    let userDefined = false;
    let defaultBridge = false;
    const hitContainers: string[] = [];
    for (const ps of artifacts.dockerPs ?? [])
      for (const c of ps.containers) {
        // --network host: the container's loopback is the host's, where the stub answers; none: no DNS at all
        if (c.networkMode === 'host' || c.networkMode === 'none' || c.networkMode?.startsWith('container:')) continue;
        const loop = (c.dns ?? []).filter((s) => s.loopback);
        if (loop.length === 0) continue;
        const name = c.name ?? c.id.slice(0, 12);
        const net = c.networkMode === undefined ? '' : c.networkMode === 'default' || c.networkMode === 'bridge' ? ', default bridge' : `, user-defined network ${c.networkMode}`;
        if (c.networkMode === 'default' || c.networkMode === 'bridge') defaultBridge = true;
        else if (c.networkMode !== undefined) userDefined = true;
        hitContainers.push(`${name}${net}`);
        for (const s of loop) named.push({ where: 'inspect', server: s, note: `container ${name}${net} was created with --dns ${s.address} (HostConfig.Dns), a loopback address: inside it, nothing answers there` });
      }
    // Docker (and Podman) drop loopback servers when they write a bridge container's resolv.conf from the host's: a
    // loopback line with no setting that names it (daemon.json dns, --dns, HostConfig.Dns) and no Docker header or
    // footer is a --network host container's copy of the host's file, whose loopback is the host's (R28 08)
    const explicit = named.length > 0;
    const hostCopies: ResolvConfFile[] = [];
    for (const f of files) {
      if (!explicit && !f.docker && f.owner !== 'buildkit' && f.nameservers.some((n) => n.loopback && n.address !== DOCKER_EMBEDDED_DNS)) {
        hostCopies.push(f);
        continue;
      }
      for (const n of f.nameservers)
        if (n.loopback && n.address !== DOCKER_EMBEDDED_DNS) {
          defaultBridge = true;
          named.push({ where: 'container', server: n, file: f, note: `${containerWord(f)} lists ${n.address}: inside the container that is its own loopback, where nothing answers DNS` });
        }
      // user-defined networks: 127.0.0.11 forwards to servers asked from the container's namespace (no host(...))
      for (const e of f.docker?.extServers ?? [])
        if (!e.hostNamespace && /^(127\.|::1$)/.test(e.address)) {
          userDefined = true;
          named.push({ where: 'container', server: { address: e.address, loopback: true, ref: e.ref, excerpt: e.excerpt }, file: f, note: `Docker's embedded DNS 127.0.0.11 forwards to ${e.address} from the container's own network namespace (no host(...) in the footer): nothing answers there` });
        }
    }

    if (hostCopies.length > 0)
      partly?.(
        `${hostCopies.map((f) => f.file).join(', ')} ${hostCopies.length > 1 ? 'list' : 'lists'} a loopback nameserver without Docker's generated header or footer, and the bundle names no --dns or daemon.json "dns": Docker drops loopback servers when it writes a bridge container's resolv.conf, so this is a --network host container's copy of the host's file (its loopback is the host's, where the stub answers), not judged. If the container is on a bridge network, its resolv.conf was mounted over: check docker inspect's HostConfig.NetworkMode and Mounts`,
      );
    if (named.length > 0) {
      const addrs = [...new Set(named.map((n) => n.server.address))];
      const lines = failingLookups(artifacts, new Set(addrs));
      const critical = lines.length > 0;
      const setting = named.filter((n) => n.where === 'daemon.json' || n.where === 'flag');
      const inFiles = named.filter((n) => n.where === 'container');
      const stub = addrs.includes('127.0.0.53');
      const said = `${stub ? "127.0.0.53 is systemd-resolved's stub on the host" : `${addrs.join(', ')} ${addrs.length > 1 ? 'are loopback addresses' : 'is a loopback address'}`}, but inside a container's network namespace 127.0.0.0/8 and ::1 are the container itself, where no DNS server listens`;
      const whoSetting =
        setting.length > 0
          ? ` Docker uses servers named by ${setting.some((n) => n.where === 'daemon.json') ? 'daemon.json "dns"' : 'dockerd --dns'} as written: on the default bridge they go into each container's resolv.conf, and on user-defined networks (Compose projects) Docker's embedded DNS 127.0.0.11 forwards to them from the container's own namespace (moby/moby#38512), so every container created with this setting is hit, on either kind of network; only --network host containers are not. (From the host's own resolv.conf Docker drops loopback servers itself; that is not the case here.)`
          : '';
      const whoFiles =
        inFiles.length > 0
          ? ` ${defaultBridge ? 'A nameserver line of its own is a container on the default bridge (or one started with --dns).' : ''}${userDefined ? " A footer with ExtServers outside host(...) is a container on a user-defined network whose embedded DNS forwards inside the container." : ''} Files: ${[...new Set(inFiles.map((n) => n.file!.file))].join(', ')}.`
          : '';
      const whoInspect = hitContainers.length > 0 ? ` Containers created with such a --dns (docker inspect): ${hitContainers.slice(0, 8).join('; ')}${hitContainers.length > 8 ? ` and ${hitContainers.length - 8} more` : ''}.` : '';
      const logEvidence: Evidence[] = lines.slice(0, MAX_LOG_EVIDENCE).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'a lookup that got no answer' }));
      out.push({
        severity: critical ? 'critical' : 'warning',
        title: critical ? 'Containers cannot resolve names: Docker gives them a loopback DNS server' : 'Docker gives containers a loopback DNS server: their lookups go nowhere',
        message: `${critical ? `Lookups fail in the bundle's logs (${lines.length} line${lines.length > 1 ? 's' : ''}), and ` : ''}Docker gives containers the DNS server${addrs.length > 1 ? 's' : ''} ${addrs.join(', ')}: ${said}.${whoSetting}${whoFiles}${whoInspect}${critical ? '' : ' No failing lookup is in the bundle\'s logs; inside a container, getent hosts <name> or apt-get update shows it (Temporary failure resolving ...).'}`,
        impact: 'Containers (and docker build RUN steps) cannot resolve any name: package installs, image pulls from inside containers and connections by name fail.',
        evidence: [...named.map((n) => ({ file: n.server.ref.file, line: n.server.ref.line, excerpt: n.server.excerpt, note: n.note })), ...logEvidence],
        remedy: {
          summary:
            setting.length > 0
              ? `Remove "dns" from /etc/docker/daemon.json (or --dns from dockerd's command line) so Docker takes the host's real upstreams itself, or name real upstream servers there (resolvectl status lists them; /run/systemd/resolve/resolv.conf holds them); restart docker, then recreate the containers (a running container keeps its resolv.conf).`
              : 'Give the container real upstream servers: remove --dns <loopback> from how it is started (docker run, compose "dns:"), or name real upstreams there (resolvectl status lists them; /run/systemd/resolve/resolv.conf holds them); check daemon.json "dns" too; then recreate the container.',
          commands: [
            "grep -n -A3 '\"dns\"' /etc/docker/daemon.json   # a 127.x or ::1 here is handed to containers as it is",
            'resolvectl status | grep -i "dns servers"   # the real upstreams (or: grep nameserver /run/systemd/resolve/resolv.conf)',
            "jq 'del(.dns)' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json   # or .dns = [\"<upstream IP>\"]",
            'systemctl restart docker',
            'docker compose up -d --force-recreate   # or docker rm -f / docker run again: containers keep the resolv.conf they were created with',
          ],
          caution: 'Restarting docker restarts every container unless live-restore is on; recreating a container loses what was written inside it outside volumes.',
        },
        facts: { loopback: addrs, setBy: [...new Set(named.map((n) => n.where))], failingLookups: lines.length, ...(inFiles.length || hitContainers.length ? { defaultBridge, userDefined } : {}), ...(hitContainers.length ? { containers: hitContainers } : {}) },
        ...(lines[0]?.timestamp ? { firstSeen: lines[0].timestamp.iso, lastSeen: lines.at(-1)!.timestamp?.iso } : {}),
      });
    }

    // ---- docker.dns-fallback-resolvers ----------------------------------------------------------------
    const fallbackLogged = (artifacts.logs ?? []).some((l) => l.matches.some((m) => m.signature === FALLBACK_LOG));
    if (!fallbackLogged)
      for (const f of files) {
        const ns = f.nameservers.map((n) => n.address);
        const onlyDefaults = ns.length > 0 && ns.every((a) => DOCKER_DEFAULT_NAMESERVERS.includes(a)) && ns.includes('8.8.8.8') && ns.includes('8.8.4.4');
        const extDefaults = (f.docker?.extServers ?? []).length > 0 && f.docker!.extServers!.every((e) => DOCKER_DEFAULT_NAMESERVERS.includes(e.address));
        if (!onlyDefaults && !f.docker?.usedDefaults && !extDefaults) continue;
        const build = f.owner === 'buildkit';
        const evidence: Evidence[] = [
          ...f.nameservers.map((n) => ({ file: n.ref.file, line: n.ref.line, excerpt: n.excerpt, note: DOCKER_DEFAULT_NAMESERVERS.includes(n.address) ? `${n.address}: one of Docker's built-in fallback servers (Google Public DNS)` : n.address })),
          ...(f.docker?.usedDefaults ? [{ file: f.docker.usedDefaults.ref.file, line: f.docker.usedDefaults.ref.line, excerpt: f.docker.usedDefaults.excerpt, note: 'Docker says it fell back to its default nameservers' }] : []),
        ];
        out.push({
          id: FALLBACK_ID,
          severity: 'info',
          title: build ? "Builds resolve through Google's public DNS, not the host's resolvers" : "A container resolves through Docker's fallback (Google's public DNS), not the host's resolvers",
          message: `${containerWord(f)[0].toUpperCase()}${containerWord(f).slice(1)} (${f.file}) holds only the fallback servers Docker and BuildKit use when the host's resolv.conf gives them no usable nameserver (8.8.8.8, 8.8.4.4, 2001:4860:4860::8888, 2001:4860:4860::8844): the host's real resolvers were not passed on, most often because the host's /etc/resolv.conf is systemd-resolved's stub 127.0.0.53 and ${build ? 'buildkitd, running in a container, cannot see /run/systemd/resolve/resolv.conf (moby/buildkit#5009)' : 'Docker dropped it'}. Names only the site's DNS knows do not resolve, and where outbound DNS to public servers is blocked nothing resolves. A host that uses 8.8.8.8 itself is fine.`,
          impact: 'Internal names (registries, package mirrors, proxies) do not resolve in containers or builds; on networks that block public DNS, no name resolves.',
          evidence,
          remedy: build
            ? {
                summary: 'Give BuildKit the real resolvers: mount /run/systemd/resolve into the buildkitd container, or set them in buildkitd.toml ([dns] nameservers = ["<resolver IP>"]), or update BuildKit; then recreate the builder.',
                commands: [
                  'grep nameserver /run/systemd/resolve/resolv.conf   # the host\'s real upstreams',
                  "printf '[dns]\\n  nameservers = [\"<resolver IP>\"]\\n' > buildkitd.toml && docker buildx create --use --config buildkitd.toml   # a builder with the site's resolvers",
                ],
              }
            : {
                summary: "Give Docker the site's resolvers: \"dns\": [\"<resolver IP>\"] in /etc/docker/daemon.json (merged into the settings there), restart docker and recreate the container; or give the host non-loopback nameservers in /etc/resolv.conf.",
                commands: [
                  'grep nameserver /etc/resolv.conf /run/systemd/resolve/resolv.conf   # what Docker could have used',
                  "jq '.dns = [\"<resolver IP>\"]' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json",
                  'systemctl restart docker',
                ],
                caution: 'Restarting docker restarts every container unless live-restore is on.',
              },
          facts: { file: f.file, owner: f.owner, nameservers: ns },
        });
      }
    return out;
  },
});
