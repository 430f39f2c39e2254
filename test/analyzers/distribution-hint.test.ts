/**
 * The distribution a node's paths show is the layouts' knowledge: they hand each node a
 * `distribution` hint (the path that proves it), and node-services reads that hint, never file
 * paths. Paths as k3s, RKE2 and k0s lay out their data, configuration and units, and as
 * troubleshoot's Embedded Cluster host collectors name the k0s journals.
 */
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { nodeServices } from '../../analyzers/lib/node-services.js';
import ipForward from '../../analyzers/sysctl-ip-forward-disabled.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseSysctlText } from '../../src/parsers/sysctl.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import type { DistributionHint } from '../../src/layouts/types.js';
import { writeFolder } from '../helpers/archive.js';
import { runNode } from './helpers.js';

const read = (path: string) => readBundle(path, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
const located = async (files: Record<string, string>, name: string) => locate(await read(writeFolder(files, name)), name);

const IPTABLES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const SYSCTL = 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.conf.all.rp_filter = 1\n';
const NET_CONF = '{\n  "Network": "10.42.0.0/16",\n  "EnableIPv6": false,\n  "Backend": {\n  "Type": "vxlan"\n}\n}\n';
const SOS_IP_ADDR = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    inet 127.0.0.1/8 scope host lo\n';

describe('the layouts hand each node its distribution hint', () => {
  it("a hand-made k3s folder: k3s's flannel net-conf.json under /var/lib/rancher/k3s", async () => {
    const l = await located({ 'iptables-save.txt': IPTABLES, 'var/lib/rancher/k3s/agent/etc/flannel/net-conf.json': NET_CONF }, 'ticket-k3s');
    expect(l.nodes).toHaveLength(1);
    expect(l.nodes[0].hints?.distribution).toEqual({ name: 'k3s', unit: 'k3s', file: 'var/lib/rancher/k3s/agent/etc/flannel/net-conf.json', why: expect.stringContaining("k3s's data") });
  });

  it("a sosreport: a unit file no rule reads names RKE2's agent; the report folder's name proves nothing", async () => {
    const sos = 'sosreport-rke2-agent-3-2026-12-01-abcdefg';
    const base = { [`${sos}/sos_commands/networking/ip_-d_address`]: SOS_IP_ADDR, [`${sos}/hostname`]: 'rke2-agent-3\n' };
    const plain = await located(base, 'case-1');
    expect(plain.layout).toBe('sosreport');
    expect(plain.nodes[0].hints?.distribution).toBeUndefined();
    const rke2 = await located({ ...base, [`${sos}/etc/rancher/rke2/config.yaml`]: 'token: x\n', [`${sos}/usr/local/lib/systemd/system/rke2-agent.service`]: '[Service]\nExecStart=/usr/local/bin/rke2 agent\n' }, 'case-2');
    expect(rke2.nodes[0].hints?.distribution).toMatchObject({ name: 'rke2', unit: 'rke2-agent', file: `${sos}/etc/rancher/rke2/config.yaml` });
  });

  it('an Embedded Cluster host bundle: the k0s journals the run collector saved; the controller before the worker', async () => {
    const RUN = 'host-collectors/run-host';
    const l = await located(
      {
        'bundle/version.yaml': 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n',
        [`bundle/${RUN}/k0sworker-logs.txt`]: 'Nov 30 08:01:12 ec-node-1 k0s[1201]: time="2026-11-30 08:01:12" level=info msg="starting kubelet" component=kubelet\n',
        [`bundle/${RUN}/k0scontroller-logs.txt`]: 'Nov 30 08:01:10 ec-node-1 k0s[1200]: time="2026-11-30 08:01:10" level=info msg="starting api" component=kube-apiserver\n',
        [`bundle/${RUN}/sysctl.txt`]: 'kernel.hostname = ec-node-1\nnet.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\n',
      },
      'ec-host',
    );
    expect(l.layout).toBe('troubleshoot');
    expect(l.nodes.map((n) => [n.name, n.hints?.distribution?.name, n.hints?.distribution?.unit])).toEqual([['ec-node-1', 'k0s', 'k0scontroller']]);
    expect(l.nodes[0].hints?.distribution?.file).toBe(`bundle/${RUN}/k0scontroller-logs.txt`);
  });

  it('nodes of one folder each: only the node whose paths show it gets the hint', async () => {
    const l = await located(
      {
        'node-a/sysctl.txt': SYSCTL,
        'node-a/journalctl_-u_k3s-agent.txt': 'Dec 01 09:14:07 node-a systemd[1]: Started Lightweight Kubernetes.\n',
        'node-b/sysctl.txt': SYSCTL,
      },
      'ticket-2',
    );
    expect(l.nodes.map((n) => [n.name, n.hints?.distribution?.name, n.hints?.distribution?.unit])).toEqual([
      ['node-a', 'k3s', 'k3s-agent'],
      ['node-b', undefined, undefined],
    ]);
  });

  it('a plain Docker host: no hint', async () => {
    const l = await located({ 'iptables-save.txt': IPTABLES, 'sysctl.txt': SYSCTL, 'etc/docker/daemon.json': '{"bip": "172.18.0.1/16"}\n' }, 'ticket-docker');
    expect(l.nodes[0].hints).toBeUndefined();
  });
});

describe('node-services reads the hint, not file paths', () => {
  const hint: DistributionHint = { name: 'k3s', unit: 'k3s-agent', file: 'var/lib/rancher/k3s/agent/etc/flannel/net-conf.json', why: 'k3s data' };

  it('the hint names the distribution and its unit when no unit states do', () => {
    const s = nodeServices({ distributionHint: [hint] });
    expect(s.distro).toMatchObject({ name: 'k3s', label: 'k3s', unit: 'k3s-agent', evidence: { file: hint.file, line: 0 } });
    expect(s.restartRuntime).toEqual(['systemctl restart k3s-agent']);
    const remedy = runNode(ipForward, { sysctl: [parseSysctlText(SYSCTL, 'sysctl.txt')], distributionHint: [hint] })[0].remedy;
    expect(remedy.commands).toContain('systemctl restart k3s-agent');
  });

  it('unit states win over the hint', () => {
    const units = [parseSystemctlText('  rke2-server.service loaded active running Rancher Kubernetes Engine v2 (server)\n', 'list-units')];
    expect(nodeServices({ services: units, distributionHint: [hint] }).distro).toMatchObject({ name: 'rke2', unit: 'rke2-server' });
  });

  it('an artifact that sits at a k3s path is no hint: paths are the layouts\' to read', () => {
    const rules = parseIptablesSave(IPTABLES, 'var/lib/rancher/k3s/agent/iptables-save.txt');
    expect(nodeServices({ iptables: [rules] }).distro).toBeUndefined();
  });
});
