/**
 * Remedies name the services that run on the node: k3s / k3s-agent, RKE2, k0s, MicroK8s,
 * kubelet + containerd (kURL, kubeadm), CRI-O, Docker; a Docker + kubelet node keeps the
 * remedies it had. Unit listings as `systemctl list-units` prints them and as troubleshoot's
 * systemctl_services.json holds them.
 */
import { describe, expect, it } from 'vitest';
import { nodeServices } from '../../analyzers/lib/node-services.js';
import { flannelRemedy } from '../../analyzers/lib/flannel.js';
import { containerHostEvidence } from '../../analyzers/lib/container-host.js';
import ipForward from '../../analyzers/sysctl-ip-forward-disabled.js';
import kubeFirewall from '../../analyzers/iptables-kube-firewall-corrupted.js';
import subnetMismatch from '../../analyzers/flannel-subnet-mismatch.js';
import { parseSystemctlJson, parseSystemctlText } from '../../src/parsers/services.js';
import { parseSysctlConfig, parseSysctlText } from '../../src/parsers/sysctl.js';
import notPersistent from '../../analyzers/sysctl-ip-forward-not-persistent.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSubnetEnv } from '../../src/parsers/flannel-env.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { runNode } from './helpers.js';

const listUnits = (...units: string[]) =>
  `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n${units.map((u) => `  ${u.padEnd(34)} loaded active running ${u}`).join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;
const services = (...units: string[]) => [parseSystemctlText(listUnits(...units), 'systemctl-list-units.txt')];

const SYSCTL_OFF = 'net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 0\nnet.ipv4.ip_forward_use_pmtu = 0\n';

const KUBE_FIREWALL_BROKEN = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -j DROP
COMMIT
`;

const FLANNEL_IP_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 52:54:00:03:1c:15 brd ff:ff:ff:ff:ff:ff
    inet 10.42.0.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether 52:54:00:04:1c:1c brd ff:ff:ff:ff:ff:ff
    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0
       valid_lft forever preferred_lft forever
`;
const SUBNET_ENV = 'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.3.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';

describe('nodeServices: which runtime and distribution run on the node', () => {
  it.each([
    [['k3s.service'], 'k3s', 'k3s'],
    [['k3s-agent.service'], 'k3s', 'k3s-agent'],
    [['rke2-server.service'], 'rke2', 'rke2-server'],
    [['rke2-agent.service'], 'rke2', 'rke2-agent'],
    [['k0scontroller.service'], 'k0s', 'k0scontroller'],
    [['k0sworker.service'], 'k0s', 'k0sworker'],
    [['snap.microk8s.daemon-containerd.service', 'snap.microk8s.daemon-kubelite.service'], 'microk8s', 'snap.microk8s.daemon-kubelite'],
    [['containerd.service', 'kubelet.service'], 'kubelet', 'kubelet'],
    [['docker.service', 'kubelet.service'], 'kubelet', 'kubelet'],
  ])('%j -> %s (%s)', (units, distro, unit) => {
    const s = nodeServices({ services: services(...units) });
    expect(s.distro?.name).toBe(distro);
    expect(s.distro?.unit).toBe(unit);
  });

  it('kubelet + containerd from troubleshoot JSON, no docker.service: runtime containerd, docker known absent', () => {
    const json = JSON.stringify([
      { Unit: 'containerd.service', Load: 'loaded', Active: 'active', Sub: 'running' },
      { Unit: 'kubelet.service', Load: 'loaded', Active: 'active', Sub: 'running' },
    ]);
    const s = nodeServices({ services: [parseSystemctlJson(json, 'host-collectors/system/systemctl_services.json')] });
    expect(s.runtime?.unit).toBe('containerd');
    expect(s.docker).toBe(false);
    expect(s.restartRuntime).toEqual(['systemctl restart containerd', 'systemctl restart kubelet']);
  });

  it('container-host evidence counts the units of k0s, MicroK8s and RKE2', () => {
    expect(containerHostEvidence({ services: services('snap.microk8s.daemon-kubelite.service') })).toEqual(['snap.microk8s.daemon-kubelite.service active']);
    expect(containerHostEvidence({ services: services('k0sworker.service') })).toEqual(['k0sworker.service active']);
    expect(containerHostEvidence({ services: services('rke2-agent.service') })).toEqual(['rke2-agent.service active']);
  });

  it('nothing in the bundle: no unit named as if it existed', () => {
    const s = nodeServices({});
    expect(s.distro).toBeUndefined();
    for (const c of [...s.restartRuntime, ...s.restartKubelet]) expect(c.startsWith('#')).toBe(true);
  });
});

describe('remedies use the node services', () => {
  const ipForwardRun = (a: NodeArtifacts) => runNode(ipForward, { sysctl: [parseSysctlText(SYSCTL_OFF, 'sysctl-a.txt')], ...a })[0];

  it('sysctl.ip-forward-disabled: k3s restarts k3s, MicroK8s snap restart microk8s, kURL containerd + kubelet; never docker there', () => {
    const k3s = ipForwardRun({ services: services('k3s.service') });
    expect(k3s.remedy.commands.at(-1)).toBe('systemctl restart k3s');
    const mk8s = ipForwardRun({ services: services('snap.microk8s.daemon-containerd.service', 'snap.microk8s.daemon-kubelite.service') });
    expect(mk8s.remedy.commands.at(-1)).toMatch(/^snap restart microk8s\b/);
    const kurl = ipForwardRun({ services: services('containerd.service', 'kubelet.service') });
    expect(kurl.remedy.commands.slice(-2)).toEqual(['systemctl restart containerd', 'systemctl restart kubelet']);
    for (const f of [k3s, mk8s, kurl]) expect(f.remedy.commands.join('\n')).not.toMatch(/restart docker/);
  });

  it('sysctl.ip-forward-disabled: Docker + kubelet keeps the remedy it had', () => {
    const f = ipForwardRun({ services: services('docker.service', 'kubelet.service') });
    expect(f.remedy.commands.at(-1)).toBe('systemctl restart docker   # or the node service / kubelet that owns the container network');
  });

  it('iptables.kube-firewall-corrupted: k3s restarts k3s, k0s k0scontroller, Docker + kubelet kubelet', () => {
    const run = (units: string[]) => runNode(kubeFirewall, { iptables: [parseIptablesSave(KUBE_FIREWALL_BROKEN, 'iptables-save.txt')], services: services(...units) })[0];
    expect(run(['k3s.service']).remedy.commands).toContain('systemctl restart k3s   # the kubelet and containerd run inside k3s');
    expect(run(['k3s.service']).remedy.commands.join('\n')).not.toMatch(/restart kubelet/);
    expect(run(['k0scontroller.service']).remedy.commands.join('\n')).toMatch(/systemctl restart k0scontroller/);
    expect(run(['docker.service', 'kubelet.service']).remedy.commands).toContain('systemctl restart kubelet');
  });

  it('flannel.subnet-mismatch on k3s: no flannel pod, no kubelet, no docker: delete flannel.1 and cni0, restart k3s (k3s-agent on an agent)', () => {
    const a = (units: string[]): NodeArtifacts => ({
      flannelSubnetEnv: [parseSubnetEnv(SUBNET_ENV, 'run/flannel/subnet.env')],
      ipAddr: [parseInterfaces(FLANNEL_IP_ADDR, 'ip-addr.txt')],
      services: services(...units),
    });
    const [server] = runNode(subnetMismatch, a(['k3s.service']), 'k3s-node1');
    expect(server.remedy.commands.filter((c) => !c.startsWith('#'))).toEqual(['ip link delete flannel.1', 'ip link delete cni0', 'systemctl restart k3s']);
    const [agent] = runNode(subnetMismatch, a(['k3s-agent.service']), 'k3s-node2');
    expect(agent.remedy.commands.at(-1)).toBe('systemctl restart k3s-agent');
    // Docker + kubelet: the repair of seed 004 as before
    const [kubeadm] = runNode(subnetMismatch, a(['docker.service', 'kubelet.service']), 'node-1');
    expect(kubeadm.remedy).toEqual(flannelRemedy('node-1'));
    expect(kubeadm.remedy.commands.slice(-2)).toEqual(['systemctl restart kubelet', 'systemctl restart docker']);
    // kubelet + containerd: the runtime restarted is containerd
    const [kurl] = runNode(subnetMismatch, a(['containerd.service', 'kubelet.service']), 'node-1');
    expect(kurl.remedy.commands.join('\n')).not.toMatch(/restart docker/);
    expect(kurl.remedy.commands).toContain('systemctl restart containerd');
  });

  it('sysctl.ip-forward-not-persistent on OpenShift 4 (RHCOS): a MachineConfig, not a file edited or written on the node; elsewhere the sysctl.d drop-in as before', () => {
    const a = (units: string[]): NodeArtifacts => ({
      sysctl: [parseSysctlText('net.ipv4.ip_forward = 1\n', 'sos_commands/kernel/sysctl_-a')],
      sysctlConfig: [parseSysctlConfig('net.ipv4.ip_forward = 0\n', 'etc/sysctl.d/50-hardening.conf')],
      services: services(...units),
    });
    const [ocp] = runNode(notPersistent, a(['crio.service', 'kubelet.service', 'ovs-configuration.service']));
    const cmds = ocp.remedy.commands.join('\n');
    expect(cmds).toMatch(/kind: MachineConfig/);
    expect(cmds).toMatch(/machineconfiguration\.openshift\.io\/role: worker/);
    expect(cmds).toMatch(/source: data:,net\.ipv4\.ip_forward%20%3D%201%0A/);
    expect(cmds).not.toMatch(/^sed -i|^echo .*> \/etc\/sysctl\.d/m);
    expect(ocp.remedy.summary).toMatch(/Machine Config Operator/);
    const [plain] = runNode(notPersistent, a(['docker.service', 'kubelet.service']));
    // (50-hardening.conf is a hardening file: left alone, overridden by a later-sorting file, test/analyzers/sysctl-fix-cis.test.ts)
    expect(plain.remedy.commands).toContain("echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-zz-ip-forward.conf");
  });
});
