/**
 * Log signatures of a CNI plugin (or another Go client on the node) reaching the Kubernetes API
 * ClusterIP through an HTTP proxy: the runtime (containerd, CRI-O) runs the plugin with its own
 * environment, so its HTTPS_PROXY applies and NO_PROXY must exempt the service range.
 *
 * Go's transport says what the proxy answered to its CONNECT: the status text alone
 * (`Get "https://10.96.0.1:443/...": Service Unavailable`, `Forbidden`, `Bad Gateway`,
 * `Tunnel Connection Failed`, `Proxy Authentication Required`); a plain TCP connection to a
 * ClusterIP has no HTTP status, so that text is the proxy's. `proxyconnect tcp:` is Go's error when
 * the proxy itself cannot be reached. Threads: projectcalico/calico#10352, #2941, #8426, #11378.
 */
import type { LogSignature } from './signatures.js';

/** the status texts Go returns for a refused CONNECT (the reason phrase of the proxy's answer) */
const PROXY_STATUS = String.raw`Service Unavailable|Forbidden|Bad Gateway|Gateway Timeout|Tunnel Connection Failed|Proxy Authentication Required|Access Denied`;

export const PROXY_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'log.cni-api-via-proxy',
    literals: ['clusterinformations', 'proxyconnect tcp'],
    // Calico's CNI plugin: `error getting ClusterInformation: Get "https://10.96.0.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": Service Unavailable`
    // (older Go: no quotes, `https://[10.96.0.1]:443`); any Go client: `Get "https://...": proxyconnect tcp: dial tcp 10.0.0.5:3128: ...`;
    // only a Kubernetes API path (/api, /apis, /version, /healthz, ...): `docker login` to a registry by address
    // (`Get "https://192.168.1.7:5000/v2/": proxyconnect tcp: ...`) is no CNI call (R8's F3)
    pattern:
      /(?:Get|Post|Put|Patch|Delete) \\?"?https:\/\/\[?(?<clusterIP>\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,45})\]?:(?<port>\d{1,5})\/(?:apis?|version|healthz|livez|readyz|openapi)(?:[\/?][^\s"\\]{0,300})?\\?"?: (?:(?<proxyStatus>Service Unavailable|Forbidden|Bad Gateway|Gateway Timeout|Tunnel Connection Failed|Proxy Authentication Required|Access Denied)(?=$|[\s"\\,;)])|proxyconnect tcp: (?<proxyError>[^\n"\\]{1,200}))/,
    extract: [/plugin type=\\?"(?<plugin>[\w.-]{1,40})/, /proxyconnect tcp: dial tcp (?<proxyAddress>[^\s:]{1,100}:\d{1,5})/],
    meaning: `A Go client on the node (a CNI plugin the container runtime runs) reached a Kubernetes API address through an HTTP proxy: the text after the URL is the proxy's answer to CONNECT (${PROXY_STATUS.split('|').slice(0, 5).join(', ')}, ...) or Go failing to reach the proxy (proxyconnect tcp). The runtime's HTTPS_PROXY applies and its NO_PROXY does not exempt the service range.`,
    supports: ['runtime.proxy-without-no-proxy'],
    severity: 'warning',
    title: 'The CNI plugin reaches the API server through an HTTP proxy',
    advice:
      "Add the service CIDR (or the API ClusterIP), the pod CIDR and .svc,.cluster.local to NO_PROXY (and no_proxy) of the container runtime and kubelet, in the drop-in or environment file that sets their proxy, then reload systemd and restart them. The proxy's settings are in systemctl show -p Environment containerd kubelet.",
    commands: ['systemctl show -p Environment containerd crio kubelet docker   # which unit has HTTPS_PROXY, and its NO_PROXY'],
    caution: 'Restarting the runtime does not stop running containers (containerd, CRI-O); restarting dockerd does unless live-restore is on.',
  },
];
