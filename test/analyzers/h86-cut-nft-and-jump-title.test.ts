/**
 * iptables.docker-chain-missing (helper H86, reviewer R27):
 * - a cut `nft list ruleset` (a table still open at its end) claims nothing missing: podman#26814's paste stops inside
 *   table ip nat, before any base chain; "nat PREROUTING does not jump to DOCKER" was a false critical. Held back to the
 *   coverage with where the listing is cut. A whole listing of the same host with the jumps really gone still fires.
 * - only the jump gone (the chains there): the title and first sentence say the jump is missing, not the chains, and no
 *   firewall service is named as the cause where the bundle shows none (telnetdoogie/synology-docker#66).
 * Fixtures: test/fixtures/h86-podman-cut (https://github.com/podman-container-tools/podman/issues/26814, verbatim),
 * test/fixtures/h86-synology (https://github.com/telnetdoogie/synology-docker/issues/66, verbatim),
 * test/fixtures/h86-netns (real iptables-nft / nft output from a namespace, README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import chainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import { analyzeBundle, loadBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const ID = 'iptables.docker-chain-missing';
const LINK = read('h86-podman-cut', 'ip-link-show.txt');
const CUT = read('h86-podman-cut', 'nft-list-ruleset.txt');
const NOJUMP = read('h86-netns', 'whole-nojump.nft');
const JUMP = read('h86-netns', 'whole-jump.nft');

async function run(files: Record<string, string>, name: string) {
  const dir = writeFolder(files, name);
  const findings = (await analyzeBundle(dir)).findings.filter((f) => f.id === ID);
  const b = await loadBundle(dir);
  const notes: string[] = [];
  await chainMissing.analyze({ node: name, artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (w: string) => notes.push(w) } as never);
  return { findings, notes };
}

describe('a cut nft listing claims no chain or jump missing (podman#26814)', () => {
  it('the verbatim paste: no finding above info; the coverage says the nat table was not judged, cut after line 5', async () => {
    const { findings, notes } = await run({ 'nft-list-ruleset.txt': CUT, 'ip-link-show.txt': LINK }, 'h86-cut');
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(findings.some((f) => /PREROUTING does not jump/.test(f.message))).toBe(false);
    expect(notes.join('\n')).toMatch(/iptables nat table not judged \(nat PREROUTING does not jump to DOCKER.*\): nft-list-ruleset\.txt: the nft listing is cut off after line 5, inside table ip nat/);
  });

  it('a whole listing of the same host with the jumps really gone: still fires (critical), title says the jumps are missing', async () => {
    const { findings, notes } = await run({ 'nft-list-ruleset.txt': NOJUMP, 'ip-link-show.txt': LINK }, 'h86-nojump');
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
    const f = findings[0];
    expect(f.title).toBe("Docker's DOCKER chain is there, but nat PREROUTING and nat OUTPUT do not jump to it");
    expect(f.message).toMatch(/^The jumps from nat PREROUTING and nat OUTPUT to Docker's DOCKER chain are missing \(the chain is there\) on h86-nojump: nat PREROUTING does not jump to DOCKER/);
    // no firewall service in the bundle: none named as the cause
    expect(f.message).not.toMatch(/iptables\.service|firewalld restart/);
    expect(f.message).toMatch(/something flushed or rewrote nat PREROUTING and nat OUTPUT after dockerd started/);
    expect(notes.join('\n')).not.toMatch(/cut off/);
  });

  it('healthy: the same whole listing with both jumps: no finding', async () => {
    const { findings } = await run({ 'nft-list-ruleset.txt': JUMP, 'ip-link-show.txt': LINK }, 'h86-jump');
    expect(findings).toEqual([]);
  });

  it('the whole listing without the jumps, cut inside its second table (ip filter): nat, closed before the cut, is whole and its missing jumps fire; filter is held back', async () => {
    const lines = NOJUMP.split('\n');
    const at = lines.findIndex((l) => /^\s*chain DOCKER-CT \{/.test(l));
    expect(lines.findIndex((l) => /^table ip nat \{/.test(l))).toBeLessThan(lines.findIndex((l) => /^table ip filter \{/.test(l)));
    const { findings, notes } = await run({ 'nft-list-ruleset.txt': lines.slice(0, at + 2).join('\n') + '\n', 'ip-link-show.txt': LINK }, 'h86-cut2');
    const real = findings.filter((f) => f.severity !== 'info');
    expect(real.map((f) => f.severity)).toEqual(['critical']);
    expect(real[0].facts?.missing).toEqual([expect.stringMatching(/^nat PREROUTING does not jump to DOCKER/), expect.stringMatching(/^nat OUTPUT does not jump to DOCKER/)]);
    expect(notes.join('\n')).toMatch(new RegExp(`cut off after line ${at + 2}, inside table ip filter`));
  });
});

describe('only the jump from FORWARD gone (telnetdoogie/synology-docker#66)', () => {
  it('critical kept; title and first sentence say the jump is missing, the chains are there; no firewall service blamed', async () => {
    const { findings } = await run({ 'iptables-L.txt': read('h86-synology', 'iptables-L.txt'), 'docker-version.txt': read('h86-synology', 'docker-version.txt') }, 'h86-syno');
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
    const f = findings[0];
    expect(f.title).toBe("Docker's chains are there, but filter FORWARD does not jump to them");
    expect(f.title).not.toMatch(/chains are missing/);
    expect(f.message.split(/(?<=\.) /)[0]).toMatch(/^The jump from filter FORWARD to Docker's chains is missing on h86-syno: filter FORWARD does not reach Docker's chain DOCKER-FORWARD \(the chain exists, but FORWARD has no -A FORWARD -j DOCKER-FORWARD\)/);
    expect(f.message).not.toMatch(/iptables\.service|firewalld restart/);
    expect(f.message).toMatch(/Docker inserts this jump as dockerd starts.*something flushed or rewrote filter FORWARD after dockerd started/);
    expect(f.remedy!.summary).toMatch(/^Restart Docker to put its jump back \(dockerd inserts it as it starts\), then find what removed it: the bundle shows no firewall service.*flushes or rewrites filter FORWARD after dockerd starts/);
    expect(f.evidence.map((e) => e.line)).toEqual(expect.arrayContaining([1, 4]));
  });

  it("with Docker's chains themselves gone (every DOCKER* chain and FORWARD's jumps removed from the whole listing), the old title stays", async () => {
    // the same host's whole listing minus every DOCKER* chain and FORWARD's jumps to them: cut from the real output
    const noFilterChains = NOJUMP.replace(/\n\tchain DOCKER[\s\S]*?\n\t\}\n(?=\n|\})/g, '\n').replace(/\t\tcounter packets 0 bytes 0 jump DOCKER-(?:USER|FORWARD)\n/g, '');
    expect(noFilterChains).not.toMatch(/chain DOCKER-FORWARD/);
    const { findings } = await run({ 'nft-list-ruleset.txt': noFilterChains, 'ip-link-show.txt': LINK }, 'h86-gone');
    expect(findings.map((f) => f.title)).toContain("Docker's iptables chains are missing");
  });
});
