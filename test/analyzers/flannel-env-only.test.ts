/**
 * FLANNEL_SUBNET outside FLANNEL_NETWORK is in subnet.env alone: it is found without ip addr in
 * the bundle; the interface checks (flannel.1, cni0 inside the subnet) still need ip addr.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import subnetMismatch from '../../analyzers/flannel-subnet-mismatch.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const MISMATCH = 'flannel-1983-subnet.env-subnet-outside-network-mismatch.env';

const folder = (files: Record<string, string | Buffer>) => writeFolder(files, 'fl-1983');

describe.skipIf(!hasCorpus)('flannel.subnet-mismatch from subnet.env alone', () => {
  it('flannel issue 1983: FLANNEL_SUBNET 10.224.0.1/24 outside 10.244.0.0/16, no ip addr: critical, saying the interfaces were not checked', () => {
    const env = parseSubnetEnv(readCorpus('flannel', MISMATCH), 'run/flannel/subnet.env');
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env] });
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/FLANNEL_SUBNET 10\.224\.0\.1\/24 is outside FLANNEL_NETWORK 10\.244\.0\.0\/16/);
    expect(f.message).toMatch(/flannel\.1 and cni0 were not checked: the bundle has no ip addr/);
    expect(f.facts).toMatchObject({ interfacesChecked: false, outside: [] });
    expect(f.evidence.map((e) => e.line)).toEqual([2, 1]);
  });

  it('healthy subnet.env files alone fire nothing', () => {
    for (const name of ['flannel-docs-running-subnet.env', 'flannel-sample-subnet.env', 'hotsos-charmed-k8s-subnet.env']) {
      expect(runNode(subnetMismatch, { flannelSubnetEnv: [parseSubnetEnv(readCorpus('flannel', name), name)] }), name).toEqual([]);
    }
  });

  it('with ip addr the interface checks run as before', () => {
    const env = parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n', 'subnet.env');
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env], ipAddr: [parseInterfaces(fx('iproute2/ip_a'), 'ip_a')] });
    expect(f.facts).toMatchObject({ form: 'range affectation mismatch', interfacesChecked: true });
    expect(f.message).not.toMatch(/not checked/);
  });

  it('a bundle with only run/flannel/subnet.env: the finding, and the analyzer ran', async () => {
    const report = await analyzeBundle(folder({ 'run/flannel/subnet.env': readCorpus('flannel', MISMATCH) }));
    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([['flannel.subnet-mismatch', 'critical']]);
    expect(report.findings[0].evidence[0]).toMatchObject({ file: 'run/flannel/subnet.env', line: 2 });
    const run = report.coverage.nodes[0].analyzers.find((a) => a.id === 'flannel.subnet-mismatch');
    // the coverage says what part did not run, and why
    expect(run).toEqual({ id: 'flannel.subnet-mismatch', status: 'ran', reason: 'ran in part: the addresses of flannel.1 and cni0 were not checked (no ip addr in the bundle)', findings: 1, missing: ['ipAddr'] });
    const withIpAddr = await analyzeBundle(folder({ 'run/flannel/subnet.env': readCorpus('flannel', MISMATCH), 'ip-a.txt': readCorpus('ip-addr', 'flannel-1022-no-cni0-flannel1-16.31.0.0.txt') }));
    expect(withIpAddr.coverage.nodes[0].analyzers.find((a) => a.id === 'flannel.subnet-mismatch')?.reason).toBeUndefined();
    const healthy = await analyzeBundle(folder({ 'run/flannel/subnet.env': readCorpus('flannel', 'flannel-docs-running-subnet.env') }));
    expect(healthy.findings).toEqual([]);
  });
});
