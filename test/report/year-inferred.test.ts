/**
 * A syslog or klog line gives no year; the scanner infers one (see test/logs/year.test.ts). The
 * report says so wherever it shows such a time, so a reader does not take a guess for a fact.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { writeFolder } from '../helpers/archive.js';

const SYSLOG = 'Nov 20 10:15:02 h1 dockerd[981]: WARNING: IPv4 forwarding is disabled. Networking will not work.\n';
const KLOG = 'E1120 10:15:02.118000       1 reflector.go:138] Failed to watch *v1.Service: dial tcp 10.43.0.1:443: i/o timeout\n';

describe('a time whose year was inferred', () => {
  it('is marked in the JSON (evidence, finding, timeline) and shown in Markdown', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 0\n', 'messages': SYSLOG, 'kube.log': KLOG }, 'h1'));
    const fwd = r.findings.find((f) => f.id === 'sysctl.ip-forward-disabled')!;
    expect(fwd.evidence.find((e) => e.file === 'messages')).toMatchObject({ time: expect.stringMatching(/-11-20T10:15:02/), yearInferred: true });
    const klog = r.findings.find((f) => f.evidence.some((e) => e.file === 'kube.log'))!;
    expect(klog).toMatchObject({ seenYearInferred: true });
    expect(r.timeline?.every((t) => t.yearInferred === true)).toBe(true);
    const md = render({ tool: { name: 'bundle-doctor', version: 'x' }, generatedAt: new Date(0).toISOString(), bundles: [r], failures: [] }, 'md');
    expect(md).toMatch(/at \S+T10:15:02\S* \(year inferred\)/);
    expect(md).toMatch(/\(year inferred: the log lines give none\)/);
  });

  it('a line that states its year is not marked', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 0\n', 'docker.log': 'time="2026-11-20T10:15:02.118Z" level=warning msg="IPv4 forwarding is disabled. Networking will not work."\n' }, 'h2'));
    const e = r.findings.flatMap((f) => f.evidence).find((x) => x.file === 'docker.log');
    expect(e?.time).toBe('2026-11-20T10:15:02.118Z');
    expect(e?.yearInferred).toBeUndefined();
  });
});
