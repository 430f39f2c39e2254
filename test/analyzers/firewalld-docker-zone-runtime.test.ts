/**
 * firewalld.container-interface-unzoned where Docker zones its bridges at runtime (reviewer R26 15): Docker 20.10+
 * creates the docker zone in firewalld's permanent configuration but binds docker0 and its br- bridges to it at runtime
 * only (libnetwork's firewalld.go), so etc/firewalld/zones/docker.xml without `<interface name="docker0"/>` is normal.
 * The running firewalld's own nft table shows the binding (`iifname "docker0" jump filter_IN_docker`).
 * Real sosreport tree made by reviewer R25 with real binaries (test/fixtures/h78-29-docker285-firewalld).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

const SRC = projectPath('test/fixtures/h78-29-docker285-firewalld');
const SOS = 'sosreport-rhel9fw-2026-12-04-abcdef';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** the fixture with docker0 left out of docker.xml, as Docker writes it; `drop` files removed */
function tree(drop: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'bd-fw-zone-'));
  dirs.push(dir);
  cpSync(SRC, dir, { recursive: true });
  const xml = join(dir, SOS, 'etc/firewalld/zones/docker.xml');
  writeFileSync(xml, readFileSync(xml, 'utf8').replace(/^\s*<interface name="docker0"\/>\n/m, ''));
  for (const f of drop) rmSync(join(dir, SOS, f), { force: true });
  return dir;
}

async function run(dir: string) {
  const b = await loadBundle(dir);
  const notes: string[] = [];
  const found = unzoned.scope === 'node' ? await unzoned.analyze({ node: 'rhel9fw', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
  return { found, notes };
}

describe("Docker's bridges zoned at runtime", () => {
  it('docker.xml without docker0, the live nft ruleset dispatching docker0 to filter_IN_docker: nothing', async () => {
    const dir = tree();
    expect(readFileSync(join(dir, SOS, 'etc/firewalld/zones/docker.xml'), 'utf8')).not.toContain('docker0');
    expect(readFileSync(join(dir, SOS, 'sos_commands/firewall_tables/nft_-a_list_ruleset'), 'utf8')).toMatch(/iifname "docker0" jump filter_IN_docker/);
    expect((await run(dir)).found).toEqual([]);
  });

  it('the zone files alone (no nft listing): nothing, and the coverage asks for the running firewalld\'s zones', async () => {
    const { found, notes } = await run(tree(['sos_commands/firewall_tables/nft_-a_list_ruleset']));
    expect(found).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^docker0: the zones are the permanent configuration only .* firewall-cmd --get-active-zones/)]);
  });

  it('a non-Docker container bridge (cni0) in no zone of the same files: still the warning', async () => {
    const dir = tree(['sos_commands/firewall_tables/nft_-a_list_ruleset']);
    const addr = join(dir, SOS, 'sos_commands/networking/ip_-d_address');
    const text = readFileSync(addr, 'utf8');
    const cni = text.replace(/\bdocker0\b/g, 'cni0');
    writeFileSync(addr, cni);
    const { found } = await run(dir);
    expect(found.map((f) => [f.severity, f.facts?.bridge])).toEqual([['warning', 'cni0']]);
  });
});
