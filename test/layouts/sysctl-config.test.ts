/**
 * A saved sysctl configuration (sysctl.conf, sysctl.d/*.conf, any *.conf of sysctl lines) is
 * configuration in every layout, never the live value; a short runtime answer is read.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const RHEL6_CONF = () => readFileSync(projectPath('test/fixtures/sysctl/rhel6-etc-sysctl.conf'), 'utf8');
/** sysctl -a of a healthy flannel worker: ip_forward = 1 */
const LIVE_ON = () => readCorpus('sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt');
/** A sysctl.d file of a Kubernetes node: a comment, then the two keys kubeadm asks for. */
const K8S_CONF = '# Kubernetes: let bridged traffic through iptables, forward pod traffic\n#\n# see https://kubernetes.io/docs/setup/production-environment/container-runtimes/\n\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 0\n';

const formats = async (dir: string) => {
  const tree = await readBundle(dir, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
  return Object.fromEntries(locate(tree, 't').nodes.flatMap((n) => n.files.map((f) => [f.relPath, f.format])));
};
const ids = (r: Awaited<ReturnType<typeof analyzeBundle>>, severity: string) => r.findings.filter((f) => f.severity === severity).map((f) => f.id);

describe.skipIf(!hasCorpus)('sysctl configuration files in hand-made bundles', () => {
  it('sysctl.conf beside `sysctl -a`: runtime 1 + config 0 is the not-persistent warning, not a critical', async () => {
    const dir = writeFolder({ 'sysctl-a.txt': LIVE_ON(), 'sysctl.conf': RHEL6_CONF() }, 'case');
    expect(await formats(dir)).toEqual({ 'sysctl-a.txt': 'sysctl-text', 'sysctl.conf': 'sysctl-conf' });
    const r = await analyzeBundle(dir);
    expect(ids(r, 'critical')).toEqual([]);
    const w = r.findings.find((f) => f.id === 'sysctl.ip-forward-not-persistent');
    expect(w?.severity).toBe('warning');
    expect(w?.evidence.map((e) => `${e.file}:${e.line}`)).toContain('sysctl.conf:7');
  });

  it('healthy: the same sysctl -a with no configuration file has no sysctl finding', async () => {
    const r = await analyzeBundle(writeFolder({ 'sysctl-a.txt': LIVE_ON() }, 'case'));
    expect(r.findings.filter((f) => f.id.startsWith('sysctl.ip-forward'))).toEqual([]);
  });

  it('a sysctl.d folder anywhere, and a *.conf of sysctl lines under any name, are configuration', async () => {
    const dir = writeFolder(
      {
        'sysctl-a.txt': LIVE_ON(),
        'node-files/sysctl.d/99-kubernetes.conf': 'net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 0\nnet.ipv4.conf.all.rp_filter = 1\n',
        'k8s.conf': K8S_CONF,
        '50-extra.conf': 'net.ipv4.ip_forward = 0\nnet.core.somaxconn = 4096\nvm.max_map_count = 262144\n',
      },
      'case',
    );
    expect(await formats(dir)).toEqual({
      'sysctl-a.txt': 'sysctl-text',
      'node-files/sysctl.d/99-kubernetes.conf': 'sysctl-conf',
      'k8s.conf': 'sysctl-conf',
      '50-extra.conf': 'sysctl-conf',
    });
    const r = await analyzeBundle(dir);
    expect(ids(r, 'critical')).toEqual([]);
    expect(ids(r, 'warning')).toContain('sysctl.ip-forward-not-persistent');
  });

  it('a one- or two-line answer to `sysctl <key>` on a Docker host is the runtime value: ip forwarding off is critical', async () => {
    const daemon = '{\n  "log-driver": "json-file",\n  "log-opts": { "max-size": "10m" }\n}\n';
    const off = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 0\n', 'daemon.json': daemon }, 'case'));
    const f = off.findings.find((x) => x.id === 'sysctl.ip-forward-disabled');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toMatchObject({ file: 'sysctl.txt', line: 1 });
    // `sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables`: br_netfilter loaded says container host
    const two = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n' }, 'case'));
    expect(ids(two, 'critical')).toEqual(['sysctl.ip-forward-disabled']);
    const on = await analyzeBundle(writeFolder({ 'sysctl.txt': 'net.ipv4.ip_forward = 1\n', 'daemon.json': daemon }, 'case'));
    expect(on.findings.filter((x) => x.id.startsWith('sysctl.ip-forward'))).toEqual([]);
    expect(on.coverage.nodes[0].artifacts.sysctl).toEqual(['sysctl.txt']);
  });
});

describe.skipIf(!hasCorpus)('troubleshoot copy collector: host-collectors/<node>/<title>/sysctl.conf', () => {
  const bundle = (conf: string) => {
    const root = 'support-bundle-2024-11-20T10_00_00';
    const files: Record<string, string> = {
      'version.yaml': 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n',
      'host-collectors/system/node_list.json': '{"nodes":["node-1","node-2"]}',
    };
    for (const n of ['node-1', 'node-2']) {
      files[`sysctl/${n}`] = readCorpus('sysctl/troubleshoot-k3s-flannel-node-proc-sys.txt');
      files[`host-collectors/${n}/copy-sysctl/sysctl.conf`] = conf;
    }
    return Object.entries(files).map(([name, content]) => ({ name: `${root}/${name}`, content }));
  };

  it('the stock RHEL 6 file is configuration on both nodes: warnings, no critical', async () => {
    const r = await analyzeBundle(writeTmp('ts.tar.gz', await makeTarGz(bundle(RHEL6_CONF()))));
    expect(ids(r, 'critical')).toEqual([]);
    expect(r.findings.filter((f) => f.id === 'sysctl.ip-forward-not-persistent').map((f) => f.node).sort()).toEqual(['node-1', 'node-2']);
  });

  it('a comment-heavy file with one key is not dropped', async () => {
    const conf = '# Kernel sysctl configuration file for Red Hat Linux\n#\n# For binary values, 0 is disabled, 1 is enabled.\n\n# Controls IP packet forwarding\nnet.ipv4.ip_forward = 0\n';
    const r = await analyzeBundle(writeTmp('ts.tar.gz', await makeTarGz(bundle(conf))));
    expect(ids(r, 'critical')).toEqual([]);
    expect(r.findings.filter((f) => f.id === 'sysctl.ip-forward-not-persistent')).toHaveLength(2);
  });
});
