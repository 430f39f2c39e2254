/**
 * Without ip addr, forward-blocks takes the uplink as "any interface no rule names" and checks each
 * interface a rule does name: where the verdict differs, it decides nothing. In iptables-save text the
 * interfaces are read only from rules that name one (-i / -o): a kube-proxy node's other 130,000 rules
 * are not parsed for it. The save-format rule `-i docker0 -o eth1 -j ACCEPT` must still count.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { projectPath } from '../helpers/shared.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';

/** The analyzer's findings and what it says it could decide only in part. */
function runNodeWithCoverage(artifacts: NodeArtifacts) {
  const partly: string[] = [];
  const findings = forwardBlocks.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (what: string) => partly.push(what) } as never);
  return { findings, partly };
}

const SAVE = readFileSync(projectPath('test/fixtures/r3-forward/generated/docker-uplink-eth1-only.iptables-save.txt'), 'utf8');

describe('rules-only forward check: interfaces named in iptables-save rules', () => {
  it('the only accept names eth1: undecided (ran in part, eth1 named), no finding', () => {
    const { findings, partly } = runNodeWithCoverage({ iptables: [parseIptablesSave(SAVE, 'iptables-save.txt')] });
    expect(findings).toEqual([]);
    expect(partly.join(' ')).toMatch(/but not if the uplink is eth1, which a rule names/);
  });

  it('the same accept without its -o: accepted out of any interface, no finding', () => {
    const open = SAVE.replace('-A FORWARD -i docker0 -o eth1 -j ACCEPT', '-A FORWARD -i docker0 -j ACCEPT');
    const { findings } = runNodeWithCoverage({ iptables: [parseIptablesSave(open, 'iptables-save.txt')] });
    expect(findings).toEqual([]);
  });

  it('no accept for docker0 at all: dropped on every candidate, critical', () => {
    const closed = SAVE.replace('-A FORWARD -i docker0 -o eth1 -j ACCEPT\n', '');
    const { findings } = runNodeWithCoverage({ iptables: [parseIptablesSave(closed, 'iptables-save.txt')] });
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
  });
});
