/**
 * The packet tracer against the Linux kernel. Random rule sets (seeded, reproducible) are loaded
 * with the real iptables-restore into a "host" namespace whose bridge br0 has a "container"
 * namespace attached by a veth pair; TCP connections, UDP datagrams and pings from the container
 * to the host show what the kernel does (connected / refused / unreachable / timeout), and the
 * tracer's verdict for the same packet must agree. Skips cleanly where namespaces cannot be made.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeRulesets, trace } from '../../src/netfilter/trace.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';
import { randomRuleset } from './generate.js';
import { HOST, HOST_OUTSIDE, OUTSIDE, Tally, canBridge, hasBinary, makeTopology, type Topology } from './topology.js';

const RULESETS = 40;
const ok = canBridge();
const withPing = ok && hasBinary('ping', '-V');
let topo: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel (network namespaces)', () => {
  beforeAll(async () => {
    topo = await makeTopology('tr');
  }, 60_000);
  afterAll(() => topo?.close());

  it(`agrees with the kernel on every packet of two real and ${RULESETS} random rule sets (>= 500 cases)`, () => {
    const tally = new Tally();
    // the real rule sets first (the stock RHEL firewall of a bundle, the Docker + kube-proxy + flannel fixture), then random ones
    const fixed = [
      { rules: readFileSync(projectPath('bundles/src/docker-chains-flushed/sosreport-docker-host-01-2026-11-20-ticket4711/etc/sysconfig/iptables'), 'utf8'), dnat: false },
      { rules: readFileSync(projectPath('test/fixtures/netfilter/docker-kube-flannel.rules'), 'utf8'), dnat: false },
    ];
    for (let seed = 1 - fixed.length; seed <= RULESETS; seed++) {
      const { rules, dnat } = seed <= 0 ? fixed[seed + fixed.length - 1] : randomRuleset(seed * 7919);
      try {
        topo.host(['iptables-nft-restore'], rules);
      } catch (err) {
        throw new Error(`iptables-restore refused seed ${seed * 7919}: ${(err as { stderr?: Buffer }).stderr?.toString()}\n${rules}`);
      }
      // what the tracer reads is what the kernel has: the save of the loaded rules
      const tables = mergeRulesets([parseIptablesSave(topo.host(['iptables-nft-save']), `seed-${seed}`)]);
      for (const c of topo.probeAll(HOST, { dnat, ping: withPing })) {
        const result = trace(tables, 'input', c.packet, { localAddresses: [HOST] });
        const at = result.decidedBy ? ` at ${result.decidedBy.chain}#${result.decidedBy.num}` : '';
        tally.add(c.protocol, result.verdict, c.kernel, `seed ${seed * 7919} ${c.where}${at}`, result.packet.dnat);
      }
    }
    console.log(tally.summary('packet tracer vs kernel (iptables)', RULESETS + fixed.length) + (withPing ? '' : ' (ICMP skipped: no ping binary)'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 20).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(500);
    expect(tally.disagreements).toEqual([]);
  }, 300_000);
});

const FORWARD_RULESETS = 24;
let fwd: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel: the forward path (container -> node -> outside host)', () => {
  beforeAll(async () => {
    fwd = await makeTopology('tf', { outside: true });
  }, 60_000);
  afterAll(() => fwd?.close());

  it(`agrees with the kernel on packets forwarded through ${FORWARD_RULESETS} random FORWARD rule sets (DNAT to the outside host, MASQUERADE)`, () => {
    const tally = new Tally();
    // the node's view: its two addresses, and which interface reaches what
    const ctx = { localAddresses: [HOST, HOST_OUTSIDE], interfaceFor: (ip: string) => (ip.startsWith('10.98.0.') ? 'veth-o' : ip.startsWith('10.99.0.') ? 'br0' : undefined) };
    for (let seed = 1; seed <= FORWARD_RULESETS; seed++) {
      const { rules, dnat } = randomRuleset(seed * 6007, true);
      try {
        fwd.host(['iptables-nft-restore'], rules);
      } catch (err) {
        throw new Error(`iptables-restore refused seed ${seed * 6007}: ${(err as { stderr?: Buffer }).stderr?.toString()}\n${rules}`);
      }
      const tables = mergeRulesets([parseIptablesSave(fwd.host(['iptables-nft-save']), `fwd-seed-${seed}`)]);
      for (const c of fwd.probeAll(OUTSIDE, { dnat, ping: withPing })) {
        const result = trace(tables, c.dst === HOST ? 'input' : 'forward', c.packet, ctx);
        const at = result.decidedBy ? ` at ${result.decidedBy.table}/${result.decidedBy.chain}#${result.decidedBy.num}` : '';
        tally.add(c.protocol, result.verdict, c.kernel, `forward seed ${seed * 6007} ${c.where} (${result.path})${at}`, result.packet.dnat);
      }
    }
    console.log(tally.summary('packet tracer vs kernel (iptables, forward path)', FORWARD_RULESETS) + (withPing ? '' : ' (ICMP skipped: no ping binary)'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 20).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(500);
    expect(tally.disagreements).toEqual([]);
  }, 300_000);
});
