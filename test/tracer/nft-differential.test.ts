/**
 * The packet tracer against the Linux kernel, for native nftables: random rule sets (seeded) of
 * one to three tables at several priorities, some on top of an iptables-nft rule set, are loaded
 * with the real `nft -f` into the host namespace of the shared topology; the tracer reads what
 * the kernel has (`nft list ruleset` and `nft -j list ruleset`, both parsed and both traced; and
 * `iptables-nft-save` for iptables' part) and must agree with what TCP, UDP and ICMP probes from
 * the container see. Skips cleanly (and says why) without namespaces or without nft.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeRulesets, trace, type Verdict } from '../../src/netfilter/trace.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { randomNftRuleset } from './generate-nft.js';
import { HOST, HOST_OUTSIDE, OUTSIDE, Tally, canBridge, hasBinary, makeTopology, type Topology } from './topology.js';

const RULESETS = 40;
/** The verdict without where it was read (file and line differ between the listings) and with `icmp`/`icmpx` alike (the text listing leaves a plain reject's type out). */
const sameVerdict = (v: Verdict) => (v.kind === 'REJECT' ? `REJECT ${v.with.replace(/^icmpx? /, '')}` : v.kind);
const ok = canBridge() && hasBinary('nft', '--version');
const withPing = ok && hasBinary('ping', '-V');
if (!ok) console.log('nftables differential suite skipped: no network namespaces or no nft binary here');
let topo: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel: native nftables tables (network namespaces)', () => {
  beforeAll(async () => {
    topo = await makeTopology('nf');
  }, 60_000);
  afterAll(() => topo?.close());

  it(`agrees with the kernel on every packet of ${RULESETS} random nftables rule sets, read from both listings (>= 500 cases)`, () => {
    const tally = new Tally();
    let mixed = 0;
    let textJsonDiffer = 0;
    const differ: string[] = [];
    const unknowns = new Map<string, number>();
    for (let seed = 1; seed <= RULESETS; seed++) {
      const c = randomNftRuleset(seed * 104729);
      topo.host(['nft', 'flush', 'ruleset']);
      try {
        if (c.iptables) {
          mixed++;
          topo.host(['iptables-nft-restore'], c.iptables);
        }
        topo.host(['nft', '-f', '-'], c.nft);
      } catch (err) {
        throw new Error(`the kernel refused seed ${seed * 104729}: ${(err as { stderr?: Buffer }).stderr?.toString()}\n${c.iptables ?? ''}\n${c.nft}`);
      }
      const text = parseNftText(topo.host(['nft', 'list', 'ruleset']), 'nft_list_ruleset');
      const json = parseNftJson(topo.host(['nft', '-j', 'list', 'ruleset']), 'nft_-j_list_ruleset');
      const tables = mergeRulesets(c.iptables ? [parseIptablesSave(topo.host(['iptables-nft-save']), `seed-${seed}`)] : []);
      for (const pc of topo.probeAll(HOST, { dnat: c.dnat, ping: withPing })) {
        const viaText = trace(tables, 'input', pc.packet, { localAddresses: [HOST], extraChains: nftExtraChains([text]) });
        const viaJson = trace(tables, 'input', pc.packet, { localAddresses: [HOST], extraChains: nftExtraChains([json]) });
        const d = viaText.decidedBy;
        const label = `seed ${seed * 104729} ${pc.where}${d ? ` at ${d.table} ${d.chain}#${d.num}` : ''}`;
        if (viaText.verdict.kind === 'unknown') unknowns.set(viaText.verdict.reason, (unknowns.get(viaText.verdict.reason) ?? 0) + 1);
        tally.add(pc.protocol, viaText.verdict, pc.kernel, `${label} (text)`, viaText.packet.dnat);
        if (sameVerdict(viaJson.verdict) !== sameVerdict(viaText.verdict)) {
          textJsonDiffer++;
          differ.push(`${label}: text ${JSON.stringify(viaText.verdict)}, json ${JSON.stringify(viaJson.verdict)}`);
          tally.add(pc.protocol, viaJson.verdict, pc.kernel, `${label} (json)`, viaJson.packet.dnat);
        }
      }
    }
    topo.host(['nft', 'flush', 'ruleset']);
    console.log(tally.summary('packet tracer vs kernel (nftables)', RULESETS) + `; ${mixed} of them on top of iptables-nft rules; the text and JSON listings gave different verdicts ${textJsonDiffer} times` + (withPing ? '' : ' (ICMP skipped: no ping binary)'));
    if (unknowns.size) console.log(`unknown verdicts (a match the tracer does not model): ${[...unknowns].map(([r, n]) => `${r} (${n})`).join('; ')}`);
    if (differ.length) console.log(differ.slice(0, 10).join('\n'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 30).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(500);
    expect(textJsonDiffer).toBe(0);
    expect(tally.disagreements).toEqual([]);
  }, 300_000);
});

const FORWARD_RULESETS = 20;
let fwd: Topology;

describe.skipIf(!ok)('packet tracer vs the Linux kernel: nftables forward chains (container -> node -> outside host)', () => {
  beforeAll(async () => {
    fwd = await makeTopology('nff', { outside: true });
  }, 60_000);
  afterAll(() => fwd?.close());

  it(`agrees with the kernel on packets forwarded through ${FORWARD_RULESETS} random nftables forward rule sets`, () => {
    const tally = new Tally();
    const ctx = (rs: ReturnType<typeof parseNftText>) => ({
      localAddresses: [HOST, HOST_OUTSIDE],
      interfaceFor: (ip: string) => (ip.startsWith('10.98.0.') ? 'veth-o' : ip.startsWith('10.99.0.') ? 'br0' : undefined),
      extraChains: nftExtraChains([rs]),
    });
    let textJsonDiffer = 0;
    for (let seed = 1; seed <= FORWARD_RULESETS; seed++) {
      const c = randomNftRuleset(seed * 7727, true);
      fwd.host(['nft', 'flush', 'ruleset']);
      try {
        if (c.iptables) fwd.host(['iptables-nft-restore'], c.iptables);
        fwd.host(['nft', '-f', '-'], c.nft);
      } catch (err) {
        throw new Error(`the kernel refused seed ${seed * 7727}: ${(err as { stderr?: Buffer }).stderr?.toString()}\n${c.iptables ?? ''}\n${c.nft}`);
      }
      const text = parseNftText(fwd.host(['nft', 'list', 'ruleset']), 'nft_list_ruleset');
      const json = parseNftJson(fwd.host(['nft', '-j', 'list', 'ruleset']), 'nft_-j_list_ruleset');
      const tables = mergeRulesets(c.iptables ? [parseIptablesSave(fwd.host(['iptables-nft-save']), `fwd-seed-${seed}`)] : []);
      for (const pc of fwd.probeAll(OUTSIDE, { dnat: c.dnat, ping: withPing })) {
        const path = pc.dst === HOST ? 'input' : 'forward';
        const viaText = trace(tables, path, pc.packet, ctx(text));
        const viaJson = trace(tables, path, pc.packet, ctx(json));
        const d = viaText.decidedBy;
        const label = `forward seed ${seed * 7727} ${pc.where} (${viaText.path})${d ? ` at ${d.table} ${d.chain}#${d.num}` : ''}`;
        tally.add(pc.protocol, viaText.verdict, pc.kernel, `${label} (text)`, viaText.packet.dnat);
        if (sameVerdict(viaJson.verdict) !== sameVerdict(viaText.verdict)) {
          textJsonDiffer++;
          tally.add(pc.protocol, viaJson.verdict, pc.kernel, `${label} (json)`, viaJson.packet.dnat);
        }
      }
    }
    fwd.host(['nft', 'flush', 'ruleset']);
    console.log(tally.summary('packet tracer vs kernel (nftables, forward path)', FORWARD_RULESETS) + `; the text and JSON listings gave different verdicts ${textJsonDiffer} times` + (withPing ? '' : ' (ICMP skipped: no ping binary)'));
    if (tally.disagreements.length) console.log(tally.disagreements.slice(0, 30).join('\n'));
    expect(tally.cases).toBeGreaterThanOrEqual(400);
    expect(textJsonDiffer).toBe(0);
    expect(tally.disagreements).toEqual([]);
  }, 300_000);
});
