/**
 * log.cni-bridge-address-mismatch (src/logs/signatures-r15.ts) on real lines.
 */
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { R15_SIGNATURES } from '../../src/logs/signatures-r15.js';

const catalog = SIGNATURES.some((s) => s.id === 'log.cni-bridge-address-mismatch') ? SIGNATURES : [...SIGNATURES, ...R15_SIGNATURES];
const ID = 'log.cni-bridge-address-mismatch';

// kubelet's journal on a kubeadm node with flannel and containerd, verbatim from public notes (coredns-c676cc86f-qlt6v,
// fixed there by `ip link del cni0`); the same failure as flannel-io/flannel#1321. The second line nests the error
// three escapes deep.
const KUBELET = [
  String.raw`Nov 24 16:00:55 main.adks.co kubelet[1323808]: E1124 16:00:55.242325 1323808 kuberuntime_manager.go:772] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \"b34f120fcbb4d95069458d4154f56ba168d9b2b9ecfbd1df989d07a0b9ddda9e\": plugin type=\"flannel\" failed (add): failed to delegate add: failed to set bridge addr: \"cni0\" already has an IP address different from 10.244.0.1/24" pod="kube-system/coredns-c676cc86f-qlt6v"`,
  String.raw`Nov 24 16:00:55 main.adks.co kubelet[1323808]: E1124 16:00:55.242475 1323808 pod_workers.go:965] "Error syncing pod, skipping" err="failed to \"CreatePodSandbox\" for \"coredns-c676cc86f-qlt6v_kube-system(d5c90a1e-0b95-4d40-af2d-4aa080a69942)\" with CreatePodSandboxError: \"Failed to create sandbox for pod \\\"coredns-c676cc86f-qlt6v_kube-system(d5c90a1e-0b95-4d40-af2d-4aa080a69942)\\\": rpc error: code = Unknown desc = failed to setup network for sandbox \\\"b34f120fcbb4d95069458d4154f56ba168d9b2b9ecfbd1df989d07a0b9ddda9e\\\": plugin type=\\\"flannel\\\" failed (add): failed to delegate add: failed to set bridge addr: \\\"cni0\\\" already has an IP address different from 10.244.0.1/24\"" pod="kube-system/coredns-c676cc86f-qlt6v" podUID=d5c90a1e-0b95-4d40-af2d-4aa080a69942`,
].join('\n');

describe('log.cni-bridge-address-mismatch', () => {
  it("fires on kubelet's journal lines, with the bridge, the wanted address, plugin and pod", () => {
    const r = scanLogText(KUBELET, 'journalctl_--unit_kubelet', { catalog, year: 2022 });
    const ms = r.matches.filter((m) => m.signature === ID);
    expect(ms.map((m) => m.line)).toEqual([1, 2]);
    expect(ms[0].facts).toMatchObject({ bridge: 'cni0', expected: '10.244.0.1/24', plugin: 'flannel', pod: 'kube-system/coredns-c676cc86f-qlt6v' });
    expect(ms[1].facts).toMatchObject({ bridge: 'cni0', expected: '10.244.0.1/24', plugin: 'flannel' });
    expect(ms[0].unit).toBe('kubelet');
    // the general sandbox failure matches the same lines: the entry explains it (one finding)
    expect(r.matches.some((m) => m.signature === 'log.cni-setup-failed' && m.line === 1)).toBe(true);
    expect(catalog.find((s) => s.id === ID)!.explains).toEqual(['log.cni-setup-failed']);
  });

  it("fires on podman's CNI bridge too (containers/podman#12306)", () => {
    // https://github.com/containers/podman/issues/12306 (title, verbatim)
    const r = scanLogText('CNI: failed to set bridge addr: "cni-podman1" already has an IP address different from 10.25.31.1/24', 'podman.txt', { catalog });
    expect(r.matches.find((m) => m.signature === ID)?.facts).toMatchObject({ bridge: 'cni-podman1', expected: '10.25.31.1/24' });
  });

  it('does not fire on other bridge-address errors or on the fix being described', () => {
    const lines = [
      // https://github.com/containernetworking/plugins/pull/366: a race adding the same address, not a stale one
      String.raw`failed to set bridge addr: could not add IP address to \"cni0\": file exists`,
      // https://github.com/containernetworking/plugins/pull/1225: IPv6 disabled on the host
      'rpc error: code = Unknown desc = failed to setup network for sandbox "c44369cc2c061e4fe9943c27526025815413c7230642e1541aa23b408f4afdcd": plugin type="bridge" failed (add): failed to set bridge addr: could not add IP address to "cni0": permission denied',
      // https://github.com/containerd/nerdctl/issues/4283
      String.raw`level=fatal msg=\"failed to call cni.Setup: plugin type=\\\"bridge\\\" failed (add): failed to set bridge addr: could not set bridge's mac: invalid argument\"`,
      // a healthy flannel node's cni0 as ip addr shows it
      '    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0',
    ].join('\n');
    const r = scanLogText(lines, 'mixed.txt', { catalog });
    expect(r.counts[ID]).toBeUndefined();
  });

  it('keeps the scanner prefilter literal long and exact', () => {
    const sig = catalog.find((s) => s.id === ID)!;
    expect(sig.literals.every((l) => l.length >= 8)).toBe(true);
    expect(sig.ignoreCase).toBeUndefined();
    expect(sig.supports).toEqual(['flannel.subnet-mismatch']);
    expect(sig.severity).toBe('warning');
  });
});
