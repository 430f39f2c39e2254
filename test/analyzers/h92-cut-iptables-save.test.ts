/**
 * H92: a cut iptables-save (a table without COMMIT: `| head`, a truncated attachment; a `...` line where a paste left
 * lines out) in iptables.forward-blocks-containers, docker.forward-policy-drops-routed and docker.forward-drop-other-engine:
 * a verdict resting on an ACCEPT not being in the dump is held back (said in the coverage, naming the file and the cut);
 * a drop the dump proves (the policy's own counter for the policy-DROP analyzers, chains all shown whole for the tracer)
 * still counts. Dumps: real iptables-nft-save output, see test/fixtures/h92-cut/SOURCE.txt; h44 and h71 fixtures reused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import routed from '../../analyzers/docker-forward-policy-drops-routed.js';
import otherEngine from '../../analyzers/docker-forward-drop-other-engine.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const read = (p: string) => readFileSync(projectPath(p), 'utf8');
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(projectPath(d)).filter((f) => statSync(projectPath(d, f)).isFile()).map((f) => [f, read(`${d}/${f}`)]));
/** `| head -n n` */
const head = (text: string, n: number) => text.split('\n').slice(0, n).join('\n') + '\n';
/** lines after..resume-1 (1-based) replaced by a `...` line, as a paste leaves them out */
const elide = (text: string, after: number, resume: number) => {
  const l = text.split('\n');
  return [...l.slice(0, after), '...', ...l.slice(resume - 1)].join('\n');
};

let seq = 0;
async function run(a: Analyzer, files: Record<string, string>): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  const b = await loadBundle(writeFolder(files, `h92s-${++seq}`));
  if (a.scope !== 'node') throw new Error('node analyzer');
  const notes: string[] = [];
  const findings = await a.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) });
  return { findings, notes };
}

describe('iptables.forward-blocks-containers on a cut iptables-save (Docker 28, docker0 and br-0123456789ab)', () => {
  const D = 'test/fixtures/netfilter/docker-direct-access';
  const host = { 'ip_addr.txt': read(`${D}/ip_addr`), 'ip_route.txt': read(`${D}/ip_route`) };
  const WHOLE = read('test/fixtures/h92-cut/docker28-whole.iptables-save');
  const DELETED = read('test/fixtures/h92-cut/docker28-docker0-accept-deleted.iptables-save');
  const COUNTED = read('test/fixtures/h92-cut/docker28-docker0-accept-deleted-counted.iptables-save');
  const blocked = (fs: FindingDraft[]) => fs.filter((f) => f.title === 'FORWARD drops container traffic');

  it('fixtures: the accepts for each bridge are the last rules of DOCKER-FORWARD (lines 24-25 of the healthy dump)', () => {
    expect(WHOLE.split('\n').slice(23, 25)).toEqual(['-A DOCKER-FORWARD -i docker0 -j ACCEPT', '-A DOCKER-FORWARD -i br-0123456789ab -j ACCEPT']);
    expect(COUNTED.split('\n')[2]).toBe(':FORWARD DROP [12:720]');
  });

  it('whole, docker0 accept deleted: critical for docker0 (the drop is real)', async () => {
    const { findings } = await run(forwardBlocks as Analyzer, { ...host, 'iptables-save.txt': DELETED });
    expect(blocked(findings).map((f) => f.severity)).toEqual(['critical']);
  });

  it('healthy dump cut inside DOCKER-FORWARD (head -n 23, before both accepts): no finding, both held back in the coverage', async () => {
    const { findings, notes } = await run(forwardBlocks as Analyzer, { ...host, 'iptables-save.txt': head(WHOLE, 23) });
    expect(blocked(findings)).toEqual([]);
    const held = notes.filter((n) => /as far as the dump shows, but a rule left out of it may accept it first: iptables-save\.txt: table filter \(from line 1\) is not terminated by COMMIT/.test(n));
    expect(held).toHaveLength(2);
  });

  it("the policy's counter does not say whose packets it dropped: the counted dump cut the same way is held back too", async () => {
    const { findings, notes } = await run(forwardBlocks as Analyzer, { ...host, 'iptables-save.txt': head(COUNTED, 23) });
    expect(blocked(findings)).toEqual([]);
    expect(notes.some((n) => /a rule left out of it may accept it first/.test(n))).toBe(true);
  });

  it('docker0 accept deleted, dump cut inside nat (filter COMMITted before the cut): filter is whole, critical stands', async () => {
    const lines = DELETED.split('\n');
    const natAt = lines.indexOf('*nat');
    expect(natAt).toBeGreaterThan(0);
    const { findings, notes } = await run(forwardBlocks as Analyzer, { ...host, 'iptables-save.txt': head(DELETED, natAt + 6) });
    expect(blocked(findings).map((f) => f.severity)).toEqual(['critical']);
    expect(notes.some((n) => /a rule left out of it may accept it first/.test(n))).toBe(false);
  });
});

describe('docker.forward-policy-drops-routed on a cut iptables-save (h44 router: br-lan, wan, docker0)', () => {
  const H = 'test/fixtures/h44/router-dropping';
  const UNCOUNTED = read('test/fixtures/h92-cut/router-dropping-uncounted.iptables-save');
  const v4 = (fs: FindingDraft[]) => fs.filter((f) => /IPv4 FORWARD policy DROP/.test(f.title));

  it('whole, no counters: an IPv4 warning', async () => {
    const { findings } = await run(routed as Analyzer, { ...folder(H), 'iptables-save.txt': UNCOUNTED });
    expect(v4(findings).map((f) => f.severity)).toEqual(['warning']);
  });

  it('the same cut (head -n 17, no COMMIT): held back, the coverage names the file and the cut', async () => {
    const { findings, notes } = await run(routed as Analyzer, { ...folder(H), 'iptables-save.txt': head(UNCOUNTED, 17) });
    expect(v4(findings)).toEqual([]);
    expect(notes).toContainEqual(expect.stringMatching(/^IPv4: whether node-1's FORWARD policy DROP drops routed traffic was not decided: iptables-save\.txt: table filter \(from line 1\) is not terminated by COMMIT: the dump is cut off after line 17/));
  });

  it("the real dump with its counter (:FORWARD DROP [3:252]) cut the same way: the policy's own count still proves the drop", async () => {
    const { findings, notes } = await run(routed as Analyzer, { ...folder(H), 'iptables-save.txt': head(read(`${H}/iptables-save.txt`), 19) });
    expect(v4(findings).map((f) => f.severity)).toEqual(['critical']);
    expect(notes.some((n) => /not decided/.test(n))).toBe(false);
  });
});

describe('docker.forward-drop-other-engine on a pasted iptables-save with `...` (h71: Docker and netavark, port 5432)', () => {
  const N = 'test/fixtures/h71-two-engines/docker-netavark-published';
  const SAVE = read(`${N}/iptables-save.txt`);
  const COUNTED = read('test/fixtures/h92-cut/netavark-published-counted.iptables-save');
  const podman = (fs: FindingDraft[]) => fs.filter((f) => /drops Podman \(netavark\) traffic/.test(f.title));

  it('whole: critical', async () => {
    expect(podman((await run(otherEngine as Analyzer, folder(N))).findings).map((f) => f.severity)).toEqual(['critical']);
  });

  it('lines 18-23 left out as "..." (DOCKER, isolation, DOCKER-USER rules): held back, said in the coverage', async () => {
    const { findings, notes } = await run(otherEngine as Analyzer, { ...folder(N), 'iptables-save.txt': elide(SAVE, 17, 24) });
    expect(podman(findings)).toEqual([]);
    expect(notes).toContainEqual(expect.stringMatching(/^whether Docker's FORWARD policy DROP drops another engine's forwarded traffic on node-1 was not decided: iptables-save\.txt: line 18 \("\.\.\."\) stands for lines left out/));
  });

  it("with the policy's counter (:FORWARD DROP [7:420]) and the same elision: the finding stands, the cut is said", async () => {
    const { findings, notes } = await run(otherEngine as Analyzer, { ...folder(N), 'iptables-save.txt': elide(COUNTED, 15, 22) });
    expect(podman(findings)).toHaveLength(1);
    expect(notes).toContainEqual(expect.stringMatching(/the FORWARD policy's counter shows 7 packets dropped, but the dump is cut/));
  });
});
