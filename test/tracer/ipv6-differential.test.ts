/**
 * The packet tracer against the Linux kernel, IPv6: random seeded ip6tables rule sets and Docker's
 * real IPv6 rules are loaded with the real ip6tables-restore (alternately iptables-nft's and
 * iptables-legacy's, the other back end left empty) into a host namespace whose bridge br0 carries
 * fd99::1; TCP connections, UDP datagrams and ICMPv6 echo requests from a container namespace
 * (fd99::2, fd99::3) show what the kernel does, and the tracer's verdict for the same packet, read
 * from ip6tables-save of the loaded rules, must agree. Neighbours are permanent entries (see
 * makeTopology6): the rule sets decide the probes, never neighbour discovery. Skips cleanly where
 * namespaces cannot be made.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeRulesets, trace } from '../../src/netfilter/trace.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';
import { EMPTY_RULESET, randomRuleset6 } from './generate.js';
import { HOST6, HOST_OUTSIDE6, OUTSIDE6, Tally, canBridge, hasBinary, makeTopology, type Topology } from './topology.js';

const ok = canBridge() && hasBinary('ip6tables-nft-restore', '--version') && hasBinary('ip6tables-legacy-restore', '--version');
const withPing = ok && hasBinary('ping', '-V');
const RULESETS = 14;
const FORWARD_RULESETS = 12;

/** Docker's IPv6 rules: Docker 27's (the reviewer's dual-stack host) with br0 / fd99::/64 for docker0 / fd00:dead:beef::/64, and Docker 28's. */
function dockerRules(): { name: string; rules: string }[] {
  const d27 = readFileSync(projectPath('test/fixtures/docker-ipv6/ip6tables-save-docker'), 'utf8').replaceAll('docker0', 'br0').replaceAll('fd00:dead:beef::', 'fd99::');
  return [
    { name: 'docker27', rules: d27 },
    { name: 'docker28', rules: readFileSync(projectPath('test/fixtures/ipv6/docker28-br0.ip6tables-restore'), 'utf8') },
  ];
}

/**
 * Loads a rule set into one back end, both emptied first (a restore replaces only the tables it
 * names: Docker 28's raw table would stay under the next rule set); returns that back end's ip6tables-save.
 */
function load(topo: Topology, rules: string, legacy: boolean, label: string): string {
  const tool = legacy ? 'ip6tables-legacy' : 'ip6tables-nft';
  try {
    for (const t of ['ip6tables-nft', 'ip6tables-legacy']) topo.host([`${t}-restore`], EMPTY_RULESET);
    topo.host([`${tool}-restore`], rules);
  } catch (err) {
    throw new Error(`${tool}-restore refused ${label}: ${(err as { stderr?: Buffer }).stderr?.toString()}\n${rules}`);
  }
  return topo.host([`${tool}-save`]);
}

let topo: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel, IPv6 (network namespaces)', () => {
  beforeAll(async () => {
    topo = await makeTopology('ti', { ipv6: true });
  }, 60_000);
  afterAll(() => topo?.close());

  it(`agrees with the kernel on every packet delivered to the node: Docker's rules and ${RULESETS} random ip6tables rule sets, both back ends`, () => {
    const tally = new Tally();
    const sets = [...dockerRules().map((d) => ({ label: d.name, rules: d.rules, dnat: false })), ...Array.from({ length: RULESETS }, (_, i) => ({ label: `seed ${(i + 1) * 7919}`, ...randomRuleset6((i + 1) * 7919) }))];
    for (const [i, set] of sets.entries()) {
      const legacy = i % 2 === 1;
      const tables = mergeRulesets([parseIptablesSave(load(topo, set.rules, legacy, set.label), `${set.label}.ip6tables-save`)]);
      for (const c of topo.probeAll(HOST6, { dnat: set.dnat, ping: withPing })) {
        const result = trace(tables, 'input', c.packet, { localAddresses: [HOST6] });
        const at = result.decidedBy ? ` at ${result.decidedBy.table}/${result.decidedBy.chain}#${result.decidedBy.num}` : '';
        tally.add(c.protocol, result.verdict, c.kernel, `${set.label} (${legacy ? 'legacy' : 'nft'}) ${c.where}${at}`, result.packet.dnat, true);
      }
    }
    console.log(tally.summary('packet tracer vs kernel (ip6tables)', sets.length) + (withPing ? '' : ' (ICMPv6 skipped: no ping binary)'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 20).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(300);
    expect(tally.disagreements).toEqual([]);
    // the suite exercises drops and ICMPv6 errors, not only accepts
    expect(Object.keys(tally.byOutcome)).toEqual(expect.arrayContaining(['connected', 'timeout', 'prohibited']));
  }, 900_000);
});

let fwd: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel, IPv6: the forward path (container -> node -> outside host)', () => {
  beforeAll(async () => {
    fwd = await makeTopology('tg', { ipv6: true, outside: true });
  }, 60_000);
  afterAll(() => fwd?.close());

  it(`agrees with the kernel on packets forwarded through Docker's rules and ${FORWARD_RULESETS} random FORWARD rule sets (DNAT to [fd98::2]:port, MASQUERADE)`, () => {
    const tally = new Tally();
    const ctx = { localAddresses: [HOST6, HOST_OUTSIDE6], interfaceFor: (ip: string) => (ip.startsWith('fd98:') ? 'veth-o' : ip.startsWith('fd99:') ? 'br0' : undefined) };
    const sets = [...dockerRules().map((d) => ({ label: d.name, rules: d.rules, dnat: false })), ...Array.from({ length: FORWARD_RULESETS }, (_, i) => ({ label: `forward seed ${(i + 1) * 6007}`, ...randomRuleset6((i + 1) * 6007, true) }))];
    for (const [i, set] of sets.entries()) {
      const legacy = i % 2 === 1;
      const tables = mergeRulesets([parseIptablesSave(load(fwd, set.rules, legacy, set.label), `${set.label}.ip6tables-save`)]);
      for (const c of fwd.probeAll(OUTSIDE6, { dnat: set.dnat, ping: withPing })) {
        const result = trace(tables, c.dst === HOST6 ? 'input' : 'forward', c.packet, ctx);
        const at = result.decidedBy ? ` at ${result.decidedBy.table}/${result.decidedBy.chain}#${result.decidedBy.num}` : '';
        tally.add(c.protocol, result.verdict, c.kernel, `${set.label} (${legacy ? 'legacy' : 'nft'}) ${c.where} (${result.path})${at}`, result.packet.dnat, true);
      }
    }
    console.log(tally.summary('packet tracer vs kernel (ip6tables, forward path)', sets.length) + (withPing ? '' : ' (ICMPv6 skipped: no ping binary)'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 20).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(300);
    expect(tally.disagreements).toEqual([]);
  }, 900_000);
});
