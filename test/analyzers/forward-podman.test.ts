/**
 * iptables.forward-blocks-containers on a Podman host: netavark's bridges (podman0, podman1, ...) are
 * traced like Docker's. A host table's forward drop (Debian's `table inet filter` with `policy drop`)
 * cuts them off whatever netavark accepts in iptables-nft's FORWARD (nftables runs every base chain on
 * the hook). Without ip addr, netavark's own `NETAVARK_FORWARD -s <subnet> -j ACCEPT` names the network
 * (containers/aardvark-dns#453's `nft list table ip filter`, R6's W10), its bridge unnamed: traced, and a
 * drop that could depend on the name is left to the coverage. Real output: test/fixtures/podman-forward.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/podman-forward', f), 'utf8');
const FORWARD = 'iptables.forward-blocks-containers';
const byId = (r: BundleReport) => r.findings.filter((f) => f.id === FORWARD);
const coverage = (r: BundleReport) => r.coverage.nodes[0].analyzers.find((a) => a.id === FORWARD)!;

describe('forward-blocks-containers: Podman bridges', () => {
  it('fires: podman1 (10.8.1.0/28) dropped by table inet filter\'s forward policy, with add-if-missing nft inserts', async () => {
    const r = await analyzeBundle(writeFolder({ 'ip-addr.txt': fx('ip-addr.txt'), 'ip-route.txt': fx('ip-route.txt'), 'nft-list-ruleset.txt': fx('nft-list-ruleset.txt') }, 'podman-drop'));
    const f = byId(r);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'critical', facts: { bridge: 'podman1', subnet: '10.8.1.0/28', uplink: 'eth0', verdict: 'DROP' } });
    expect(f[0].evidence[0]).toMatchObject({ file: 'nft-list-ruleset.txt', excerpt: expect.stringContaining('policy drop') });
    expect(f[0].remedy!.commands).toContain(
      `nft list chain inet filter forward | sed 's/^[[:space:]]*//' | grep -qxF 'iifname "podman1" accept' || nft insert rule inet filter forward iifname "podman1" accept`,
    );
  });

  it('healthy (netavark\'s accepts, no host drop): nothing, and the check ran in full', async () => {
    const r = await analyzeBundle(writeFolder({ 'ip-addr.txt': fx('ip-addr.txt'), 'ip-route.txt': fx('ip-route.txt'), 'nft-list-ruleset.txt': fx('nft-list-ruleset.healthy.txt') }, 'podman-ok'));
    expect(byId(r)).toHaveLength(0);
    expect(coverage(r)).toMatchObject({ status: 'ran' });
    expect(coverage(r).reason ?? '').not.toMatch(/ran in part/);
  });

  it("aardvark-dns#453's listing alone: netavark's network is read from its rule, not 'no rule names a container bridge'", async () => {
    const r = await analyzeBundle(writeFolder({ 'nft-list-table-ip-filter.txt': fx('nft-list-table-ip-filter.453.txt') }, 'podman-453'));
    expect(byId(r)).toHaveLength(0);
    expect(coverage(r).reason).toMatch(/netavark's network 10\.8\.1\.0\/28 \(its bridge not named\) was read from the rules/);
    expect(coverage(r).reason).not.toMatch(/no rule names a container bridge/);
  });

  it('rules alone with the host drop: no finding on a bridge name the bundle does not give; the coverage names the drop', async () => {
    const r = await analyzeBundle(writeFolder({ 'nft-list-ruleset.txt': fx('nft-list-ruleset.txt') }, 'podman-drop-rules-only'));
    expect(byId(r)).toHaveLength(0);
    expect(coverage(r).reason).toMatch(/10\.8\.1\.0\/28 \(a Podman bridge\) .* is dropped by inet filter\/forward policy .*whose name the bundle does not give.*collect ip addr/);
  });
});
