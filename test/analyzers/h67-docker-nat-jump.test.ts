/**
 * iptables.docker-chain-missing (helper H67): nat PREROUTING listed whole without Docker's jump, in a listing cut
 * before the user chains, so the DOCKER chain itself is not shown either way.
 * - moby/moby#10218 https://github.com/moby/moby/issues/10218: verbatim `iptables -t nat -nvL` after firewalld
 *   rebuilt the nat table (PREROUTING jumps only to PREROUTING_direct / _ZONES_SOURCE / _ZONES; no MASQUERADE).
 * - the ip addr (docker0) and the healthy listings are real output made in a namespace: test/fixtures/h67/README.txt.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => projectPath('test/fixtures/h67', ...p);
const ID = 'iptables.docker-chain-missing';
const findings = async (path: string) => (await analyzeBundle(path)).findings.filter((f) => f.id === ID);
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'h67-'));
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  return dir;
}

describe('nat PREROUTING listed whole without -j DOCKER (moby#10218)', () => {
  it('with docker0 on the host: critical, the jump from PREROUTING missing, firewalld named, masquerade not judged', async () => {
    const f = await findings(fx('moby-10218-firewalld'));
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toContain('nat PREROUTING does not jump to DOCKER (-m addrtype --dst-type LOCAL -j DOCKER)');
    expect(f[0].message).toMatch(/firewalld was started or reloaded after Docker/);
    expect(f[0].message).toMatch(/does not show whether the DOCKER chain itself is still there/);
    // no MASQUERADE in POSTROUTING, but firewalld's zone masquerade may do it: said, not claimed
    expect(f[0].message).toMatch(/firewalld's zone masquerade, behind POSTROUTING_ZONES \(not listed\), may do it/);
    expect(f[0].remedy!.caution).toMatch(/after every firewalld start or reload/);
    expect(f[0].remedy!.commands.join('\n')).toMatch(/restart docker/);
    // PREROUTING's line and its firewalld jumps (lines 3-5), POSTROUTING (line 14) and docker0 cited
    const cited = f[0].evidence.filter((e) => e.file === 'iptables_-t_nat_-nvL.txt').map((e) => e.line);
    expect(cited).toEqual(expect.arrayContaining([1, 3, 4, 5, 14]));
    expect(f[0].evidence.some((e) => e.file === 'ip_addr.txt')).toBe(true);
  });

  it('the paste alone (nothing names Docker): silent', async () => {
    expect(await findings(folder({ 'iptables_-t_nat_-nvL.txt': fx('moby-10218-firewalld/iptables_-t_nat_-nvL.txt') }))).toEqual([]);
  });

  it("healthy: the same firewalld table with Docker's jumps and MASQUERADE, cut after POSTROUTING: no finding above info", async () => {
    const f = await findings(fx('nat-docker-jump'));
    expect(f.filter((x) => x.severity !== 'info')).toEqual([]);
    expect(f.some((x) => /PREROUTING does not jump/.test(x.message))).toBe(false);
  });

  it("PREROUTING jumps to an admin's chain the listing does not show: not judged (info), since the jump may be in it", async () => {
    const f = await findings(fx('nat-unknown-chain'));
    expect(f.map((x) => x.severity)).toEqual(['info']);
    expect(f[0].message).toMatch(/Cannot tell whether Docker's chains are in place/);
  });
});
