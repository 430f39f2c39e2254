/**
 * firewalld.netavark-port-forwards-lost: Podman with netavark's firewalld driver forwards each
 * published port through a forward-port of the firewalld policy `netavark_portfwd`
 * (`port=8000:proto=tcp:toport=80:toaddr=10.88.0.8`). netavark creates the policy permanently but
 * adds the forward ports at runtime only, so a `firewall-cmd --reload` (or a firewalld restart)
 * leaves the policy in place and empty: the containers keep running, their ports stop answering
 * (containers/netavark#723). netavark >= 1.9 ships netavark-firewalld-reload.service, which
 * re-adds them on firewalld's Reloaded signal.
 *
 * Fires on a RUNTIME listing of netavark_portfwd (firewall-cmd --list-all-policies /
 * --info-policy; never the permanent configuration, which never holds them) when
 *  - podman ps / podman port --all show running containers publishing ports that the policy does
 *    not forward, or
 *  - without podman's listings, another runtime listing of the same policy in the bundle forwards
 *    ports this one has lost (a ticket's "before" and "after" pastes).
 * Quiet when podman's listings show no published port, and when netavark's own iptables chains or
 * nftables table are in the bundle (its iptables or nftables driver forwards the ports, not firewalld).
 *
 * Warning, not critical: the bundle shows the policy lost the ports, not that firewalld is the
 * driver those containers use now (a rootless container's ports never go through the policy;
 * a driver switched back to iptables leaves the permanent policy behind, empty).
 */
import { nftCutNote } from './lib/nft-cut.js';
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import type { FirewalldPolicies, FirewalldPolicy } from '../src/nft/firewalld.js';
import { publishedPorts, type PodmanPublishedPort } from '../src/parsers/podman.js';
import { findService, isActive } from '../src/parsers/services.js';
import { installedPackage, packageAtLeast, packageEvidence } from './lib/package-versions.js';

const POLICY = 'netavark_portfwd';
const RELOAD_UNIT = 'netavark-firewalld-reload.service';

function range(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** The policy forwards every port of the published range for that protocol. */
function forwards(policy: FirewalldPolicy, p: PodmanPublishedPort): boolean {
  const want = range(p.hostPort);
  if (!want) return true; // not understood: claim nothing
  for (let port = want[0]; port <= want[1] && port - want[0] < 65536; port++) {
    const hit = policy.forwardPorts.some((fp) => {
      const r = range(fp.port);
      return fp.protocol === p.protocol && r !== undefined && r[0] <= port && port <= r[1];
    });
    if (!hit) return false;
  }
  return true;
}

interface Listing {
  list: FirewalldPolicies;
  policy: FirewalldPolicy;
}

function policyEvidence(l: Listing, note: string): Evidence {
  const fp = l.policy.fieldRefs.forwardPorts;
  const shown = l.policy.forwardPorts.map((f) => `port=${f.port}:proto=${f.protocol}${f.toPort ? `:toport=${f.toPort}` : ''}${f.toAddr ? `:toaddr=${f.toAddr}` : ''}`);
  return {
    file: l.list.file,
    // the first forward port's line, else the (empty) forward-ports label
    line: l.policy.forwardPorts[0]?.ref.line ?? fp?.line ?? l.policy.ref.line,
    excerpt: `${l.policy.name}${l.policy.active ? ' (active)' : ''} forward-ports: ${shown.length ? shown.join(' ') : '(none)'}`,
    note,
  };
}

export default defineAnalyzer({
  id: 'firewalld.netavark-port-forwards-lost',
  title: "netavark's firewalld policy has lost the containers' published ports",
  description:
    "Podman's published ports are missing from the runtime forward-ports of netavark's firewalld policy netavark_portfwd (runtime-only rules that a firewalld reload drops).",
  scope: 'node',
  requires: ['firewalldPolicies'],
  optional: ['podmanPorts', 'iptables', 'nftables', 'services', 'packages'],
  analyze({ node, artifacts, partly }) {
    const runtime: Listing[] = [];
    for (const list of artifacts.firewalldPolicies) {
      if (list.config !== 'runtime') continue;
      for (const policy of list.policies) if (policy.name === POLICY) runtime.push({ list, policy });
    }
    if (runtime.length === 0) return [];
    // netavark's iptables / nftables driver forwards the ports itself: the policy is a leftover
    const netavarkChains = (artifacts.iptables ?? []).some((rs) => Object.values(rs.tables).some((t) => Object.keys(t.chains).some((c) => /^NETAVARK-/.test(c))));
    const netavarkTable = (artifacts.nftables ?? []).some((rs) => rs.tables.some((t) => t.name === 'netavark'));
    if (netavarkChains || netavarkTable) return [];
    // netavark's nftables driver's table may be in the part of a cut-off nft listing that is not in the file
    const cutNote = nftCutNote(artifacts.nftables ?? [], { name: 'netavark' });
    if (cutNote) {
      partly?.(`not checked: whether netavark forwards the ports itself (its nftables table netavark) cannot be told: ${cutNote}; collect the whole nft list ruleset`, ['nftables']);
      return [];
    }

    const podmanLists = artifacts.podmanPorts ?? [];
    const published = publishedPorts(podmanLists);
    if (podmanLists.length > 0 && published.length === 0) return [];

    const reloadUnit = findService(artifacts.services ?? [], RELOAD_UNIT);
    const unitActive = isActive(reloadUnit) !== undefined;
    // netavark's version where the package lists show it: the reload unit ships with 1.9 (its firewalld-reload
    // subcommand, containers/netavark releases v1.9.0); before that only a reload by hand puts the ports back
    const netavark = installedPackage(artifacts, ['netavark']);
    const hasUnit = netavark ? packageAtLeast(netavark, '1.9') : undefined;
    const unitLine = unitActive
      ? [`journalctl -u ${RELOAD_UNIT}`]
      : hasUnit === false
        ? [`# netavark ${netavark!.upstream} has no ${RELOAD_UNIT} (netavark 1.9 and later): upgrade netavark, or run podman network reload --all after each firewall-cmd --reload`]
        : [`systemctl enable --now ${RELOAD_UNIT}${hasUnit ? '' : '   # netavark >= 1.9; older: upgrade netavark, or run podman network reload --all after each firewall-cmd --reload'}`];
    const versionEvidence = netavark ? [packageEvidence(netavark, hasUnit ? `netavark ${netavark.upstream}: ships ${RELOAD_UNIT}` : `netavark ${netavark.upstream}: older than 1.9, no ${RELOAD_UNIT}`)] : [];
    const remedy = {
      summary: unitActive
        ? `Re-add the forward ports with podman network reload --all, then find out why ${RELOAD_UNIT} (running) did not: its journal.`
        : hasUnit === false
          ? `Re-add the forward ports with podman network reload --all (no container restarts). netavark ${netavark!.upstream} cannot re-add them by itself after a firewalld reload: upgrade to netavark 1.9 or later for ${RELOAD_UNIT}, or run the reload after every firewall-cmd --reload.`
          : `Re-add the forward ports with podman network reload --all (no container restarts), and let netavark re-add them after every firewalld reload: ${RELOAD_UNIT} (netavark >= 1.9).`,
      commands: [
        'podman network reload --all',
        `firewall-cmd --info-policy=${POLICY}   # the forward-ports are back`,
        ...unitLine,
      ],
      caution: 'netavark keeps these forward ports in the runtime configuration only, by design: do not copy them into the permanent configuration (a stopped container would keep its forward port).',
    };
    const findings = [];

    if (published.length > 0) {
      // the newest state the bundle has of the policy cannot be told from several listings: each is judged
      for (const l of runtime) {
        const lost = published.filter((p) => !forwards(l.policy, p));
        if (lost.length === 0) continue;
        const evidence: Evidence[] = [policyEvidence(l, l.policy.forwardPorts.length === 0 ? 'the running firewall: netavark_portfwd forwards nothing' : 'the running firewall: these forward ports only')];
        evidence.push(...versionEvidence);
        for (const p of lost.slice(0, 8)) evidence.push({ file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: `published ${p.hostIp ? p.hostIp + ':' : ''}${p.hostPort}->${p.containerPort}/${p.protocol}, not in the policy` });
        const ports = [...new Set(lost.map((p) => `${p.hostPort}/${p.protocol}`))];
        findings.push({
          severity: 'warning' as const,
          title: "netavark's firewalld policy has lost the containers' published ports",
          message:
            `On ${node}, running Podman containers publish ${ports.join(', ')}, but firewalld's runtime policy ${POLICY} ` +
            (l.policy.forwardPorts.length === 0 ? 'has no forward-ports at all' : `does not forward ${lost.length === 1 ? 'it' : 'them'}`) +
            `: netavark's firewalld driver adds them at runtime only, and a firewall-cmd --reload or firewalld restart drops them while the containers keep running.` +
            (unitActive ? ` ${RELOAD_UNIT} is running and should have re-added them.` : ''),
          impact: 'Clients of the published ports get no answer (connection refused or timed out) although the containers are up.',
          evidence,
          facts: { policy: POLICY, lostPorts: ports, policyForwardPorts: l.policy.forwardPorts.length, reloadUnitActive: unitActive || undefined },
          remedy,
        });
      }
      return findings;
    }

    // no podman listing: several runtime listings of the policy, one forwarding ports another has lost
    const withPorts = runtime.filter((l) => l.policy.forwardPorts.length > 0);
    const empty = runtime.filter((l) => l.policy.forwardPorts.length === 0);
    if (withPorts.length === 0 || empty.length === 0) return [];
    const before = withPorts[0];
    for (const l of empty) {
      const ports = [...new Set(before.policy.forwardPorts.map((f) => `${f.port}/${f.protocol}`))];
      findings.push({
        severity: 'warning' as const,
        title: "netavark's firewalld policy has lost the containers' published ports",
        message:
          `On ${node}, one listing of firewalld's runtime policy ${POLICY} forwards ${ports.join(', ')} to the containers (${before.list.file}), another has no forward-ports (${l.list.file}). ` +
          `netavark's firewalld driver adds them at runtime only: a firewall-cmd --reload or firewalld restart between the two drops them while the containers keep running. ` +
          `(Stopping the container also removes its forward ports: podman ps tells the two apart.)`,
        impact: 'Clients of the published ports get no answer although the containers are up.',
        evidence: [policyEvidence(before, 'netavark_portfwd with the published ports'), policyEvidence(l, 'netavark_portfwd without them')],
        facts: { policy: POLICY, lostPorts: ports, policyForwardPorts: 0 },
        remedy: { ...remedy, commands: ['podman ps   # the containers that publish ports are still up', ...remedy.commands] },
      });
    }
    return findings;
  },
});
