/**
 * A kube-proxy node with 12,000 services (~180,000 lines of iptables-save): every rule is read.
 * Speed is measured by the bench; the time is printed here so a regression shows in test logs.
 */
import { describe, expect, it } from 'vitest';
import { generateKubeProxySave } from '../../bench/gen-kube-proxy.js';
import { allRules, findChain, jumpsTo } from '../../src/netfilter/rules.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { markCondition, portConditions, targetSpec } from '../../src/netfilter/values.js';

describe('kube-proxy at scale', () => {
  it('12,000 services: 48,008 nat chains, 132,010 rules, the last service intact', () => {
    const text = generateKubeProxySave(12_000);
    const lines = text.split('\n').length;
    expect(lines).toBeGreaterThan(175_000);
    const start = performance.now();
    const rs = parseIptablesSave(text, 'iptables-save');
    const ms = performance.now() - start;
    console.log(`parsed ${lines} lines, ${allRules(rs).length} rules in ${ms.toFixed(0)} ms`);
    expect(rs).toMatchObject({ backend: 'nf_tables', version: '1.8.9', family: 'ipv4', warnings: [] });
    // per service: a KUBE-SVC chain and 3 KUBE-SEP chains; 1 + 1 + 3 + 3x2 rules
    expect(Object.keys(rs.tables.nat.chains)).toHaveLength(8 + 12_000 * 4);
    expect(allRules(rs)).toHaveLength(7 + 12_000 * 11 + 1 + 2);
    const services = findChain(rs, 'nat', 'KUBE-SERVICES')!.rules;
    expect(services).toHaveLength(12_001);
    const last = services[11_999];
    expect(last).toMatchObject({ num: 12_000, destination: { value: '10.96.46.223/32', negated: false }, comment: 'ns49/svc-11999:http cluster IP' });
    expect(last.ref.line).toBe(text.split('\n').indexOf(last.text) + 1);
    expect(portConditions(last, 'dst')).toEqual([{ module: 'tcp', ranges: [{ from: 80, to: 80 }], negated: false }]);
    const svc = findChain(rs, 'nat', last.target!)!;
    expect(svc.rules.map((r) => r.matches.find((m) => m.module === 'statistic')?.options.find((o) => o.name === 'probability')?.value)).toEqual([undefined, '0.33333333333', '0.50000000000', undefined]);
    expect(targetSpec(findChain(rs, 'nat', svc.rules[3].target!)!.rules[1])).toMatchObject({ kind: 'DNAT', to: { ports: { from: 8080, to: 8080 } } });
    expect(jumpsTo(rs, 'nat', 'KUBE-MARK-MASQ')).toHaveLength(12_000 * 4);
    expect(markCondition(findChain(rs, 'filter', 'KUBE-FIREWALL')!.rules[0])).toEqual({ value: 0x8000, mask: 0x8000, negated: false });
  });
});
