/**
 * The layouts name aws-node's logs and kubelet's container logs with their writer, in every layout:
 * /var/log/aws-routed-eni/<name>.log (ipamd; plugin.log and egress-v6-plugin.log, the pluginLogFile of
 * the aws-cni and egress-cni plugins in 10-aws.conflist; lumberjack's rotated
 * `<name>-<yyyy-mm-ddThh-mm-ss.mmm>.log.gz`), /var/log/containers/<pod>_<ns>_<container>-<id>.log and
 * /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log (kubelet's names; rotated `<n>.log.<yyyymmdd-hhmmss>`),
 * whether a sosreport, an EKS log collector's var_log/ copy or a hand-made folder holds them.
 * iptables.aws-snat-missing finds aws-node's logs by that source.
 */
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-aws-snat-missing.js';
import { readBundle } from '../../src/bundle/read.js';
import { isWantedPath, locate, logSourceOf } from '../../src/layouts/index.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { readFileSync } from 'node:fs';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from '../analyzers/helpers.js';

const CID = '4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const UID = '0d1e2f3a-1111-2222-3333-444455556666';
const IPAMD_LINE = '{"level":"info","ts":"2026-12-01T10:00:01.000Z","caller":"ipamd/ipamd.go:500","msg":"Reconcile existing ENI"}\n';

describe('aws-node\'s and kubelet\'s log names, anywhere', () => {
  it.each([
    // a sosreport's (or any) copy of /var/log
    ['sosreport-ip-10-0-1-5-2026-12-01-abcdef/var/log/aws-routed-eni/ipamd.log', { unit: 'ipamd' }],
    ['sosreport-ip-10-0-1-5-2026-12-01-abcdef/var/log/aws-routed-eni/plugin.log', { unit: 'aws-cni' }],
    ['sosreport-ip-10-0-1-5-2026-12-01-abcdef/var/log/aws-routed-eni/egress-v6-plugin.log', { unit: 'egress-cni' }],
    ['var/log/aws-routed-eni/network-policy-agent.log', { unit: 'network-policy-agent' }],
    // lumberjack's backups
    ['var/log/aws-routed-eni/ipamd-2026-11-30T10-00-00.000.log.gz', { unit: 'ipamd' }],
    ['var_log/aws-routed-eni/plugin-2026-11-30T10-00-00.000.log', { unit: 'aws-cni' }],
    // kubelet's names
    [`sosreport-x/var/log/containers/aws-node-7xk2p_kube-system_aws-node-${CID}.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    [`var/log/containers/aws-node-7xk2p_kube-system_aws-eks-nodeagent-${CID}.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-eks-nodeagent' }],
    [`var/log/pods/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    [`var/log/pods/kube-system_aws-node-7xk2p_${UID}/aws-node/1.log.20261201-103000.gz`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    // a static pod: its uid is the config hash
    ['var/log/pods/kube-system_kube-apiserver-ip-10-0-1-5.ec2.internal_5f6d7c8b9a0e1f2a3b4c5d6e7f8a9b0c/kube-apiserver/0.log', { namespace: 'kube-system', pod: 'kube-apiserver-ip-10-0-1-5.ec2.internal', container: 'kube-apiserver' }],
    // the EKS collector's var_log/ copies, as before
    [`var_log/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    [`var_log/aws-node-7xk2p_kube-system_aws-node-${CID}.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    // a troubleshoot copy collector's or a hand-made folder's copy
    [`host-collectors/aws-node-logs/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`, { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' }],
    ['case-123/aws-routed-eni/ipamd.log', { unit: 'ipamd' }],
  ])('%s', (path, source) => {
    expect(logSourceOf(path)).toEqual(source);
  });

  it('other names keep what they had', () => {
    expect(logSourceOf('var/log/containers/notes.log')).toEqual({});
    expect(logSourceOf('var/log/pods/readme.log')).toEqual({});
    expect(logSourceOf('var/log/messages')).toEqual({});
    expect(logSourceOf('cluster-resources/pods/logs/kube-system/aws-node-7xk2p/aws-node.log')).toEqual({ namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' });
    expect(logSourceOf('aws-node-notes.log')).toEqual({});
  });

  it('a sosreport: the located logs carry their writer', async () => {
    const root = 'sosreport-ip-10-0-1-5-2026-12-01-abcdef';
    const files: Record<string, string> = {
      [`${root}/version.txt`]: 'sosreport: 4.5.6\n',
      [`${root}/sos_commands/networking/ip_-d_address`]: readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'),
      [`${root}/var/log/aws-routed-eni/ipamd.log`]: IPAMD_LINE,
      [`${root}/var/log/aws-routed-eni/plugin.log`]: IPAMD_LINE,
      [`${root}/var/log/containers/aws-node-7xk2p_kube-system_aws-node-${CID}.log`]: '2026-12-01T10:00:01.000000000Z stderr F Successfully copied CNI plugin binary and config file.\n',
      [`${root}/var/log/pods/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`]: '2026-12-01T10:00:01.000000000Z stderr F Successfully copied CNI plugin binary and config file.\n',
    };
    const tree = await readBundle(writeFolder(files, 'case-sos'), { keep: (i) => i.size < 1 << 20 || isWantedPath(i.path) });
    const l = locate(tree, 'case-sos');
    expect(l.nodes).toHaveLength(1);
    const logs = Object.fromEntries(l.nodes[0].logs.map((g) => [g.path.slice(root.length + 1), g.source]));
    expect(logs).toEqual({
      'var/log/aws-routed-eni/ipamd.log': { unit: 'ipamd' },
      'var/log/aws-routed-eni/plugin.log': { unit: 'aws-cni' },
      [`var/log/containers/aws-node-7xk2p_kube-system_aws-node-${CID}.log`]: { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' },
      [`var/log/pods/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`]: { namespace: 'kube-system', pod: 'aws-node-7xk2p', container: 'aws-node' },
    });
  });
});

describe('iptables.aws-snat-missing finds aws-node by the log source', () => {
  const rules = parseIptablesSave(readFileSync(projectPath('test/fixtures/aws-snat/postrouting-flushed.rules'), 'utf8'), 'iptables-save');
  const withLog = (file: string) => ({ iptables: [rules], logs: [scanLogText(IPAMD_LINE, file, { source: logSourceOf(file) ?? {}, year: 2026 })] });

  it.each([
    ['sosreport-x/var/log/aws-routed-eni/ipamd-2026-11-30T10-00-00.000.log.gz', 'ipamd'],
    [`sosreport-x/var/log/pods/kube-system_aws-node-7xk2p_${UID}/aws-node/0.log`, 'pod kube-system/aws-node-7xk2p, container aws-node'],
  ])('%s: the VPC CNI runs here, and its flushed POSTROUTING is a critical', (file, name) => {
    const [f] = runNode(analyzer, withLog(file));
    expect(f?.severity).toBe('critical');
    expect(f.evidence).toContainEqual(expect.objectContaining({ file, line: 0, note: `aws-node's log (${name}): the VPC CNI runs here` }));
  });

  it('a log whose name only looks like it (a hand-named aws-node-notes.log, another pod\'s log) is not aws-node\'s', () => {
    expect(runNode(analyzer, withLog('case-1/aws-node-notes.log'))).toEqual([]);
    expect(runNode(analyzer, withLog(`var/log/pods/kube-system_coredns-5d78c9869d-abcde_${UID}/coredns/0.log`))).toEqual([]);
  });
});
