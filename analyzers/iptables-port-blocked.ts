/**
 * iptables.port-blocked: a port the application needs is dropped or rejected between its
 * containers and the host (seed 002: a default-deny INPUT blocks 5432/6379/11211 on docker0).
 * Which ports are needed comes from the bundle: connection refused / timed out lines in the logs
 * naming a port, ports Docker publishes (DNAT rules), services listening on a container network's
 * gateway address (`ss -ltn`), and --require-port. Each is traced from every
 * container network to the host's address on that network; the blocking rule is named.
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { findChain, matchOption } from '../src/netfilter/rules.js';
import { trace } from '../src/netfilter/trace.js';
import { interfacesOf } from '../src/parsers/interfaces.js';
import { dockerBridges, liveIpv4, liveTables, nativeNftables, traceContext } from './lib/node-view.js';

export default defineAnalyzer({
  id: 'iptables.port-blocked',
  title: 'A port the application needs is blocked',
  description: 'A port named by the logs, published by Docker, served on a bridge address (ss -ltn) or required (--require-port) is dropped or rejected from a container network, by iptables or by a native nftables table (firewalld).',
  scope: 'node',
  requires: ['ipAddr'],
  optional: ['iptables', 'nftables', 'logs', 'sockets', 'dockerNetworks'],
  analyze({ node, artifacts, options }) {
    const tables = liveTables(artifacts);
    const nft = nativeNftables(artifacts);
    // nothing to walk: no live iptables filter table and no native nftables table
    if (!tables.get('filter') && nft.length === 0) return [];
    const itfs = interfacesOf(artifacts.ipAddr);
    const sources = dockerBridges(artifacts).map((b) => ({ name: b.name, gateway: b.itf?.addresses.find((a) => a.family === 4) }));
    const cni0 = itfs.get('cni0');
    if (cni0) sources.push({ name: 'cni0', gateway: cni0.addresses.find((a) => a.family === 4) });
    // port -> the evidence that the application needs it
    const needs = new Map<number, Evidence[]>();
    const add = (port: number, why: Evidence) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) return;
      const list = needs.get(port) ?? needs.set(port, []).get(port)!;
      if (list.length < 4) list.push(why);
    };
    for (const p of options.requiredPorts) add(p, { file: '(--require-port)', line: 0, excerpt: `port ${p} is an installation requirement`, note: 'required' });
    for (const log of artifacts.logs ?? [])
      for (const m of log.matches)
        if (['log.connection-refused', 'log.connection-timed-out', 'log.no-route-to-host'].includes(m.signature) && m.facts.port)
          add(Number(m.facts.port), { file: m.file, line: m.line, excerpt: m.excerpt, time: m.timestamp?.iso, note: `the application could not reach ${m.facts.host ? m.facts.host + ':' : 'port '}${m.facts.port}` });
    // Docker's published ports: DNAT rules of its nat DOCKER chain (kube-proxy's KUBE-SEP DNATs are not ports the host serves)
    for (const rs of liveIpv4(artifacts))
      for (const r of findChain(rs, 'nat', 'DOCKER')?.rules ?? [])
        if (r.target === 'DNAT') {
          const dport = matchOption(r, 'tcp', 'dport')?.value;
          if (dport && /^\d+$/.test(dport)) add(Number(dport), { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: `Docker publishes port ${dport}` });
        }
    // A service bound to a container network's own gateway address is there for the containers
    // (postgres on 172.17.0.1:5432). Wildcard listeners (sshd on 0.0.0.0:22) say nothing of what
    // the containers need: they only corroborate a port named by something else.
    const listening = (artifacts.sockets ?? []).flatMap((s) => s.sockets);
    for (const l of listening) {
      if (l.proto !== 'tcp') continue;
      const s = sources.find((x) => x.gateway?.address === l.address);
      if (s) add(l.port, { file: l.ref.file, line: l.ref.line, excerpt: l.excerpt, note: `${l.process ?? 'a process'} listens on ${l.address}:${l.port}, the address of ${s.name}: it serves the containers` });
    }
    if (needs.size === 0) return [];

    // native nftables tables (firewalld's, Docker's own) are walked with iptables' chains, hook by hook in priority order
    const ctx = traceContext(artifacts);
    const findings = [];
    for (const [port, why] of [...needs].sort((a, b) => a[0] - b[0])) {
      const blocked: { from: string; rule: Evidence; verdict: string; chain: string; num: number; nft?: { family: string; table: string } }[] = [];
      for (const s of sources) {
        if (!s.gateway) continue;
        const src = s.gateway.address.replace(/\.(\d+)$/, (_, d: string) => `.${Math.min(254, Number(d) + 1)}`);
        const packet = { src, dst: s.gateway.address, protocol: 'tcp', dport: port, sport: 40000, inInterface: s.name, state: 'new' as const, mark: 0 };
        const r = trace(tables, 'input', packet, ctx);
        if ((r.verdict.kind !== 'DROP' && r.verdict.kind !== 'REJECT') || !r.decidedBy) continue;
        const d = r.decidedBy;
        const verdict = r.verdict.kind === 'REJECT' ? `rejected (${r.verdict.with})` : 'dropped';
        const what = `${r.verdict.kind === 'REJECT' ? 'rejects' : 'drops'} ${s.name} -> ${s.gateway.address}:${port}`;
        if (d.nft) {
          blocked.push({
            from: `${s.gateway.network} (${s.name})`,
            rule: { file: d.file, line: d.line, excerpt: d.text, note: `nftables ${d.nft.family} ${d.nft.table} chain ${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}${tables.get('filter') ? ' (iptables-save does not show it)' : ''}` },
            verdict,
            chain: `${d.nft.family} ${d.nft.table} ${d.chain}`,
            num: d.num,
            nft: d.nft,
          });
          continue;
        }
        blocked.push({
          from: `${s.gateway.network} (${s.name})`,
          rule: { file: d.file, line: d.line, excerpt: d.num === 0 ? `:${d.chain} ${d.text.replace('policy ', '')}` : d.text, note: `${d.table}/${d.chain} ${d.num === 0 ? 'policy' : `rule ${d.num}`} ${what}` },
          verdict,
          chain: d.chain,
          num: d.num,
        });
      }
      if (blocked.length === 0) continue;
      const listen = listening.find((l) => l.port === port && l.proto === 'tcp');
      const evidence: Evidence[] = [...dedupe(blocked.map((b) => b.rule)), ...why];
      if (listen && !why.some((w) => w.file === listen.ref.file && w.line === listen.ref.line)) evidence.push({ file: listen.ref.file, line: listen.ref.line, excerpt: listen.excerpt, note: `${listen.process ?? 'a process'} listens on ${listen.address}:${port}` });
      const first = blocked[0];
      const bridges = [...new Set(blocked.map((b) => b.from.split(' (')[1].slice(0, -1)))];
      findings.push({
        severity: 'critical' as const,
        title: 'A port the application needs is blocked',
        message: `On ${node}, TCP port ${port} is ${first.verdict} from ${blocked.map((b) => b.from).join(', ')} by ${first.nft ? `nftables ${first.chain} ${first.num === 0 ? 'policy' : `rule ${first.num}`} (iptables-save does not show it)` : first.num === 0 ? `the ${first.chain} policy` : `${first.chain} rule ${first.num}`}. Containers that connect to the host on this port get ${first.verdict.startsWith('rejected') ? '"connection refused" or "no route to host"' : 'timeouts'} ("Port Timeout", "Error waiting for ports to enter listening state").`,
        impact: `Anything in the containers that needs port ${port} on the host (databases, caches, the app's own services) cannot connect.`,
        evidence,
        facts: { port, protocol: 'tcp', from: blocked.map((b) => b.from), blockedBy: blocked.map((b) => `${b.chain}#${b.num}`) },
        remedy: first.nft && first.nft.table !== 'firewalld'
          ? {
              summary: `The nftables table ${first.nft.family} ${first.nft.table} blocks it, not iptables: allow exactly this traffic ahead of the blocking rule in that chain, and persist it in the nftables configuration the service loads at boot.`,
              commands: [
                ...bridges.map((b) => `nft insert rule ${first.chain} ${first.num > 0 ? `position <handle of rule ${first.num}> ` : ''}iifname "${b}" tcp dport ${port} accept`),
                '# persist: add the same rule to /etc/nftables.conf (Debian/Ubuntu) or /etc/sysconfig/nftables.conf (RHEL), then: nft -f <that file>',
              ],
              caution: 'nft insert needs the handle of the blocking rule (nft -a list chain ...); without a position it goes first in the chain.',
            }
          : first.nft
          ? {
              summary: `firewalld (or another nftables table) blocks it, not iptables: put ${bridges.join(', ')} in a zone that accepts its traffic, or open the port in its zone.`,
              commands: [...bridges.map((b) => `firewall-cmd --permanent --zone=trusted --add-interface=${b}`), `# or: firewall-cmd --permanent --zone=<zone of the bridge> --add-port=${port}/tcp`, 'firewall-cmd --reload', 'systemctl restart docker   # a firewalld reload removes Docker\'s rules'],
              caution: 'Restarting docker restarts every container on the node.',
            }
          : {
          summary: `Allow exactly this traffic ahead of the blocking rule, and persist it where the firewall keeps its rules so a restart does not bring the block back.`,
          commands: [
            ...bridges.map((b) => `iptables -I ${first.chain === 'FORWARD' ? 'FORWARD' : 'INPUT'} ${first.num > 0 ? first.num : 1} -i ${b} -p tcp --dport ${port} -j ACCEPT`),
            'iptables-save > /etc/sysconfig/iptables   # RHEL iptables.service; or with firewalld:',
            ...bridges.map((b) => `firewall-cmd --permanent --zone=trusted --add-interface=${b} && firewall-cmd --reload`),
          ],
          caution: 'firewall-cmd --reload rebuilds the rules: restart docker afterwards so its own rules come back (restarts every container).',
        },
      });
    }
    return findings;
  },
});

function dedupe(e: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return e.filter((x) => {
    const k = `${x.file}:${x.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
