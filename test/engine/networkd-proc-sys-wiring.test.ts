/**
 * coreos/bugs#1205 (R9: a MISS, the forwarding listing unread): the thread's `/proc/sys/.../forwarding : 1` loop
 * is read as sysctl values through the layouts (content-sniffed, any file name), so ip-forward-disabled runs and
 * finds nothing; and a hand-made bundle's networkctl output and .network files reach
 * host.networkd-manages-container-interface (real systemd 252 output: test/fixtures/networkd/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (p: string) => readFileSync(projectPath('test/fixtures', p), 'utf8');
const ran = (report: Awaited<ReturnType<typeof analyzeBundle>>, id: string) => report.coverage.nodes[0].analyzers.find((a) => a.id === id)?.status;

describe('pasted /proc/sys listings and networkd in bundles', () => {
  it('coreos/bugs#1205: forwarding 1 everywhere is read, ip-forward-disabled runs and is quiet', async () => {
    const report = await analyzeBundle(writeFolder({ 'sysctl-forwarding.txt': fx('proc-sys/coreos-1205-sysctl-forwarding.txt') }, 'coreos-1205'));
    expect(report.coverage.nodes[0].artifacts.sysctl).toEqual(['sysctl-forwarding.txt']);
    expect(ran(report, 'sysctl.ip-forward-disabled')).toBe('ran');
    expect(report.findings.filter((f) => f.id.startsWith('sysctl.'))).toEqual([]);
  });

  it('the same loop with 0s: ip-forward-disabled fires', async () => {
    const report = await analyzeBundle(writeFolder({ 'forwarding.txt': fx('proc-sys/forwarding-off.txt') }, 'forwarding-off'));
    expect(report.findings.map((f) => f.id)).toContain('sysctl.ip-forward-disabled');
  });

  it("a catch-all Name=* .network and networkctl showing docker0 configured: host.networkd-manages-container-interface", async () => {
    const report = await analyzeBundle(
      writeFolder(
        {
          'etc/systemd/network/99-catchall.network': fx('networkd/catchall/etc/systemd/network/99-catchall.network'),
          'networkctl-list.txt': fx('networkd/catchall/networkctl-list.txt'),
          'ip-addr.txt': fx('networkd/catchall/ip-addr.txt'),
        },
        'networkd-catchall',
      ),
    );
    const f = report.findings.find((x) => x.id === 'host.networkd-manages-container-interface');
    expect(f).toBeDefined();
    expect(f!.evidence.some((e) => e.file === 'networkctl-list.txt')).toBe(true);
  });

  it("Flatcar's stock .network files: quiet", async () => {
    const report = await analyzeBundle(
      writeFolder(
        {
          'usr/lib/systemd/network/zz-default.network': fx('networkd/flatcar/usr/lib/systemd/network/zz-default.network'),
          'ip-addr.txt': fx('networkd/catchall/ip-addr-docker0-before.txt'),
        },
        'networkd-flatcar',
      ),
    );
    expect(report.findings.filter((x) => x.id === 'host.networkd-manages-container-interface')).toEqual([]);
    expect(ran(report, 'host.networkd-manages-container-interface')).toBe('ran');
  });

  it("Flatcar's older yy-vmware.network ([Match] Virtualization=vmware alone): info, it matches only on VMware (R11 p09)", async () => {
    const report = await analyzeBundle(
      writeFolder(
        { 'usr/lib/systemd/network/yy-vmware.network': fx('networkd/flatcar-older-vmware/yy-vmware.network'), 'ip-addr.txt': fx('networkd/flatcar-older-vmware/ip-addr.txt') },
        'networkd-vmware-only',
      ),
    );
    const f = report.findings.find((x) => x.id === 'host.networkd-manages-container-interface')!;
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/only where Virtualization=vmware holds/);
  });
});
