/**
 * src/parsers/kubelet-hairpin.ts. Real text:
 * - KubeletConfiguration as kubeadm 1.14 writes /var/lib/kubelet/config.yaml (mobingi/ocean
 *   pkg/.../service kubeletConfigYAML, a verbatim contiguous block: `hairpinMode: promiscuous-bridge`, kubelet's default),
 *   and that project's flags file `KUBELET_KUBEADM_ARGS=--cgroup-driver=systemd --network-plugin=cni --pod-infra-container-image=cnbailian/pause:3.1`
 * - kubelet's ps line from the Kubernetes docs' "Debug Services" page (`ps auxw | grep kubelet`, a kubenet-era node:
 *   `--configure-cbr0=true ... --hairpin-mode=promiscuous-bridge`), under ps aux's header
 * - kubeadm-flags.env with `--hairpin-mode=hairpin-veth`: kubeadm's KUBELET_KUBEADM_ARGS line with the flag
 *   kubernetes#23322's reporter set (`If I set kubelet --hairpin-mod=hairpin-veth all is ok`); k3s' `--kubelet-arg`
 *   form of the same flag
 */
import { describe, expect, it } from 'vitest';
import { effectiveKubeletHairpin, kubeletHairpinFromProcess, parseKubeletConfigHairpin, parseKubeletFlagsHairpin } from '../../src/parsers/kubelet-hairpin.js';
import { parsePsProcesses } from '../../src/parsers/processes.js';
import { SkipFile } from '../../src/model/source.js';

const CONFIG = [
  'evictionPressureTransitionPeriod: 5m0s',
  'failSwapOn: true',
  'fileCheckFrequency: 20s',
  'hairpinMode: promiscuous-bridge',
  'healthzBindAddress: 127.0.0.1',
  'healthzPort: 10248',
  'httpCheckFrequency: 20s',
  'imageGCHighThresholdPercent: 85',
  'imageGCLowThresholdPercent: 80',
  'imageMinimumGCAge: 2m0s',
  'iptablesDropBit: 15',
  'iptablesMasqueradeBit: 14',
  'kind: KubeletConfiguration',
].join('\n');

const OCEAN_FLAGS = 'KUBELET_KUBEADM_ARGS=--cgroup-driver=systemd --network-plugin=cni --pod-infra-container-image=cnbailian/pause:3.1\n';
const FLAGS = 'KUBELET_KUBEADM_ARGS="--network-plugin=cni --pod-infra-container-image=k8s.gcr.io/pause:3.1 --hairpin-mode=hairpin-veth"\n';

const PS = [
  'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
  'root      3392  1.1  0.8 186804 65208 ?        Sl   00:51  11:11 /usr/local/bin/kubelet --enable-debugging-handlers=true --config=/etc/kubernetes/manifests --allow-privileged=True --v=4 --cluster-dns=10.0.0.10 --cluster-domain=cluster.local --configure-cbr0=true --cgroup-root=/ --system-cgroups=/system --hairpin-mode=promiscuous-bridge --runtime-cgroups=/docker-daemon --kubelet-cgroups=/kubelet --babysit-daemons=true --max-pods=110 --serialize-image-pulls=false --outofdisk-transition-frequency=0',
  'root      2345  9.0  5.0 900000 400000 ?       Ssl  10:00  20:00 /usr/local/bin/k3s server --kubelet-arg=hairpin-mode=hairpin-veth',
].join('\n');

describe('kubelet hairpin mode', () => {
  it('KubeletConfiguration: hairpinMode at its line', () => {
    const s = parseKubeletConfigHairpin(CONFIG, 'var/lib/kubelet/config.yaml');
    expect(s.hairpinMode).toEqual({ value: 'promiscuous-bridge', ref: { file: 'var/lib/kubelet/config.yaml', line: 4 }, excerpt: 'hairpinMode: promiscuous-bridge' });
    expect(parseKubeletConfigHairpin('{\n  "kind": "KubeletConfiguration",\n  "hairpinMode": "hairpin-veth"\n}', 'c.json').hairpinMode?.value).toBe('hairpin-veth');
    expect(parseKubeletConfigHairpin('kind: KubeletConfiguration\nclusterDomain: cluster.local\n', 'c.yaml').hairpinMode).toBeUndefined();
    expect(() => parseKubeletConfigHairpin('nameserver 127.0.0.53\n', 'resolv.conf')).toThrow(SkipFile);
  });

  it('kubeadm-flags.env: --hairpin-mode and --network-plugin', () => {
    const s = parseKubeletFlagsHairpin(FLAGS, 'var/lib/kubelet/kubeadm-flags.env');
    expect([s.hairpinMode?.value, s.networkPlugin?.value, s.hairpinMode?.ref.line]).toEqual(['hairpin-veth', 'cni', 1]);
    const ocean = parseKubeletFlagsHairpin(OCEAN_FLAGS, 'var/lib/kubelet/ocean-flags.env');
    expect([ocean.hairpinMode, ocean.networkPlugin?.value]).toEqual([undefined, 'cni']);
    expect(() => parseKubeletFlagsHairpin('FOO=bar\n', 'x.env')).toThrow(SkipFile);
  });

  it("a listed kubelet's and k3s' flags, and kubelet's precedence (command line over config file)", () => {
    const procs = parsePsProcesses(PS, 'ps').processes;
    const kubelet = kubeletHairpinFromProcess(procs.find((p) => p.component === 'kubelet')!)!;
    expect([kubelet.hairpinMode?.value, kubelet.networkPlugin, kubelet.hairpinMode?.ref.line]).toEqual(['promiscuous-bridge', undefined, 2]);
    const k3s = kubeletHairpinFromProcess(procs.find((p) => p.component === 'k3s')!)!;
    expect(k3s.hairpinMode?.value).toBe('hairpin-veth');
    const eff = effectiveKubeletHairpin([parseKubeletConfigHairpin(CONFIG, 'config.yaml'), parseKubeletFlagsHairpin(FLAGS, 'kubeadm-flags.env')]);
    expect([eff.hairpinMode?.value, eff.hairpinMode?.ref.file]).toEqual(['hairpin-veth', 'kubeadm-flags.env']);
    expect(effectiveKubeletHairpin([parseKubeletFlagsHairpin(FLAGS, 'kubeadm-flags.env'), kubelet]).hairpinMode?.value).toBe('promiscuous-bridge');
    expect(effectiveKubeletHairpin([parseKubeletConfigHairpin(CONFIG, 'config.yaml')]).hairpinMode?.value).toBe('promiscuous-bridge');
  });
});
