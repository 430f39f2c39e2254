/**
 * The flannel repair names the node's kube-flannel pod from the logs the layout named as its
 * (unit/pod source), in every layout: troubleshoot's cluster-resources/pods/logs/<ns>/<pod>/,
 * kubelet's /var/log/pods/<ns>_<pod>_<uid>/ and /var/log/containers/ copies in a sosreport,
 * troubleshoot's all-logs/<pod>/ (no namespace there).
 */
import { describe, expect, it } from 'vitest';
import { flannelPod, flannelRemedy } from '../../analyzers/lib/flannel.js';
import { logSourceOf } from '../../src/layouts/logs.js';
import type { LogScanResult } from '../../src/logs/index.js';

function log(file: string): LogScanResult {
  const source = logSourceOf(file);
  return { file, lines: 10, bytes: 800, truncatedLines: 0, matches: [], counts: {}, ...(source && Object.keys(source).length ? { source } : {}) };
}

describe('flannel pod from the logs the layout names', () => {
  it("a sosreport's /var/log/pods copy: namespace and pod, no guess in the command", () => {
    const logs = [log('sosreport-n1/var/log/pods/kube-system_kube-flannel-ds-9kx2d_4b0c8f52-2b3e-4c1a-9a57-0e5a1f3c2d11/kube-flannel/0.log')];
    expect(flannelPod(logs)).toEqual({ pod: 'kube-flannel-ds-9kx2d', namespace: 'kube-system' });
    const r = flannelRemedy('n1', logs);
    expect(r.commands).toContain('kubectl -n kube-system delete pod kube-flannel-ds-9kx2d');
  });

  it("/var/log/containers links name the pod and namespace too", () => {
    const logs = [log('sosreport-n1/var/log/containers/kube-flannel-ds-9kx2d_kube-flannel_kube-flannel-' + 'a'.repeat(64) + '.log')];
    expect(flannelRemedy('n1', logs).commands).toContain('kubectl -n kube-flannel delete pod kube-flannel-ds-9kx2d');
  });

  it("troubleshoot's cluster-resources/pods/logs/<ns>/<pod>/: as before, now with its namespace", () => {
    const logs = [log('support-bundle-x/cluster-resources/pods/logs/kube-flannel/kube-flannel-ds-7xq2p/kube-flannel.log')];
    expect(flannelRemedy('n1', logs).commands).toContain('kubectl -n kube-flannel delete pod kube-flannel-ds-7xq2p');
  });

  it("all-logs/<pod>/ gives no namespace: the command says where else to look", () => {
    const logs = [log('support-bundle-x/all-logs/kube-flannel-ds-7xq2p/kube-flannel.log')];
    expect(flannelRemedy('n1', logs).commands).toContain('kubectl -n kube-flannel delete pod kube-flannel-ds-7xq2p   # or -n kube-system, where the DaemonSet runs');
  });

  it("another pod's log, or a file merely called kube-flannel-notes.log, names no pod", () => {
    const logs = [log('sosreport-n1/var/log/pods/kube-system_coredns-5d78c9869d-abcde_4b0c8f52-2b3e-4c1a-9a57-0e5a1f3c2d12/coredns/0.log'), log('ticket/kube-flannel-notes.log')];
    expect(flannelPod(logs)).toBeUndefined();
    expect(flannelRemedy('n1', logs).commands).toContain('kubectl -n kube-flannel delete pod -l app=flannel --field-selector spec.nodeName=n1   # or -n kube-system');
  });
});
