/**
 * The kernel side of the differential suites: a "host" namespace whose bridge br0 has a
 * "container" namespace attached by a veth pair, listeners on the host's ports, and probes from
 * the container that report what the kernel did to each packet. Shared by the iptables and the
 * nftables suites; both skip cleanly where namespaces cannot be made.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Packet, Verdict } from '../../src/netfilter/trace.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

export const HOST = '10.99.0.1';
/** A host beyond the node (the forward path): its own namespace, reached through veth-o. */
export const OUTSIDE = '10.98.0.2';
export const HOST_OUTSIDE = '10.98.0.1';
export const SOURCES = ['10.99.0.2', '10.99.0.3'];
export const PORTS = [22, 80, 443, 5432, 6379, 8080, 9000];
/** The IPv6 suite's addresses (ULA): the host on br0, the container's two, the outside host behind veth-o. */
export const HOST6 = 'fd99::1';
export const SOURCES6 = ['fd99::2', 'fd99::3'];
export const OUTSIDE6 = 'fd98::2';
export const HOST_OUTSIDE6 = 'fd98::1';
export const UDP_PORTS = [53, 123, 5353, 8472];
const PROBE = projectPath('test/tracer/netns-probe.cjs');

/** Can this process make namespaces with a bridge and veth pairs (root, iproute2, iptables)? */
export function canBridge(): boolean {
  if (!canMakeNetns()) return false;
  const ns = `bdbr${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'add', 'br0', 'type', 'bridge'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // nothing to clean
    }
  }
}

export function hasBinary(cmd: string, ...args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Source ports for UDP probes: never reused within a run (20000-59999, then around again). */
let udpPort = 20000;
function nextUdpPorts(n: number): number {
  if (udpPort + n > 60000) udpPort = 20000;
  const base = udpPort;
  udpPort += n;
  return base;
}

/** One packet of a rule set's probes: what was sent, and what the kernel did to it. */
export interface ProbeCase {
  protocol: 'tcp' | 'udp' | 'icmp';
  src: string;
  dst: string;
  /** 0 for a ping */
  port: number;
  kernel: string | undefined;
  /** the same packet, for the tracer */
  packet: Packet;
  /** `tcp 10.99.0.2 -> 10.99.0.1:22`, for messages */
  where: string;
}

export interface Topology {
  hostNs: string;
  ctrNs: string;
  /** runs a command in the host namespace, with optional stdin; returns its stdout */
  host(args: string[], input?: string): string;
  /** what the kernel did to a packet of each port from src to dst (default: the host): connected / refused / unreachable / timeout */
  probe(protocol: 'tcp' | 'udp' | 'icmp', src: string, ports: number[], dst?: string): Record<string, string>;
  /**
   * Every probe of one rule set: from each source, TCP to PORTS, UDP to UDP_PORTS and a ping
   * (where ping exists) towards dst; with `dnat`, TCP to the node's own port 8081 too.
   */
  probeAll(dst: string, options: { dnat: boolean; ping: boolean }): ProbeCase[];
  close(): void;
}

/**
 * With `outside`, a third namespace sits behind the host on veth-o (10.98.0.0/24) with the same
 * listeners; the host forwards (ip_forward=1) and the container routes through it.
 */
export async function makeTopology(tag: string, options: { outside?: boolean; ipv6?: boolean } = {}): Promise<Topology> {
  if (options.ipv6) return makeTopology6(tag, options);
  const hostNs = `bd${tag}-h-${process.pid}`;
  const ctrNs = `bd${tag}-c-${process.pid}`;
  const outNs = `bd${tag}-o-${process.pid}`;
  const h = (...a: string[]) => execFileSync('ip', ['netns', 'exec', hostNs, ...a], { stdio: 'ignore' });
  const c = (...a: string[]) => execFileSync('ip', ['netns', 'exec', ctrNs, ...a], { stdio: 'ignore' });
  execFileSync('ip', ['netns', 'add', hostNs]);
  execFileSync('ip', ['netns', 'add', ctrNs]);
  h('ip', 'link', 'set', 'lo', 'up');
  // the kernel rate-limits ICMP errors per peer: with many probes at once, later REJECTs would look like DROPs
  h('sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0');
  h('ip', 'link', 'add', 'br0', 'type', 'bridge');
  h('ip', 'addr', 'add', `${HOST}/24`, 'dev', 'br0');
  h('ip', 'link', 'set', 'br0', 'up');
  h('ip', 'link', 'add', 'veth-h', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctrNs);
  h('ip', 'link', 'set', 'veth-h', 'master', 'br0', 'up');
  c('ip', 'link', 'set', 'lo', 'up');
  for (const s of SOURCES) c('ip', 'addr', 'add', `${s}/24`, 'dev', 'eth0');
  c('ip', 'link', 'set', 'eth0', 'up');
  const namespaces = [hostNs, ctrNs];
  const listen = (ns: string): ChildProcess => spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'listen', ...PORTS.map(String), ...UDP_PORTS.map((p) => `udp:${p}`)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const listeners = [listen(hostNs)];
  if (options.outside) {
    const o = (...a: string[]) => execFileSync('ip', ['netns', 'exec', outNs, ...a], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'add', outNs]);
    namespaces.push(outNs);
    h('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    h('ip', 'link', 'add', 'veth-o', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outNs);
    h('ip', 'addr', 'add', `${HOST_OUTSIDE}/24`, 'dev', 'veth-o');
    h('ip', 'link', 'set', 'veth-o', 'up');
    o('ip', 'link', 'set', 'lo', 'up');
    o('ip', 'addr', 'add', `${OUTSIDE}/24`, 'dev', 'eth0');
    o('ip', 'link', 'set', 'eth0', 'up');
    o('ip', 'route', 'add', '10.99.0.0/24', 'via', HOST_OUTSIDE);
    c('ip', 'route', 'add', 'default', 'via', HOST);
    listeners.push(listen(outNs));
  }
  await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.stdout!.once('data', () => resolve()))));
  return {
    hostNs,
    ctrNs,
    host: (args, input) => execFileSync('ip', ['netns', 'exec', hostNs, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
    probe(protocol, src, ports, dst = HOST) {
      const mode = protocol === 'tcp' ? 'probe' : protocol === 'udp' ? 'probe-udp' : 'probe-icmp';
      // UDP: fresh source ports every probe, so no conntrack entry of an earlier rule set (ESTABLISHED
      // for 30 s and more) decides instead of the rules under test; TCP and ping start afresh anyway
      const env = protocol === 'udp' ? { ...process.env, BD_UDP_SPORT: String(nextUdpPorts(ports.length)) } : process.env;
      const out = execFileSync('ip', ['netns', 'exec', ctrNs, process.execPath, PROBE, mode, src, dst, '400', ...ports.map(String)], { encoding: 'utf8', env });
      return JSON.parse(out) as Record<string, string>;
    },
    probeAll(dst, { dnat, ping }) {
      const out: ProbeCase[] = [];
      const add = (protocol: ProbeCase['protocol'], src: string, to: string, ports: number[]) => {
        const kernel = this.probe(protocol, src, ports, to);
        for (const port of ports) {
          const packet: Packet = { src, dst: to, protocol, dport: protocol === 'icmp' ? undefined : port, sport: 40000, inInterface: 'br0', state: 'new', mark: 0 };
          out.push({ protocol, src, dst: to, port, kernel: protocol === 'icmp' ? kernel.icmp : kernel[String(port)], packet, where: `${protocol} ${src} -> ${to}${protocol === 'icmp' ? '' : ':' + port}` });
        }
      };
      for (const src of SOURCES) {
        add('tcp', src, dst, PORTS);
        if (dnat) add('tcp', src, HOST, [8081]);
        add('udp', src, dst, UDP_PORTS);
        if (ping) add('icmp', src, dst, [0]);
      }
      return out;
    },
    close() {
      for (const l of listeners) l.kill();
      for (const ns of namespaces) {
        try {
          execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * The IPv6 topology: the same namespaces (named v6<tag>-h/-c/-o-<pid>) with ULA addresses, fd99::1
 * on the host's br0, fd99::2 and fd99::3 in the container, fd98::1 / fd98::2 between the host and the
 * outside host. Addresses are added `nodad` (no duplicate-address detection to wait for) and every
 * neighbour is a permanent entry: neighbour discovery is never needed, so a random rule set that drops
 * ICMPv6 neighbour solicitations (as a DROP policy without an ND rule does) decides the probe packets
 * only, as the tracer does (it walks the packet asked for; `trace` reports a neighbour solicitation the
 * rules drop separately). ICMPv6 errors are not rate-limited, as in the IPv4 suite.
 */
async function makeTopology6(tag: string, options: { outside?: boolean }): Promise<Topology> {
  const hostNs = `v6${tag}-h-${process.pid}`;
  const ctrNs = `v6${tag}-c-${process.pid}`;
  const outNs = `v6${tag}-o-${process.pid}`;
  const MAC = { br0: '02:00:00:99:00:01', ctr: '02:00:00:99:00:02', vetho: '02:00:00:98:00:01', out: '02:00:00:98:00:02' };
  const h = (...a: string[]) => execFileSync('ip', ['netns', 'exec', hostNs, ...a], { stdio: 'ignore' });
  const c = (...a: string[]) => execFileSync('ip', ['netns', 'exec', ctrNs, ...a], { stdio: 'ignore' });
  const namespaces = [hostNs, ctrNs];
  const listeners: ChildProcess[] = [];
  const close = () => {
    for (const l of listeners) l.kill();
    for (const ns of namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };
  try {
    execFileSync('ip', ['netns', 'add', hostNs]);
    execFileSync('ip', ['netns', 'add', ctrNs]);
    h('ip', 'link', 'set', 'lo', 'up');
    h('sysctl', '-qw', 'net.ipv6.icmp.ratelimit=0');
    h('ip', 'link', 'add', 'br0', 'address', MAC.br0, 'type', 'bridge');
    h('ip', 'link', 'add', 'veth-h', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctrNs);
    h('ip', 'link', 'set', 'veth-h', 'master', 'br0', 'up');
    h('ip', 'link', 'set', 'br0', 'up');
    h('ip', '-6', 'addr', 'add', `${HOST6}/64`, 'dev', 'br0', 'nodad');
    c('ip', 'link', 'set', 'lo', 'up');
    c('ip', 'link', 'set', 'eth0', 'address', MAC.ctr);
    c('ip', 'link', 'set', 'eth0', 'up');
    for (const s of SOURCES6) {
      c('ip', '-6', 'addr', 'add', `${s}/64`, 'dev', 'eth0', 'nodad');
      h('ip', '-6', 'neigh', 'replace', s, 'lladdr', MAC.ctr, 'dev', 'br0', 'nud', 'permanent');
    }
    c('ip', '-6', 'neigh', 'replace', HOST6, 'lladdr', MAC.br0, 'dev', 'eth0', 'nud', 'permanent');
    const listen = (ns: string): ChildProcess =>
      spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, 'listen', ...PORTS.map(String), ...UDP_PORTS.map((p) => `udp:${p}`)], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, BD_FAMILY: '6' } });
    listeners.push(listen(hostNs));
    if (options.outside) {
      const o = (...a: string[]) => execFileSync('ip', ['netns', 'exec', outNs, ...a], { stdio: 'ignore' });
      execFileSync('ip', ['netns', 'add', outNs]);
      namespaces.push(outNs);
      h('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
      h('ip', 'link', 'add', 'veth-o', 'address', MAC.vetho, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outNs);
      h('ip', 'link', 'set', 'veth-o', 'up');
      h('ip', '-6', 'addr', 'add', `${HOST_OUTSIDE6}/64`, 'dev', 'veth-o', 'nodad');
      h('ip', '-6', 'neigh', 'replace', OUTSIDE6, 'lladdr', MAC.out, 'dev', 'veth-o', 'nud', 'permanent');
      o('ip', 'link', 'set', 'lo', 'up');
      o('ip', 'link', 'set', 'eth0', 'address', MAC.out);
      o('ip', 'link', 'set', 'eth0', 'up');
      o('ip', '-6', 'addr', 'add', `${OUTSIDE6}/64`, 'dev', 'eth0', 'nodad');
      o('ip', '-6', 'neigh', 'replace', HOST_OUTSIDE6, 'lladdr', MAC.vetho, 'dev', 'eth0', 'nud', 'permanent');
      o('ip', '-6', 'route', 'add', 'fd99::/64', 'via', HOST_OUTSIDE6);
      c('ip', '-6', 'route', 'add', 'default', 'via', HOST6);
      listeners.push(listen(outNs));
    }
    await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.stdout!.once('data', () => resolve()))));
  } catch (err) {
    close();
    throw err;
  }
  const topo: Topology = {
    hostNs,
    ctrNs,
    host: (args, input) => execFileSync('ip', ['netns', 'exec', hostNs, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
    probe(protocol, src, ports, dst = HOST6) {
      const mode = protocol === 'tcp' ? 'probe' : protocol === 'udp' ? 'probe-udp' : 'probe-icmp';
      const env = protocol === 'udp' ? { ...process.env, BD_UDP_SPORT: String(nextUdpPorts(ports.length)) } : process.env;
      // longer than the IPv4 suite's 400 ms: on a loaded machine the listener's UDP echo (user space) came late
      const timeout = protocol === 'udp' ? '1500' : '1000';
      const out = execFileSync('ip', ['netns', 'exec', ctrNs, process.execPath, PROBE, mode, src, dst, timeout, ...ports.map(String)], { encoding: 'utf8', env });
      return JSON.parse(out) as Record<string, string>;
    },
    probeAll(dst, { dnat, ping }) {
      const out: ProbeCase[] = [];
      const add = (protocol: ProbeCase['protocol'], src: string, to: string, ports: number[]) => {
        const kernel = topo.probe(protocol, src, ports, to);
        for (const port of ports) {
          const packet: Packet = { src, dst: to, protocol: protocol === 'icmp' ? 'ipv6-icmp' : protocol, dport: protocol === 'icmp' ? undefined : port, sport: 40000, inInterface: 'br0', state: 'new', mark: 0 };
          out.push({ protocol, src, dst: to, port, kernel: protocol === 'icmp' ? kernel.icmp : kernel[String(port)], packet, where: `${protocol} ${src} -> ${protocol === 'icmp' ? to : `[${to}]:${port}`}` });
        }
      };
      for (const src of SOURCES6) {
        add('tcp', src, dst, PORTS);
        if (dnat) add('tcp', src, HOST6, [8081]);
        add('udp', src, dst, UDP_PORTS);
        if (ping) add('icmp', src, dst, [0]);
      }
      return out;
    },
    close,
  };
  return topo;
}

/**
 * What a client may observe for a verdict. ICMP port-unreachable and RST abort connect() at
 * once (refused). host/net/admin-prohibited are soft errors for TCP in SYN_SENT (RFC 1122
 * 4.2.3.9): Linux keeps retrying the SYN, and the client sees EHOSTUNREACH or, within the probe's
 * time, a timeout; so such a REJECT and a DROP can look alike from the client, and both outcomes
 * are accepted for it (a documented limit of the probe, not of the tracer). ping reports any ICMP
 * error the same way (unreachable).
 */
export function expectedOutcomes(v: Verdict, protocol: string, dnat = false, ipv6 = false): string[] {
  if (v.kind === 'ACCEPT') return ['connected'];
  if (v.kind === 'DROP') return ['timeout'];
  if (v.kind === 'REJECT' && ipv6) return expectedOutcomes6(v.with, protocol, dnat);
  if (v.kind === 'REJECT') {
    if (protocol === 'icmp') return ['unreachable'];
    // the kernel builds the RST from the rewritten packet and does not translate it back: the
    // client sees a reset from the port it did not call, ignores it and times out (seen with both
    // iptables' REJECT and nft's reject on a DNATed connection)
    if (dnat && /tcp-reset|tcp reset/.test(v.with)) return ['timeout'];
    if (/port-unreachable|tcp-reset|tcp reset|^$/.test(v.with)) return ['refused'];
    // a connected UDP socket gets the ICMP error at once; TCP treats it as soft (see above)
    return protocol === 'udp' ? ['unreachable'] : ['unreachable', 'timeout'];
  }
  return [];
}

/**
 * IPv6, as measured in the namespaces: a TCP client in SYN_SENT treats every ICMPv6 destination-
 * unreachable as a soft error (Linux 6.x keeps retrying the SYN: a timeout within the probe's time;
 * the errno icmpv6_err_convert gives, which an older kernel reports at once, is accepted too); a
 * TCP reset refuses. A connected UDP socket sees only the "fatal" codes: port-unreachable
 * as ECONNREFUSED (refused), adm-prohibited, policy-fail and reject-route as EACCES (prohibited);
 * no-route and addr-unreachable are soft (a timeout). ping reports any ICMPv6 error as unreachable.
 */
function expectedOutcomes6(how: string, protocol: string, dnat: boolean): string[] {
  if (protocol === 'icmp') return ['unreachable'];
  if (/tcp-reset|tcp reset/.test(how)) return dnat ? ['timeout'] : ['refused'];
  const errno = /port-unreachable|^$/.test(how) ? 'refused' : /adm-prohibited|admin-prohibited|policy-fail|reject-route/.test(how) ? 'prohibited' : 'unreachable';
  if (protocol === 'tcp') return ['timeout', errno];
  return errno === 'unreachable' ? ['timeout'] : [errno];
}

/** Agreement bookkeeping, printed the same way by both suites. */
export class Tally {
  cases = 0;
  agree = 0;
  unknown = 0;
  byProtocol: Record<string, number> = { tcp: 0, udp: 0, icmp: 0 };
  /** what the kernel did, so a suite that only ever accepts shows it */
  byOutcome: Record<string, number> = {};
  disagreements: string[] = [];
  add(protocol: string, verdict: Verdict, kernel: string | undefined, label: string, dnat = false, ipv6 = false): void {
    this.cases++;
    this.byProtocol[protocol]++;
    this.byOutcome[kernel ?? 'none'] = (this.byOutcome[kernel ?? 'none'] ?? 0) + 1;
    const want = expectedOutcomes(verdict, protocol, dnat, ipv6);
    if (want.length === 0) {
      this.unknown++;
      return;
    }
    if (kernel !== undefined && want.includes(kernel)) this.agree++;
    else this.disagreements.push(`${label}: kernel ${kernel}, tracer ${verdict.kind}${verdict.kind === 'REJECT' ? ` (${verdict.with})` : verdict.kind === 'unknown' ? ` (${verdict.reason})` : ''}`);
  }
  summary(what: string, rulesets: number): string {
    const rate = (100 * this.agree) / Math.max(1, this.cases - this.unknown);
    return `${what}: ${this.agree}/${this.cases - this.unknown} agree (${rate.toFixed(1)}%), ${this.unknown} unknown (unmodelled match), over ${this.cases} cases (${this.byProtocol.tcp} TCP, ${this.byProtocol.udp} UDP, ${this.byProtocol.icmp} ICMP) from ${rulesets} rule sets; the kernel: ${Object.entries(this.byOutcome).map(([k, n]) => `${n} ${k}`).join(', ')}`;
  }
}
