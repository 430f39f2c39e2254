/**
 * Broadcast and multicast are delivered locally, never routed on like unicast to another host. The
 * kernel's input routing (ip_route_input_slow) sends the limited broadcast 255.255.255.255 and a
 * subnet's directed broadcast (a `broadcast` route of the local table) to brd_input (INPUT); multicast
 * goes to the node when it joined the group, and is forwarded only by a multicast router. The tracer
 * routed them into FORWARD.
 *
 * Real rules: test/fixtures/h51 (ufw 0.36.2's own rule set written by ufw-init in a namespace, with
 * Docker's rules beside it, and `ip addr` of that namespace: lxdbr0 10.148.92.1/24, no `brd` shown;
 * see test/fixtures/h51/SOURCE.txt), and test/fixtures/iptables/host-firewall.rules (its
 * `-A INPUT -m pkttype --pkt-type broadcast -j DROP`). The kernel's own decision is checked in a
 * namespace (h61*) below, with real iptables counters.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrace, traceBundle } from '../../src/engine/trace-bundle.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { destinationKind, mergeRulesets, subnetBroadcasts, trace, type Packet, type TraceContext } from '../../src/netfilter/trace.js';
import { interfacesOf, parseInterfaces } from '../../src/parsers/interfaces.js';
import { writeFolder } from '../helpers/archive.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const tablesOf = (text: string, file: string) => mergeRulesets([parseIptablesSave(text, file)]);
const UFW = tablesOf(fx('h51/ufw-docker-lxd.iptables-save.txt'), 'iptables-save');
const UFW_ALLOWED = tablesOf(fx('h51/ufw-docker-lxd-allowed.iptables-save.txt'), 'iptables-save');
const addrs = [...interfacesOf([parseInterfaces(fx('h51/ip-addr.txt'), 'ip-addr.txt')]).values()].flatMap((i) => i.addresses);
const CTX: TraceContext = { localAddresses: addrs.filter((a) => a.family === 4).map((a) => a.address), broadcastAddresses: subnetBroadcasts(addrs) };
const udp = (src: string, dst: string, dport: number, inInterface: string, sport = 40000): Packet => ({ src, dst, protocol: 'udp', sport, dport, inInterface, state: 'new', mark: 0 });

describe('broadcast and multicast are delivered locally (INPUT), not forwarded', () => {
  it('the broadcast addresses of the node: the all-ones address of each subnet below /31, brd or not', () => {
    expect(subnetBroadcasts(addrs).sort()).toEqual(['10.148.92.255', '172.17.255.255', '192.0.2.255']);
    expect(subnetBroadcasts([{ cidr: '10.0.3.1/24', broadcast: '10.0.3.255' }, { cidr: '100.64.0.1/31' }, { cidr: '10.9.9.9/32' }])).toEqual(['10.0.3.255']);
    expect(destinationKind('255.255.255.255', CTX)).toBe('limited broadcast');
    expect(destinationKind('10.148.92.255', CTX)).toBe('directed broadcast');
    expect(destinationKind('224.0.0.251', CTX)).toBe('multicast');
    expect(destinationKind('ff02::fb', CTX)).toBe('multicast');
    expect(destinationKind('10.148.92.254', CTX)).toBeUndefined();
  });

  it("a guest's DHCPDISCOVER (0.0.0.0:68 -> 255.255.255.255:67 on lxdbr0) behind ufw: INPUT, dropped by ufw's after-input, even when asked as a forward", () => {
    for (const asked of ['forward', 'input'] as const) {
      const r = trace(UFW, asked, udp('0.0.0.0', '255.255.255.255', 67, 'lxdbr0', 68), CTX);
      expect(r.path).toBe('input');
      expect(r.verdict.kind).toBe('DROP');
      // ufw-not-local let it through (addrtype BROADCAST), ufw-after-input's `--dport 67 -j ufw-skip-to-policy-input` sent it to the policy
      expect(r.steps.some((s) => s.chain === 'ufw-not-local' && /BROADCAST -j RETURN/.test(s.text))).toBe(true);
      expect(r.steps.some((s) => s.chain === 'ufw-after-input' && /--dport 67/.test(s.text))).toBe(true);
      expect(r.steps.some((s) => s.chain === 'FORWARD')).toBe(false);
    }
    // no address of the node known: 255.255.255.255 is still delivered, not forwarded
    expect(trace(UFW, 'forward', udp('0.0.0.0', '255.255.255.255', 67, 'lxdbr0', 68), { localAddresses: [] }).path).toBe('input');
  });

  it("healthy: with LXD's documented `ufw allow in on lxdbr0` the same DHCPDISCOVER is accepted by ufw-user-input", () => {
    const r = trace(UFW_ALLOWED, 'forward', udp('0.0.0.0', '255.255.255.255', 67, 'lxdbr0', 68), CTX);
    expect(r.path).toBe('input');
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.decidedBy?.text).toBe('-A ufw-user-input -i lxdbr0 -j ACCEPT');
  });

  it("mDNS (224.0.0.251:5353) from the uplink's network: INPUT, accepted by ufw's before-input rule for it", () => {
    const r = trace(UFW, 'forward', udp('192.0.2.20', '224.0.0.251', 5353, 'eth0', 5353), CTX);
    expect(r.path).toBe('input');
    expect(r.verdict.kind).toBe('ACCEPT');
    expect(r.decidedBy?.text).toBe('-A ufw-before-input -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT');
  });

  it("a directed broadcast of lxdbr0's subnet (10.148.92.255, no brd in ip addr): INPUT, past ufw-not-local as BROADCAST", () => {
    const r = trace(UFW, 'forward', udp('10.148.92.50', '10.148.92.255', 9999, 'lxdbr0'), CTX);
    expect(r.path).toBe('input');
    expect(r.steps.some((s) => s.chain === 'ufw-not-local' && /BROADCAST -j RETURN/.test(s.text))).toBe(true);
    // ufw-after-input sends broadcasts to ufw-skip-to-policy-input without logging them: dropped there
    expect(r.steps.some((s) => s.chain === 'ufw-after-input' && /--dst-type BROADCAST -j ufw-skip-to-policy-input/.test(s.text))).toBe(true);
    expect(r.verdict.kind).toBe('DROP');
    expect(r.decidedBy?.text).toBe('-A ufw-skip-to-policy-input -j DROP');
  });

  it('healthy: unicast to another host (and the address just below the broadcast) is still forwarded', () => {
    const out = trace(UFW, 'forward', udp('10.148.92.50', '198.51.100.7', 53, 'lxdbr0'), { ...CTX, interfaceFor: () => 'eth0' });
    expect(out.path).toBe('forward');
    expect(trace(UFW, 'forward', udp('192.0.2.20', '10.148.92.254', 80, 'eth0'), CTX).path).toBe('forward');
    // and the bridge's own address is local: INPUT
    expect(trace(UFW, 'forward', udp('10.148.92.50', '10.148.92.1', 53, 'lxdbr0'), CTX).path).toBe('input');
  });

  it('-m pkttype --pkt-type broadcast matches broadcasts only (host-firewall.rules): SSH to the host passes it, a broadcast is dropped by it', () => {
    const t = tablesOf(fx('iptables/host-firewall.rules'), 'host-firewall.rules');
    const ctx: TraceContext = { localAddresses: ['10.20.1.5'], broadcastAddresses: ['10.20.1.255'] };
    const ssh = trace(t, 'input', { src: '10.20.7.7', dst: '10.20.1.5', protocol: 'tcp', sport: 40000, dport: 22, inInterface: 'eth0', state: 'new', mark: 0 }, ctx);
    expect(ssh.steps.some((s) => /pkttype/.test(s.text))).toBe(false);
    expect(ssh.verdict.kind).toBe('ACCEPT');
    for (const dst of ['255.255.255.255', '10.20.1.255']) {
      const b = trace(t, 'input', udp('10.20.1.9', dst, 137, 'eth0'), ctx);
      expect(b.verdict.kind).toBe('DROP');
      expect(b.decidedBy?.text).toBe('-A INPUT -m pkttype --pkt-type broadcast -j DROP');
    }
  });

  it('bundle-doctor trace: the path and its reason name the broadcast; no out-interface is inferred for it', async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('h51/ufw-docker-lxd.iptables-save.txt'), 'ip-addr.txt': fx('h51/ip-addr.txt'), 'ip-route.txt': fx('h51/ip-route.txt') }, 'h61-trace-dhcp');
    const t = await traceBundle(dir, { src: '0.0.0.0', dst: '255.255.255.255', dport: 67, protocol: 'udp', state: 'new', inInterface: 'lxdbr0' });
    expect(t.path).toBe('input');
    expect(t.verdict.kind).toBe('DROP');
    expect(t.pathReason).toMatch(/limited broadcast: the kernel delivers it to the node itself and never forwards it/);
    expect(t.packet.outInterface).toBeUndefined();
    const d = await traceBundle(dir, { src: '10.148.92.50', dst: '10.148.92.255', dport: 9999, protocol: 'udp', state: 'new' });
    expect(d.path).toBe('input');
    expect(d.inferred).toContain('in-interface lxdbr0 (the network of 10.148.92.50)');
    expect(formatTrace(d)).toMatch(/path: input \(the destination is the broadcast address of one of the node's subnets/);
    // a DHCP client has no address: no in-interface is guessed from 0.0.0.0 (the default route's)
    const nob = await traceBundle(dir, { src: '0.0.0.0', dst: '255.255.255.255', dport: 67, protocol: 'udp', state: 'new' });
    expect(nob.request.inInterface).toBeUndefined();
  });
});

// The kernel's own decision: a namespace with a bridge-like uplink (veth), ip_forward on, INPUT and FORWARD counting udp
// 6767; broadcasts, a directed broadcast and a multicast sent from the peer namespace. Only INPUT's counter moves.
const ok = canMakeNetns() && spawnSync('node', ['--version']).status === 0;
const H = 'h61host';
const C = 'h61cli';
const sh = (ns: string, ...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' });

describe.skipIf(!ok)('the kernel delivers broadcast and multicast locally, never forwards them (network namespaces)', () => {
  beforeAll(() => {
    for (const n of [H, C]) spawnSync('ip', ['netns', 'del', n]);
    execFileSync('ip', ['netns', 'add', H]);
    execFileSync('ip', ['netns', 'add', C]);
    execFileSync('ip', ['link', 'add', 'h61a', 'netns', H, 'type', 'veth', 'peer', 'name', 'h61b', 'netns', C]);
    sh(H, 'ip', 'addr', 'add', '10.61.3.1/24', 'dev', 'h61a');
    sh(H, 'ip', 'link', 'set', 'h61a', 'up');
    sh(H, 'ip', 'link', 'set', 'lo', 'up');
    // a second network the host could forward to
    sh(H, 'ip', 'link', 'add', 'h61d', 'type', 'veth', 'peer', 'name', 'h61e');
    sh(H, 'ip', 'link', 'set', 'h61e', 'up');
    sh(H, 'ip', 'addr', 'add', '10.61.9.1/24', 'dev', 'h61d');
    sh(H, 'ip', 'link', 'set', 'h61d', 'up');
    sh(H, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    sh(C, 'ip', 'addr', 'add', '10.61.3.2/24', 'dev', 'h61b');
    sh(C, 'ip', 'link', 'set', 'h61b', 'up');
    sh(C, 'ip', 'route', 'add', 'default', 'via', '10.61.3.1');
    execFileSync('ip', ['netns', 'exec', H, 'iptables-restore'], {
      input: ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', '-A INPUT -p udp -m udp --dport 6767 -j ACCEPT', '-A FORWARD -p udp -m udp --dport 6767 -j ACCEPT', 'COMMIT', ''].join('\n'),
    });
  });
  afterAll(() => {
    for (const n of [H, C]) spawnSync('ip', ['netns', 'del', n]);
  });

  it('INPUT counts 255.255.255.255, 10.61.3.255 and 224.0.0.251 (a group the host joined); FORWARD counts only the unicast to 10.61.9.7', () => {
    // the host joins 224.0.0.251 on h61a while the client sends (a node socket, as avahi would)
    const listener = `const d=require('dgram').createSocket({type:'udp4',reuseAddr:true});d.bind(6767,()=>{d.addMembership('224.0.0.251','10.61.3.1');process.stdout.write('ready\\n')});setTimeout(()=>process.exit(0),3000)`;
    const send = `const d=require('dgram').createSocket('udp4');d.bind(0,'10.61.3.2',()=>{d.setBroadcast(true);d.setMulticastInterface('10.61.3.2');let n=0;for(const a of ['255.255.255.255','10.61.3.255','224.0.0.251','10.61.9.7'])d.send('x',6767,a,()=>{if(++n===4)setTimeout(()=>d.close(),100)})})`;
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    return new Promise<void>((resolve, reject) => {
      const l = spawn('ip', ['netns', 'exec', H, 'node', '-e', listener]);
      l.stdout.once('data', () => {
        try {
          sh(C, 'node', '-e', send);
          const save = sh(H, 'iptables-save', '-c');
          const count = (chain: string) => Number(new RegExp(`^\\[(\\d+):\\d+\\] -A ${chain} -p udp`, 'm').exec(save)?.[1]);
          // what the tracer says for the same packets on the saved rules and the namespace's ip addr
          const tables = mergeRulesets([parseIptablesSave(save, 'iptables-save')]);
          const ipAddr = sh(H, 'ip', 'addr');
          const a = [...interfacesOf([parseInterfaces(ipAddr, 'ip-addr')]).values()].flatMap((i) => i.addresses);
          const ctx: TraceContext = { localAddresses: a.filter((x) => x.family === 4).map((x) => x.address), broadcastAddresses: subnetBroadcasts(a), interfaceFor: () => 'h61d' };
          const paths = ['255.255.255.255', '10.61.3.255', '224.0.0.251', '10.61.9.7'].map((d) => trace(tables, 'forward', udp('10.61.3.2', d, 6767, 'h61a'), ctx).path);
          l.kill();
          expect(count('INPUT')).toBe(3);
          expect(count('FORWARD')).toBe(1);
          expect(paths).toEqual(['input', 'input', 'input', 'forward']);
          resolve();
        } catch (e) {
          l.kill();
          reject(e);
        }
      });
      l.on('error', reject);
    });
  }, 20000);
});
