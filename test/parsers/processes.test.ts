/**
 * The networking processes of a ps listing (src/parsers/processes.ts): kube-proxy, k3s / RKE2 / k0s,
 * kubelet, cilium-agent, flanneld, calico-node, kube-router, dockerd, each at its line with its flags.
 * Command lines as the components print them: RKE2's `ps -eaf | grep kube` (kube-bench#1843; its
 * kube-proxy line completed with the flags RKE2 logs for it, `Running kube-proxy ...`), kubeadm's
 * kube-proxy DaemonSet command, Cilium's Helm chart (`cilium-agent --config-dir=...`), kube-flannel.yml,
 * calico/node, kube-router's kubeadm DaemonSet, k3s' own process title (`/usr/local/bin/k3s server`).
 */
import { describe, expect, it } from 'vitest';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { classifyCommand, flagBool, flagValue, kubeProxyFlags, nodeProcesses, parseFlags, parsePsProcesses, processesOf } from '../../src/parsers/processes.js';

/** RKE2 agent node, `ps -eaf` (kube-bench#1843) */
const RKE2_PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 04:47 ?        00:00:03 /sbin/init
root        1511       1  0 04:48 ?        00:00:41 /usr/local/bin/rke2 agent
root        1540    1511  3 04:48 ?        00:07:30 kubelet --volume-plugin-dir=/var/lib/kubelet/volumeplugins --file-check-frequency=5s --sync-frequency=30s --address=0.0.0.0 --anonymous-auth=false --authentication-token-webhook=true --authorization-mode=Webhook --cgroup-driver=systemd --client-ca-file=/var/lib/rancher/rke2/agent/client-ca.crt --cloud-provider=external --cluster-dns=10.43.0.10 --cluster-domain=cluster.local --container-runtime-endpoint=unix:///run/k3s/containerd/containerd.sock --containerd=/run/k3s/containerd/containerd.sock --eviction-hard=imagefs.available<5%,nodefs.available<5% --eviction-minimum-reclaim=imagefs.available=10%,nodefs.available=10% --fail-swap-on=false --healthz-bind-address=127.0.0.1 --hostname-override=ip-172-31-9-233 --kubeconfig=/var/lib/rancher/rke2/agent/kubelet.kubeconfig --node-ip=172.31.9.233 --node-labels= --pod-manifest-path=/var/lib/rancher/rke2/agent/pod-manifests --protect-kernel-defaults=true --read-only-port=0 --resolv-conf=/run/systemd/resolve/resolv.conf --serialize-image-pulls=false --tls-cert-file=/var/lib/rancher/rke2/agent/serving-kubelet.crt --tls-private-key-file=/var/lib/rancher/rke2/agent/serving-kubelet.key
root        1683    1590  0 04:48 ?        00:00:08 kube-proxy --cluster-cidr=10.42.0.0/16 --conntrack-max-per-core=0 --conntrack-tcp-timeout-close-wait=0s --conntrack-tcp-timeout-established=0s --healthz-bind-address=127.0.0.1 --hostname-override=ip-172-31-9-233 --kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig --proxy-mode=iptables
root        9120    9001  0 05:02 pts/0    00:00:00 grep --color=auto kube
`;

/** A kubeadm worker with Cilium (Helm) and Docker, `ps auxwww`; the collector's own grep in it. */
const KUBEADM_AUX = `USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
root           1  0.0  0.1 167748 11340 ?        Ss   09:11   0:03 /sbin/init
root         812  0.4  2.1 2043312 86412 ?       Ssl  09:12   1:02 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
root         901  1.9  2.4 1932460 98380 ?       Ssl  09:12   9:41 /usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml --container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9
root        2345  0.0  0.6 1284564 24960 ?       Ssl  09:13   0:12 /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=k8s-w1
root        2790  2.1  4.0 1540312 162212 ?      Ssl  09:13  10:02 cilium-agent --config-dir=/tmp/cilium/config-map
admin      20412  0.0  0.0   6432   720 pts/0    S+   10:12   0:00 grep --color=auto -e kube-proxy -e cilium-agent
`;

describe('ps listings', () => {
  it("RKE2's ps -ef: rke2 agent, kubelet and the kube-proxy static pod with its flags, each at its line; grep is no process", () => {
    const l = parsePsProcesses(RKE2_PS_EF, 'sos_commands/process/ps_-ef');
    expect(l).toMatchObject({ from: 'ps', argsShown: true });
    expect(l.processes.map((p) => [p.component, p.role, p.pid, p.ref.line])).toEqual([
      ['rke2', 'agent', 1511, 3],
      ['kubelet', undefined, 1540, 4],
      ['kube-proxy', undefined, 1683, 5],
    ]);
    const proxy = l.processes[2];
    expect(flagValue(proxy, 'proxy-mode')).toBe('iptables');
    expect(flagValue(proxy, 'cluster-cidr')).toBe('10.42.0.0/16');
    expect(proxy.excerpt.startsWith('root        1683')).toBe(true);
    // kubelet's `--node-labels=` is an empty value, not the next flag
    expect(flagValue(l.processes[1], 'node-labels')).toBe('');
  });

  it('a kubeadm node: kube-proxy read from its --config, cilium-agent, dockerd; the same listing still feeds dockerd', () => {
    const l = parsePsProcesses(KUBEADM_AUX, 'ps_auxwww');
    expect(l.processes.map((p) => [p.component, p.user, p.ref.line])).toEqual([
      ['dockerd', 'root', 3],
      ['kubelet', 'root', 4],
      ['kube-proxy', 'root', 5],
      ['cilium-agent', 'root', 6],
    ]);
    expect(flagValue(l.processes[2], 'config')).toBe('/var/lib/kube-proxy/config.conf');
    expect(flagValue(l.processes[2], 'proxy-mode')).toBeUndefined();
    expect(flagValue(l.processes[3], 'kube-proxy-replacement')).toBeUndefined();
    // the dockerDaemon artifact of the file carries the listing: analyzers reach it through nodeProcesses
    const ps = parsePsDockerd(KUBEADM_AUX, 'ps_auxwww');
    expect(ps.processes?.map((p) => p.pid)).toEqual([812]);
    expect(processesOf({ dockerDaemon: [ps] }, 'kube-proxy').map((p) => p.ref)).toEqual([{ file: 'ps_auxwww', line: 5 }]);
    expect(nodeProcesses({ dockerDaemon: [ps] }).complete).toBe(true);
  });

  it("k3s' own process title hides its flags: k3s server, no flag; `ps -e` names (k3s-server) give the role, nothing else", () => {
    const aux = parsePsProcesses(
      'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         888 11.2 16.5 6023484 2701232 ?     Ssl  Oct08 9134:36 /usr/local/bin/k3s server\nroot        1134  1.2  0.9 1911380 151764 ?      Sl   Oct08 712:05 containerd\n',
      'ps',
    );
    expect(aux.processes).toMatchObject([{ component: 'k3s', role: 'server', pid: 888, flags: new Map() }]);
    const names = parsePsProcesses('    PID TTY          TIME CMD\n      1 ?        00:00:09 systemd\n    888 ?        01:02:03 k3s-server\n   2345 ?        00:00:12 kube-proxy\n', 'ps_-e');
    expect(names.argsShown).toBe(false);
    expect(names.processes.map((p) => [p.component, p.role, p.argsShown])).toEqual([
      ['k3s', 'server', false],
      ['kube-proxy', undefined, false],
    ]);
    expect(nodeProcesses({ dockerDaemon: [{ listing: names }] }).complete).toBe(false);
  });

  it('a thread listing (ps -eLf) gives each process once', () => {
    const l = parsePsProcesses(
      'UID          PID    PPID     LWP  C NLWP STIME TTY          TIME CMD\nroot        2345    2290    2345  0   9 09:13 ?        00:00:00 /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=k8s-w1\nroot        2345    2290    2351  0   9 09:13 ?        00:00:03 /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=k8s-w1\n',
      'ps_-eLf',
    );
    expect(l.processes.map((p) => p.ref.line)).toEqual([2]);
  });
});

describe('command lines and flags', () => {
  it('the components by their executable; a kubectl run through k3s is none', () => {
    const c = (s: string) => classifyCommand(s.split(' '));
    expect(c('/opt/bin/flanneld --ip-masq --kube-subnet-mgr')).toMatchObject({ component: 'flanneld', args: ['--ip-masq', '--kube-subnet-mgr'] });
    expect(c('calico-node -felix')?.component).toBe('calico-node');
    expect(c('/usr/local/bin/kube-router --run-router=true --run-firewall=true --run-service-proxy=false --bgp-graceful-restart=true')?.component).toBe('kube-router');
    expect(c('/usr/local/bin/k0s controller --enable-worker --disable-components=kube-proxy')).toMatchObject({ component: 'k0s', role: 'controller' });
    expect(c('/snap/microk8s/7394/kubelite --scheduler-args-file=/var/snap/microk8s/7394/args/kube-scheduler --proxy-args-file=/var/snap/microk8s/7394/args/kube-proxy')?.component).toBe('kubelite');
    expect(c('/hyperkube proxy --master=https://10.0.0.1 --proxy-mode=iptables')?.component).toBe('kube-proxy');
    expect(c('/usr/local/bin/k3s kubectl get nodes')).toBeUndefined();
    expect(c('grep --color=auto kube-proxy')).toBeUndefined();
  });

  it("k3s' flags (k3s-io/k3s#3618: `k3s server --kube-proxy-arg proxy-mode=ipvs`): booleans never take the next word, the proxy's args are kube-proxy flags", () => {
    const k3s = { ...classifyCommand('k3s server --disable-kube-proxy --flannel-backend=none --disable-network-policy --kube-proxy-arg proxy-mode=ipvs'.split(' '))! };
    const flags = parseFlags(k3s.args);
    expect(flags.get('disable-kube-proxy')).toEqual(['true']);
    expect(flags.get('flannel-backend')).toEqual(['none']);
    expect(flags.get('kube-proxy-arg')).toEqual(['proxy-mode=ipvs']);
    const p = { component: 'k3s' as const, role: 'server', commandLine: '', words: [], flags, argsShown: true, ref: { file: 'ps', line: 2 }, excerpt: '' };
    expect(flagBool(p, 'disable-kube-proxy')).toBe(true);
    expect(kubeProxyFlags(p).get('proxy-mode')).toEqual(['ipvs']);
    expect(flagBool({ ...p, flags: parseFlags(['--run-service-proxy=false']) }, 'run-service-proxy')).toBe(false);
  });
});
