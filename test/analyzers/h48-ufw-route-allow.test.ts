/**
 * Docker 28.0.0's FORWARD order behind ufw (moby#49528, https://github.com/moby/moby/issues/49528), reviewer R16 cases c06/c20.
 * c06: DEFAULT_FORWARD_POLICY="REJECT" with `ufw route allow in on docker0 out on eth0` (-A ufw-user-forward -i docker0 -o eth0
 * -j ACCEPT, 21243 packets): docker0's new connections are accepted before ufw-reject-forward, so the order harms nothing for
 * docker0 when eth0 is the uplink. c20: the same rules without the route rule: critical.
 * Fixtures: test/fixtures/h48/SOURCE.txt (the reviewer's real output, copied; ip addr / ip route and a split listing made
 * here in namespaces h48-*).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const FORWARD = 'iptables.forward-blocks-containers';
const fx = (name: string) => readFileSync(projectPath('test/fixtures/h48', name), 'utf8');
const byId = (r: BundleReport, id: string) => r.findings.filter((f) => f.id === id);
const coverage = (r: BundleReport) => r.coverage.nodes[0].analyzers.find((a) => a.id === FORWARD)!;
const C06 = 'c06-ufw-route-allow-docker0.iptables-nvL.txt';
const C20 = 'c20-ufw-reject.iptables-nvL.txt';
async function report(files: Record<string, string>, name: string): Promise<BundleReport> {
  return analyzeBundle(writeFolder(files, name), {});
}
const withUplink = (rules: string, uplink: 'eth0' | 'eth1') => ({ 'iptables-nvL.txt': fx(rules), 'ip-addr.txt': fx(`uplink-${uplink}.ip-addr.txt`), 'ip-route.txt': fx(`uplink-${uplink}.ip-route.txt`) });

describe('c06: ufw route allow in on docker0 out on eth0, Docker 28.0.0 order', () => {
  it('filter listing alone: no finding; the coverage says it depends on the uplink and names the ufw-user-forward accept', async () => {
    const r = await report({ 'iptables-nvL.txt': fx(C06) }, 'h48-c06');
    expect(byId(r, FORWARD)).toEqual([]);
    const reason = coverage(r).reason ?? '';
    expect(reason).toMatch(/ran in part/);
    expect(reason).toMatch(/not if the uplink is eth0, which a rule names: then ufw-user-forward rule 1 \(iptables-nvL\.txt:64/);
  });

  it('with ip addr and the route out of eth0: no finding, nothing left undecided by the order check', async () => {
    const r = await report(withUplink(C06, 'eth0'), 'h48-c06-eth0');
    expect(byId(r, FORWARD)).toEqual([]);
    expect(coverage(r).reason ?? '').not.toMatch(/28\.0\.0/);
  });

  it('with the uplink eth1 (the route rule names eth0): critical, docker0 rejected by ufw-reject-forward', async () => {
    const r = await report(withUplink(C06, 'eth1'), 'h48-c06-eth1');
    const [f] = byId(r, FORWARD);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ bridge: 'docker0', uplink: 'eth1', decidedBy: 'filter/ufw-reject-forward#1', dockerRuleOrder: 'docker-28.0.0' });
  });
});

describe('c20: the same without the ufw route rule stays critical', () => {
  it.each([
    ['filter listing alone', { 'iptables-nvL.txt': fx(C20) }, null],
    ['with ip addr, uplink eth0', withUplink(C20, 'eth0'), 'eth0'],
  ])('%s: one critical finding carrying the 28.0.0 order', async (_, files, uplink) => {
    const r = await report(files, `h48-c20-${uplink}`);
    const found = byId(r, FORWARD);
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('critical');
    expect(found[0].facts).toMatchObject({ bridge: 'docker0', uplink, decidedBy: 'filter/ufw-reject-forward#1', dockerRuleOrder: 'docker-28.0.0' });
  });
});

describe('the order finding names the bridge the rules name (split paste without ufw-reject-forward)', () => {
  it('a warning that names docker0 and its rule, never "no per-bridge rule"', async () => {
    const r = await report({ 'iptables-nvL.txt': fx('c20-without-ufw-reject-forward.iptables-nvL.txt') }, 'h48-split');
    const [f] = byId(r, FORWARD);
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ bridge: 'docker0', dockerRuleOrder: 'docker-28.0.0' });
    expect(f.message).not.toMatch(/no per-bridge rule|does not name the bridge/);
    expect(f.message).toMatch(/Traced through ufw's chains, a new connection from a container on docker0 \(named by iptables-nvL\.txt:13\)/);
    expect(f.remedy.commands.join('\n')).toMatch(/ufw route allow in on docker0 /);
  });
});
