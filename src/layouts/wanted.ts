/**
 * What the reader must keep for the layouts, decided from a path before the layout is known.
 * Apart from locate.ts so that reading needs only the path rules, not the parsers.
 */
import { EKS_RULES, FLAT_RULES, INSIGHTS_RULES, RANCHER_RULES, SOSREPORT_RULES } from './rules.js';

/** How much of a file's start the sniffers read: in the layouts, and for big files while they stream. */
export const SNIFF_BYTES = 4096;

const RULE_RES = [...SOSREPORT_RULES, ...INSIGHTS_RULES, ...FLAT_RULES, ...EKS_RULES, ...RANCHER_RULES].map((r) => r.re);
const ALWAYS = [
  /(^|\/)cluster-resources\/(pods\/[^/]+|nodes)\.json$/,
  /(^|\/)cluster-resources\/configmaps\/kube-system\.json$/,
  // Kubernetes events: the CNI's exact error in FailedCreatePodSandBox (scanned as a log, logs/kube-events.ts)
  /(^|\/)cluster-resources\/events\/[^/]+\.json$/,
  /(^|\/)cluster-resources\/custom-resources\/(ippools\.crd\.projectcalico\.org|installations\.operator\.tigera\.io|felixconfigurations\.crd\.projectcalico\.org)\.(ya?ml|json)$/,
  /(^|\/)host-collectors\//,
  /(^|\/)sysctl\/[^/]+$/,
  /(^|\/)(iptables|ip6tables)[^/]*$/,
  /(^|\/)nft[^/]*$/,
  // Rancher's log collector names its node in systeminfo/hostname (H105)
  /(^|\/)systeminfo\/hostname(?:fqdn)?$/,
];

/** True when some layout names this path (tested at every folder boundary, since the node root is not known yet). */
export function isWantedPath(path: string): boolean {
  if (ALWAYS.some((re) => re.test(path))) return true;
  let start = 0;
  for (;;) {
    const suffix = path.slice(start);
    if (RULE_RES.some((re) => re.test(suffix))) return true;
    const next = path.indexOf('/', start);
    if (next < 0) return false;
    start = next + 1;
  }
}
