/**
 * JSON in the shapes kubectl and docker print, for test/layouts/h70-*.test.ts: a v1 List of Pods with
 * kubectl's 4-space indent (or `jq -c` compact), docker inspect's array with its 4-space indent. Their
 * strings quote the error of kubernetes/kubernetes#110659 ("dial tcp 10.96.0.1:443: connect: network is
 * unreachable"). JSON_FILE_LOG: docker json-file records verbatim from an RKE cluster's kube-apiserver log
 * (Ksd, "一次关于RKE的Troubleshooting", 2021-08-08; also in test/layouts/h61-json-not-log.test.ts).
 */
export const UNREACHABLE = 'Get "https://10.96.0.1:443/api/v1/namespaces/default/configmaps/web": dial tcp 10.96.0.1:443: connect: network is unreachable';

/** `kubectl get pods -A -o json`: a v1 List of Pods, each with a last termination message */
export function podList(n: number, compact = false): string {
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { creationTimestamp: '2024-11-17T10:00:00Z', labels: { app: 'web' }, name: `web-${i}`, namespace: 'default', uid: `0b7e1c2a-${String(i).padStart(4, '0')}-4a3e-9f0e-1d2c3b4a5f6e` },
    spec: { containers: [{ image: 'nginx:1.25', name: 'web', ports: [{ containerPort: 80, protocol: 'TCP' }] }], nodeName: 'node1', restartPolicy: 'Always' },
    status: {
      conditions: [{ lastProbeTime: null, lastTransitionTime: '2024-11-17T10:19:47Z', status: 'True', type: 'Ready' }],
      containerStatuses: [
        {
          image: 'nginx:1.25',
          lastState: { terminated: { exitCode: 1, finishedAt: '2024-11-17T10:19:40Z', message: UNREACHABLE, reason: 'Error' } },
          name: 'web',
          ready: true,
          restartCount: 3,
          state: { running: { startedAt: '2024-11-17T10:19:47Z' } },
        },
      ],
      hostIP: '192.168.1.10',
      phase: 'Running',
      podIP: `10.244.1.${i % 250}`,
    },
  }));
  const doc = { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
  return compact ? JSON.stringify(doc) + '\n' : JSON.stringify(doc, null, 4) + '\n';
}

/** `docker inspect $(docker ps -aq)`: an array of containers, State.Error quoting the failure */
export function dockerInspect(n: number, compact = false): string {
  const cs = Array.from({ length: n }, (_, i) => ({
    Id: `${'a'.repeat(60)}${String(i).padStart(4, '0')}`,
    Created: '2024-11-17T10:00:00.000000000Z',
    Path: '/docker-entrypoint.sh',
    Args: ['nginx', '-g', 'daemon off;'],
    State: { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 1, Error: `failed to set up container networking: ${UNREACHABLE}`, StartedAt: '2024-11-17T10:00:01Z', FinishedAt: '2024-11-17T10:00:02Z' },
    Name: `/web-${i}`,
    HostConfig: { NetworkMode: 'bridge' },
  }));
  return compact ? JSON.stringify(cs) : JSON.stringify(cs, null, 4) + '\n';
}

/** docker json-file log records (verbatim, see the header) */
export const JSON_FILE_LOG = [
  String.raw`{"log":"E0808 06:10:53.740231       1 reflector.go:138] k8s.io/client-go/informers/factory.go:134: Failed to watch *v1.StorageClass: failed to list *v1.StorageClass: Get \"https://localhost:6443/apis/storage.k8s.io/v1/storageclasses?limit=500\u0026resourceVersion=0\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:10:53.740356721Z"}`,
  String.raw`{"log":"E0808 06:10:53.740448       1 reflector.go:138] k8s.io/client-go/informers/factory.go:134: Failed to watch *v1.LimitRange: failed to list *v1.LimitRange: Get \"https://localhost:6443/api/v1/limitranges?limit=500\u0026resourceVersion=0\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:10:53.742506129Z"}`,
  String.raw`{"log":"F0808 06:11:10.695434       1 controller.go:161] Unable to perform initial IP allocation check: unable to refresh the service IP block: Get \"https://localhost:6443/api/v1/services\": dial tcp [::1]:6443: connect: no route to host\n","stream":"stderr","time":"2021-08-08T06:11:10.69562321Z"}`,
];

