/**
 * The light and forced flannel repairs, with the node's real names where the bundle
 * has them, for the distribution that runs flannel there: kubeadm-style clusters run it as a pod
 * (kube-flannel DaemonSet) beside kubelet.service and the runtime; k3s runs flannel inside the k3s
 * process (no pod to delete: restarting k3s / k3s-agent rebuilds flannel.1 from the lease).
 */
import type { LogScanResult } from '../../src/logs/index.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence, Remedy } from '../../src/report/schema.js';
import { nodeForCommands, nodeServices, restartDocker, restartedNames, type NodeServices } from './node-services.js';

/**
 * The node's flannel pod, from the logs the layout named as a kube-flannel pod's (troubleshoot's
 * cluster-resources/pods/logs, kubelet's /var/log/pods and /var/log/containers copies in any
 * layout), with its namespace where the path gives it.
 */
export function flannelPod(logs: LogScanResult[] | undefined): { pod: string; namespace?: string } | undefined {
  for (const l of logs ?? []) {
    const s = l.source;
    if (s?.pod && /^kube-flannel/.test(s.pod)) return { pod: s.pod, ...(s.namespace ? { namespace: s.namespace } : {}) };
  }
  return undefined;
}

/**
 * A node as a remedy names it: its name, or the analyzer's input (whose name may be its folder's,
 * no host's: kubectl then gets <NODE>, the prose "this node"; analyzers/lib/node-services.ts nodeForCommands).
 */
export type NodeRef = string | { node: string; nodeNameNotHost?: boolean };

function refOf(who: NodeRef): { command: string; prose: string } {
  return typeof who === 'string' ? { command: who, prose: who } : nodeForCommands(who);
}

/** `kubectl delete pod` of the node's flannel pod: by name where a log names it, else by label on the node. */
function deleteFlannelPod(node: string, logs: LogScanResult[] | undefined): string {
  // node: the name kubectl's --field-selector takes (<NODE> where the bundle names no host)
  const p = flannelPod(logs);
  if (p?.namespace) return `kubectl -n ${p.namespace} delete pod ${p.pod}`;
  if (p) return `kubectl -n kube-flannel delete pod ${p.pod}   # or -n kube-system, where the DaemonSet runs`;
  return `kubectl -n kube-flannel delete pod -l app=flannel --field-selector spec.nodeName=${node}   # or -n kube-system`;
}

/** `artifacts`: the node's, to name its services (without them: the kubeadm repair, as before). */
export function flannelRemedy(who: NodeRef, logs?: LogScanResult[], artifacts?: NodeArtifacts): Remedy {
  // `node` in prose and comments; `cmdNode` where kubectl takes the node's name (<NODE> where the bundle names no host)
  const { prose: node, command: cmdNode } = refOf(who);
  const podCmd = deleteFlannelPod(cmdNode, logs);
  const caution = 'Pod traffic of the node is cut for up to 5 minutes while flannel rebuilds; the forced repair restarts every container on the node.';
  // the kubeadm-style repair: kubelet and docker (docker.service, or how dockerd runs on the node)
  const kubeadm = (s?: Pick<NodeServices, 'dockerRestart'>): Remedy => ({
    summary: `Light repair first: delete the flannel.1 link and the node's flannel pod so flannel rebuilds them from its lease. If the mismatch stays, the forced repair also deletes cni0 and restarts kubelet and docker on ${node}.`,
    commands: [`# light repair, on ${node}`, 'ip link delete flannel.1', podCmd, `# forced repair, on ${node}, if the light one did not fix it`, 'ip link delete cni0', 'systemctl restart kubelet', ...(s ? restartDocker(s) : ['systemctl restart docker'])],
    caution,
  });
  if (!artifacts) return kubeadm();
  const s = nodeServices(artifacts);
  // Docker and kubelet (or only Docker shown): the kubeadm-style repair as it stands
  if (s.docker === true && (!s.distro || s.distro.name === 'kubelet')) return kubeadm(s);
  switch (s.distro?.name) {
    case 'k3s': {
      const unit = s.distro.unit;
      return {
        summary: `k3s runs flannel inside ${unit} (there is no flannel pod): delete flannel.1 and cni0 and restart ${unit} on ${node}, which rebuilds them from the node's lease.`,
        commands: [`# on ${node}: flannel runs inside ${unit}`, 'ip link delete flannel.1', 'ip link delete cni0', `systemctl restart ${unit}`],
        caution: `Pod traffic of the node is cut until ${unit} has rebuilt flannel.1 and cni0; pods attached to the old cni0 lose their network until they are recreated (kubectl delete pod, or drain the node first).`,
      };
    }
    case 'microk8s':
      return {
        summary: `Light repair first: delete the flannel.1 link and restart MicroK8s' flanneld so it rebuilds it from its lease. If the mismatch stays, also delete cni0 and restart MicroK8s on ${node}.`,
        commands: [`# light repair, on ${node}`, 'ip link delete flannel.1', 'snap restart microk8s.daemon-flanneld   # MicroK8s without HA runs flannel as this snap service', `# forced repair, on ${node}, if the light one did not fix it`, 'ip link delete cni0', ...s.restartRuntime],
        caution,
      };
    default: {
      // a flannel pod beside the kubelet's own service: kubelet.service (kubeadm, kURL), rke2-*, k0s*, or unknown
      const bare = (c: string) => c.replace(/\s+#.*$/, '');
      const forced = s.distro ? [...s.restartKubelet, ...s.restartRuntime].filter((c, i, all) => all.findIndex((x) => bare(x) === bare(c)) === i) : [...s.restartKubelet, ...s.restartRuntime];
      const light = s.distro?.name === 'rke2' && !flannelPod(logs) ? `kubectl -n kube-system delete pod -l k8s-app=canal --field-selector spec.nodeName=${cmdNode}   # RKE2 runs flannel in the rke2-canal pod (with cni: flannel, the kube-flannel pod)` : podCmd;
      const what = s.distro ? restartedNames(forced).join(' and ') : 'the kubelet and the container runtime';
      return {
        summary: `Light repair first: delete the flannel.1 link and the node's flannel pod so flannel rebuilds them from its lease. If the mismatch stays, the forced repair also deletes cni0 and restarts ${what} on ${node}.`,
        commands: [`# light repair, on ${node}`, 'ip link delete flannel.1', light, `# forced repair, on ${node}, if the light one did not fix it`, 'ip link delete cni0', ...forced],
        caution,
      };
    }
  }
}

/**
 * Who runs flannel on the node, and how to restart it so it writes its rules and links again:
 * k3s (in-process: restart k3s / k3s-agent), MicroK8s (its flanneld snap service), RKE2 (its
 * canal pod), else the kube-flannel DaemonSet's pod.
 */
export function flannelRunner(who: NodeRef, artifacts: NodeArtifacts): { name: string; inProcess: boolean; restart: string[]; evidence: Evidence[] } {
  const node = refOf(who).command;
  const s = nodeServices(artifacts);
  const evidence = s.distro ? [s.distro.evidence] : [];
  switch (s.distro?.name) {
    case 'k3s':
      return { name: s.distro.unit, inProcess: true, restart: [`systemctl restart ${s.distro.unit}   # k3s runs flannel in-process: it writes its rules again at start`], evidence };
    case 'microk8s':
      return { name: 'microk8s.daemon-flanneld', inProcess: false, restart: ['snap restart microk8s.daemon-flanneld   # MicroK8s without HA runs flannel as this snap service'], evidence };
    case 'rke2':
      return { name: 'the canal pod', inProcess: false, restart: [`kubectl -n kube-system delete pod -l k8s-app=canal --field-selector spec.nodeName=${node}   # RKE2 runs flannel in its canal pod`], evidence };
    default: {
      const pod = flannelPod(artifacts.logs);
      return {
        name: pod ? `pod ${pod.namespace ? `${pod.namespace}/` : ''}${pod.pod}` : 'the kube-flannel pod',
        inProcess: false,
        restart: [deleteFlannelPod(node, artifacts.logs)],
        evidence: [],
      };
    }
  }
}
