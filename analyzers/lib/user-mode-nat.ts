/**
 * H75: DNS lookups that time out at a user-mode NAT's own resolver, not at a server on the network.
 *
 * 10.0.2.3 is the built-in DNS forwarder of two user-mode NATs (no packet leaves the machine for it: the
 * NAT process answers it by asking the nameservers the host uses):
 * - slirp4netns (rootless Docker through RootlessKit, rootless Podman, nerdctl): default CIDR 10.0.2.0/24,
 *   gateway .2, DNS .3, the namespace's tap address .100 (slirp4netns(1): "IP will be set to 10.0.2.100";
 *   https://manpages.debian.org/unstable/slirp4netns/slirp4netns.1.en.html). Sandboxed (--enable-sandbox,
 *   RootlessKit's --slirp4netns-sandbox=auto) it sees only /etc and /run of the host, and "Requires
 *   /etc/resolv.conf not to be a symlink to a file outside /etc and /run" (slirp4netns.1.md):
 *   rootless-containers/slirp4netns#329 (openSUSE's /var/run/netconfig/resolv.conf), #315 (a link through
 *   /var/run/systemd/resolve/stub-resolv.conf; /run/systemd/resolve/stub-resolv.conf works), #318 (v1.2.1
 *   follows some such links); a nameserver on the host's IPv6 loopback with --disable-host-loopback (#93).
 * - VirtualBox NAT (Vagrant boxes): the guest 10.0.2.15, gateway 10.0.2.2, DNS proxy 10.0.2.3; it fails when the
 *   host's resolver changes under it (VPN, another Wi-Fi) or its host-resolver mode does not suit the host
 *   (VBoxManage modifyvm --natdnshostresolver1; rancher/quickstart#43 needed it off).
 *
 * A line's own socket pair says which: `read udp 10.0.2.100:48971->10.0.2.3:53` is slirp4netns' namespace,
 * `read udp 10.0.2.15:58957->10.0.2.3:53` a VirtualBox guest; 10.0.2.3 from an address outside 10.0.2.0/24
 * is an ordinary server (unless rootless Docker's containers, 172.16.0.0/12 inside RootlessKit, ask it).
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch } from '../../src/logs/index.js';
import { addressIn } from '../../src/parsers/cidr.js';
import { rootlessDocker } from '../../src/parsers/docker-rootless.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';
import type { Evidence } from '../../src/report/schema.js';

export const SLIRP_DNS_FINDING = 'rootless.slirp4netns-dns-timeout';
const SLIRP_NET = '10.0.2.0/24';
const USER_NAT_DNS = '10.0.2.3';
const SLIRP_TAP = '10.0.2.100';
/** a rootless engine's own line: RootlessKit, slirp4netns, a user's runtime directory's API socket */
const ROOTLESS_LINE = /\bslirp4netns\b|\brootlesskit\b|dockerd-rootless\.sh|\/run\/user\/\d{1,10}\/(?:docker|podman)(?:\/podman)?\.sock/;

export interface RootlessSign {
  file: string;
  line: number;
  excerpt: string;
  note: string;
  engine: 'docker' | 'podman' | 'unknown';
}

export interface UserModeNatLines {
  /** lookups to slirp4netns' forwarder from its namespace */
  slirp: LogMatch[];
  /** lookups to VirtualBox NAT's DNS proxy from its guest */
  virtualbox: LogMatch[];
  /** what the bundle shows of a rootless engine (the strongest first) */
  signs: RootlessSign[];
  /** the host's own lookups to its own nameservers (resolv.conf's, systemd-resolved's stub) that time out too */
  hostResolver: LogMatch[];
}

/** a lookup that got no answer: Go's `i/o timeout`, glibc's / systemd-resolved's wordings */
const LOOKUP_TIMEOUT = /i\/o timeout|timed? ?out|no servers could be reached/i;

/** What the node shows of a rootless container engine: rootless Docker's clues, a rootless engine's own log lines, slirp4netns' tap address. */
export function rootlessSigns(artifacts: NodeArtifacts): RootlessSign[] {
  const out: RootlessSign[] = [];
  const r = rootlessDocker(artifacts);
  if (!r.rootful)
    for (const c of r.clues.slice(0, 2))
      out.push({ file: c.ref.file, line: c.ref.line, excerpt: c.excerpt, note: `rootless Docker (${c.kind === 'docker-info' ? 'docker info lists rootless' : c.kind}): dockerd runs in RootlessKit's namespace behind slirp4netns`, engine: 'docker' });
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      if (out.length >= 4) break;
      if (!ROOTLESS_LINE.test(m.excerpt) && !/^(?:slirp4netns|rootlesskit)$/.test(m.unit ?? '')) continue;
      if (out.some((s) => s.file === m.file && s.line === m.line)) continue;
      out.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'a rootless engine\'s own line', engine: /podman/.test(m.excerpt) ? 'podman' : /docker/.test(m.excerpt) ? 'docker' : 'unknown' });
    }
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values())
    for (const a of i.addresses)
      if (a.address === SLIRP_TAP && /^tap\d/.test(i.name))
        out.push({ file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${i.name} ${SLIRP_TAP}: slirp4netns' tap device in a rootless namespace`, engine: 'unknown' });
  return out;
}

/** The node's own address in 10.0.2.0/24 other than slirp4netns' .100: a VirtualBox NAT guest's (10.0.2.15). */
function guestAddress(artifacts: NodeArtifacts): { address: string; ev: Evidence } | undefined {
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values())
    for (const a of i.addresses)
      if (a.family === 4 && a.address !== SLIRP_TAP && addressIn(a.address, SLIRP_NET) && !/^tap\d/.test(i.name))
        return { address: a.address, ev: { file: a.ref.file, line: a.ref.line, excerpt: a.excerpt, note: `${i.name} ${a.address}: the address VirtualBox NAT hands its guest` } };
  return undefined;
}

/**
 * the host's own lookups that time out at the host's nameservers: `lookup quay.io on 127.0.0.53:53: ...
 * i/o timeout` from the host (systemd-resolved's stub, or a nameserver of the host's resolv.conf), not from
 * 10.0.2.0/24 (a user-mode NAT's namespace or guest) or a container address. Docker's embedded DNS 127.0.0.11
 * is a container's. slirp4netns forwards 10.0.2.3's queries to these nameservers: when they do not answer the
 * host, they do not answer slirp4netns.
 */
function hostResolverLines(artifacts: NodeArtifacts): LogMatch[] {
  const servers = new Set<string>(['127.0.0.53']);
  for (const f of artifacts.resolvConf ?? [])
    if (f.format === 'resolv.conf' && (f.hostPath === undefined || f.hostPath === '/etc/resolv.conf' || f.hostPath.startsWith('/run/systemd/resolve/')))
      for (const n of f.nameservers) servers.add(n.address);
  servers.delete(USER_NAT_DNS);
  servers.delete('127.0.0.11');
  const out: LogMatch[] = [];
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches) {
      const host = m.facts.host;
      if (host === undefined || !servers.has(host) || (m.facts.port !== undefined && m.facts.port !== '53') || m.facts.lookup === undefined) continue;
      const src = m.facts.source;
      if (src && (addressIn(src, SLIRP_NET) || addressIn(src, '172.16.0.0/12'))) continue;
      if (!LOOKUP_TIMEOUT.test(m.excerpt)) continue;
      if (out.some((o) => o.file === m.file && o.line === m.line)) continue;
      out.push(m);
    }
  return out;
}

/** A Docker bridge's container address on the node: in docker0's / a user bridge's subnet, else Docker's default pool 172.16.0.0/12. */
function dockerBridgeSource(src: string, artifacts: NodeArtifacts): boolean {
  for (const i of interfacesOf(artifacts.ipAddr ?? []).values())
    if (/^(?:docker\d+|br-[0-9a-f]{12})$/.test(i.name))
      for (const a of i.addresses) if (a.family === 4 && a.address !== src && addressIn(src, a.network)) return true;
  return addressIn(src, '172.16.0.0/12');
}

/**
 * Sorts the timed-out lookups to 10.0.2.3:53 by who asked. The socket pair's source decides: 10.0.2.100 is
 * slirp4netns' namespace, another 10.0.2.x a VirtualBox guest, a Docker address (172.16.0.0/12) slirp4netns'
 * only where the bundle shows a rootless engine, anything else an ordinary server. A line without a source
 * goes by the node: a rootless engine, else a 10.0.2.x address of its own (VirtualBox), else ordinary.
 */
export function userModeNatLines(matches: readonly LogMatch[], artifacts: NodeArtifacts): UserModeNatLines {
  const signs = rootlessSigns(artifacts);
  const guest = guestAddress(artifacts);
  const slirp: LogMatch[] = [];
  const virtualbox: LogMatch[] = [];
  for (const m of matches) {
    if (m.facts.host !== USER_NAT_DNS || m.facts.port !== '53') continue;
    const src = m.facts.source;
    if (src === SLIRP_TAP) slirp.push(m);
    else if (src && addressIn(src, SLIRP_NET)) virtualbox.push(m);
    else if (src) {
      if (signs.length > 0 && addressIn(src, '172.16.0.0/12')) slirp.push(m);
      // a container of a VirtualBox guest: Docker NATs its lookup out of the guest's 10.0.2.x to the same proxy
      else if (signs.length === 0 && guest && dockerBridgeSource(src, artifacts)) virtualbox.push(m);
    } else if (signs.length > 0) slirp.push(m);
    else if (guest) virtualbox.push(m);
  }
  const hostResolver = slirp.length > 0 ? hostResolverLines(artifacts) : [];
  return { slirp, virtualbox, signs, hostResolver };
}

/** The finding of slirp4netns' forwarder not answering: what 10.0.2.3 is, the usual causes, checks and fixes. */
export function slirp4netnsDnsTimeout(node: string, matches: LogMatch[], count: number, signs: RootlessSign[], asEvidence: (m: LogMatch) => Evidence, hostLookups: readonly LogMatch[] = []): FindingDraft {
  // the host's own lookups that time out too: its resolver is the cause, the sandbox's view of it comes second
  const hostLines = hostLookups.filter((h) => !matches.includes(h));
  const hostDown = hostLines.length > 0;
  const hostCited = hostLines
    .slice(0, 2)
    .map((h) => `${h.file}:${h.line}${h.facts.lookup ? `, ${h.facts.lookup}` : ''} on ${h.facts.host}:53`)
    .join('; ');
  const hostServers = [...new Set(hostLines.map((h) => h.facts.host))].join(', ');
  const sandbox =
    "slirp4netns runs sandboxed (RootlessKit's --slirp4netns-sandbox=auto, dockerd-rootless.sh's default) and sees only the host's /etc and /run, so an /etc/resolv.conf that is a symlink to a file outside them (openSUSE netconfig's /var/run/netconfig/resolv.conf, any link through /var/run, WSL's /mnt/...) leaves it without nameservers (slirp4netns#329, #315; systemd-resolved's link to /run/systemd/resolve/stub-resolv.conf is fine)";
  const loopback = "a nameserver on the host's IPv6 loopback (::1) with --disable-host-loopback, which dockerd-rootless.sh passes (slirp4netns#93).";
  const hostFirstSaid = hostDown
    ? `The host's own resolver does not answer: the host's own lookups to its nameserver ${hostServers} time out too (${hostCited}), and slirp4netns only forwards 10.0.2.3's queries to that resolver, so the rootless namespace cannot resolve names until the host can: fix the host's DNS first. `
    : '';
  const causes = hostDown
    ? ` Only if the host resolves again and 10.0.2.3 still times out, look at the other causes: ${sandbox}; ${loopback}`
    : ` Usual causes: ${sandbox}; the host's own nameservers do not answer (the host's lookups fail too); ${loopback}`;
  const files = new Set(matches.map((m) => m.file));
  const names = [...new Set(matches.map((m) => m.facts.lookup).filter((x): x is string => !!x))];
  const sources = [...new Set(matches.map((m) => m.facts.source).filter((x): x is string => !!x))];
  const timed = matches.filter((m) => m.timestamp);
  const engines = new Set(signs.map((s) => s.engine));
  const docker = engines.has('docker') || !engines.has('podman');
  const podman = engines.has('podman') || !engines.has('docker');
  const from = sources.length ? `from ${sources.slice(0, 3).join(', ')} ` : '';
  const shown = signs.length
    ? ` The bundle shows a rootless engine (${signs.slice(0, 2).map((s) => `${s.file}:${s.line}`).join(', ')}).`
    : ' Nothing else in the bundle shows a rootless engine: the addresses in the lines say it.';
  const lookup = names[0] ?? 'registry-1.docker.io';
  const hostFirst = hostDown
    ? [
        `getent hosts ${lookup}   # on the host: its own resolver times out in the bundle; it must answer before 10.0.2.3 can`,
        ...(hostServers.split(', ').includes('127.0.0.53') ? ['resolvectl status   # on the host: the uplink DNS servers systemd-resolved asks (127.0.0.53 is only its stub)'] : []),
      ]
    : [];
  const commands = [
    ...hostFirst,
    'ls -l /etc/resolv.conf; readlink -f /etc/resolv.conf   # on the host: a link to a path outside /etc and /run (/var/run/..., /mnt/...) is what the sandboxed slirp4netns cannot follow',
    "grep '^nameserver' /etc/resolv.conf   # the host's nameservers: the ones slirp4netns forwards 10.0.2.3's queries to",
    ...(hostDown ? [] : [`getent hosts ${lookup}   # on the host, as the same user: do the host's own nameservers answer?`]),
    'sudo ln -sfn "$(readlink -f /etc/resolv.conf)" /etc/resolv.conf   # only where the link goes through /var/run and the file is under /run: the same file, through /run',
  ];
  if (docker)
    commands.push(
      '# rootless Docker, as its user: slirp4netns without its sandbox (or DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta to leave slirp4netns)',
      'mkdir -p ~/.config/systemd/user/docker.service.d',
      "printf '[Service]\\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false\"\\n' > ~/.config/systemd/user/docker.service.d/slirp4netns-sandbox.conf",
      'systemctl --user daemon-reload && systemctl --user restart docker',
    );
  if (podman)
    commands.push(
      '# rootless Podman, as its user: pasta instead of slirp4netns (Podman 4.4 and later)',
      "mkdir -p ~/.config/containers && printf '[network]\\ndefault_rootless_network_cmd = \"pasta\"\\n' >> ~/.config/containers/containers.conf",
    );
  return {
    id: SLIRP_DNS_FINDING,
    severity: 'warning',
    title: "Rootless containers: slirp4netns' DNS forwarder (10.0.2.3) does not answer",
    message:
      `${count} line${count > 1 ? 's' : ''} in ${files.size} log${files.size > 1 ? 's' : ''} on ${node}: DNS lookups ${names.length ? `of ${names.slice(0, 3).join(', ')} ` : ''}${from}to 10.0.2.3:53 timed out. ` +
      hostFirstSaid +
      "10.0.2.3 is slirp4netns' built-in DNS forwarder, and 10.0.2.100 the address slirp4netns gives the rootless network namespace it serves (rootless Docker's RootlessKit, rootless Podman, nerdctl): no firewall rule, route or remote server lies between them. slirp4netns, a process of the user, answers these queries by asking the nameservers of the host's /etc/resolv.conf, so a timeout means it got no answer from them." +
      shown +
      causes,
    evidence: [
      ...matches.slice(0, 10).map(asEvidence),
      ...hostLines.slice(0, 3).map((h) => ({ ...asEvidence(h), note: `the host's own lookup to its nameserver ${h.facts.host} times out too: the resolver slirp4netns forwards to does not answer` })),
      ...signs.slice(0, 2).map((s) => ({ file: s.file, line: s.line, excerpt: s.excerpt, note: s.note }))],
    facts: { count, lookups: names.slice(0, 10), sources, dns: USER_NAT_DNS, ...(hostDown ? { hostResolverDown: hostLines.map((h) => `${h.file}:${h.line}`) } : {}), ...(signs.length ? { rootlessSigns: signs.map((s) => `${s.file}:${s.line}`) } : {}) },
    firstSeen: timed[0]?.timestamp?.iso,
    lastSeen: timed[timed.length - 1]?.timestamp?.iso,
    impact: 'Image pulls, builds and containers of the rootless engine cannot resolve names; the host itself may resolve fine.',
    remedy: {
      summary:
        (hostDown
          ? `Fix the host's own DNS first: its lookups to ${hostServers} time out in the bundle (${hostCited}), and slirp4netns can only pass on what that resolver answers (check the nameservers it uses upstream, the network or VPN in front of them). Then, if 10.0.2.3 still times out while the host resolves: `
          : '') +
        "Check on the host, as the user that runs the rootless engine, where /etc/resolv.conf points and whether its nameservers answer. If it is a symlink to a file outside /etc and /run, point it at the same file under /run or make it a plain file (the tool that writes it, such as netconfig, may put the link back: fix it there too); or run slirp4netns without its sandbox (DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX=false for rootless Docker); or switch the rootless network to pasta, which uses the host's resolver without 10.0.2.3. If the host's own lookups time out too, fix the host's resolver first: the rootless namespace can do no better. No firewall change helps here.",
      commands,
      caution: 'Restarting rootless Docker stops its containers (those with a restart policy come back).',
    },
  };
}

/**
 * log.connection-timed-out whose lines are lookups to VirtualBox NAT's DNS proxy: said as such, with
 * VirtualBox's settings instead of firewall rules. All of them: the finding is reworded; some: a sentence for them.
 */
export function virtualBoxNatDns(draft: FindingDraft, all: LogMatch[], vbox: LogMatch[], meaning: string): void {
  if (vbox.length === 0) return;
  const sources = [...new Set(vbox.map((m) => m.facts.source).filter((x): x is string => !!x))];
  const guests = sources.filter((a) => addressIn(a, SLIRP_NET));
  // containers on the guest (Docker's bridge) reach the proxy through the guest's own NAT
  const containers = sources.filter((a) => !addressIn(a, SLIRP_NET));
  const who = [
    guests.length || containers.length === 0 ? `from ${guests.length ? guests.slice(0, 3).join(', ') : "the guest's address"}` : undefined,
    containers.length ? `from ${containers.slice(0, 3).join(', ')} (containers on the guest's Docker bridge, whose lookups Docker masquerades out of the guest's 10.0.2.x address)` : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(' and ');
  const said =
    `lookups ${who} to 10.0.2.3:53 are a VirtualBox guest's (Vagrant's boxes) asking VirtualBox NAT's built-in DNS proxy (the guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3): the proxy on the VM's host got no answer from the host's resolver. No firewall rule or route in the guest is involved; the VM's host resolver (a VPN, a changed network since the VM started) or VirtualBox's DNS mode is.`;
  const fix = {
    summary:
      "Fix DNS on the VM's host, or change how VirtualBox NAT answers: with the VM powered off, VBoxManage modifyvm <vm> --natdnshostresolver1 on (VirtualBox asks the host's own resolver API, following VPNs and network changes), or off where a Vagrantfile already turned it on and it fails (rancher/quickstart#43); in a Vagrantfile, vb.customize [\"modifyvm\", :id, \"--natdnshostresolver1\", \"on\"]. Restarting the VM (vagrant reload) picks up a host network that changed since it started.",
    commands: [
      'VBoxManage showvminfo <vm> --machinereadable | grep -i natdns   # on the VM\'s host: the DNS mode now',
      'VBoxManage modifyvm <vm> --natdnshostresolver1 on   # on the VM\'s host, the VM powered off',
      'getent hosts registry-1.docker.io   # on the VM\'s host: does its own resolver answer?',
    ],
  };
  if (vbox.length === all.length) {
    draft.title = "A VirtualBox guest's DNS lookups time out at VirtualBox NAT's DNS proxy (10.0.2.3)";
    draft.message = draft.message.replace(meaning, `${said[0].toUpperCase()}${said.slice(1)}`);
    draft.remedy = fix;
    draft.facts = { ...draft.facts, virtualBoxNat: true };
    return;
  }
  draft.message += ` Of these, the ${said}`;
  draft.remedy = { ...draft.remedy, summary: `${draft.remedy.summary} For the lookups to 10.0.2.3: ${fix.summary}`, commands: [...draft.remedy.commands, ...fix.commands] };
  draft.facts = { ...draft.facts, virtualBoxNatLines: vbox.length };
}
