/**
 * The ufw block of moby#49528 (Docker's ACCEPT after ufw's jumps: Docker 28.0.0's FORWARD order) with
 * the node's `docker info` in the bundle: the finding states the engine's version from it, and where it
 * is 28.0.0 it says so instead of asking the reader to look it up. The docker info is the real output of
 * Docker 28.0.4 pasted in moby#49792 (test/fixtures/direct-routing/moby-49792); the 28.0.0 case is the
 * same text with its version line changed, the one difference that matters here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const RULES = { 'iptables-nvL.txt': fx('r3-forward/ufw-reject-docker28/iptables-nvL.txt'), 'iptables-t-nat-nvL.txt': fx('r3-forward/ufw-reject-docker28/iptables-t-nat-nvL.txt') };
const INFO_2804 = fx('direct-routing/moby-49792/docker-info.txt');
const INFO_2800 = INFO_2804.replace(' Server Version: 28.0.4', ' Server Version: 28.0.0');

async function forwardFinding(files: Record<string, string>) {
  const report = await analyzeBundle(writeFolder(files, 'ticket-ufw'));
  return report.findings.find((f) => f.id === 'iptables.forward-blocks-containers');
}

describe("ufw's reject ahead of Docker's ACCEPT, with docker info", () => {
  it('28.0.0: named as the release with that order, its line cited, no "check your version" command', async () => {
    const f = await forwardFinding({ ...RULES, 'docker-info.txt': INFO_2800 });
    expect(f?.message).toContain("The bundle's docker info says the engine is 28.0.0 (docker-info.txt:20): 28.0.0, the release with that order.");
    expect(f?.evidence).toContainEqual(expect.objectContaining({ file: 'docker-info.txt', line: 20, excerpt: ' Server Version: 28.0.0' }));
    expect(f?.remedy.commands.join('\n')).not.toContain("docker version --format '{{.Server.Version}}'");
  });

  it('another version: stated as it is, the version check kept', async () => {
    const f = await forwardFinding({ ...RULES, 'docker-info.txt': INFO_2804 });
    expect(f?.message).toContain("The bundle's docker info says the engine is 28.0.4 (docker-info.txt:20).");
    expect(f?.remedy.commands.join('\n')).toContain("docker version --format '{{.Server.Version}}'");
  });

  it('no docker info: as before, the order named and the version check asked for', async () => {
    const f = await forwardFinding(RULES);
    expect(f?.message).not.toContain('docker info says');
    expect(f?.remedy.commands.join('\n')).toContain("docker version --format '{{.Server.Version}}'");
  });
});
