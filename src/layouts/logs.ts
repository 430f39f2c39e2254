/**
 * Which files are logs, in any layout. Decided from the path alone, because logs are scanned
 * while the archive streams by, before the layout is known.
 */
import type { LogSource } from './types.js';

const SOS_UNIT_JOURNAL = /(?:^|\/)(?:sos_commands\/[^/]+|insights_commands)\/journalctl_[^/]*?--unit_([A-Za-z0-9@_.-]+?)(?:\.service)?(?:_|$)/;
const POD_LOG = /(?:^|\/)cluster-resources\/pods\/logs\/([^/]+)\/([^/]+)\/([^/]+?)(?:-previous)?\.log$/;
const ALL_LOGS = /(?:^|\/)all-logs\/([^/]+)\/([^/]+?)(?:-previous)?\.log$/;
// the kernel ring buffer, where nf_conntrack says its table is full: sosreport and insights save `dmesg`
const DMESG = /(?:^|\/)(?:sos_commands\/kernel|insights_commands)\/dmesg(?:_-T)?$/;
/**
 * The kernel's log saved by hand, by its name (a hand-made bundle's `dmesg.txt`, `dmesg-T.log`, `kern.log.1`,
 * `journalctl-k.txt`): read as the kernel's lines even with no timestamps and nothing known in it.
 */
const KERNEL_LOG_NAME = /(?:^|\/)(?:dmesg(?:[-_.][^/]{0,40})?|kern\.log(?:\.\d{1,3})?(?:\.gz)?|journalctl[-_ ]{1,4}(?:-?k|--dmesg)(?:[-_. ][^/]{0,40})?)$/i;
const VAR_LOG = /(?:^|\/)var\/log\/(messages|syslog|kern\.log|dmesg(?:\.old)?|daemon\.log|docker(?:\.log)?|kubelet\.log|kube-proxy\.log|flanneld?\.log|firewalld|cloud-init\.log|containers\/[^/]+\.log|pods\/.+\.log|journal\/[^/]+\.txt)(?:[.-]\d[\d-]*)?(?:\.gz)?$/;
/**
 * troubleshoot's runDaemonSet output, `<bundle root>/<collector>/<node>.log` (the root named as
 * troubleshoot names it, `support-bundle-<time>` or `supportbundle`): what a command printed on
 * each node, an `iptables-save` as often as a log. Not a log by its name, so that it is kept
 * (or, when big, sniffed) and the layout can read what it holds (troubleshoot.ts).
 */
const TS_COLLECTOR_OUTPUT = /(?:^|\/)support-?bundle[^/]*\/(?!cluster-resources\/|all-logs\/|host-collectors\/)[^/]+\/[^/]+\.log$/i;
/**
 * troubleshoot's run host collector writes `host-collectors/run-host/<collectorName>.txt` (on a
 * remote host, under the node's folder). kURL's host spec (troubleshoot-specs host/default.yaml)
 * saves the journals as `journalctl-<unit>` and the control plane's, flannel's and kube-proxy's
 * container logs as `crictl-logs-<container>[-previous]` / `docker-logs-<container>`; Embedded
 * Cluster's (host-support-bundle.tmpl.yaml) the k0s units' journals as `k0scontroller-logs`,
 * `k0sworker-logs`, `network-manager-logs`, `local-artifact-mirror-logs`. Its other outputs
 * (`iptables`, `sysctl`, `ip-address-stats`) are command output, read as artifacts.
 */
const RUN_HOST = /(?:^|\/)host-collectors\/(?:[^/]+\/)?run-host\/(?:[^/]+\/)?([^/]+)\.txt$/;
const RUN_HOST_JOURNAL = /^journalctl-(.+)$/;
const RUN_HOST_CONTAINER = /^(?:crictl|docker)-logs-(.+?)(?:-previous)?$/;
const RUN_HOST_UNIT_LOG = /^(.+)-logs$/;
/** troubleshoot's copy collector: `host-collectors/<collectorName>/syslog[.1]` (Embedded Cluster copies /var/log/syslog{,.1}) */
const TS_COPIED_SYSLOG = /(?:^|\/)host-collectors\/[^/]+\/(?:syslog|messages)(?:\.\d+)?(?:\.gz)?$/;
/** The containers those specs name, run with host networking: their writers are the host's daemons. */
const CONTAINER_UNITS: Record<string, string> = {
  apiserver: 'kube-apiserver',
  'kube-apiserver': 'kube-apiserver',
  etcd: 'etcd',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
  'kube-proxy': 'kube-proxy',
  'kube-flannel': 'flanneld',
  flannel: 'flanneld',
  haproxy: 'haproxy',
};
const JOURNAL_UNITS: Record<string, string> = { dmesg: 'kernel', 'network-manager': 'NetworkManager' };

function runHostLog(name: string): LogSource | undefined {
  let m = RUN_HOST_JOURNAL.exec(name);
  if (m) return { unit: JOURNAL_UNITS[m[1]] ?? m[1] };
  m = RUN_HOST_CONTAINER.exec(name);
  if (m) return CONTAINER_UNITS[m[1]] ? { unit: CONTAINER_UNITS[m[1]] } : { container: m[1] };
  m = RUN_HOST_UNIT_LOG.exec(name);
  if (m) return { unit: JOURNAL_UNITS[m[1]] ?? m[1] };
  return undefined;
}

/**
 * The EKS log collector (awslabs/amazon-eks-ami log-collector-script/linux/eks-log-collector.sh)
 * archives its folders as they are: `var_log/` (copies of /var/log: messages, syslog,
 * aws-routed-eni/*.log, kube-proxy.log, the aws-node/kube-proxy/coredns pod and container logs),
 * `kernel/dmesg.{boot,current,human.current}`, `kubelet/kubelet.log` (`journalctl -u kubelet`),
 * `containerd/containerd-log.txt`, `docker/docker.log`, `nodeadm/nodeadm-{config,run}.log`,
 * `sandbox-image/sandbox-image-log.txt`, `networking/configure-multicard-interfaces.txt`.
 */
const EKS_VAR_LOG = /(?:^|\/)var_log\/(messages|syslog|kube-proxy\.log)$/;
const EKS_UNIT_LOGS: [RegExp, string][] = [
  [/(?:^|\/)kernel\/dmesg\.(?:boot|current|human\.current)$/, 'kernel'],
  [/(?:^|\/)kubelet\/kubelet\.log$/, 'kubelet'],
  [/(?:^|\/)containerd\/containerd-log\.txt$/, 'containerd'],
  [/(?:^|\/)nodeadm\/(nodeadm-(?:config|run))\.log$/, '$1'],
  [/(?:^|\/)sandbox-image\/sandbox-image-log\.txt$/, 'sandbox-image'],
  [/(?:^|\/)networking\/configure-multicard-interfaces\.txt$/, 'configure-multicard-interfaces'],
];
/** `kubectl get svc` output the EKS collector saves as `kubelet/svc.log`: a table, not a log */
const EKS_NOT_LOG = /(?:^|\/)kubelet\/svc\.log$/;

function eksLog(path: string): LogSource | undefined {
  let m = EKS_VAR_LOG.exec(path);
  if (m) return m[1] === 'kube-proxy.log' ? { unit: 'kube-proxy' } : {};
  for (const [re, unit] of EKS_UNIT_LOGS) {
    const u = re.exec(path);
    if (u) return { unit: unit.replace('$1', u[1] ?? '') };
  }
  return undefined;
}

/**
 * kubelet's container logs, by their names wherever they are (a node's /var/log, sos's or a
 * collector's copy: the EKS collector's `var_log/`, a troubleshoot copy collector's folder):
 * `pods/<namespace>_<pod>_<uid>/<container>/<restart count>.log` (rotated by kubelet as
 * `<n>.log.<yyyymmdd-hhmmss>[.gz]`; a static pod's uid is its 32-hex config hash) and the
 * `containers/<pod>_<namespace>_<container>-<container id>.log` links to them.
 */
const K8S_POD_LOG = /(?:^|\/)([a-z0-9][a-z0-9-]*)_([a-z0-9][a-z0-9.-]*)_(?:[0-9a-f]{32}|[0-9a-f-]{36})\/([a-z0-9][a-z0-9-]*)\/\d+\.log(?:\.\d{8}-\d{6})?(?:\.gz)?$/;
const K8S_CONTAINER_LOG = /(?:^|\/)([a-z0-9][a-z0-9.-]*)_([a-z0-9][a-z0-9-]*)_([a-z0-9][a-z0-9-]*)-[0-9a-f]{64}\.log$/;
/**
 * aws-node's own logs, /var/log/aws-routed-eni/<name>.log wherever they are copied (the EKS
 * collector's `var_log/aws-routed-eni/`, a sosreport's var/log): ipamd's, the CNI plugins' (their
 * pluginLogFile in 10-aws.conflist: plugin.log of aws-cni, egress-v6-plugin.log of egress-cni), the
 * network policy agent's. Rotated by lumberjack as `<name>-<yyyy-mm-ddThh-mm-ss.mmm>.log[.gz]`.
 */
const AWS_ROUTED_ENI_LOG = /(?:^|\/)aws-routed-eni\/([a-z0-9-]+?)(?:-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3})?\.log(?:\.\d+)?(?:\.gz)?$/;
/** the CNI plugin a log file is of, by its conflist `type` */
const AWS_ROUTED_ENI_UNITS: Record<string, string> = { plugin: 'aws-cni', 'egress-v6-plugin': 'egress-cni' };

function kubernetesLog(path: string): LogSource | undefined {
  let m = K8S_POD_LOG.exec(path);
  if (m) return { namespace: m[1], pod: m[2], container: m[3] };
  m = K8S_CONTAINER_LOG.exec(path);
  if (m) return { namespace: m[2], pod: m[1], container: m[3] };
  m = AWS_ROUTED_ENI_LOG.exec(path);
  if (m) return { unit: AWS_ROUTED_ENI_UNITS[m[1]] ?? m[1] };
  return undefined;
}

/** a hand-made bundle's `docker.log` / `dockerd.log` (`journalctl -u docker > docker.log`, dockerd's own stderr): dockerd's log */
const DOCKERD_LOG = /(?:^|\/)dockerd?\.log(?:\.\d+)?(?:\.gz)?$/;
const GENERIC = [
  /(?:^|\/)(?:sos_commands\/[^/]+|insights_commands)\/journalctl_[^/]*$/,
  /(?:^|\/)host-collectors\/journald\/[^/]+$/,
  /(?:^|\/)(?:docker_)?logs?_[^/]*$/,
  /\.log(?:\.\d+)?(?:\.gz)?$/,
  /(?:^|\/)journal(?:ctl)?[^/]*\.txt$/,
];

/** Undefined when the path is not a log. */
const RANCHER_JOURNAL = /(?:^|\/)journald\/([A-Za-z0-9@_.-]+)$/;
const RANCHER_SYSTEMLOG = /(?:^|\/)systemlogs\/([^/]+)$/;

/**
 * Rancher's log collector (rancher2_logs_collector.sh): `journalctl --unit=<unit> > journald/<unit>`, and its copies
 * of /var/log's syslog, messages, kern*, docker*, ... in systemlogs/. Undefined for any other path.
 */
export function rancherSystemLog(path: string): LogSource | undefined {
  const j = RANCHER_JOURNAL.exec(path);
  if (j) return { unit: j[1] };
  const s = RANCHER_SYSTEMLOG.exec(path);
  if (!s) return undefined;
  if (/^(?:kern|dmesg)/.test(s[1])) return { unit: 'kernel' };
  if (/^docker/.test(s[1])) return { unit: 'docker' };
  return {};
}

export function logSourceOf(path: string): LogSource | undefined {
  let m = SOS_UNIT_JOURNAL.exec(path);
  if (m) return { unit: m[1] };
  m = POD_LOG.exec(path);
  if (m) return { namespace: m[1], pod: m[2], container: m[3] };
  m = ALL_LOGS.exec(path);
  if (m) return { pod: m[1], container: m[2] };
  if (DMESG.test(path)) return { unit: 'kernel' };
  if (KERNEL_LOG_NAME.test(path) && !VAR_LOG.test(path) && !/(?:^|\/)(?:sos|insights)_commands\//.test(path)) return { unit: 'kernel' };
  const k8s = kubernetesLog(path);
  if (k8s) return k8s;
  m = VAR_LOG.exec(path);
  if (m) {
    const name = m[1];
    if (/^dmesg/.test(name)) return { unit: 'kernel' };
    if (/^docker/.test(name)) return { unit: 'docker' };
    if (/^kubelet/.test(name)) return { unit: 'kubelet' };
    if (/^kube-proxy/.test(name)) return { unit: 'kube-proxy' };
    if (/^flannel/.test(name)) return { unit: 'flanneld' };
    if (/^firewalld/.test(name)) return { unit: 'firewalld' };
    return {};
  }
  m = RUN_HOST.exec(path);
  const runLog = m ? runHostLog(m[1]) : undefined;
  if (runLog) return runLog;
  if (TS_COPIED_SYSLOG.test(path)) return {};
  if (EKS_NOT_LOG.test(path)) return undefined;
  const eks = eksLog(path);
  if (eks) return eks;
  if (TS_COLLECTOR_OUTPUT.test(path)) return undefined;
  // Rancher's log collector (H105): journald/<unit> is `journalctl -u <unit>`, systemlogs/ copies /var/log's files
  const rancher = rancherSystemLog(path);
  if (rancher) return rancher;
  for (const re of GENERIC) if (re.test(path)) return DOCKERD_LOG.test(path) ? { unit: 'docker' } : {};
  return undefined;
}

/**
 * Named a log only by a generic pattern (`iptables.log`, `logs_node1`), not by where a collector
 * puts its logs: a hand-made bundle's file whose name says log but whose content may be a command's
 * output (customers save `iptables-save > iptables.log`). The caller keeps such files when small, so
 * that the layout sniffs what they hold; what is not an artifact is then scanned as a log.
 */
export function isGenericLogName(path: string): boolean {
  const src = logSourceOf(path);
  // what the name alone says comes with it: `docker.log` is dockerd's
  const byNameOnly = src !== undefined && (Object.keys(src).length === 0 || (DOCKERD_LOG.test(path) && Object.keys(src).length === 1 && src.unit === 'docker'));
  if (!byNameOnly) return false;
  if (VAR_LOG.test(path) || GENERIC[0].test(path) || GENERIC[1].test(path)) return false;
  return GENERIC[2].test(path) || GENERIC[3].test(path);
}

