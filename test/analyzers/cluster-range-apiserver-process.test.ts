/**
 * kubernetes.cluster-range-overlaps-host reads the Service range from a listed kube-apiserver
 * (`--service-cluster-ip-range`), not only from its static pod manifest: a node whose own address is
 * inside it is critical. Real text in test/fixtures/apiserver-range (SOURCES.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/apiserver-range', f), 'utf8');
const ID = 'kubernetes.cluster-range-overlaps-host';
const bundle = (v: 'overlap' | 'ok') => writeFolder({ 'ps-aux.txt': fx('ps-aux.txt'), 'ip-addr.txt': fx(`ip-addr.${v}.txt`), 'ip-route.txt': fx(`ip-route.${v}.txt`) }, `apiserver-${v}`);

describe('cluster-range-overlaps-host: the Service range from a listed kube-apiserver', () => {
  it("eth0 10.100.0.5/16 inside the apiserver's 10.96.0.0/12: critical, citing the ps line", async () => {
    const f = (await analyzeBundle(bundle('overlap'))).findings.filter((x) => x.id === ID);
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].evidence.some((e) => e.file === 'ps-aux.txt' && e.line === 2 && /service-cluster-ip-range/.test(e.note ?? ''))).toBe(true);
  });

  it('eth0 192.168.50.131/24 (the guide\'s own address): nothing', async () => {
    const r = await analyzeBundle(bundle('ok'));
    expect(r.findings.map((x) => x.id)).not.toContain(ID);
  });
});
