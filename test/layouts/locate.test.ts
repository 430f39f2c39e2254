import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/bundle/read.js';
import { isWantedPath, locate } from '../../src/layouts/index.js';
import { logSourceOf } from '../../src/layouts/logs.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus } from '../helpers/shared.js';

const read = (path: string) => readBundle(path, { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });

describe.skipIf(!hasCorpus)('layouts on the real bundles of the corpus', () => {
  it('hotsos sosreport subset: one node named by its hostname file, sos paths mapped', async () => {
    const tree = await read(corpusPath('bundles/hotsos-charmed-k8s-flannel-sosreport-networking-subset.tar.gz'));
    const located = locate(tree, 'hotsos');
    expect(located.layout).toBe('sosreport');
    expect(located.nodes).toHaveLength(1);
    const node = located.nodes[0];
    expect(node.nameFrom).toBe('hotsos-kubernetes-sosreport-subset/etc/hostname');
    const formats = Object.fromEntries(node.files.map((f) => [f.relPath, f.format]));
    expect(formats['sos_commands/kernel/sysctl_-a']).toBe('sysctl-text');
    expect(formats['proc/sys/net/ipv4/ip_forward']).toBe('proc-sys');
    expect(formats['etc/sysctl.d/50-kubernetes-charm.conf']).toBe('sysctl-conf');
    // the per-unit journals are logs, with the unit taken from the file name
    expect(node.logs.map((l) => l.source.unit)).toContain('snap.kube-proxy.daemon');
  });

  it('insights cluster archive: four nested host archives become four nodes', async () => {
    const tree = await read(corpusPath('bundles/insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz'));
    const located = locate(tree, 'insights');
    expect(located.layout).toBe('insights');
    expect(located.nodes.map((n) => n.root).sort()).toEqual([
      'host_01.tar.gz/host_01',
      'host_02.tar.gz/host_02',
      'host_03.tar.gz/host_03',
      'host_04.tar.gz/host_04',
    ]);
    for (const n of located.nodes) expect(n.nameFrom).toMatch(/insights_commands\/hostname$/);
    expect(new Set(located.nodes.map((n) => n.name)).size).toBe(4);
  });

  it('troubleshoot baseline: the in-cluster sysctl file names the node', async () => {
    const tree = await read(corpusPath('bundles/troubleshoot-baseline-supportbundle-k3s-flannel.tar.gz'));
    const located = locate(tree, 'ts');
    expect(located.layout).toBe('troubleshoot');
    const node = located.nodes.find((n) => n.name === 'primary-node');
    expect(node?.files).toContainEqual(expect.objectContaining({ path: 'supportbundle/sysctl/primary-node', format: 'sysctl-text' }));
  });

  it('troubleshoot k3s: pod logs are assigned to the node the pod ran on', async () => {
    const tree = await read(corpusPath('bundles/troubleshoot-k3s-support-bundle.tar.gz'));
    const located = locate(tree, 'ts');
    const node = located.nodes.find((n) => n.name === 'k3d-mycluster-server-0');
    expect(node?.logs.some((l) => l.source.pod?.startsWith('coredns-') && l.source.namespace === 'kube-system')).toBe(true);
  });

  it('a troubleshoot bundle with nothing but analysis.json still yields a node that shows what is missing', async () => {
    const tree = await read(corpusPath('bundles/troubleshoot-support-bundle-missing-version.tar.gz'));
    const located = locate(tree, 'missing-version');
    expect(located.nodes).toHaveLength(1);
    expect(located.nodes[0].files).toEqual([]);
  });
});

describe('flat bundles', () => {
  it('one folder per node when several folders hold artifacts; content is sniffed', async () => {
    const sysctl = 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.rp_filter = 1\nnet.core.somaxconn = 4096\n';
    const gz = await makeTarGz([
      { name: 'ticket-123/node-a/sysctl-a.txt', content: sysctl },
      { name: 'ticket-123/node-b/out.txt', content: sysctl.replace('= 0', '= 1') },
    ]);
    const located = locate(await read(writeTmp('t.tgz', gz)), 'ticket-123');
    expect(located.layout).toBe('flat');
    expect(located.nodes.map((n) => [n.name, n.nameFrom, n.files.map((f) => f.format)])).toEqual([
      ['node-a', 'folder name', ['sysctl-text']],
      ['node-b', 'folder name', ['sysctl-text']],
    ]);
  });

  it('a host tree (etc/, proc/) is one node named by its hostname file', async () => {
    const gz = await makeTarGz([
      { name: 'x/etc/hostname', content: 'web-1\n' },
      { name: 'x/etc/sysctl.conf', content: 'net.ipv4.ip_forward = 1\n' },
      { name: 'x/proc/sys/net/ipv4/ip_forward', content: '1\n' },
    ]);
    const located = locate(await read(writeTmp('h.tgz', gz)), 'h');
    expect(located.nodes).toHaveLength(1);
    expect(located.nodes[0].name).toBe('web-1');
    expect(located.nodes[0].files.map((f) => f.format).sort()).toEqual(['proc-sys', 'sysctl-conf']);
  });
});

describe('which paths are logs', () => {
  it('knows sosreport unit journals, pod logs and rotated syslog', () => {
    expect(logSourceOf('sos_commands/docker/journalctl_--no-pager_--unit_docker')).toEqual({ unit: 'docker' });
    expect(logSourceOf('sos_commands/kubernetes/journalctl_--no-pager_--unit_kubelet')).toEqual({ unit: 'kubelet' });
    expect(logSourceOf('cluster-resources/pods/logs/kube-system/kube-flannel-ds-x/kube-flannel.log')).toEqual({
      namespace: 'kube-system',
      pod: 'kube-flannel-ds-x',
      container: 'kube-flannel',
    });
    expect(logSourceOf('var/log/messages-20261101.gz')).toEqual({});
    expect(logSourceOf('var/log/syslog.1')).toEqual({});
    expect(logSourceOf('sos_commands/kernel/sysctl_-a')).toBeUndefined();
    // the kernel ring buffer as sosreport, insights and RHEL 7's boot save it
    for (const p of ['sos_commands/kernel/dmesg', 'sos_commands/kernel/dmesg_-T', 'insights_commands/dmesg', 'var/log/dmesg', 'var/log/dmesg.old'])
      expect(logSourceOf(`host/${p}`), p).toEqual({ unit: 'kernel' });
    expect(logSourceOf('sos_commands/kernel/dmesg_-l_err_extra')).toBeUndefined();
    // an insights archive names its command outputs as sosreport does, one folder up
    expect(logSourceOf('host_01/insights_commands/journalctl_--no-pager_--boot')).toEqual({});
    expect(logSourceOf('host_01/insights_commands/journalctl_--no-pager_--unit_docker')).toEqual({ unit: 'docker' });
  });
});
