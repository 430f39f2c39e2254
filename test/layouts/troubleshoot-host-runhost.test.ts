/**
 * Host support bundles of kURL (replicatedhq/troubleshoot-specs host/default.yaml) and Embedded
 * Cluster (replicatedhq/embedded-cluster host-support-bundle.tmpl.yaml): the run collector writes
 * `host-collectors/run-host/<collectorName>.txt` (and `<collectorName>-info.json`). Their journals
 * (`journalctl-containerd`, `k0scontroller-logs`, `k0sworker-logs`) and container logs
 * (`crictl-logs-kube-proxy`, `crictl-logs-kube-flannel`) are logs; `iptables`, `sysctl` are command
 * output. The node is the host the `hostnames` collector, hostOS or sysctl names.
 */
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { isWantedPath, locate, logSourceOf } from '../../src/layouts/index.js';
import { makeTarGz, writeFolder, writeTmp } from '../helpers/archive.js';

const ROOT = 'supportbundle-2026-12-01T10_31_07';
const VERSION = 'apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n';
const RUN = 'host-collectors/run-host';

const PROXY_LOG = `I1130 08:02:01.120120       1 server_others.go:110] "Detected node IP" address="10.0.0.11"
E1130 08:05:11.401220       1 proxier.go:1509] "Failed to execute iptables-restore" err=<
	exit status 2: iptables-restore v1.8.7 (legacy): Couldn't load match \`comment':No such file or directory

	Error occurred at line: 9
	Try \`iptables-restore -h' or 'iptables-restore --help' for more information.
 >
I1130 08:05:11.401300       1 proxier.go:858] "Sync failed" retryingTime="30s"
`;
const FLANNEL_LOG = `I1130 08:02:03.120120       1 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001}
E1130 08:02:04.220120       1 main.go:332] Error registering network: failed to acquire lease: node "kurl-node-1" pod cidr not assigned
`;
const LISTING = `Chain INPUT (policy ACCEPT 1200 packets, 300K bytes)
 pkts bytes target     prot opt in     out     source               destination
 1200  300K KUBE-FIREWALL  all  --  any    any     anywhere             anywhere

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain OUTPUT (policy ACCEPT 1100 packets, 280K bytes)
 pkts bytes target     prot opt in     out     source               destination
 1100  280K KUBE-FIREWALL  all  --  any    any     anywhere             anywhere

Chain KUBE-FIREWALL (2 references)
 pkts bytes target     prot opt in     out     source               destination
    0     0 DROP       all  --  any    any     anywhere             anywhere             /* kubernetes firewall for dropping marked packets */ mark match 0x8000/0x8000
`;
const SYSCTL = 'kernel.hostname = sysctl-name\nnet.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n';

function kurl(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'version.yaml': VERSION,
    [`${RUN}/crictl-logs-kube-proxy.txt`]: PROXY_LOG,
    [`${RUN}/crictl-logs-kube-proxy-info.json`]: '{"command":"sh","args":["-c","crictl logs $(crictl ps -a --name kube-proxy -l --quiet) 2>&1"],"exitCode":"0"}',
    [`${RUN}/crictl-logs-kube-flannel.txt`]: FLANNEL_LOG,
    [`${RUN}/journalctl-containerd.txt`]: 'Nov 30 08:01:10 kurl-node-1 containerd[900]: time="2026-11-30T08:01:10Z" level=info msg="starting containerd"\n',
    [`${RUN}/journalctl-kubelet.txt`]: 'Nov 30 08:01:12 kurl-node-1 systemd[1]: Started kubelet: The Kubernetes Node Agent.\n',
    [`${RUN}/iptables.txt`]: LISTING,
    [`${RUN}/iptables-info.json`]: '{"command":"iptables","args":["-L","-v"],"exitCode":"0"}',
    [`${RUN}/sysctl.txt`]: SYSCTL,
    'host-collectors/system/hostos_info.json': '{"name":"hostos-name","kernelVersion":"5.15.0-91-generic","platformVersion":"22.04","platform":"ubuntu"}',
    ...extra,
  };
}

const rooted = (files: Record<string, string>, root = ROOT) => Object.fromEntries(Object.entries(files).map(([k, v]) => [`${root}/${k}`, v]));
const read = (path: string) => readBundle(path, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
const located = async (files: Record<string, string>) => locate(await read(writeFolder(files, 'ts')), 'ts');
const strip = (p: string) => p.slice(p.indexOf('host-collectors/'));

describe('troubleshoot host bundles: run-host logs', () => {
  it('kURL: the crictl container logs and journals are logs with their writer; iptables and sysctl stay artifacts', async () => {
    const l = await located(rooted(kurl({ [`${RUN}/hostnames.txt`]: 'hostname = kurl-node-1\n' })));
    expect(l.nodes).toHaveLength(1);
    const n = l.nodes[0];
    expect(Object.fromEntries(n.logs.map((g) => [strip(g.path), g.source]))).toEqual({
      [`${RUN}/crictl-logs-kube-proxy.txt`]: { unit: 'kube-proxy' },
      [`${RUN}/crictl-logs-kube-flannel.txt`]: { unit: 'flanneld' },
      [`${RUN}/journalctl-containerd.txt`]: { unit: 'containerd' },
      [`${RUN}/journalctl-kubelet.txt`]: { unit: 'kubelet' },
    });
    expect(Object.fromEntries(n.files.map((f) => [strip(f.path), f.format]))).toMatchObject({
      [`${RUN}/iptables.txt`]: 'iptables-list',
      [`${RUN}/sysctl.txt`]: 'sysctl-text',
    });
  });

  it('Embedded Cluster: k0scontroller-logs / k0sworker-logs are the k0s units\' journals', async () => {
    expect(logSourceOf(`host/${RUN}/k0scontroller-logs.txt`)).toEqual({ unit: 'k0scontroller' });
    expect(logSourceOf(`host/${RUN}/k0sworker-logs.txt`)).toEqual({ unit: 'k0sworker' });
    expect(logSourceOf(`host/${RUN}/network-manager-logs.txt`)).toEqual({ unit: 'NetworkManager' });
    expect(logSourceOf(`host/${RUN}/journalctl-dmesg.txt`)).toEqual({ unit: 'kernel' });
    expect(logSourceOf(`host/${RUN}/crictl-logs-apiserver-previous.txt`)).toEqual({ unit: 'kube-apiserver' });
    // command output of the run collector is not a log
    for (const name of ['iptables', 'iptables-version', 'sysctl', 'ip-route-table', 'ip-address-stats', 'k0s-status', 'hostnames'])
      expect(logSourceOf(`host/${RUN}/${name}.txt`)).toBeUndefined();
  });

  it('end to end from tarballs: the kube-proxy and flannel failures are found, on the named host', async () => {
    const k = rooted(kurl({ [`${RUN}/hostnames.txt`]: 'hostname = kurl-node-1\n' }));
    const report = await analyzeBundle(writeTmp('kurl-host.tar.gz', await makeTarGz(Object.entries(k).map(([name, content]) => ({ name, content })))));
    const ids = report.findings.map((f) => `${f.id} ${f.node}`);
    expect(ids).toEqual(
      // `Couldn't load match `comment'` is a kernel module (R15, H37): one finding, the restore failure folded into it
      expect.arrayContaining(['log.flannel-lease-failed kurl-node-1', 'log.iptables-module-missing kurl-node-1']),
    );
    const ec = rooted(
      {
        'version.yaml': VERSION,
        [`${RUN}/hostnames.txt`]: 'hostname = ec-node-a\n/proc/sys/kernel/hostname = ec-node-a\nuname -n = ec-node-a\n',
        [`${RUN}/k0sworker-logs.txt`]: `Dec 01 09:00:05 ec-node-a k0s[1402]: time="2026-12-01 09:00:05" level=error msg="E1201 09:00:05.100000    1502 network_policy_controller.go:300] Failed to execute iptables-restore: exit status 2 (iptables-restore v1.8.7 (legacy): Couldn't load match \`comment':No such file or directory)" component=kube-router\n`,
        [`${RUN}/sysctl.txt`]: SYSCTL,
      },
      'host',
    );
    const ecReport = await analyzeBundle(writeTmp('ec-host.tar.gz', await makeTarGz(Object.entries(ec).map(([name, content]) => ({ name, content })))));
    expect(ecReport.nodes.map((n) => n.name)).toEqual(['ec-node-a']);
    expect(ecReport.findings.find((f) => f.id === 'log.iptables-module-missing')?.evidence[0].file).toBe(`host/${RUN}/k0sworker-logs.txt`);
  });
});

describe('troubleshoot host bundles: the node is named after the host', () => {
  it('hostnames.txt first (`hostname = ...` or a plain name), then hostos_info.json, then sysctl kernel.hostname', async () => {
    const name = async (files: Record<string, string>) => (await located(rooted(files))).nodes.map((n) => [n.name, strip(n.nameFrom)]);
    expect(await name(kurl({ [`${RUN}/hostnames.txt`]: 'hostname = kurl-node-1\n/proc/sys/kernel/hostname = kurl-node-1\nuname -n = kurl-node-1\n' }))).toEqual([
      ['kurl-node-1', `${RUN}/hostnames.txt`],
    ]);
    expect(await name(kurl({ [`${RUN}/hostnames.txt`]: 'plain-node\n' }))).toEqual([['plain-node', `${RUN}/hostnames.txt`]]);
    expect(await name(kurl())).toEqual([['hostos-name', 'host-collectors/system/hostos_info.json']]);
    const noHostOs = kurl();
    delete noHostOs['host-collectors/system/hostos_info.json'];
    expect(await name(noHostOs)).toEqual([['sysctl-name', `${RUN}/sysctl.txt (kernel.hostname)`]]);
    delete noHostOs[`${RUN}/sysctl.txt`];
    expect((await located(rooted(noHostOs))).nodes.map((n) => n.name)).toEqual(['host']);
  });

  it('a multi-node host bundle keeps its per-node folders, each node by its folder', async () => {
    const perNode: Record<string, string> = {
      'version.yaml': VERSION,
      'host-collectors/system/node_list.json': '{"nodes":["node-1","node-2"]}',
    };
    for (const node of ['node-1', 'node-2']) {
      perNode[`host-collectors/${node}/run-host/hostnames.txt`] = `hostname = ${node}.example.internal\n`;
      perNode[`host-collectors/${node}/run-host/sysctl.txt`] = SYSCTL;
      perNode[`host-collectors/${node}/run-host/crictl-logs-kube-proxy.txt`] = PROXY_LOG;
    }
    const l = await located(rooted(perNode));
    expect(l.nodes.map((n) => n.name).sort()).toEqual(['node-1', 'node-2']);
    for (const n of l.nodes) expect(n.logs.map((g) => g.source)).toEqual([{ unit: 'kube-proxy' }]);
  });
});
