/**
 * The sysctl analyzers on pasted /proc/sys listings (fixtures and provenance: proc-sys-listing.test.ts):
 * coreos/bugs#1205's paste (https://github.com/coreos/bugs/issues/1205, forwarding 1 everywhere) must give no
 * ip-forward finding; a listing of 0s must give exactly the findings `sysctl -a` text of the same namespace gives
 * (same severity, message and remedy; only the evidence points at the listing's lines).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ipForward from '../../analyzers/sysctl-ip-forward-disabled.js';
import bridgeNf from '../../analyzers/sysctl-bridge-nf-call-disabled.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Analyzer } from '../../src/engine/analyzer.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';

const DIR = 'test/fixtures/proc-sys';
const read = (f: string) => parseSysctlText(readFileSync(projectPath(DIR, f), 'utf8'), `${DIR}/${f}`);
const DOCKER_UNITS = 'UNIT FILE       STATE    VENDOR PRESET\ndocker.service  enabled  disabled\n';
const KUBELET_UNITS = 'UNIT FILE       STATE    VENDOR PRESET\nkubelet.service  enabled  disabled\ncontainerd.service  enabled  disabled\n';

function run(analyzer: Analyzer, artifacts: NodeArtifacts) {
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  return analyzer.analyze({ node: 'n1', artifacts: artifacts as never, options: { requiredPorts: [] } });
}
/** a finding without where its evidence points */
const unplaced = (fs: ReturnType<typeof run>) => fs.map(({ evidence, ...rest }) => ({ ...rest, evidence: evidence.map((e) => e.note) }));

describe('sysctl analyzers on /proc/sys listings', () => {
  it('coreos#1205: forwarding is 1 everywhere: ip-forward-disabled says nothing', () => {
    const services = [parseSystemctlText(DOCKER_UNITS, 'systemctl.txt')];
    expect(run(ipForward, { sysctl: [read('coreos-1205-sysctl-forwarding.txt')], services })).toEqual([]);
    expect(run(ipForward, { sysctl: [read('forwarding-on.txt')], services })).toEqual([]);
  });

  it('a listing of 0s fires ip-forward-disabled exactly as sysctl -a does, citing the listing line', () => {
    const services = [parseSystemctlText(DOCKER_UNITS, 'systemctl.txt')];
    const fromListing = run(ipForward, { sysctl: [read('forwarding-off.txt')], services });
    const fromDump = run(ipForward, { sysctl: [read('sysctl-a-forwarding-off.txt')], services });
    expect(fromListing).toHaveLength(1);
    expect(fromListing[0].severity).toBe('critical');
    expect(unplaced(fromListing)).toEqual(unplaced(fromDump));
    expect(fromListing[0].evidence[0]).toMatchObject({ file: `${DIR}/forwarding-off.txt`, line: 2, excerpt: 'root@h19-a:~# cat /proc/sys/net/ipv4/ip_forward → 0' });
  });

  it('head of bridge-nf-call-* with iptables 0 on a kubelet node fires bridge-nf-call-disabled as sysctl -a does; 1 is quiet', () => {
    const services = [parseSystemctlText(KUBELET_UNITS, 'systemctl.txt')];
    const fromListing = run(bridgeNf, { sysctl: [read('head-bridge-nf-off.txt')], services });
    const fromDump = run(bridgeNf, { sysctl: [read('sysctl-a-bridge-nf-off.txt')], services });
    expect(fromListing.length).toBeGreaterThan(0);
    expect(unplaced(fromListing)).toEqual(unplaced(fromDump));
    expect(fromListing[0].evidence[0]).toMatchObject({ file: `${DIR}/head-bridge-nf-off.txt`, line: 9 });
    expect(run(bridgeNf, { sysctl: [read('head-bridge-nf.txt')], services })).toEqual([]);
  });
});
