/**
 * iptables.forward-blocks-containers on a Podman (CNI) bridge beside Docker's FORWARD policy DROP: the CNI firewall
 * plugin accepts each running container by its address in CNI-FORWARD (`-s 10.88.0.61/32 -j ACCEPT`), so what
 * leaves the bridge is traced from that container, not from a stand-in address no rule names (a false critical
 * "containers on cni-podman0 cannot reach anything outside the node" on a host where the one container can).
 * Real rules: test/fixtures/h71-two-engines/docker-cni-published (made with iptables-restore and iptables-save in a
 * namespace by make-fixtures.sh there). The published port's drop stays docker.forward-drop-other-engine's.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import blocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/h71-two-engines/docker-cni-published');
const files = (): Record<string, string> =>
  Object.fromEntries(readdirSync(DIR).filter((f) => statSync(`${DIR}/${f}`).isFile()).map((f) => [f, readFileSync(`${DIR}/${f}`, 'utf8')]));

async function run(f: Record<string, string>, name: string, notes: string[] = []): Promise<FindingDraft[]> {
  const b = await loadBundle(writeFolder(f, name));
  return blocks.scope === 'node' ? await blocks.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) }) : [];
}

describe("CNI firewall plugin's per-container accepts under Docker's policy DROP", () => {
  it('the running container (10.88.0.61) is accepted by CNI-FORWARD: no finding about what leaves cni-podman0', async () => {
    const f = files();
    expect(f['iptables-save.txt']).toContain('-A CNI-FORWARD -s 10.88.0.61/32 -j ACCEPT');
    expect(await run(f, 'cni-fw-ok')).toEqual([]);
  });

  it("the same host without the container's accept pair (no container runs: the plugin adds the pair as one starts): nothing, said in the coverage", async () => {
    const f = files();
    f['iptables-save.txt'] = f['iptables-save.txt']
      .split('\n')
      .filter((l) => !/^-A CNI-FORWARD -[sd] 10\.88\.0\.61\/32/.test(l))
      .join('\n');
    const notes: string[] = [];
    expect(await run(f, 'cni-fw-gone', notes)).toEqual([]);
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/^10\.88\.0\.0\/16 \(cni-podman0\): no container runs on it/)]));
  });

  it('a Podman bridge whose network is not CNI\'s (no CNI-FORWARD): still traced from the subnet, the policy drops it', async () => {
    const f = files();
    f['iptables-save.txt'] = f['iptables-save.txt']
      .split('\n')
      .filter((l) => !/CNI-FORWARD/.test(l))
      .join('\n');
    const found = await run(f, 'cni-fw-none');
    expect(found.map((x) => x.severity)).toEqual(['critical']);
    expect(found[0].message).toMatch(/from 10\.88\.0\.0\/16 \(cni-podman0\) to the outside via eth0 is dropped by the FORWARD policy DROP/);
  });
});
