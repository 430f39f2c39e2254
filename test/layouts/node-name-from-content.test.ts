/**
 * R13 #5: a hand-made or single-file bundle with no hostname file is named by what its own files
 * say of the host (`kernel.hostname` of a sysctl listing; the host field of its syslog-format lines
 * when they name one host), not after the file or folder, and `nameNotHost` marks a name that is
 * still only a file's or folder's (commands must not embed it). Real text from the corpus (see its
 * SOURCES.md): hotsos's `journalctl --unit snap.kube-proxy.daemon` (host juju-110cc2-k8stest-4) and
 * `sysctl -a` of the same node (canonical/hotsos), kube-proxy's log of kubernetes/kube-proxy#25
 * (host k8s-192-168-3-26), dockerd's of moby/moby#37694 (host VM), jc's CentOS `sysctl -a`
 * (kernel.hostname = localhost.localdomain), and the project's example bundles.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadBundle } from '../../src/engine/analyze.js';
import { nodeForCommands } from '../../analyzers/lib/node-services.js';
import { makeTarGz, tmpDir, writeTmp } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const nodesOf = async (path: string) => (await loadBundle(path)).located.nodes.map((n) => ({ name: n.name, nameFrom: n.nameFrom, nameNotHost: n.nameNotHost }));

describe.skipIf(!hasCorpus)('a node named by its own files', () => {
  it('a journal given on its own: the host of its syslog lines (the file is kept: its first lines are read)', async () => {
    const dir = tmpDir();
    const file = join(dir, 'journal-kube-proxy-2022-02-11.txt');
    copyFileSync(corpusPath('logs/hotsos-charmed-k8s-snap-kube-proxy-journal.log'), file);
    expect(await nodesOf(file)).toEqual([{ name: 'juju-110cc2-k8stest-4', nameFrom: 'journal-kube-proxy-2022-02-11.txt (host of its syslog lines)', nameNotHost: undefined }]);
  }, 60_000);

  it("a log streamed while the archive is read: the host of the lines the scan kept (kube-proxy#25's)", async () => {
    const gz = await makeTarGz([
      { name: 'case-0217/kube-proxy.log', content: readCorpus('logs/kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log') },
      { name: 'case-0217/iptables-save.txt', content: readCorpus('iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt') },
    ]);
    expect(await nodesOf(writeTmp('case-0217.tgz', gz))).toEqual([{ name: 'k8s-192-168-3-26', nameFrom: 'case-0217/kube-proxy.log (host of its syslog lines)', nameNotHost: undefined }]);
  }, 60_000);

  it('kernel.hostname of sysctl -a comes before the logs', async () => {
    const gz = await makeTarGz([
      { name: 'upload/sysctl-a.txt', content: readCorpus('sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt') },
      { name: 'upload/kube-proxy.log', content: readCorpus('logs/kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log') },
    ]);
    expect(await nodesOf(writeTmp('upload.tgz', gz))).toEqual([{ name: 'juju-110cc2-k8stest-4', nameFrom: 'upload/sysctl-a.txt (kernel.hostname)', nameNotHost: undefined }]);
  }, 60_000);

  it('a hostname file still wins', async () => {
    const gz = await makeTarGz([
      { name: 'upload/hostname', content: 'worker-3\n' },
      { name: 'upload/sysctl-a.txt', content: readCorpus('sysctl/hotsos-charmed-k8s-flannel-node-sysctl-a.txt') },
    ]);
    expect(await nodesOf(writeTmp('upload.tgz', gz))).toEqual([{ name: 'worker-3', nameFrom: 'upload/hostname', nameNotHost: undefined }]);
  }, 60_000);

  it('no name from localhost.localdomain, nor from logs of two hosts: the bundle name, marked as no host name', async () => {
    const gz = await makeTarGz([
      { name: 'ticket-991/sysctl-a.txt', content: readCorpus('sysctl/jc-centos77-docker-sysctl-a.txt') },
      { name: 'ticket-991/kube-proxy.log', content: readCorpus('logs/kube-proxy-25-ip6tables-restore-unknown-option-xor-mark.log') },
      { name: 'ticket-991/dockerd.log', content: readCorpus('logs/moby-37694-dockerd-nat-table-does-not-exist-centos7.log') },
    ]);
    const [node] = await nodesOf(writeTmp('ticket-991.tgz', gz));
    expect(node).toEqual({ name: 'ticket-991', nameFrom: 'folder name', nameNotHost: true });
    expect(nodeForCommands({ node: node.name, nodeNameNotHost: node.nameNotHost })).toEqual({ command: '<NODE>', prose: 'this node', known: false });
  }, 60_000);

  it('an iptables dump given on its own is named after the file, marked as no host name', async () => {
    const dir = tmpDir();
    mkdirSync(join(dir, 'in'));
    const file = join(dir, 'in', 'iptables-dump-ticket.txt');
    copyFileSync(corpusPath('iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt'), file);
    const [node] = await nodesOf(file);
    expect(node.nameFrom).toBe('bundle name');
    expect(node.nameNotHost).toBe(true);
  }, 60_000);
});

describe('the example bundles keep their names (hostname files; troubleshoot node folders)', () => {
  it.each([
    ['ip-forward-off.tgz', ['docker-host-02']],
    ['kube-firewall-corrupted.tgz', ['k8s-node-7']],
    ['three-node-cluster.tgz', ['node-a', 'node-b', 'node-c']],
  ])('%s', async (bundle, names) => {
    const nodes = await nodesOf(projectPath('bundles', bundle));
    expect(nodes.map((n) => n.name)).toEqual(names);
    expect(nodes.every((n) => n.nameNotHost === undefined)).toBe(true);
  }, 60_000);
});
