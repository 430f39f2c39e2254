/**
 * Reviewer R13 #14: FLANNEL_SUBNET outside FLANNEL_NETWORK (flannel-io/flannel#1983: kubeadm
 * --pod-network-cidr=10.224.0.0/16, a typo, against flannel's Network 10.244.0.0/16) was titled "flannel
 * interfaces outside the node subnet" although no interface was checked, and got the delete-flannel.1/cni0
 * repair, which re-creates the same lease. It is a configuration error: its own title and the configuration
 * fix (flannel-io/flannel#1428, same case with 100.244.0.0/16: fixed by setting Network in the kube-flannel-cfg
 * ConfigMap's net-conf.json). Interfaces outside the lease keep their title and the flannel repair.
 *
 * Texts: corpus flannel/flannel-1983-subnet.env-subnet-outside-network-mismatch.env (verbatim from #1983),
 * flannel/kube-flannel-net-conf.json (flannel's own ConfigMap), ip-addr/flannel-1022-no-cni0-flannel1-16.31.0.0.txt,
 * the healthy subnet.env files of the corpus, test/fixtures/iproute2/ip_a, bundles/flannel-subnet-mismatch.tgz.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import subnetMismatch from '../../analyzers/flannel-subnet-mismatch.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseFlannelNetConf, parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { writeFolder } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const MISMATCH = 'flannel-1983-subnet.env-subnet-outside-network-mismatch.env';
const env1983 = () => parseSubnetEnv(readCorpus('flannel', MISMATCH), 'run/flannel/subnet.env');
const CONFIG_TITLE = "flannel's node subnet is outside the cluster network";
const listUnits = (...units: string[]) =>
  `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n${units.map((u) => `  ${u.padEnd(34)} loaded active running ${u}`).join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;

describe.skipIf(!hasCorpus)('flannel.subnet-mismatch: the lease outside the cluster network is a configuration error', () => {
  it('flannel#1983 subnet.env alone: its own title, the configuration fix, and the interfaces said to be unchecked', () => {
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env1983()] }, 'k8s-node-1');
    expect(f.severity).toBe('critical');
    expect(f.title).toBe(CONFIG_TITLE);
    expect(f.title).not.toMatch(/interfaces/);
    expect(f.message).toMatch(/^On k8s-node-1: FLANNEL_SUBNET 10\.224\.0\.1\/24 is outside FLANNEL_NETWORK 10\.244\.0\.0\/16\. /);
    expect(f.message).toMatch(/the Network in flannel's net-conf\.json disagree: a configuration error/);
    expect(f.message).toMatch(/The addresses of flannel\.1 and cni0 were not checked: the bundle has no ip addr output\./);
    expect(f.facts).toMatchObject({ cause: 'network-config', subnet: '10.224.0.1/24', network: '10.244.0.0/16', interfacesChecked: false, outside: [] });
    // the configuration is the fix; deleting the links re-creates the same lease
    expect(f.remedy.commands).toContain('kubectl -n kube-flannel edit configmap kube-flannel-cfg   # set "Network" to the cluster\'s pod CIDR');
    expect(f.remedy.commands.join('\n')).not.toMatch(/ip link delete/);
    expect(f.remedy.summary).toMatch(/set "Network" in net-conf\.json \(the kube-flannel-cfg ConfigMap\) to the cluster's pod CIDR, the range that holds 10\.224\.0\.1\/24/);
    expect(f.remedy.summary).toMatch(/Deleting flannel\.1 and cni0 on k8s-node-1 does not help: flannel re-creates the same lease\./);
    expect(f.evidence.map((e) => e.line)).toEqual([2, 1]);
  });

  it("with flannel's net-conf.json in the bundle, its Network line is cited", () => {
    const netConf = parseFlannelNetConf(readCorpus('flannel', 'kube-flannel-net-conf.json'), 'etc/kube-flannel/net-conf.json');
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env1983()], flannelNetConf: [netConf] });
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'etc/kube-flannel/net-conf.json', line: 2, note: "Network in flannel's net-conf.json" }));
    expect(f.facts).toMatchObject({ netConfNetwork: '10.244.0.0/16' });
  });

  it('with ip addr: the interfaces are checked (no "not checked"), and what is off there is told beside the configuration error', () => {
    const ipAddr = parseInterfaces(readCorpus('ip-addr', 'flannel-1022-no-cni0-flannel1-16.31.0.0.txt'), 'ip-a.txt');
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env1983()], ipAddr: [ipAddr] });
    expect(f.title).toBe(CONFIG_TITLE);
    expect(f.message).not.toMatch(/not checked/);
    expect(f.message).toMatch(/Besides: flannel\.1 16\.31\.0\.0\/\d+ is outside FLANNEL_SUBNET 10\.224\.0\.1\/24/);
    expect(f.facts).toMatchObject({ interfacesChecked: true });
  });

  it('on k3s there is no kube-flannel ConfigMap: the fix names the cluster-cidr instead', () => {
    const services = [parseSystemctlText(listUnits('k3s.service'), 'systemctl-list-units.txt')];
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env1983()], services });
    expect(f.remedy.summary).toMatch(/k3s writes flannel's net-conf\.json from the server's --cluster-cidr/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/kube-flannel-cfg|ip link delete/);
  });

  it('interfaces outside a lease that is inside the network keep their title and the flannel repair', () => {
    const env = parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n', 'subnet.env');
    const [f] = runNode(subnetMismatch, { flannelSubnetEnv: [env], ipAddr: [parseInterfaces(readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'), 'ip_a')] });
    expect(f.title).toBe('flannel interfaces outside the node subnet');
    expect(f.facts).not.toHaveProperty('cause');
    expect(f.remedy.commands).toContain('ip link delete flannel.1');
  });

  it('healthy subnet.env files fire nothing, alone or with net-conf.json', () => {
    const netConf = parseFlannelNetConf(readCorpus('flannel', 'kube-flannel-net-conf.json'), 'net-conf.json');
    for (const name of ['flannel-docs-running-subnet.env', 'flannel-sample-subnet.env', 'hotsos-charmed-k8s-subnet.env'])
      expect(runNode(subnetMismatch, { flannelSubnetEnv: [parseSubnetEnv(readCorpus('flannel', name), name)], flannelNetConf: [netConf] }), name).toEqual([]);
  });

  it('a bundle holding only the #1983 subnet.env: the configuration title in the report', async () => {
    const report = await analyzeBundle(writeFolder({ 'run/flannel/subnet.env': readCorpus('flannel', MISMATCH) }, 'h28-fl-1983'));
    expect(report.findings.map((f) => [f.id, f.severity, f.title])).toEqual([['flannel.subnet-mismatch', 'critical', CONFIG_TITLE]]);
  });

  it('bundles/flannel-subnet-mismatch.tgz (stale interfaces, a lease inside the network) keeps the interface title', async () => {
    const report = await analyzeBundle(projectPath('bundles/flannel-subnet-mismatch.tgz'));
    const f = report.findings.filter((x) => x.id === 'flannel.subnet-mismatch');
    expect(f.length).toBeGreaterThan(0);
    for (const x of f) expect(x.title).toBe('flannel interfaces outside the node subnet');
  });
});
