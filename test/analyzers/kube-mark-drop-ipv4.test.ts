/**
 * `Couldn't load target KUBE-MARK-DROP` on an IPv4-only node (openshift/installer#1816, reviewer R9):
 * the finding told kubernetes#96468's dual-stack story ("created for the primary IP family only") and
 * listed each log line twice (the folded restore failure cited the same lines). Now: the IPv4 wording,
 * each line once, the iptables (not ip6tables) commands.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

describe('KUBE-MARK-DROP missing on an IPv4 node', () => {
  it('openshift/installer#1816: no dual-stack story, each line cited once, iptables commands', async () => {
    const log = readFileSync(projectPath('test/fixtures/kube-mark-drop-ipv4/kube-proxy.log'), 'utf8');
    const r = await analyzeBundle(writeFolder({ 'kube-proxy.log': log }, 'openshift-1816'));
    const f = r.findings.filter((x) => x.facts?.missingChains);
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ missingChains: ['KUBE-MARK-DROP'], family: 'ipv4' });
    expect(f[0].message).not.toMatch(/primary IP family|dual-stack/);
    expect(f[0].message).toMatch(/this node's nat table lacks it/);
    const keys = f[0].evidence.map((e) => `${e.file}:${e.line}`);
    expect(new Set(keys).size).toBe(keys.length);
    // iptables-restore v1.4.21 knows only legacy: look at both back ends first; the chain is created only where the host's iptables is legacy (R12 case 04)
    expect(f[0].remedy!.commands[0]).toMatch(/^iptables -V/);
    expect(f[0].remedy!.commands).toContain('iptables -V | grep -q legacy && { iptables -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || iptables -t nat -N KUBE-MARK-DROP; }');
    expect(f[0].remedy!.summary).not.toMatch(/both IP families/);
  });
});
