/**
 * Which container runtime and which Kubernetes distribution run on a node, told from its
 * artifacts (unit states, the dockerd process listing, the layout's distribution hint from the
 * paths the collector copied, the interfaces), and the commands that restart them. Remedies ask
 * here instead of assuming `systemctl restart docker` / `systemctl restart kubelet` (dockerd itself
 * may run rootless, from the docker snap, or under another unit: `dockerRestartOf`): on k3s, RKE2,
 * k0s and MicroK8s there is no kubelet.service (the kubelet runs inside k3s / rke2-server /
 * k0sworker / kubelite), on a kubeadm or kURL node of today there is no docker.service
 * (containerd), on OpenShift the runtime is CRI-O and the host (RHCOS) is configured through the
 * Machine Config Operator.
 *
 * Pure: artifacts in, names out. When the bundle does not tell, `distro` / `runtime` stay
 * undefined and the commands are worded so that they name no unit as if it existed.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { Evidence } from '../../src/report/schema.js';
import { findService, isActive, isEnabled, type ServiceState } from '../../src/parsers/services.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { nodeProcesses } from '../../src/parsers/processes.js';
import { hasDockerChains, hostKubernetesSign, liveViews } from './node-view.js';
import { parseLogPrefix } from '../../src/logs/index.js';
import { dockerOnFirewalldReload } from './container-host.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';

/** The artifact kinds the helper reads: add them to an analyzer's `optional` so the engine passes them. */
export const NODE_SERVICE_KINDS = ['services', 'dockerDaemon', 'ipAddr', 'logs', 'flannelNetConf', 'flannelSubnetEnv', 'iptables', 'distributionHint', 'packages'] as const;
/** What `dockerRestart` reads: enough for an analyzer that only restarts dockerd. */
export const DOCKER_RESTART_KINDS = ['services', 'dockerDaemon', 'packages'] as const;

export type Distro = 'k3s' | 'rke2' | 'k0s' | 'microk8s' | 'openshift' | 'charmed' | 'kubelet';
export type Runtime = 'docker' | 'containerd' | 'crio' | 'embedded-containerd';

export interface NodeServices {
  /** the Kubernetes distribution, with the unit that runs the kubelet (k3s, k3s-agent, rke2-server, k0sworker, ...) */
  distro?: { name: Distro; label: string; unit: string; evidence: Evidence };
  /** the container runtime and its unit; `embedded-containerd` runs inside the distribution's own service */
  runtime?: { name: Runtime; unit?: string; evidence?: Evidence };
  /** dockerd runs (true), is shown not to run or not to exist (false), or the bundle does not say */
  docker: boolean | undefined;
  /**
   * where `docker` is true only by what Docker leaves (no unit or process listing says): the sign
   * that shows it, as a phrase for the remedy ("its chains are in the rules") and its line
   */
  dockerSign?: DockerSign;
  /** flannel runs inside the distribution's process (k3s): there is no flannel pod to delete */
  flannelInProcess: boolean;
  /** RHCOS / OpenShift 4: host configuration belongs in a MachineConfig, not in files written by hand */
  machineConfig: boolean;
  /** commands that restart the service running the kubelet; a comment when the bundle does not say which */
  restartKubelet: string[];
  /** commands that restart the container runtime (and with it re-apply its network setup) */
  restartRuntime: string[];
  /** how dockerd runs here and what restarts it (docker.service unless the bundle shows otherwise) */
  dockerRestart: DockerRestart;
  /** short phrase: "k3s (k3s.service active)", for messages */
  summary?: string;
}

const at = (s: ServiceState, note: string): Evidence => ({ file: s.ref.file, line: s.ref.line, excerpt: s.excerpt, note });

/** A unit that runs, or at least is enabled: present on the node. A `not-found` load state (troubleshoot JSON) is absence. */
function present(artifacts: Pick<NodeArtifacts, 'services'>, unit: string): ServiceState | undefined {
  const states = findService(artifacts.services ?? [], unit).filter((s) => !/not-found/.test(s.excerpt));
  return isActive(states) ?? isEnabled(states);
}

/** The unit listings that show running state (list-units, troubleshoot's JSON): a unit absent from them is not running. */
function hasRunningListing(artifacts: NodeArtifacts): boolean {
  return (artifacts.services ?? []).some((l) => l.services.some((s) => s.active !== undefined && s.unit.endsWith('.service')));
}

/**
 * A listing of the node's units: `systemctl list-units` / `list-unit-files`, troubleshoot's JSON
 * (not a `systemctl status` of a few). With one, a unit it does not show is not there, and what
 * Docker or the kubelet leave behind tells nothing more.
 */
function hasUnitListing(artifacts: NodeArtifacts): boolean {
  return (artifacts.services ?? []).some((l) => l.services.filter((s) => s.unit.endsWith('.service')).length >= UNITS_OF_A_LISTING);
}

/** A log line the kubelet wrote as a process of its own: `<time> <host> kubelet[<pid>]: ...` (syslog, journalctl). */
function kubeletWriter(artifacts: NodeArtifacts): { pid: number; evidence: Evidence } | undefined {
  for (const log of artifacts.logs ?? [])
    for (const m of log.matches) {
      if (m.unit !== 'kubelet') continue;
      const p = parseLogPrefix(m.excerpt);
      if (p.unit === 'kubelet' && p.pid !== undefined)
        return { pid: p.pid, evidence: { file: m.file, line: m.line, excerpt: m.excerpt, note: `written as kubelet[${p.pid}]: the kubelet runs as a unit of its own (k3s, RKE2, k0s write as their own process)` } };
    }
  return undefined;
}

/**
 * Docker, where no unit or process listing says: its chains in the live rules (nat DOCKER, filter
 * DOCKER*), its docker0 bridge in ip addr, or dockerd's log lines (a log the layout names docker's,
 * a `dockerd[pid]:` writer). A rootless dockerd's chains and bridge are not in the host's.
 */
function dockerSignOf(artifacts: NodeArtifacts): DockerSign | undefined {
  for (const v of liveViews(artifacts)) {
    if (!hasDockerChains(v.tables)) continue;
    const chain = v.tables.get('nat')?.get('DOCKER') ?? [...(v.tables.get('filter')?.values() ?? [])].find((c) => /^DOCKER(-|$)/.test(c.name))!;
    const where = `${chain.ref.file}${chain.ref.line ? `:${chain.ref.line}` : ''}`;
    return { says: `its ${chain.table} ${chain.name} chain is in the rules (${where})`, evidence: { file: chain.ref.file, line: chain.ref.line, excerpt: `chain ${chain.table} ${chain.name}`, note: "Docker's chain: Docker runs here (no unit listing says)" } };
  }
  const docker0 = interfacesOf(artifacts.ipAddr ?? []).get('docker0');
  if (docker0)
    return {
      says: `its docker0 bridge is in ip addr (${docker0.ref.file}:${docker0.ref.line})`,
      evidence: { file: docker0.ref.file, line: docker0.ref.line, excerpt: `docker0${docker0.addresses[0] ? ` ${docker0.addresses[0].cidr}` : ''}`, note: "Docker's bridge: Docker runs here (no unit listing says)" },
    };
  for (const log of artifacts.logs ?? []) {
    const written = log.matches.find((m) => m.unit === 'dockerd' || (m.unit === 'docker' && log.source?.unit !== 'docker'));
    const m = written ?? (log.source?.unit === 'docker' ? log.matches[0] : undefined);
    if (m) return { says: `dockerd writes to the logs (${m.file}:${m.line})`, evidence: { file: m.file, line: m.line, excerpt: m.excerpt, note: 'dockerd writes to the logs: Docker runs here (no unit listing says)' } };
    if (log.source?.unit === 'docker' && log.lines > 0) return { says: `the bundle has dockerd's log (${log.file})`, evidence: { file: log.file, line: 0, excerpt: log.file, note: "dockerd's log: Docker runs here (no unit listing says)" } };
  }
  return undefined;
}

const HINT_LABEL: Record<'k3s' | 'rke2' | 'microk8s' | 'k0s', string> = { k3s: 'k3s', rke2: 'RKE2', microk8s: 'MicroK8s', k0s: 'k0s' };

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
    // no unit states: the running processes (ps, a CGroup tree): k3s / RKE2 / k0s with their role, MicroK8s' kubelite
    // (not the processes of kind's or k3d's node containers: only where the host shows Kubernetes itself)
    const proc = !hostKubernetesSign(artifacts) ? undefined : nodeProcesses(artifacts).processes.find((p) => p.component === 'k3s' || p.component === 'rke2' || p.component === 'k0s' || p.component === 'kubelite');
    if (proc) {
      const role = proc.role;
      const [name, unit, label]: [Distro, string, string] =
        proc.component === 'k3s'
          ? ['k3s', role === 'agent' ? 'k3s-agent' : 'k3s', role === 'agent' ? 'k3s agent' : 'k3s server']
          : proc.component === 'rke2'
            ? ['rke2', role === 'agent' ? 'rke2-agent' : 'rke2-server', role === 'agent' ? 'RKE2 agent' : 'RKE2 server']
            : proc.component === 'k0s'
              ? ['k0s', role === 'worker' ? 'k0sworker' : 'k0scontroller', role === 'worker' ? 'k0s worker' : 'k0s controller']
              : ['microk8s', 'snap.microk8s.daemon-kubelite', 'MicroK8s'];
      distro = { name, label, unit, evidence: { file: proc.ref.file, line: proc.ref.line, excerpt: proc.excerpt, note: `${label} runs here (its process)` } };
    }
  }
  if (!distro) {
    // no unit states: the layout's hint from the paths the collector copied (k3s's /var/lib/rancher/k3s, a journalctl -u k3s file, k0scontroller-logs)
    const hint = artifacts.distributionHint?.[0];
    if (hint) {
      const label = HINT_LABEL[hint.name];
      distro = { name: hint.name, label, unit: hint.unit, evidence: { file: hint.file, line: 0, excerpt: hint.file, note: `a ${label} path (${hint.why})` } };
    }
  }
  const noListing = !hasUnitListing(artifacts);
  let kubeletShown: string | undefined;
  if (!distro && noListing) {
    // no unit states: a log line written as `kubelet[pid]:` is a kubelet of its own (k3s, RKE2, k0s and
    // MicroK8s write theirs as k3s[pid], rke2[pid], k0s[pid], microk8s.daemon-kubelite[pid]; Charmed as kubelet.daemon[pid])
    const w = kubeletWriter(artifacts);
    if (w) {
      kubeletShown = `it writes as kubelet[${w.pid}] (${w.evidence.file}:${w.evidence.line})`;
      distro = { name: 'kubelet', label: 'kubelet (kubeadm, kURL, EKS, ...)', unit: 'kubelet', evidence: w.evidence };
    }
  }

  // the container runtime
  const dockerUnit = present(artifacts, 'docker');
  const dockerd = dockerdSettings(artifacts.dockerDaemon);
  const dockerListed = findService(artifacts.services ?? [], 'docker');
  const dockerRestart = dockerRestartOf(artifacts);
  const snap = dockerRestart.how === 'snap' ? present(artifacts, SNAP_DOCKER_UNIT) : undefined;
  let docker: boolean | undefined;
  if (dockerUnit && (isActive([dockerUnit]) || dockerd.running !== false)) docker = true;
  else if (dockerd.running === true) docker = true;
  // the docker snap's unit runs dockerd: no docker.service there
  else if (snap && (isActive([snap]) || dockerd.running !== false)) docker = true;
  else if (dockerd.running === false) docker = false;
  else if (dockerListed.some((s) => s.active === 'inactive' || s.active === 'failed' || /not-found/.test(s.excerpt))) docker = false;
  else if (dockerListed.length === 0 && hasRunningListing(artifacts)) docker = false;
  // no unit nor process listing says: what Docker leaves behind (its chains, docker0, dockerd's log lines)
  const dockerSign = docker === undefined && noListing ? dockerSignOf(artifacts) : undefined;
  if (dockerSign) {
    docker = true;
    dockerRestart.shownBy = dockerSign;
  }
  let runtime: NodeServices['runtime'];
  const embedded = distro && ['k3s', 'rke2', 'k0s', 'microk8s'].includes(distro.name);
  if (docker)
    runtime = snap
      ? { name: 'docker', unit: SNAP_DOCKER_UNIT.replace(/\.service$/, ''), evidence: at(snap, `${snap.unit}: Docker from the snap`) }
      : { name: 'docker', unit: 'docker', evidence: dockerUnit ? at(dockerUnit, 'docker.service') : dockerSign?.evidence };
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
      restartRuntime = docker ? [...restartDocker({ dockerRestart }), `systemctl restart ${distro.unit}`] : [`systemctl restart ${distro.unit}`];
      break;
    case 'microk8s':
      restartKubelet = ['snap restart microk8s.daemon-kubelite   # MicroK8s runs the kubelet inside kubelite'];
      restartRuntime = ['snap restart microk8s   # restarts snap.microk8s.daemon-containerd and daemon-kubelite'];
      break;
    case 'charmed':
      restartKubelet = ['systemctl restart snap.kubelet.daemon'];
      restartRuntime = [...(runtime?.name === 'docker' ? restartDocker({ dockerRestart }) : runtime?.unit ? [`systemctl restart ${runtime.unit}`] : []), 'systemctl restart snap.kubelet.daemon'];
      break;
    case 'openshift':
    case 'kubelet': {
      const unit = distro.name === 'openshift' && !machineConfig ? distro.unit : 'kubelet';
      restartKubelet = [`systemctl restart ${unit}${kubeletShown ? `   # kubelet runs as a unit of its own here: ${kubeletShown}` : ''}`];
      restartRuntime =
        runtime?.name === 'docker'
          ? [...restartDocker({ dockerRestart }), `systemctl restart ${unit}`]
          : runtime?.unit
            ? [`systemctl restart ${runtime.unit}`, `systemctl restart ${unit}`]
            : [`systemctl restart ${unit}`, '# and the container runtime (containerd, crio or docker: the bundle does not show which runs here)'];
      break;
    }
    default:
      restartKubelet = ['# restart the service that runs the kubelet: kubelet, or k3s / k3s-agent, rke2-server / rke2-agent, k0scontroller / k0sworker (MicroK8s: snap restart microk8s.daemon-kubelite): the bundle does not show which runs here'];
      restartRuntime =
        runtime?.name === 'docker'
          ? restartDocker({ dockerRestart })
          : runtime?.unit
            ? [`systemctl restart ${runtime.unit}`]
            : ['# restart the container runtime (docker, containerd or crio) and the node service that owns the container network: the bundle does not show which runs here'];
  }
  const summary = distro ? `${distro.label}${runtime?.unit && runtime.unit !== distro.unit ? `, ${runtime.name === 'embedded-containerd' ? 'its containerd' : runtime.unit}` : ''}` : runtime?.unit;
  return { distro, runtime, docker, ...(dockerSign ? { dockerSign } : {}), flannelInProcess: distro?.name === 'k3s', machineConfig, restartKubelet, restartRuntime, dockerRestart, summary };
}

/** How dockerd runs on the node, and what restarts it. */
export interface DockerRestart {
  /**
   * docker.service (also when the bundle does not say otherwise); rootless: dockerd runs as a user
   * under that user's own systemd (every dockerd the listing shows is rootless); snap: the docker
   * snap's snap.docker.dockerd.service; elsewhere: dockerd runs, and the node's unit listing has no
   * docker.service: some other unit or script started it
   */
  how: 'docker.service' | 'rootless' | 'snap' | 'elsewhere';
  /** the command that restarts dockerd; `elsewhere`: the one that names the unit running it */
  command: string;
  /** why it is not `systemctl restart docker`, with what shows it: a comment line before the command (absent for docker.service) */
  why?: string;
  evidence?: Evidence;
  /** the daemon.json this dockerd reads */
  daemonJson: string;
  /** no unit or process listing shows dockerd: what Docker left shows it runs (cited by restartDocker) */
  shownBy?: DockerSign;
}

/** What shows Docker runs on a node whose bundle lists no units and no processes. */
export interface DockerSign {
  /** `its chains are in the rules (iptables-save.txt:14)`: for a remedy's comment */
  says: string;
  evidence: Evidence;
}

const SNAP_DOCKER_UNIT = 'snap.docker.dockerd.service';
/** the snap's dockerd: started from /snap/docker/<rev>, its data, exec root and configuration in /var/snap/docker and /run/snap.docker */
const SNAP_DOCKERD = /(^|[\s=])(\/snap\/docker\/|\/snap\/bin\/dockerd\b|\/var\/snap\/docker\/|\/run\/snap\.docker\b)/;

/**
 * The command that restarts dockerd on this node, with what shows it. `systemctl restart docker`
 * unless the bundle shows another way: rootless Docker (the user's own docker.service: `systemctl
 * --user` as that user; a rootful dockerd beside it keeps docker.service), the docker snap (`snap
 * restart docker.dockerd`, its daemon.json in /var/snap/docker/current/config), or a dockerd that
 * runs while a listing of the node's units has no docker.service (then the unit is not named: the
 * command asks systemd which one runs it).
 */
export function dockerRestartOf(artifacts: Pick<NodeArtifacts, 'services' | 'dockerDaemon'>): DockerRestart {
  const services = artifacts.services ?? [];
  const dockerUnit = present(artifacts, 'docker');
  const plain: DockerRestart = { how: 'docker.service', command: 'systemctl restart docker', daemonJson: '/etc/docker/daemon.json', evidence: dockerUnit ? at(dockerUnit, 'docker.service') : undefined };
  // docker.service runs: whatever else the bundle shows, the system's dockerd is there
  if (dockerUnit && isActive([dockerUnit])) return plain;
  const dockerd = dockerdSettings(artifacts.dockerDaemon);
  if (dockerd.rootless) {
    const r = dockerd.rootless;
    const where = `${r.ref.file}:${r.ref.line}`;
    // ps cuts a user name longer than its column to 7 characters and `+`; `ps -eo pid,args` shows none
    const cut = r.user?.endsWith('+');
    const user = r.user && !cut ? r.user : undefined;
    const numeric = user !== undefined && /^\d+$/.test(user);
    const name = user ?? '<user>';
    const command = numeric
      ? `sudo -u '#${user}' XDG_RUNTIME_DIR=/run/user/${user} systemctl --user restart docker`
      : `sudo -u ${name} XDG_RUNTIME_DIR=/run/user/$(id -u ${name}) systemctl --user restart docker`;
    const who = user ? `as ${user}` : cut ? `as a user whose name ps cut to ${r.user} (put it in for <user>)` : 'as a user (the listing shows no user column: put it in for <user>)';
    return {
      how: 'rootless',
      command,
      why: `rootless Docker: dockerd runs ${who} inside RootlessKit (${where}), under that user's own systemd, not the system's docker.service; from a login shell of that user: systemctl --user restart docker`,
      evidence: { file: r.ref.file, line: r.ref.line, excerpt: r.excerpt, note: 'rootless dockerd: its docker.service is a user unit' },
      daemonJson: `~${numeric ? '<user>' : name}/.config/docker/daemon.json`,
    };
  }
  const snapUnit = present(artifacts, SNAP_DOCKER_UNIT);
  const proc = dockerd.commandLine?.from === 'process' ? dockerd.commandLine : undefined;
  const snapProc = proc && SNAP_DOCKERD.test(proc.text) ? proc : undefined;
  if (snapUnit || snapProc) {
    const shown = snapUnit ? at(snapUnit, `${snapUnit.unit}: Docker from the snap`) : { file: snapProc!.ref.file, line: snapProc!.ref.line, excerpt: snapProc!.excerpt, note: "dockerd runs from the docker snap (its paths are the snap's)" };
    return {
      how: 'snap',
      command: 'snap restart docker.dockerd',
      why: `Docker from the snap (${shown.file}${shown.line ? `:${shown.line}` : ''}): its unit is ${SNAP_DOCKER_UNIT}, there is no docker.service`,
      evidence: shown,
      daemonJson: '/var/snap/docker/current/config/daemon.json',
    };
  }
  // dockerd runs, and a listing of the node's units has no docker.service (or says it is not found)
  const listing = services.find((l) => l.services.filter((x) => x.unit.endsWith('.service')).length >= UNITS_OF_A_LISTING);
  const notFound = findService(services, 'docker').find((x) => x.enabled === 'not-found' || x.sub === 'not-found' || /not-found|could not be found/.test(x.excerpt));
  const absent = notFound ?? (listing && findService([listing], 'docker').length === 0 && !dockerUnit ? listing : undefined);
  if (proc && dockerd.running === true && absent) {
    const said = 'ref' in absent ? `${absent.ref.file}:${absent.ref.line} says docker.service is not found` : `${absent.file} lists ${absent.services.length} units and no docker.service`;
    return {
      how: 'elsewhere',
      command: 'systemctl status $(pidof dockerd)',
      why: `dockerd runs (${proc.ref.file}:${proc.ref.line}) but ${said}: another unit or a script started it; restart it through that`,
      evidence: { file: proc.ref.file, line: proc.ref.line, excerpt: proc.excerpt, note: `dockerd runs without docker.service (${said})` },
      daemonJson: '/etc/docker/daemon.json',
    };
  }
  return plain;
}

/** What restart commands restart, for prose ("Restarting k3s and docker ..."): the unit or snap each names; comment lines left out. */
export function restartedNames(commands: readonly string[]): string[] {
  return commands
    .filter((c) => !c.startsWith('#'))
    .map((c) => c.replace(/\s+#.*$/, ''))
    .map((c) => (/\bpidof dockerd\b/.test(c) ? 'dockerd' : c.replace(/^.*\b(systemctl(?: --user)?|snap) restart /, '')));
}

/** Fewer unit lines than this are a `systemctl status` of a few units, not a listing of the node's. */
const UNITS_OF_A_LISTING = 5;

/**
 * The lines that restart dockerd on the node, `comment` after the command (what the restart does
 * there): one line, as ever, for docker.service; else the reason first, as a comment line.
 */
export function restartDocker(s: Pick<NodeServices, 'dockerRestart'>, comment?: string): string[] {
  const d = s.dockerRestart;
  const notes = [comment, d.shownBy ? `docker runs here: ${d.shownBy.says}` : undefined].filter((x) => x !== undefined);
  const tail = notes.length ? `   # ${notes.join('; ')}` : '';
  switch (d.how) {
    case 'docker.service':
      return [`${d.command}${tail}`];
    case 'elsewhere':
      return [`# ${d.why}`, `${d.command}   # names the unit that runs dockerd: systemctl restart <that unit>${comment ? ` (${comment})` : ''}`];
    default:
      return [`# ${d.why}`, `${d.command}${tail}`];
  }
}

/**
 * What follows `firewall-cmd --reload` for Docker on this node: where its version re-creates every
 * rule on firewalld's reload (dockerOnFirewalldReload: 28.3.3+, 29.0+ on Swarm) a check that they are
 * back, else its restart, with the reason (the version's, or `why` where the version is unknown).
 */
export function dockerAfterFirewalldReload(artifacts: NodeArtifacts, s: Pick<NodeServices, 'dockerRestart'>, why: string): { commands: string[]; restarts: boolean } {
  const a = dockerOnFirewalldReload(artifacts);
  if (a?.restoresAll)
    return { commands: [`iptables -S DOCKER-FORWARD >/dev/null 2>&1 || nft list table ip docker-bridges >/dev/null   # ${a.says} (${a.evidence.file}:${a.evidence.line}); this checks its rules are back`], restarts: false };
  return { commands: restartDocker(s, a ? a.says : why), restarts: true };
}

/**
 * The firewall units whose start (or reload) replaces the live rules with their own, running or
 * enabled here: iptables.service, firewalld, netfilter-persistent, ufw, and nftables.service (its
 * stop, so every restart, runs `nft flush ruleset`: iptables-nft's tables go with it; see
 * iptables.service-conflict), each with the line that shows it.
 */
export function flushingFirewallUnits(artifacts: NodeArtifacts): { unit: string; state: ServiceState; active: boolean }[] {
  const out: { unit: string; state: ServiceState; active: boolean }[] = [];
  for (const unit of ['iptables', 'firewalld', 'netfilter-persistent', 'ufw', 'nftables']) {
    const states = findService(artifacts.services ?? [], unit);
    const state = isActive(states) ?? isEnabled(states);
    if (state) out.push({ unit, state, active: !!isActive(states) });
  }
  return out;
}

/** What a command writes for a node whose name the bundle does not show (see nodeForCommands). */
export const NODE_PLACEHOLDER = '<NODE>';

/**
 * The node's name for pasteable commands (`kubectl drain <name>`, `--field-selector spec.nodeName=<name>`)
 * and for the prose around them. A hand-made or single-file bundle with no hostname file, no
 * `kernel.hostname` and no syslog host is named after its folder or file (`iptables-dump.txt`): that
 * name is no node's (LocatedNode.nameNotHost), so commands get `<NODE>` and the prose "this node".
 * `nodeNameNotHost` is the engine's flag on a node analyzer's input (NodeInput) and on each node of
 * a cluster analyzer's.
 */
export function nodeForCommands(input: { node: string; nodeNameNotHost?: boolean }): { command: string; prose: string; known: boolean } {
  return input.nodeNameNotHost ? { command: NODE_PLACEHOLDER, prose: 'this node', known: false } : { command: input.node, prose: input.node, known: true };
}
