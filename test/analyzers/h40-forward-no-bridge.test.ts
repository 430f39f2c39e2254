/**
 * forward-blocks-containers on filter-only pastes that name no bridge subnet (reviewers R14 cases 04/05, R15 case 03).
 * Verbatim pastes, read in place from the reviewers' case folders when present:
 * - moby#49528 (https://github.com/moby/moby/issues/49528): Docker 28.0.0's FORWARD (docker-ext-bridges-v4 set
 *   matches in FORWARD, no DOCKER-FORWARD) ahead of ufw's chains, ufw-reject-forward reached by 22 packets;
 * - moby#49498 (https://github.com/moby/moby/issues/49498): the same layout with docker_gwbridge rules, no ufw;
 * - microk8s#4310 (https://github.com/canonical/microk8s/issues/4310): `-A FORWARD -j DROP` above the two
 *   "generated for MicroK8s pods" accepts.
 * Healthy counterparts: real iptables-legacy/-nft output produced in namespaces h40-* (test/fixtures/h40/SOURCE.txt).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const FORWARD = 'iptables.forward-blocks-containers';
const fx = (name: string) => readFileSync(projectPath('test/fixtures/h40', name), 'utf8');
const byId = (r: BundleReport, id: string) => r.findings.filter((f) => f.id === id);
const coverage = (r: BundleReport) => r.coverage.nodes[0].analyzers.find((a) => a.id === FORWARD)!;
async function report(files: Record<string, string>, name: string): Promise<BundleReport> {
  return analyzeBundle(writeFolder(files, name), {});
}

describe('Docker 28.0.0 FORWARD order behind ufw, from FORWARD alone (moby#49528)', () => {
  it('the verbatim filter listing (no bridge named): a warning naming 28.0.0, 28.0.1 and the 22 packets', async () => {
    const r = await report({ 'iptables-L-v-n.txt': fx('moby-49528.iptables-L-v-n.txt'), 'iptables-L-v-n-ufw-chains.txt': fx('moby-49528.iptables-L-v-n-ufw-chains.txt') }, 'h40-49528');
    const [f] = byId(r, FORWARD);
    expect(f).toBeDefined();
    // ufw-reject-forward's body is not in the paste: whether the 22 packets were rejected is not shown
    expect(f.severity).toBe('warning');
    expect(f.facts).toMatchObject({ bridge: null, subnet: null, dockerRuleOrder: 'docker-28.0.0' });
    expect(f.message).toMatch(/does not name the bridge/);
    expect(f.message).toMatch(/22 packets entered ufw-reject-forward/);
    expect(f.evidence.map((e) => `${e.file.split('/').pop()}:${e.line}`)).toEqual(expect.arrayContaining(['iptables-L-v-n.txt:4', 'iptables-L-v-n.txt:6', 'iptables-L-v-n.txt:11']));
    expect(f.remedy.summary).toMatch(/28\.0\.1/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/iptables (-t \S+ )?-I ufw/);
  });

  it('the same listing with ufw-reject-forward shown rejecting (its REJECT counted): critical', async () => {
    // the verbatim FORWARD, plus ufw's ufw-reject-forward as ufw writes it for DEFAULT_FORWARD_POLICY="REJECT" (counter from the jump)
    const chain = 'Chain ufw-reject-forward (1 references)\n pkts bytes target     prot opt in     out     source               destination         \n   16   1032 REJECT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with icmp-port-unreachable\n';
    const r = await report({ 'iptables-L-v-n.txt': fx('moby-49528.iptables-L-v-n.txt'), 'iptables-L-v-n-ufw-reject.txt': chain }, 'h40-49528-reject');
    const [f] = byId(r, FORWARD);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ rejectedPackets: 16, dockerRuleOrder: 'docker-28.0.0' });
  });

  it.each([
    ['Docker 28.0.1+ (DOCKER-FORWARD) behind ufw, REJECT kept (h40 namespace, iptables-legacy -L -v -n)', 'ufw-docker2801.iptables-L-v-n.txt'],
  ])('healthy: %s gives no finding', async (_, file) => {
    const r = await report({ 'iptables-L-v-n.txt': fx(file) }, `h40-healthy-${file}`);
    expect(byId(r, FORWARD)).toEqual([]);
  });
});

describe('moby#49498: the 28.0.0 layout without ufw, docker_gwbridge named', () => {
  it('no finding; the coverage names the layout and does not say no rule names a bridge', async () => {
    const r = await report({ 'iptables-nvL.txt': fx('moby-49498.iptables-nvL.txt') }, 'h40-49498');
    expect(byId(r, FORWARD)).toEqual([]);
    const reason = coverage(r).reason ?? '';
    expect(reason).not.toMatch(/no rule names a container bridge/);
    expect(reason).toMatch(/docker_gwbridge/);
    expect(reason).toMatch(/Docker 28\.0\.0's layout/);
  });
});

describe('microk8s#4310: a DROP above MicroK8s\' pod accepts', () => {
  it('the verbatim fragment: critical, the DROP and both shadowed accepts cited, accepts inserted first', async () => {
    const r = await report({ 'iptables-save.txt': fx('microk8s-4310.iptables-save.txt') }, 'h40-mk');
    const [f] = byId(r, FORWARD);
    expect(f.severity).toBe('critical');
    expect(f.facts).toMatchObject({ subnet: '10.1.0.0/16', podNetworkOwner: 'MicroK8s', shadowedAccepts: 2, decidedBy: 'filter/FORWARD#1' });
    expect(f.evidence.slice(0, 3).map((e) => e.line)).toEqual([3, 4, 5]);
    expect(f.evidence[1].note).toMatch(/never reached/);
    // -C with no comment: MicroK8s' own commented rule below the DROP must not make the check skip the insert
    expect(f.remedy.commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^iptables -C FORWARD -s 10\.1\.0\.0\/16 -j ACCEPT 2>\/dev\/null \|\| iptables -I FORWARD 1 -s 10\.1\.0\.0\/16 -j ACCEPT/),
        expect.stringMatching(/^iptables -C FORWARD -d 10\.1\.0\.0\/16 -j ACCEPT 2>\/dev\/null \|\| iptables -I FORWARD 1 -d 10\.1\.0\.0\/16 -j ACCEPT/),
        expect.stringMatching(/^# or instead, only if you placed that rule yourself.*iptables -D FORWARD -j DROP/),
      ])
    );
  });

  it.each([
    ["MicroK8s' accepts above the DROP (h40 namespace, iptables-legacy-save)", { 'iptables-save.txt': 'microk8s-accepts-first.iptables-legacy-save.txt' }],
    ['the remedy pasted twice on the broken rules (h40 namespace, iptables-nft-save)', { 'iptables-save.txt': 'microk8s-fixed.iptables-nft-save.txt' }],
    ['the same, iptables -L -v -n', { 'iptables-L-v-n.txt': 'microk8s-fixed.iptables-L-v-n.txt' }],
  ])('healthy: %s gives no finding', async (_, files) => {
    const r = await report(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, fx(v)])), `h40-mk-ok-${Object.values(files)[0]}`);
    expect(byId(r, FORWARD)).toEqual([]);
  });
});
