/** Random iptables rule sets for the differential suite: seeded, so any disagreement can be replayed. */
import { HOST, OUTSIDE, PORTS, UDP_PORTS } from './topology.js';

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

