/**
 * A firewall reload flushes the rules Podman added when its containers started (containers/podman#8048,
 * #1431, containers/netavark#230): Podman notices only when it tears a container's network down and
 * finds its CNI or netavark chain gone. The reload and the teardown are one diagnosis, and the fix is
 * Podman's (podman network reload --all; netavark-firewalld-reload.service), never a docker restart on
 * a host without Docker. The texts are the threads' own (test/fixtures/r3-logs/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { render } from '../../src/report/render.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const CASES = projectPath('test/fixtures/r3-logs');
const text = (p: string) => readFileSync(`${CASES}/${p}`, 'utf8');
const logIds = (findings: Finding[]) => findings.map((f) => f.id).filter((id) => id.startsWith('log.'));

describe("Podman's rules flushed by a firewall reload", () => {
  it('podman#8048: the reload (line 4) and the missing CNI chain (line 9) are one warning, with Podman\'s fix', async () => {
    const report = await analyzeBundle(`${CASES}/podman-8048`);
    expect(logIds(report.findings)).toEqual(['log.podman-rules-flushed']);
    const f = report.findings[0];
    expect(f.severity).toBe('warning');
    expect(f.evidence.map((e) => `${e.file}:${e.line}`).sort()).toEqual(['terminal-output.txt:4', 'terminal-output.txt:9']);
    expect(f.related).toEqual(['log.firewall-restart']);
    expect(f.message).toContain('chain CNI-f1d9f8791753a895cccae697');
    expect(f.message).toContain('A firewall restart is logged before it (terminal-output.txt:4)');
    expect(f.remedy.commands).toEqual(['podman network reload --all', 'systemctl enable --now netavark-firewalld-reload.service   # netavark 1.9+, where firewalld runs']);
    expect(f.remedy.caution).toMatch(/short interruption/);
    // no Docker on this host: nothing says to restart it
    expect(JSON.stringify(f.remedy)).not.toMatch(/docker/i);
    // the line says iptables v1.8.4: no word of the 1.8.0-1.8.2 bug
    expect(JSON.stringify(f)).not.toMatch(/1\.8\.0-1\.8\.2/);
  });

  it('podman#1431 (iptables-legacy 1.4.21, the reload in another terminal): the flushed rules alone, not a harmless cleanup', async () => {
    const report = await analyzeBundle(`${CASES}/podman-1431`);
    // the container's `curl: (6) Could not resolve host: ifconfig.co` after the flush is a DNS failure of its own (H84)
    expect(logIds(report.findings).sort()).toEqual(['log.dns-lookup-failed', 'log.podman-rules-flushed']);
    const f = report.findings.find((x) => x.id === 'log.podman-rules-flushed')!;
    expect(f.message).toContain('chain CNI-f50e48a52fa26aaaad634e9a');
    expect(f.message).not.toMatch(/firewall restart is logged/);
    expect(f.remedy.commands[0]).toBe('podman network reload --all');
  });

  it("netavark#230: netavark's teardown error after firewall-cmd --reload", async () => {
    const report = await analyzeBundle(`${CASES}/netavark-230`);
    expect(logIds(report.findings)).toEqual(['log.podman-rules-flushed']);
    expect(report.findings[0].evidence.map((e) => e.line).sort()).toEqual([1, 3]);
    expect(report.findings[0].related).toEqual(['log.firewall-restart']);
  });

  it('a reload after the teardown is not named as its cause', () => {
    // the same lines, the reload moved after the error: a later reload flushed nothing the teardown missed
    const lines = text('podman-8048/terminal-output.txt').split('\n');
    const reordered = [...lines.slice(0, 3), ...lines.slice(5, 9), lines[3], lines[4], ...lines.slice(9)].join('\n');
    expect(reordered.split('\n')[7]).toBe('$ firewall-cmd --reload');
    return analyzeBundle(writeFolder({ 'terminal-output.txt': reordered }, 'podman-late-reload')).then((report) => {
      const f = report.findings.find((x) => x.id === 'log.podman-rules-flushed')!;
      expect(f.message).not.toMatch(/firewall restart is logged before/);
    });
  });

  it('the md report: one finding, its fix, no escaped backticks', async () => {
    const md = render({ tool: { name: 'bundle-doctor', version: 't' }, generatedAt: '2026-01-01T00:00:00Z', bundles: [await analyzeBundle(`${CASES}/podman-8048`)], failures: [] }, 'md');
    expect(md).toContain("Podman's firewall rules were flushed");
    expect(md).toContain('podman network reload --all');
    expect(md).not.toContain('restart docker');
    expect(md).not.toContain('\\`');
  });
});
