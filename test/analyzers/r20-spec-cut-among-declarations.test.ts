// R20: `iptables -S | head -9` of a healthy Docker 28 host ends among its -N lines, before any rule. Read as a whole
// dump it looked flushed: docker-chain-missing, masquerade-missing and forward-blocks-containers all critical. Such
// output is a paste cut there or a host whose every rule was flushed (iptables -F keeps the chains): only a complete
// iptables-save tells, so nothing is judged absent and no packet is traced to a verdict of a chain it does not show.
// Fixtures: test/fixtures/r20 (real output of iptables 1.8.9 and iproute2 in namespaces; SOURCES.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test', 'fixtures', 'r20');

describe('an iptables -S paste that ends among its chain declarations', () => {
  it('is marked cut: the whole output of the same rules is not', () => {
    const cut = parseIptablesSpec(readFileSync(`${DIR}/docker28-S-head/iptables-S.txt`, 'utf8'), 'iptables-S.txt');
    expect(cut.truncated?.note).toMatch(/ends at line 9 among its chain declarations \(-N\), before any rule/);
    const whole = parseIptablesSpec(readFileSync(`${DIR}/docker28-S-whole.txt`, 'utf8'), 'iptables-S.txt');
    expect(whole.truncated).toBeUndefined();
    expect(Object.keys(whole.tables.filter.chains)).toContain('DOCKER-USER');
  });

  it('gives no critical on the healthy Docker 28 host it was cut from; the forward check says what it could not decide', async () => {
    const r = await analyzeBundle(`${DIR}/docker28-S-head`);
    expect(r.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(r.findings.map((f) => f.id)).not.toContain('iptables.forward-blocks-containers');
    const fwd = r.coverage.nodes[0].analyzers.find((x) => x.id === 'iptables.forward-blocks-containers');
    expect(fwd?.reason).toMatch(/^ran in part: .*docker0.*rules would come after where it ends \(iptables-S\.txt:9\): collect a complete iptables-save/);
  });
});
