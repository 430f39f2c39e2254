/**
 * log.cni-api-via-proxy on real lines:
 * - projectcalico/calico#10352 (kubectl describe pod, Events): `... Get "https://172.20.0.1:443/...": Service Unavailable`
 * - projectcalico/calico#2941 (title, Go before 1.14 printed no quotes and bracketed the IP): `Get https://[10.96.0.1]:443/...: Service Unavailable`
 * - projectcalico/calico#8426 (/var/log/calico/cni/cni.log): `... Tunnel Connection Failed`
 * - projectcalico/calico#11378 (kubectl describe): `... Forbidden`
 * Lines it must leave alone: calico#6716 `dial tcp 10.43.0.1:443: i/o timeout` (no proxy), rancher/rke2#4924's x509 error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { PROXY_SIGNATURES } from '../../src/logs/signatures-proxy.js';
import { projectPath } from '../helpers/shared.js';

const scan = (text: string) => scanLogText(text, 'x.log', { catalog: PROXY_SIGNATURES }).matches;

describe('log.cni-api-via-proxy', () => {
  it('calico#10352: the proxy answered Service Unavailable for 172.20.0.1', () => {
    const text = readFileSync(projectPath('test/fixtures/runtime-proxy/calico-10352-kubectl-describe-pod-coredns.txt'), 'utf8');
    const m = scan(text);
    expect(m).toHaveLength(1);
    expect(m[0].line).toBe(5);
    expect(m[0].facts).toMatchObject({ clusterIP: '172.20.0.1', port: '443', proxyStatus: 'Service Unavailable', plugin: 'calico' });
  });

  it('calico#2941: the old unquoted, bracketed form', () => {
    const m = scan('containerd: failed to setup network for sandbox [uuid] error getting ClusterInformation: Get https://[10.96.0.1]:443/apis/crd.projectcalico.org/v1/clusterinformations/default: Service Unavailable');
    expect(m[0]?.facts).toMatchObject({ clusterIP: '10.96.0.1', proxyStatus: 'Service Unavailable' });
  });

  it("calico#8426: Calico's cni.log, Tunnel Connection Failed", () => {
    const m = scan('2024-01-21 09:33:41.440 [ERROR][18061] plugin.go 163: Final result of CNI ADD was an error. error=error getting ClusterInformation: Get "https://10.96.0.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": Tunnel Connection Failed');
    expect(m[0]?.facts).toMatchObject({ clusterIP: '10.96.0.1', proxyStatus: 'Tunnel Connection Failed' });
  });

  it('calico#11378: Forbidden', () => {
    const m = scan(
      'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "f0c744d2f8da27e11abe6aeea10bf6adc7444830338c0987797a827182521fd3": plugin type="calico" failed (add): error getting ClusterInformation: Get "https://10.96.0.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": Forbidden',
    );
    expect(m[0]?.facts).toMatchObject({ clusterIP: '10.96.0.1', proxyStatus: 'Forbidden' });
  });

  it('Go failing to reach the proxy: proxyconnect tcp', () => {
    // the wording of Go's net/http (transport.go: `proxyconnect tcp: ` + the dial error), on the ClusterInformation call
    const m = scan('error getting ClusterInformation: Get "https://10.96.0.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": proxyconnect tcp: dial tcp 10.0.0.5:3128: connect: connection refused');
    expect(m[0]?.facts).toMatchObject({ clusterIP: '10.96.0.1', proxyAddress: '10.0.0.5:3128' });
  });

  it('leaves a direct timeout and a certificate error alone', () => {
    expect(
      scan('networkPlugin cni failed to set up pod "restic-2jsjf_psc-velero" network: error getting ClusterInformation: Get "https://[10.43.0.1]:443/apis/crd.projectcalico.org/v1/clusterinformations/default": dial tcp 10.43.0.1:443: i/o timeout'),
    ).toHaveLength(0);
    expect(
      scan('plugin type="calico" failed (add): error getting ClusterInformation: Get "https://10.43.0.1:443/apis/crd.projectcalico.org/v1/clusterinformations/default": tls: failed to verify certificate: x509: certificate is valid for 192.168.17.101, 127.0.0.1, ::1, not 10.43.0.1'),
    ).toHaveLength(0);
  });

  it("leaves a registry login through a proxy alone (R8's F3: a Harbor how-to's `docker login`, no Kubernetes)", () => {
    // verbatim from a public Harbor set-up walk-through: dockerd's registry API (/v2/), not a Kubernetes API path
    expect(scan('Error response from daemon: Get "https://192.168.1.7:5000/v2/": proxyconnect tcp: dial tcp 192.168.65.7:3128: connect: connection refused')).toHaveLength(0);
  });
});
