/**
 * Which container runtime and which Kubernetes distribution run on a node, told from its
 * artifacts (unit states, the dockerd process listing, the paths the collector copied, the
 * interfaces), and the commands that restart them. Remedies ask here instead of assuming
 * `systemctl restart docker` / `systemctl restart kubelet`: on k3s, RKE2, k0s and MicroK8s there is
 * no kubelet.service (the kubelet runs inside k3s / rke2-server / k0sworker / kubelite), on a
 * kubeadm or kURL node of today there is no docker.service (containerd), on OpenShift the runtime
 * is CRI-O and the host (RHCOS) is configured through the Machine Config Operator.
 *
 * Pure: artifacts in, names out. When the bundle does not tell, `distro` / `runtime` stay
 * undefined and the commands are worded so that they name no unit as if it existed.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { findService, isActive, isEnabled, type ServiceState } from '../../src/parsers/services.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';

/** The artifact kinds the helper reads: add them to an analyzer's `optional` so the engine passes them. */
export const NODE_SERVICE_KINDS = ['services', 'dockerDaemon', 'ipAddr', 'logs', 'flannelNetConf', 'flannelSubnetEnv', 'iptables'] as const;

export type Distro = 'k3s' | 'rke2' | 'k0s' | 'microk8s' | 'openshift' | 'charmed' | 'kubelet';
export type Runtime = 'docker' | 'containerd' | 'crio' | 'embedded-containerd';

export interface NodeServices {
  /** the Kubernetes distribution, with the unit that runs the kubelet (k3s, k3s-agent, rke2-server, k0sworker, ...) */
  distro?: { name: Distro; label: string; unit: string; evidence: Evidence };
  /** the container runtime and its unit; `embedded-containerd` runs inside the distribution's own service */
  runtime?: { name: Runtime; unit?: string; evidence?: Evidence };
  /** dockerd runs (true), is shown not to run or not to exist (false), or the bundle does not say */
  docker: boolean | undefined;
  /** flannel runs inside the distribution's process (k3s): there is no flannel pod to delete */
  flannelInProcess: boolean;
  /** RHCOS / OpenShift 4: host configuration belongs in a MachineConfig, not in files written by hand */
  machineConfig: boolean;
  /** commands that restart the service running the kubelet; a comment when the bundle does not say which */
  restartKubelet: string[];
  /** commands that restart the container runtime (and with it re-apply its network setup) */
  restartRuntime: string[];
  /** short phrase: "k3s (k3s.service active)", for messages */
  summary?: string;
}

const at = (s: ServiceState, note: string): Evidence => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note });

/** A unit that runs, or at least is enabled: present on the node. A `not-found` load state (troubleshoot JSON) is absence. */
function present(artifacts: NodeArtifacts, unit: string): ServiceState | undefined {
  const states = findService(artifacts.services ?? [], unit).filter((s) => !/not-found/.test(s.excerpt));
  return isActive(states) ?? isEnabled(states);
}

/** The unit listings that show running state (list-units, troubleshoot's JSON): a unit absent from them is not running. */
function hasRunningListing(artifacts: NodeArtifacts): boolean {
  return (artifacts.services ?? []).some((l) => l.services.some((s) => s.active !== undefined && s.unit.endsWith('.service')));
}

/** Every file name of the node's artifacts: the collector's paths say /var/lib/rancher/k3s, /var/snap/microk8s, k0s logs. */
function filesOf(artifacts: NodeArtifacts): string[] {
  const out: string[] = [];
  for (const list of Object.values(artifacts)) for (const a of (list ?? []) as { file?: string }[]) if (typeof a?.file === 'string') out.push(a.file);
  return out;
}

const PATH_HINTS: [RegExp, Distro, string][] = [
  [/(^|\/)(var\/lib\/rancher\/k3s|etc\/rancher\/k3s)\/|journalctl[-_ ]+(-u|--unit)[-_ =]*k3s\.?(service)?\b|(^|\/)k3s(-agent)?(\.service)?[-_.]log/i, 'k3s', 'k3s'],
  [/(^|\/)(var\/lib\/rancher\/rke2|etc\/rancher\/rke2)\/|rke2-(server|agent)/i, 'rke2', 'rke2-server'],
  [/(^|\/)var\/snap\/microk8s\//, 'microk8s', 'snap.microk8s.daemon-kubelite'],
  [/(^|\/)(var\/lib\/k0s|etc\/k0s)\/|k0s(controller|worker)/i, 'k0s', 'k0sworker'],
];

export function nodeServices(artifacts: NodeArtifacts): NodeServices {
  let distro: NodeServices['distro'];
  const unitDistros: [string, Distro, string][] = [
    ['k3s', 'k3s', 'k3s server'],
    ['k3s-agent', 'k3s', 'k3s agent'],
    ['rke2-server', 'rke2', 'RKE2 server'],
    ['rke2-agent', 'rke2', 'RKE2 agent'],
    ['k0scontroller', 'k0s', 'k0s controller'],
    ['k0sworker', 'k0s', 'k0s worker'],
    ['snap.microk8s.daemon-kubelite.service', 'microk8s', 'MicroK8s'],
    ['snap.kubelet.daemon.service', 'charmed', 'Charmed Kubernetes'],
    ['atomic-openshift-node', 'openshift', 'OpenShift 3'],
    ['origin-node', 'openshift', 'OKD 3'],
  ];
  for (const [unit, name, label] of unitDistros) {
    const s = present(artifacts, unit);
    if (s) {
      distro = { name, label, unit: unit.replace(/\.service$/, ''), evidence: at(s, `${s.unit} ${isActive([s]) ? 'runs' : 'is enabled'} here: ${label}`) };
      break;
    }
  }
  const kubelet = present(artifacts, 'kubelet');
  const crio = present(artifacts, 'crio');
  if (!distro && kubelet) {
    // OpenShift 4 (RHCOS): CRI-O and kubelet units, and the Machine Config Operator's own units or OVN-Kubernetes' gateway bridge
    const mco = ['ovs-configuration', 'machine-config-daemon-firstboot', 'machine-config-daemon-pull', 'nodeip-configuration'].map((u) => present(artifacts, u)).find((s) => s);
    const itfs = interfacesOf(artifacts.ipAddr ?? []);
    const ovnk = itfs.has('ovn-k8s-mp0') && itfs.has('br-ex');
    if (crio && (mco || ovnk))
      distro = {
        name: 'openshift',
        label: 'OpenShift 4 (RHCOS)',
        unit: 'kubelet',
        evidence: mco ? at(mco, `${mco.unit}: a unit of OpenShift's Machine Config Operator`) : at(crio, 'crio.service with OVN-Kubernetes (ovn-k8s-mp0, br-ex): OpenShift'),
      };
    else distro = { name: 'kubelet', label: 'kubelet (kubeadm, kURL, EKS, ...)', unit: 'kubelet', evidence: at(kubelet, `${kubelet.unit} ${isActive([kubelet]) ? 'runs' : 'is enabled'} here`) };
  }
  if (!distro) {
    // no unit states: the paths the collector copied (k3s's /var/lib/rancher/k3s, a journalctl -u k3s file, k0scontroller-logs)
    for (const f of filesOf(artifacts)) {
      const hit = PATH_HINTS.find(([re]) => re.test(f));
      if (hit) {
        const [, name, unit] = hit;
        const label = { k3s: 'k3s', rke2: 'RKE2', microk8s: 'MicroK8s', k0s: 'k0s' }[name as 'k3s'];
        const which = /k0scontroller/.test(f) ? 'k0scontroller' : /k3s-agent/.test(f) ? 'k3s-agent' : /rke2-agent/.test(f) ? 'rke2-agent' : unit;
        distro = { name, label, unit: which, evidence: { file: f, line: 0, excerpt: f, note: `a ${label} path` } };
        break;
      }
    }
  }

  // the container runtime
  const dockerUnit = present(artifacts, 'docker');
  const dockerd = dockerdSettings(artifacts.dockerDaemon);
  const dockerListed = findService(artifacts.services ?? [], 'docker');
  let docker: boolean | undefined;
  if (dockerUnit && (isActive([dockerUnit]) || dockerd.running !== false)) docker = true;
  else if (dockerd.running === true) docker = true;
  else if (dockerd.running === false) docker = false;
  else if (dockerListed.some((s) => s.active === 'inactive' || s.active === 'failed' || /not-found/.test(s.excerpt))) docker = false;
  else if (dockerListed.length === 0 && hasRunningListing(artifacts)) docker = false;
  let runtime: NodeServices['runtime'];
  const embedded = distro && ['k3s', 'rke2', 'k0s', 'microk8s'].includes(distro.name);
  if (docker) runtime = { name: 'docker', unit: 'docker', evidence: dockerUnit ? at(dockerUnit, 'docker.service') : undefined };
  else if (embedded)
    runtime = distro!.name === 'microk8s' ? { name: 'embedded-containerd', unit: 'snap.microk8s.daemon-containerd' } : { name: 'embedded-containerd', unit: distro!.unit };
  else if (distro?.name === 'charmed') {
    const containerd = present(artifacts, 'containerd');
    if (containerd) runtime = { name: 'containerd', unit: 'containerd', evidence: at(containerd, 'containerd.service') };
  }
  else if (crio) runtime = { name: 'crio', unit: 'crio', evidence: at(crio, 'crio.service') };
  else {
    const containerd = present(artifacts, 'containerd');
    if (containerd) runtime = { name: 'containerd', unit: 'containerd', evidence: at(containerd, 'containerd.service') };
  }

  const machineConfig = distro?.name === 'openshift' && distro.label.startsWith('OpenShift 4');
  let restartKubelet: string[];
  let restartRuntime: string[];
  switch (distro?.name) {
    case 'k3s':
    case 'rke2':
    case 'k0s':
      restartKubelet = [`systemctl restart ${distro.unit}   # the kubelet and containerd run inside ${distro.unit}`];
      restartRuntime = docker ? ['systemctl restart docker', `systemctl restart ${distro.unit}`] : [`systemctl restart ${distro.unit}`];
      break;
    case 'microk8s':
      restartKubelet = ['snap restart microk8s.daemon-kubelite   # MicroK8s runs the kubelet inside kubelite'];
      restartRuntime = ['snap restart microk8s   # restarts snap.microk8s.daemon-containerd and daemon-kubelite'];
      break;
    case 'charmed':
      restartKubelet = ['systemctl restart snap.kubelet.daemon'];
      restartRuntime = [...(runtime?.unit ? [`systemctl restart ${runtime.unit}`] : []), 'systemctl restart snap.kubelet.daemon'];
      break;
    case 'openshift':
    case 'kubelet': {
      const unit = distro.name === 'openshift' && !machineConfig ? distro.unit : 'kubelet';
      restartKubelet = [`systemctl restart ${unit}`];
      restartRuntime = runtime?.unit ? [`systemctl restart ${runtime.unit}`, `systemctl restart ${unit}`] : [`systemctl restart ${unit}`, '# and the container runtime (containerd, crio or docker: the bundle does not show which runs here)'];
      break;
    }
    default:
      restartKubelet = ['# restart the service that runs the kubelet: kubelet, or k3s / k3s-agent, rke2-server / rke2-agent, k0scontroller / k0sworker (MicroK8s: snap restart microk8s.daemon-kubelite): the bundle does not show which runs here'];
      restartRuntime = runtime?.unit ? [`systemctl restart ${runtime.unit}`] : ['# restart the container runtime (docker, containerd or crio) and the node service that owns the container network: the bundle does not show which runs here'];
  }
  const summary = distro ? `${distro.label}${runtime?.unit && runtime.unit !== distro.unit ? `, ${runtime.name === 'embedded-containerd' ? 'its containerd' : runtime.unit}` : ''}` : runtime?.unit;
  return { distro, runtime, docker, flannelInProcess: distro?.name === 'k3s', machineConfig, restartKubelet, restartRuntime, summary };
}
