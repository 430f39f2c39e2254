/**
 * iptables.overlay-port-blocked end to end (analyzeBundle with only this analyzer), on the fixtures as a
 * hand-made bundle, and over the shared corpus: every real bundle and every iptables-save / iptables listing in it
 * must stay quiet (healthy k3s/flannel bundles, Calico and kube-proxy dumps, RHEL firewalld hosts). A false
 * critical there is a defect. The corpus part skips where ../shared is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import overlayBlocked from '../../analyzers/overlay-port-blocked.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/overlay-ports', f), 'utf8');
const only = { analyzers: [overlayBlocked] };
const ours = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.findings.filter((f) => f.id === 'iptables.overlay-port-blocked');

describe('iptables.overlay-port-blocked end to end', () => {
  it('a hand-made bundle of the flannel node (iptables-save, ip -d addr, ip route): one critical, files and lines cited', async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('flannel-rhel.iptables-save.txt'), 'ip-d-addr.txt': fx('flannel-node.ip-d-addr.txt'), 'ip-route.txt': fx('flannel-node.ip-route.txt') }, 'h6-overlay-flannel');
    const found = ours(await analyzeBundle(dir, only));
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('critical');
    expect(found[0].evidence[0]).toMatchObject({ line: 10, excerpt: '-A INPUT -j REJECT --reject-with icmp-host-prohibited' });
    expect(found[0].evidence[0].file).toMatch(/iptables-save\.txt$/);
  });

  it('the same bundle with the accepted rules: quiet', async () => {
    const dir = writeFolder({ 'iptables-save.txt': fx('flannel-rhel-accepted.iptables-save.txt'), 'ip-d-addr.txt': fx('flannel-node.ip-d-addr.txt'), 'ip-route.txt': fx('flannel-node.ip-route.txt') }, 'h6-overlay-flannel-ok');
    expect(ours(await analyzeBundle(dir, only))).toEqual([]);
  });

  it("the Weave ticket's paste with ip addr showing the weave bridge: fires; the paste alone: quiet", async () => {
    const withWeave = writeFolder({ 'iptables-save.txt': fx('weave2033.iptables-save.txt'), 'ip-addr.txt': fx('weave-node.ip-addr.txt'), 'ip-route.txt': fx('weave-node.ip-route.txt') }, 'h6-overlay-weave');
    expect(ours(await analyzeBundle(withWeave, only)).map((f) => f.facts?.overlay)).toEqual(['Weave Net']);
    const alone = writeFolder({ 'iptables-save.txt': fx('weave2033.iptables-save.txt') }, 'h6-overlay-weave-alone');
    expect(ours(await analyzeBundle(alone, only))).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('iptables.overlay-port-blocked on the shared corpus: no finding', () => {
  it('every corpus bundle', async () => {
    const bundles = readdirSync(corpusPath('bundles')).filter((f) => /\.(tar\.gz|tgz|zip|tar)$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    for (const b of bundles) expect({ b, found: ours(await analyzeBundle(corpusPath('bundles', b), only)) }).toEqual({ b, found: [] });
  }, 240_000);

  it('every corpus iptables-save / iptables listing, each on its own', async () => {
    const rules = [...readdirSync(corpusPath('iptables-save')).map((f) => ['iptables-save', f]), ...readdirSync(corpusPath('iptables-list')).map((f) => ['iptables-list', f])];
    expect(rules.length).toBeGreaterThan(0);
    for (const [d, f] of rules) {
      const dir = writeFolder({ [f]: readFileSync(corpusPath(d, f)) }, `h6-corpus-${f}`);
      expect({ f, found: ours(await analyzeBundle(dir, only)) }).toEqual({ f, found: [] });
    }
  }, 300_000);
});
