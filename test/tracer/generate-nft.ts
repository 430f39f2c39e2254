/**
 * Random native nftables rule sets for the differential suite (seeded, so a disagreement can be
 * replayed): one to three tables of the ip and inet families with input (and prerouting) base
 * chains at several priorities, as firewalld, Docker 29 and hand-written nftables.conf files
 * make them: sets and verdict maps, jumps and gotos, marks, ct state, fib, ICMP types, rejects of
 * every kind, DNAT. Optionally an iptables-nft rule set is loaded first, so iptables' chains and
 * the native ones decide on the same hooks.
 */
import { HOST, OUTSIDE, PORTS, UDP_PORTS } from './topology.js';
import { randomRuleset } from './generate.js';

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return {
    next,
    pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

function match(r: Rng, forward = false): { text: string; tcp: boolean } {
  const parts: string[] = [];
  let tcp = false;
  if (r.chance(0.3)) parts.push(`ip saddr ${r.chance(0.2) ? '!= ' : ''}${r.pick(['10.99.0.2', '10.99.0.3', '10.99.0.0/24', '10.98.0.0/16', '{ 10.99.0.2, 10.98.0.0/16 }'])}`);
  if (r.chance(0.2)) parts.push(`iifname ${r.chance(0.3) ? '!= ' : ''}${r.pick(['"br0"', '"lo"', '"br*"', '"eth9"'])}`);
  if (forward && r.chance(0.25)) parts.push(`oifname ${r.chance(0.3) ? '!= ' : ''}${r.pick(['"veth-o"', '"br0"', '"veth*"'])}`);
  if (r.chance(0.15)) parts.push(`ip daddr ${r.pick(forward ? [OUTSIDE, '10.98.0.0/24', HOST] : [HOST, '10.99.0.0/24', '192.0.2.1'])}`);
  const kind = r.next();
  if (kind < 0.45) {
    tcp = true;
    const p = r.next();
    if (p < 0.35) parts.push(`tcp dport ${r.chance(0.15) ? '!= ' : ''}${r.pick(PORTS)}`);
    else if (p < 0.55) parts.push(`tcp dport { ${[r.pick(PORTS), r.pick(PORTS), r.pick(PORTS)].filter((x, i, a) => a.indexOf(x) === i).join(', ')} }`);
    else if (p < 0.7) parts.push(`tcp dport ${r.pick(['1-1024', '5000-7000', '8000-9000'])}`);
    else if (p < 0.8) parts.push('tcp dport @allowed');
    else parts.push('meta l4proto tcp');
  } else if (kind < 0.65) {
    const p = r.next();
    if (p < 0.5) parts.push(`udp dport ${r.chance(0.15) ? '!= ' : ''}${r.pick(UDP_PORTS)}`);
    else if (p < 0.75) parts.push(`th dport { ${r.pick(UDP_PORTS)}, ${r.pick(PORTS)} }`);
    else parts.push('meta l4proto udp');
  } else if (kind < 0.8) {
    const p = r.next();
    if (p < 0.6) parts.push(`icmp type ${r.chance(0.15) ? '!= ' : ''}${r.pick(['echo-request', 'echo-reply', 'destination-unreachable', '{ echo-request, echo-reply }'])}`);
    else parts.push('meta l4proto icmp');
  }
  if (r.chance(0.15)) parts.push(`ct state ${r.pick(['new', 'established,related', 'invalid', 'new,established'])}`);
  if (r.chance(0.12)) parts.push(r.chance(0.5) ? `meta mark ${r.chance(0.3) ? '!= ' : ''}0x10` : 'meta mark & 0x10 == 0x10');
  if (r.chance(0.08)) parts.push(`fib daddr type ${r.chance(0.2) ? '!= ' : ''}local`);
  if (r.chance(0.15)) parts.push('counter');
  return { text: parts.join(' '), tcp };
}

function verdict(r: Rng, family: 'ip' | 'inet', tcp: boolean, inCustom: boolean): string {
  const t = r.next();
  if (t < 0.3) return 'accept';
  if (t < 0.47) return 'drop';
  if (t < 0.67) {
    const kinds = ['reject', family === 'inet' ? 'reject with icmpx type admin-prohibited' : 'reject with icmp type host-prohibited', family === 'inet' ? 'reject with icmpx type port-unreachable' : 'reject with icmp type port-unreachable'];
    if (tcp) kinds.push('reject with tcp reset');
    return r.pick(kinds);
  }
  if (!inCustom && t < 0.8) return r.chance(0.7) ? 'jump custom' : 'goto custom';
  if (inCustom && t < 0.8) return 'return';
  if (t < 0.88) return `log prefix "bd "`;
  return 'meta mark set 0x10';
}

function table(r: Rng, name: string, family: 'ip' | 'inet', priority: string, hook: 'input' | 'forward' = 'input'): string[] {
  const lines = [`table ${family} ${name} {`, '  set allowed {', '    type inet_service', `    elements = { ${r.pick(PORTS)}, ${r.pick(PORTS)} }`, '  }'];
  lines.push(`  chain ${hook} {`, `    type filter hook ${hook} priority ${priority}; policy ${r.chance(0.3) ? 'drop' : 'accept'};`);
  // a forward chain lets the replies of what it allowed back in, as Docker's and firewalld's do
  if (hook === 'forward') lines.push('    ct state established,related accept');
  const n = 2 + Math.floor(r.next() * 6);
  const rule = (custom: boolean) => {
    const m = match(r, hook === 'forward');
    let v = verdict(r, family, m.tcp, custom);
    // the probe sees a SYN's fate; a drop of the established packets after it races with connect() in the client
    if (/established|invalid/.test(m.text) && /drop|reject/.test(v)) v = 'accept';
    return `    ${m.text} ${v}`.replace(/ +/g, ' ').replace(/^ ?/, '    ');
  };
  for (let i = 0; i < n; i++) lines.push(rule(false));
  if (r.chance(0.25)) lines.push(`    tcp dport vmap { ${r.pick([22, 8080, 9000])} : accept, ${r.pick([5432, 6379])} : drop, ${r.pick([80, 443])} : jump custom }`);
  lines.push('  }', '  chain custom {');
  const m = 1 + Math.floor(r.next() * 3);
  for (let i = 0; i < m; i++) lines.push(rule(true));
  lines.push('  }', '}');
  return lines;
}

export interface NftCase {
  /** native tables, for nft -f */
  nft: string;
  /** an iptables-nft rule set loaded before them, or undefined */
  iptables?: string;
  /** a DNAT of port 8081 (the probe also tries 8081) */
  dnat: boolean;
}

/** With `forward`, the base chains are on the forward hook, the DNAT sends the node's 8081 on to the outside host, and a srcnat chain may masquerade. */
export function randomNftRuleset(seed: number, forward = false): NftCase {
  const r = rng(seed);
  const lines: string[] = [];
  const hook = forward ? 'forward' : 'input';
  lines.push(...table(r, 'guard', r.pick(['ip', 'inet'] as const), r.pick(['filter', 'filter + 10', 'filter - 10', '-200', '10']), hook));
  if (r.chance(0.5)) lines.push(...table(r, 'fw', r.pick(['ip', 'inet'] as const), r.pick(['filter + 5', '20', '-5', 'security']), hook));
  const ipt = r.chance(0.4) ? randomRuleset(seed ^ 0x5bd1e995, forward) : undefined;
  // one DNAT of 8081 at a time: conntrack sets a connection's destination NAT up once
  const nftDnat = !ipt?.dnat && r.chance(0.35);
  // real nat tables (firewalld's, Docker's, iptables-nft's) have a srcnat chain too; half of these do
  const withPost = r.chance(0.5);
  if (nftDnat) lines.push('table ip bdnat {', '  chain pre {', '    type nat hook prerouting priority dstnat; policy accept;', `    ip daddr ${HOST} tcp dport 8081 dnat to ${forward ? OUTSIDE : HOST}:${r.pick([8080, 22, 9000])}`, '  }', ...(withPost ? ['  chain post {', '    type nat hook postrouting priority srcnat; policy accept;', ...(forward ? ['    ip saddr 10.99.0.0/24 oifname "veth-o" masquerade'] : []), '  }'] : []), '}');
  if (r.chance(0.3)) lines.push('table inet bdmangle {', '  chain pre {', '    type filter hook prerouting priority mangle; policy accept;', `    tcp dport ${r.pick(PORTS)} meta mark set 0x10`, '  }', '}');
  return { nft: lines.join('\n') + '\n', iptables: ipt?.rules, dnat: nftDnat || !!ipt?.dnat };
}
