/** The light and forced flannel repairs of seed 004, with the node's real names where the bundle has them. */
import type { LogScanResult } from '../../src/logs/index.js';
import type { Remedy } from '../../src/report/schema.js';

export function flannelPod(logs: LogScanResult[] | undefined): string | undefined {
  for (const l of logs ?? []) {
    const m = /cluster-resources\/pods\/logs\/[^/]+\/(kube-flannel[^/]*)\//.exec(l.file);
    if (m) return m[1];
  }
  return undefined;
}

export function flannelRemedy(node: string, logs?: LogScanResult[]): Remedy {
  const pod = flannelPod(logs);
  const podCmd = pod
    ? `kubectl -n kube-flannel delete pod ${pod}   # or -n kube-system, where the DaemonSet runs`
    : `kubectl -n kube-flannel delete pod -l app=flannel --field-selector spec.nodeName=${node}   # or -n kube-system`;
  return {
    summary: `Light repair first: delete the flannel.1 link and the node's flannel pod so flannel rebuilds them from its lease. If the mismatch stays, the forced repair also deletes cni0 and restarts kubelet and docker on ${node}.`,
    commands: [
      `# light repair, on ${node}`,
      'ip link delete flannel.1',
      podCmd,
      `# forced repair, on ${node}, if the light one did not fix it`,
      'ip link delete cni0',
      'systemctl restart kubelet',
      'systemctl restart docker',
    ],
    caution: 'Pod traffic of the node is cut for up to 5 minutes while flannel rebuilds (seed 004); the forced repair restarts every container on the node.',
  };
}
