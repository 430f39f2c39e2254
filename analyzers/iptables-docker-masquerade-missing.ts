/**
 * iptables.docker-masquerade-missing: a Docker bridge network has no MASQUERADE rule in nat
 * POSTROUTING, so container traffic leaves with container source addresses and other nodes'
 * firewalls drop it (seed 001: "not SNATed container packets were blocked").
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Chain, Rule } from '../src/netfilter/rules.js';
import { cidrContains, parseCidr } from '../src/parsers/cidr.js';
import type { NftRule, NftRuleset, NftValue } from '../src/nft/model.js';
import { findChain as findNftChain } from '../src/nft/model.js';
import type { Evidence } from '../src/report/schema.js';
import { dockerBridges, dockerPresence, liveViews, nativeNftables, reachableChains, type Bridge } from './lib/node-view.js';

export default defineAnalyzer({
  id: 'iptables.docker-masquerade-missing',
  title: 'No MASQUERADE for a Docker network',
  description: 'A Docker bridge subnet has no MASQUERADE (or SNAT) rule reachable from nat POSTROUTING, nor a masquerade in a native nftables table.',
  scope: 'node',
  // Docker's nftables back end (Docker 29+) does its NAT in its own nftables table: a bundle with
  // no iptables rules at all is checked from the nft listing
  requires: [],
  requiresOneOf: ['iptables', 'nftables'],
  optional: ['iptables', 'ipAddr', 'dockerNetworks', 'dockerDaemon', 'services', 'nftables'],
  partialWithout: { iptables: 'the iptables nat rules are not in the bundle: only nftables NAT was looked at' },
  analyze({ node, artifacts }) {
    const docker = dockerPresence(artifacts);
    // `"iptables": false`: Docker does no NAT by design
    if (docker.firewallOff) return [];
    const nftDocker = docker.nftBackend;
    // Docker writes no iptables rules with its nftables back end: then its own table must hold the masquerade
    if (docker.noIptables && !nftDocker) return [];
    const native = nativeNftables(artifacts);
    if (nftDocker && native.length === 0) return [];
    // each back end's POSTROUTING runs (legacy and nf_tables side by side): a MASQUERADE in either applies
    const views = liveViews(artifacts).filter((v) => v.tables.has('nat'));
    if (views.length === 0 && !nftDocker) return [];
    // kube-proxy's and flannel's masquerades apply to packets they marked only: they cover no Docker network
    const nats = views.flatMap((v) => {
      const nat = v.tables.get('nat')!;
      return ['POSTROUTING', ...reachableChains(nat, 'POSTROUTING')].flatMap((c) => nat.get(c)?.rules ?? []).filter((r) => (r.target === 'MASQUERADE' || r.target === 'SNAT') && !markedOnly(nat, r));
    });
    // a dump cut at its top (sos's .tailed) may have lost the rule: its absence proves nothing
    const cut = views.some((v) => v.truncated.has('nat'));
    const natFile = views[0]?.files.get('nat');
    // a native nftables table may do the NAT instead (Docker's own with its nftables back end, an nftables.conf, firewalld's masquerade)
    const nftNats = native.flatMap(nftSourceNat);
    // `"ip-masq": false` in daemon.json: Docker adds no MASQUERADE for its default bridge (a routed
    // setup), as a network's enable_ip_masquerade=false does for that network
    // (unless docker network inspect shows the running daemon masquerades it: daemon.json edited since)
    const liveDefaultMasq = (artifacts.dockerNetworks ?? []).flatMap((d) => d.networks).some((n) => n.name === 'bridge' && n.options['com.docker.network.bridge.enable_ip_masquerade'] === 'true');
    const noDefaultMasq = !liveDefaultMasq && (artifacts.dockerDaemon ?? []).some((d) => d.ipMasq?.value === false);
    const findings = [];
    for (const bridge of dockerBridges(artifacts)) {
      if (bridge.noMasquerade) continue;
      if (noDefaultMasq && isDefaultBridge(bridge)) continue;
      for (const s of bridge.subnets) {
        const subnet = parseCidr(s.cidr);
        if (!subnet) continue;
        if (nats.some((r) => covers(r, subnet, bridge.name))) continue;
        if (nftNats.some((r) => nftCovers(r, subnet, bridge.name))) continue;
        if (cut) continue;
        if (nftDocker) {
          findings.push(nftFinding(node, bridge, s, nftDocker, native, natFile));
          continue;
        }
        findings.push({
          severity: 'critical' as const,
          title: 'No MASQUERADE for a Docker network',
          message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} leaves without source NAT: nat POSTROUTING has no MASQUERADE rule for it. Other hosts see container addresses and drop or cannot answer them.`,
          impact: 'Containers on this network cannot reach other nodes or the outside.',
          evidence: [{ file: natFile!, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING`, note: 'searched the live nat table here' }, s.evidence],
          facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network },
          remedy: {
            summary: `Restart Docker so it re-adds the rule; as a stop-gap add it by hand.`,
            commands: [`iptables -t nat -A POSTROUTING -s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE`, 'systemctl restart docker   # recreates every Docker rule'],
            caution: 'Restarting docker restarts every container on the node.',
          },
        });
      }
    }
    return findings;
  },
});

/** Docker's default bridge network: `bridge` in docker network inspect, else the docker0 interface. */
function isDefaultBridge(bridge: Bridge): boolean {
  return bridge.network !== undefined ? bridge.network === 'bridge' : bridge.name === 'docker0';
}

/**
 * A rule that sees marked packets only: it matches a mark (`-m mark --mark 0x4000/0x4000`), or an
 * earlier rule of its chain returns every packet without the mark (kube-proxy's KUBE-POSTROUTING:
 * `-m mark ! --mark 0x4000/0x4000 -j RETURN`, then `-j MASQUERADE`).
 */
function markedOnly(chains: Map<string, Chain>, rule: Rule): boolean {
  const isMark = (m: Rule['matches'][number]) => m.module === 'mark' && m.options.some((o) => o.name === 'mark');
  if (rule.matches.some((m) => isMark(m) && m.options.every((o) => !o.negated))) return true;
  for (const r of chains.get(rule.chain)?.rules ?? []) {
    if (r === rule) break;
    if (r.target === 'RETURN' && r.matches.length === 1 && isMark(r.matches[0]) && r.matches[0].options.every((o) => o.negated)) return true;
  }
  return false;
}

/** masquerade/snat rules reachable from the postrouting nat base chains of native nftables tables. */
function nftSourceNat(rs: NftRuleset): NftRule[] {
  const out: NftRule[] = [];
  for (const table of rs.tables) {
    if (table.iptablesCompat || (table.family !== 'ip' && table.family !== 'inet')) continue;
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const r of findNftChain(table, name)?.rules ?? []) {
        if (r.exprs.some((e) => e.kind === 'nat' && (e.nat.kind === 'masquerade' || e.nat.kind === 'snat'))) out.push(r);
        for (const e of r.exprs) {
          if (e.kind === 'verdict' && e.verdict.target) visit(e.verdict.target);
          if (e.kind === 'vmap') for (const en of e.entries ?? []) if (en.verdict.target) visit(en.verdict.target);
          if (e.kind === 'vmap' && e.setRef) {
            for (const en of table.maps.find((m) => m.name === e.setRef)?.entries ?? []) if (en.verdict?.target) visit(en.verdict.target);
          }
        }
      }
    };
    for (const c of table.chains) if (c.hook === 'postrouting' && c.type === 'nat') visit(c.name);
  }
  return out;
}

/** Does an nft masquerade/snat rule apply to traffic from this subnet leaving through another interface? */
function nftCovers(r: NftRule, subnet: NonNullable<ReturnType<typeof parseCidr>>, bridge: string): boolean {
  for (const e of r.exprs) {
    if (e.kind !== 'match') continue;
    if (e.key === 'oifname' && e.op === '==' && valueIs(e.value, bridge)) return false;
    if (e.key === 'ip saddr') {
      const hit = values(e.value).some((v) => {
        const c = parseCidr(v.includes('/') ? v : `${v}/32`);
        return !!c && cidrContains(c, subnet);
      });
      if (e.op === '==' ? !hit : hit) return false;
    }
  }
  return true;
}

function values(v: NftValue): string[] {
  if (v.kind === 'value') return [v.value];
  if (v.kind === 'set') return v.elements.flatMap(values);
  return [];
}

function valueIs(v: NftValue, s: string): boolean {
  return values(v).some((x) => x.replace(/^"|"$/g, '') === s);
}

function covers(r: Rule, subnet: NonNullable<ReturnType<typeof parseCidr>>, bridge: string): boolean {
  if (r.outInterface && !r.outInterface.negated && r.outInterface.value === bridge) return false;
  // NAT towards one destination only (flannel's `! -s 10.244.0.0/16 -d 10.244.0.0/16`) leaves the rest unmasqueraded
  if (r.destination && !r.destination.negated && r.destination.value !== '0.0.0.0/0') return false;
  if (!r.source) return true;
  const src = parseCidr(r.source.value);
  if (!src) return false;
  return r.source.negated ? !cidrContains(src, subnet) : cidrContains(src, subnet);
}

/**
 * Docker's nftables back end: its table `ip docker-bridges` masquerades each bridge's subnet in
 * `nat-postrouting-out__<bridge>` (reached from nat-POSTROUTING by the input interface). Without
 * that rule the bridge's traffic leaves with container addresses. Docker rewrites its whole table
 * when it starts.
 */
function nftFinding(node: string, bridge: Bridge, s: Bridge['subnets'][number], nftDocker: Evidence, native: NftRuleset[], iptablesNat: string | undefined) {
  const table = native.flatMap((rs) => rs.tables).find((t) => t.family === 'ip' && t.name === 'docker-bridges');
  // Docker names the chain by the bridge, cut to fit nft's limits (br-0123456789ab -> __br)
  const chain = table?.chains.find((c) => c.name === `nat-postrouting-out__${bridge.name}`) ?? table?.chains.find((c) => c.name.startsWith('nat-postrouting-out__') && bridge.name.startsWith(c.name.slice('nat-postrouting-out__'.length)));
  const where: Evidence = chain
    ? { file: chain.ref.file, line: chain.ref.line, excerpt: `chain ${chain.name} {${chain.rules.length === 0 ? ' }' : ''}`, note: `Docker's chain for ${bridge.name}'s outgoing NAT: no masquerade for ${s.cidr} in it` }
    : table
      ? { file: table.ref.file, line: table.ref.line, excerpt: 'table ip docker-bridges', note: `no masquerade for ${s.cidr} reachable from its nat-POSTROUTING` }
      : { ...nftDocker, note: `${nftDocker.note}; but the nftables listing has no table ip docker-bridges: nothing masquerades ${s.cidr}` };
  const evidence: Evidence[] = [where, s.evidence];
  if (table && where !== nftDocker) evidence.push(nftDocker);
  if (iptablesNat) evidence.push({ file: iptablesNat, line: 0, excerpt: `no "-s ${s.cidr} ! -o ${bridge.name} -j MASQUERADE" reachable from nat POSTROUTING either`, note: 'searched the live iptables nat table here' });
  return {
    severity: 'critical' as const,
    title: 'No MASQUERADE for a Docker network',
    message: `Traffic from ${s.cidr} (${bridge.network ? `docker network ${bridge.network}, ` : ''}bridge ${bridge.name}) on ${node} leaves without source NAT: Docker's nftables table (ip docker-bridges, its nftables firewall back end) has no masquerade for it${chain ? ` in ${chain.name}` : ''}, and no other nftables or iptables rule masquerades it. Other hosts see container addresses and drop or cannot answer them.`,
    impact: 'Containers on this network cannot reach other nodes or the outside.',
    evidence,
    facts: { subnet: s.cidr, bridge: bridge.name, network: bridge.network, firewallBackend: 'nftables' },
    remedy: {
      summary: "Restart Docker: with its nftables back end it rewrites its whole table ip docker-bridges at start, masquerade rules included. Something removed the rule (an nft command, a firewall reload): find it, or it happens again.",
      commands: [
        'systemctl restart docker   # rewrites table ip docker-bridges',
        `nft list chain ip docker-bridges ${chain?.name ?? `nat-postrouting-out__${bridge.name}`}   # check: oifname != "${bridge.name}" ip saddr ${s.cidr} ... masquerade`,
      ],
      caution: 'Restarting docker restarts every container on the node (unless live-restore is on). Do not add the rule to the table by hand as a lasting fix: Docker owns the table and replaces it.',
    },
  };
}
