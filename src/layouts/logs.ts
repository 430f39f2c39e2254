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
const VAR_LOG = /(?:^|\/)var\/log\/(messages|syslog|kern\.log|dmesg(?:\.old)?|daemon\.log|docker(?:\.log)?|kubelet\.log|kube-proxy\.log|flanneld?\.log|firewalld|cloud-init\.log|containers\/[^/]+\.log|pods\/.+\.log|journal\/[^/]+\.txt)(?:[.-]\d[\d-]*)?(?:\.gz)?$/;
/**
 * troubleshoot's runDaemonSet output, `<bundle root>/<collector>/<node>.log` (the root named as
 * troubleshoot names it, `support-bundle-<time>` or `supportbundle`): what a command printed on
 * each node, an `iptables-save` as often as a log. Not a log by its name, so that it is kept
 * (or, when big, sniffed) and the layout can read what it holds (troubleshoot.ts).
 */
const TS_COLLECTOR_OUTPUT = /(?:^|\/)support-?bundle[^/]*\/(?!cluster-resources\/|all-logs\/|host-collectors\/)[^/]+\/[^/]+\.log$/i;
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
export function logSourceOf(path: string): LogSource | undefined {
  let m = SOS_UNIT_JOURNAL.exec(path);
  if (m) return { unit: m[1] };
  m = POD_LOG.exec(path);
  if (m) return { namespace: m[1], pod: m[2], container: m[3] };
  m = ALL_LOGS.exec(path);
  if (m) return { pod: m[1], container: m[2] };
  if (DMESG.test(path)) return { unit: 'kernel' };
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
  if (TS_COLLECTOR_OUTPUT.test(path)) return undefined;
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

