/**
 * The kube-proxy rule set the parser is measured on: `services` ClusterIP services with three
 * endpoints each, as kube-proxy's iptables mode writes them (KUBE-SERVICES -> KUBE-SVC-* ->
 * statistic branches -> KUBE-SEP-* with DNAT, KUBE-MARK-MASQ, KUBE-POSTROUTING MASQUERADE,
 * KUBE-FIREWALL). 12,000 services give about 180,000 lines. The generator itself lives with the
 * other bench inputs; this is the name the parser's tests and the bench share.
 */
export { kubeProxySave as generateKubeProxySave } from './gen.js';
