/**
 * iptables.kube-chains-missing (R18-03): no absence judged from an `iptables -L` listing cut short, and the
 * userspace proxier told by a jump to KUBE-PORTALS-CONTAINER / KUBE-PORTALS-HOST alone.
 *
 * - kubernetes#14870 (https://github.com/kubernetes/kubernetes/issues/14870): the reporter's `iptables -L -t nat`
 *   paste is the first rows of a 164,757-line output, PREROUTING only, jumping to KUBE-PORTALS-CONTAINER
 *   (kube-proxy's userspace proxier, which never wrote KUBE-SERVICES); with its kube-proxy log it gave a false
 *   critical "nat KUBE-SERVICES is gone; nat KUBE-POSTROUTING is gone".
 * - Listings produced on this machine (test/fixtures/h55/SOURCES.md): a kube-proxy (iptables mode) nat table
 *   listed whole, cut with `| head -n 6`, and listed whole after KUBE-POSTROUTING was deleted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const ID = 'iptables.kube-chains-missing';
const fx = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h55', name), 'utf8');
const reason = (r: Awaited<ReturnType<typeof analyzeBundle>>) => r.coverage.nodes[0].analyzers.find((a) => a.id === ID)?.reason ?? '';

describe('kube-chains-missing: cut listings and the userspace proxier', () => {
  it('kubernetes#14870 as first reported (the -L paste and the log): no critical, the userspace proxier is said', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-L-nat.txt': fx('k8s-14870-iptables-L-nat.txt'), 'kube-proxy.log': fx('k8s-14870-kube-proxy.log') }, 'description-only'));
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(0);
    expect(reason(r)).toMatch(/userspace mode here \(iptables-L-nat\.txt:6: .*KUBE-PORTALS-CONTAINER/);
  });

  it('a kube-proxy nat listing cut after PREROUTING (| head -n 6): no absence judged from it', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-L.txt': fx('kube-proxy-nat-nvL-head6.txt'), 'iptables-L.txt': fx('kube-proxy-filter-nvL.txt') }, 'node1'));
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(0);
    expect(reason(r)).toMatch(/not judged, only a listing cut short shows them: nat KUBE-POSTROUTING is gone \(iptables-nat-L\.txt: .*OUTPUT, POSTROUTING/);
  });

  it('the same nat table listed whole: no finding', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-L.txt': fx('kube-proxy-nat-nvL.txt'), 'iptables-L.txt': fx('kube-proxy-filter-nvL.txt') }, 'node1'));
    expect(r.findings.filter((f) => f.id === ID)).toHaveLength(0);
    expect(reason(r)).not.toMatch(/not judged/);
  });

  it('listed whole after KUBE-POSTROUTING was deleted: still critical', async () => {
    const r = await analyzeBundle(writeFolder({ 'iptables-nat-L.txt': fx('kube-proxy-nat-nvL-no-postrouting.txt'), 'iptables-L.txt': fx('kube-proxy-filter-nvL.txt') }, 'node1'));
    const f = r.findings.filter((x) => x.id === ID);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].facts?.missing).toEqual(['nat KUBE-POSTROUTING is gone']);
  });
});
