/** Random iptables rule sets for the differential suite: seeded, so any disagreement can be replayed. */
import { HOST, HOST6, OUTSIDE, OUTSIDE6, PORTS, UDP_PORTS } from './topology.js';

/** A small seeded generator, so a disagreement can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return {
    next,
    pick: <T>(a: T[]) => a[Math.floor(next() * a.length)],
    chance: (p: number) => next() < p,
  };
}

function randomMatch(r: ReturnType<typeof rng>, forward = false): string {
  const parts: string[] = [];
  if (r.chance(0.35)) parts.push(`${r.chance(0.2) ? '! ' : ''}-s ${r.pick(['10.99.0.2/32', '10.99.0.3/32', '10.99.0.0/24', '10.98.0.0/16'])}`);
  if (r.chance(0.2)) parts.push(`${r.chance(0.3) ? '! ' : ''}-i ${r.pick(['br0', 'lo', 'br+', 'eth9'])}`);
  if (r.chance(0.2)) parts.push(`-d ${r.pick(forward ? [`${OUTSIDE}/32`, '10.98.0.0/24', `${HOST}/32`] : ['10.99.0.1/32', '10.99.0.0/24', '192.0.2.1/32'])}`);
  if (forward && r.chance(0.25)) parts.push(`${r.chance(0.2) ? '! ' : ''}-o ${r.pick(['veth-o', 'br0', 'veth+'])}`);
  const proto = r.chance(0.6);
  if (proto) {
    parts.push('-p tcp');
    const kind = r.next();
    if (kind < 0.45) parts.push(`-m tcp ${r.chance(0.15) ? '! ' : ''}--dport ${r.pick(PORTS)}`);
    else if (kind < 0.6) parts.push(`-m tcp --dport ${r.pick(['1:1024', '5000:7000', '8000:9000'])}`);
    else if (kind < 0.8) parts.push(`-m multiport ${r.chance(0.15) ? '! ' : ''}--dports ${[r.pick(PORTS), r.pick(PORTS), r.pick(PORTS)].join(',')}`);
  } else if (r.chance(0.35)) {
    parts.push('-p udp');
    if (r.chance(0.7)) parts.push(`-m udp ${r.chance(0.15) ? '! ' : ''}--dport ${r.pick(UDP_PORTS)}`);
  } else if (r.chance(0.4)) {
    parts.push('-p icmp');
    if (r.chance(0.7)) parts.push(`-m icmp ${r.chance(0.15) ? '! ' : ''}--icmp-type ${r.pick(['echo-request', '8', '8/0', 'any', 'echo-reply', 'destination-unreachable', 'host-prohibited'])}`);
  }
  if (r.chance(0.15)) parts.push(`-m conntrack --ctstate ${r.pick(['NEW', 'RELATED,ESTABLISHED', 'INVALID', 'NEW,ESTABLISHED'])}`);
  // (the probe sees a SYN's fate; rules that drop the established packets after it race with
  // connect() in the client, so terminal verdicts on ESTABLISHED are kept to ACCEPT below)
  if (r.chance(0.12)) parts.push(`-m mark ${r.chance(0.3) ? '! ' : ''}--mark 0x10/0x10`);
  if (r.chance(0.1)) parts.push(`-m addrtype ${r.chance(0.2) ? '! ' : ''}--dst-type LOCAL`);
  if (r.chance(0.2)) parts.push(`-m comment --comment "rule ${Math.floor(r.next() * 1000)}"`);
  return parts.join(' ');
}

function randomTarget(r: ReturnType<typeof rng>, inCustom: boolean): string {
  const t = r.next();
  if (t < 0.3) return '-j ACCEPT';
  if (t < 0.5) return '-j DROP';
  if (t < 0.7) return `-j REJECT --reject-with ${r.pick(['icmp-port-unreachable', 'tcp-reset', 'icmp-host-prohibited', 'icmp-admin-prohibited'])}`;
  if (!inCustom && t < 0.85) return '-j CUSTOM';
  if (inCustom && t < 0.85) return '-j RETURN';
  return '-j LOG --log-prefix "bd "';
}

/**
 * A rule set; with `forward`, the random rules are in FORWARD (after the ESTABLISHED accept every
 * container host has, so the replies of what the SYN opened come back), the DNAT sends the host's
 * port 8081 on to the outside host, and POSTROUTING may masquerade.
 */
export function randomRuleset(seed: number, forward = false): { rules: string; dnat: boolean } {
  const r = rng(seed);
  const mark = r.chance(0.4);
  const dnat = r.chance(0.4);
  const lines = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  if (mark) lines.push(`-A PREROUTING -p tcp -m tcp --dport ${r.pick(PORTS)} -j MARK --set-xmark 0x10/0x10`);
  lines.push('COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  if (dnat) lines.push(`-A PREROUTING -d ${HOST}/32 -p tcp -m tcp --dport 8081 -j DNAT --to-destination ${forward ? OUTSIDE : HOST}:${r.pick([8080, 22, 9000])}`);
  if (forward && r.chance(0.5)) lines.push('-A POSTROUTING -s 10.99.0.0/24 ! -o br0 -j MASQUERADE');
  const policy = r.chance(0.5) ? 'DROP' : 'ACCEPT';
  lines.push('COMMIT', '*filter', `:INPUT ${forward ? 'ACCEPT' : policy} [0:0]`, `:FORWARD ${forward ? policy : 'ACCEPT'} [0:0]`, ':OUTPUT ACCEPT [0:0]', ':CUSTOM - [0:0]');
  if (forward) lines.push('-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  const n = 2 + Math.floor(r.next() * 7);
  // tcp-reset is only valid on a rule that matches tcp
  const rule = (chain: string, custom: boolean) => {
    const match = randomMatch(r, forward);
    let target = randomTarget(r, custom);
    if (!/-p tcp/.test(match)) target = target.replace('tcp-reset', 'icmp-port-unreachable');
    if (/ESTABLISHED|INVALID/.test(match) && /DROP|REJECT/.test(target)) target = '-j ACCEPT';
    return `-A ${chain} ${match} ${target}`.replace(/ +/g, ' ');
  };
  for (let i = 0; i < n; i++) lines.push(rule(forward ? 'FORWARD' : 'INPUT', false));
  const m = 1 + Math.floor(r.next() * 4);
  for (let i = 0; i < m; i++) lines.push(rule('CUSTOM', true));
  lines.push('COMMIT', '');
  return { rules: lines.join('\n'), dnat };
}


/**
 * An IPv6 rule set for ip6tables-restore (the same shape as randomRuleset): addresses in several
 * spellings (uppercase, uncompressed; ip6tables-save prints them canonically), ICMPv6 by name and
 * number, ip6tables' REJECT types, matches on extension headers a plain packet lacks (-m rt,
 * -m frag, -m ipv6header) and -m hl, which the tracer does not model (a fork: a verdict only where
 * both sides agree). With `forward`, DNAT goes to the outside host as `[fd98::2]:port`, and
 * POSTROUTING may masquerade the container subnet.
 */
export function randomRuleset6(seed: number, forward = false): { rules: string; dnat: boolean } {
  const r = rng(seed);
  const match = (): string => {
    const parts: string[] = [];
    if (r.chance(0.35)) parts.push(`${r.chance(0.2) ? '! ' : ''}-s ${r.pick(['fd99::2/128', 'FD99:0:0:0:0:0:0:3', 'fd99::/64', 'fd98::/48', 'fd99:0::/32'])}`);
    if (r.chance(0.2)) parts.push(`${r.chance(0.3) ? '! ' : ''}-i ${r.pick(['br0', 'lo', 'br+', 'eth9'])}`);
    if (r.chance(0.2)) parts.push(`-d ${r.pick(forward ? [`${OUTSIDE6}/128`, 'fd98::/64', `${HOST6}/128`] : ['fd99::1', 'FD99::/64', '2001:db8::1/128'])}`);
    if (forward && r.chance(0.25)) parts.push(`${r.chance(0.2) ? '! ' : ''}-o ${r.pick(['veth-o', 'br0', 'veth+'])}`);
    const kind = r.next();
    if (kind < 0.45) {
      parts.push('-p tcp');
      const k = r.next();
      if (k < 0.45) parts.push(`-m tcp ${r.chance(0.15) ? '! ' : ''}--dport ${r.pick(PORTS)}`);
      else if (k < 0.6) parts.push(`-m tcp --dport ${r.pick(['1:1024', '5000:7000', '8000:9000'])}`);
      else if (k < 0.8) parts.push(`-m multiport ${r.chance(0.15) ? '! ' : ''}--dports ${[r.pick(PORTS), r.pick(PORTS), r.pick(PORTS)].join(',')}`);
    } else if (kind < 0.65) {
      parts.push('-p udp');
      if (r.chance(0.7)) parts.push(`-m udp ${r.chance(0.15) ? '! ' : ''}--dport ${r.pick(UDP_PORTS)}`);
    } else if (kind < 0.85) {
      parts.push(r.pick(['-p ipv6-icmp', '-p icmpv6', '-p 58']));
      if (r.chance(0.7)) parts.push(`-m icmp6 ${r.chance(0.15) ? '! ' : ''}--icmpv6-type ${r.pick(['echo-request', '128', '128/0', 'ping', 'echo-reply', 'destination-unreachable', '1/4', 'neighbour-solicitation', 'neighbor-advertisement'])}`);
    } else if (r.chance(0.3)) parts.push('-p icmp');
    if (r.chance(0.15)) parts.push(`-m conntrack --ctstate ${r.pick(['NEW', 'RELATED,ESTABLISHED', 'INVALID', 'NEW,ESTABLISHED'])}`);
    if (r.chance(0.12)) parts.push(`-m mark ${r.chance(0.3) ? '! ' : ''}--mark 0x10/0x10`);
    if (r.chance(0.1)) parts.push(`-m addrtype ${r.chance(0.2) ? '! ' : ''}--dst-type ${r.pick(['LOCAL', 'LOCAL', 'UNICAST', 'MULTICAST'])}`);
    if (r.chance(0.08)) parts.push(r.pick(['-m rt --rt-type 0', '-m frag --fragmore', '-m ipv6header --header ipv6-frag --soft', '-m ipv6header ! --header route', '-m ipv6header --header prot --soft', '-m ipv6header --header prot', '-m hbh']));
    if (r.chance(0.05)) parts.push(r.pick(['-m hl --hl-lt 5', '-m hl --hl-eq 64', '-m hl --hl-gt 10']));
    if (r.chance(0.2)) parts.push(`-m comment --comment "rule ${Math.floor(r.next() * 1000)}"`);
    return parts.join(' ');
  };
  const target = (inCustom: boolean): string => {
    const t = r.next();
    if (t < 0.3) return '-j ACCEPT';
    if (t < 0.5) return '-j DROP';
    if (t < 0.7) return `-j REJECT${r.chance(0.15) ? '' : ` --reject-with ${r.pick(['icmp6-port-unreachable', 'tcp-reset', 'icmp6-adm-prohibited', 'icmp6-no-route', 'icmp6-addr-unreachable', 'adm-prohibited', 'icmp6-policy-fail', 'icmp6-reject-route'])}`}`;
    if (!inCustom && t < 0.85) return '-j CUSTOM';
    if (inCustom && t < 0.85) return '-j RETURN';
    return '-j LOG --log-prefix "bd "';
  };
  const mark = r.chance(0.4);
  const dnat = r.chance(0.4);
  const lines = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  if (mark) lines.push(`-A PREROUTING -p tcp -m tcp --dport ${r.pick(PORTS)} -j MARK --set-xmark 0x10/0x10`);
  lines.push('COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  if (dnat) lines.push(`-A PREROUTING -d ${HOST6}/128 -p tcp -m tcp --dport 8081 -j DNAT --to-destination [${forward ? OUTSIDE6 : HOST6}]:${r.pick([8080, 22, 9000])}`);
  if (forward && r.chance(0.5)) lines.push('-A POSTROUTING -s fd99::/64 ! -o br0 -j MASQUERADE');
  const policy = r.chance(0.5) ? 'DROP' : 'ACCEPT';
  lines.push('COMMIT', '*filter', `:INPUT ${forward ? 'ACCEPT' : policy} [0:0]`, `:FORWARD ${forward ? policy : 'ACCEPT'} [0:0]`, ':OUTPUT ACCEPT [0:0]', ':CUSTOM - [0:0]');
  if (forward) lines.push('-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  const rule = (chain: string, custom: boolean) => {
    const m = match();
    let t = target(custom);
    if (!/-p tcp/.test(m)) t = t.replace('tcp-reset', 'icmp6-port-unreachable');
    if (/ESTABLISHED|INVALID/.test(m) && /DROP|REJECT/.test(t)) t = '-j ACCEPT';
    return `-A ${chain} ${m} ${t}`.replace(/ +/g, ' ');
  };
  const n = 2 + Math.floor(r.next() * 7);
  for (let i = 0; i < n; i++) lines.push(rule(forward ? 'FORWARD' : 'INPUT', false));
  const m = 1 + Math.floor(r.next() * 4);
  for (let i = 0; i < m; i++) lines.push(rule('CUSTOM', true));
  lines.push('COMMIT', '');
  return { rules: lines.join('\n'), dnat };
}

/** Tables with ACCEPT policies and no rules (raw too): loaded before each rule set, so no table of an earlier one stays. */
export const EMPTY_RULESET = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', '*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', ''].join('\n');
