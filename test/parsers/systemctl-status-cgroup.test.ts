/**
 * `systemctl status` CGroup trees read as a process listing (src/parsers/services.ts with
 * processes.ts): the processes of a unit, each at its line, with its flags; dockerd's flags from
 * docker.service's tree reach dockerdSettings as a ps line's do. Text as systemd prints it: RKE2's
 * agent (a public install log, cut by the pager at the screen's edge: `>`), k3s' server (its process
 * title quoted, `"/usr/local/bin/k3s server"`), docker.service, rootless Docker under the user's manager.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { dockerdSettings, parsePsDockerd, dockerdFromCgroups } from '../../src/parsers/dockerd-flags.js';
import { nodeProcesses, processesOf } from '../../src/parsers/processes.js';
import { findService, isActive, parseSystemctlText } from '../../src/parsers/services.js';

const RKE2_AGENT = `● rke2-agent.service - Rancher Kubernetes Engine v2 (agent)
     Loaded: loaded (/usr/local/lib/systemd/system/rke2-agent.service; enabled; vendor preset: enabled)
     Active: active (running) since Fri 2025-02-21 10:35:36 +07; 6s ago
       Docs: https://github.com/rancher/rke2#readme
    Process: 5782 ExecStartPre=/bin/sh -xc ! /usr/bin/systemctl is-enabled --quiet nm-cloud-setup.service (code=exited, status=0/SUCCESS)
    Process: 5784 ExecStartPre=/sbin/modprobe br_netfilter (code=exited, status=0/SUCCESS)
    Process: 5785 ExecStartPre=/sbin/modprobe overlay (code=exited, status=0/SUCCESS)
   Main PID: 5786 (rke2)
      Tasks: 155
     Memory: 424.4M
        CPU: 1.801s
     CGroup: /system.slice/rke2-agent.service
             ├─1078 /var/lib/rancher/rke2/data/v1.29.13-rke2r1-2082a73a5c4d/bin/containerd-shim-runc-v2 -namespace k8s.io -id 581bbea807d4084deec4501d89f8fe378aebd4b21ab38e6e0ec9a333badcc2>
             ├─5786 "/usr/local/bin/rke2 agent"
             ├─5800 containerd -c /var/lib/rancher/rke2/agent/etc/containerd/config.toml -a /run/k3s/containerd/containerd.sock --state /run/k3s/containerd --root /var/lib/rancher/rke2/age>
             ├─5936 kubelet --volume-plugin-dir=/var/lib/kubelet/volumeplugins --file-check-frequency=5s --sync-frequency=30s --address=0.0.0.0 --allowed-unsafe-sysctls=net.ipv4.ip_forward>
             └─5974 /var/lib/rancher/rke2/data/v1.29.13-rke2r1-2082a73a5c4d/bin/containerd-shim-runc-v2 -namespace k8s.io -id a5bcb7bef1167ac2a0ee7d367ee2c364924e659a61cf32c3d72c8cb5f8ddd4>

Feb 21 10:35:36 worker02 rke2[5786]: time="2025-02-21T10:35:36+07:00" level=info msg="Running kube-proxy --cluster-cidr=10.44.0.0/16 --conntrack-max-per-core=0 --conntrack-tcp-timeout-clos>
`;

const K3S = `● k3s.service - Lightweight Kubernetes
     Loaded: loaded (/etc/systemd/system/k3s.service; enabled; vendor preset: enabled)
     Active: active (running) since Wed 2025-10-08 23:07:52 UTC; 1 month 8 days ago
       Docs: https://k3s.io
   Main PID: 888 (k3s-server)
      Tasks: 235
     Memory: 2.6G
        CPU: 5d 9h 54min 36.547s
     CGroup: /system.slice/k3s.service
             ├─    888 "/usr/local/bin/k3s server"
             └─   1134 "containerd "
`;

/** docker.service with the reviewer's web-01 dockerd command line (hosts/docker-iptables-false-cmdline) */
const DOCKER = `● docker.service - Docker Application Container Engine
     Loaded: loaded (/lib/systemd/system/docker.service; enabled; vendor preset: enabled)
     Active: active (running) since Fri 2026-11-20 09:12:01 UTC; 1h 0min ago
TriggeredBy: ● docker.socket
       Docs: https://docs.docker.com
   Main PID: 812 (dockerd)
      Tasks: 12
     Memory: 51.2M
        CPU: 1.204s
     CGroup: /system.slice/docker.service
             └─812 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --iptables=false

Nov 20 09:12:01 web-01 dockerd[812]: time="2026-11-20T09:12:01.118Z" level=info msg="API listen on /run/docker.sock"
`;

/** `systemctl --user status docker` of rootless Docker (the command lines of test/fixtures/rootless/ps-rootless.txt) */
const ROOTLESS = `● docker.service - Docker Application Container Engine (Rootless)
     Loaded: loaded (/home/app/.config/systemd/user/docker.service; enabled; vendor preset: enabled)
     Active: active (running) since Fri 2026-11-20 03:26:10 UTC; 2h ago
       Docs: https://docs.docker.com/go/rootless/
   Main PID: 30640 (rootlesskit)
     CGroup: /user.slice/user-1000.slice/user@1000.service/app.slice/docker.service
             ├─30640 rootlesskit --state-dir=/run/user/1000/dockerd-rootless --net=slirp4netns --mtu=65520 --disable-host-loopback --port-driver=builtin --copy-up=/etc --copy-up=/run --propagation=rslave /usr/bin/dockerd-rootless.sh
             ├─30641 dockerd
             └─30660 containerd --config /run/user/1000/docker/containerd/containerd.toml
`;

describe('systemctl status: the CGroup tree as a process listing', () => {
  it("RKE2's agent: rke2 agent and the kubelet at their lines, the pager's cut marked; the unit's state as before", () => {
    const l = parseSystemctlText(RKE2_AGENT, 'systemctl_status_rke2-agent');
    expect(isActive(findService([l], 'rke2-agent'))?.ref.line).toBe(3);
    expect(l.processes?.map((p) => [p.component, p.role, p.pid, p.ref.line, p.unit, p.cut])).toEqual([
      ['rke2', 'agent', 5786, 14, 'rke2-agent.service', undefined],
      ['kubelet', undefined, 5936, 16, 'rke2-agent.service', true],
    ]);
    const kubelet = l.processes![1];
    // the word the pager cut is dropped, the flags before it kept
    expect(kubelet.flags.get('address')).toEqual(['0.0.0.0']);
    expect(kubelet.flags.has('allowed-unsafe-sysctls')).toBe(false);
    // a journal line after the tree is no process
    expect(processesOf({ services: [l] }, 'kube-proxy')).toEqual([]);
  });

  it("k3s: its process title quoted as one argument is k3s server; containerd beside it is not a component", () => {
    const l = parseSystemctlText(K3S, 'systemctl-status-k3s.txt');
    expect(l.processes).toMatchObject([{ component: 'k3s', role: 'server', pid: 888, words: ['/usr/local/bin/k3s', 'server'], ref: { line: 10 }, cgroup: '/system.slice/k3s.service' }]);
    // a CGroup tree lists one unit's processes, not the host's
    expect(nodeProcesses({ services: [l] }).complete).toBe(false);
  });

  it("docker.service's tree feeds dockerd's flags where the bundle has no ps; a ps listing wins over it", () => {
    const l = parseSystemctlText(DOCKER, 'systemctl-status-docker.txt');
    const tree = dockerdFromCgroups([l])!;
    expect(tree).toMatchObject({ origin: 'process', cgroup: true, file: 'systemctl-status-docker.txt' });
    const s = dockerdSettings([tree]);
    expect(s).toMatchObject({ running: true, commandLine: { from: 'process', ref: { file: 'systemctl-status-docker.txt', line: 11 } } });
    expect(s.iptables).toMatchObject({ value: false, from: 'process', ref: { line: 11 }, note: expect.stringContaining('systemctl status') });
    const ps = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         812  0.4  2.1 2043312 86412 ?      Ssl  09:12   1:02 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n', 'ps_auxwww');
    const both = dockerdSettings([ps, tree]);
    expect(both.iptables).toBeUndefined();
    expect(both.commandLine?.ref.file).toBe('ps_auxwww');
  });

  it("rootless Docker's tree under the user's manager: dockerd there is rootless", () => {
    const l = parseSystemctlText(ROOTLESS, 'systemctl-user-status-docker.txt');
    expect(l.processes?.map((p) => [p.component, p.pid])).toEqual([['dockerd', 30641]]);
    expect(dockerdSettings([dockerdFromCgroups([l])!]).rootless).toMatchObject({ ref: { line: 8 } });
  });

  it('a status without a tree has no processes: the list is as before', () => {
    const l = parseSystemctlText('● iptables.service - IPv4 firewall with iptables\n     Loaded: loaded (/usr/lib/systemd/system/iptables.service; disabled; preset: disabled)\n     Active: inactive (dead)\n', 'st');
    expect(l.processes).toBeUndefined();
  });
});

describe('end to end: the loader gives the CGroup tree to every analyzer', () => {
  it("a hand-made bundle with `systemctl status docker` and no ps: dockerd's --iptables=false is known, so Docker's absent chains are an info, not a critical", async () => {
    const dir = writeFolder(
      {
        'systemctl-status-docker.txt': DOCKER,
        'ip_a.txt': '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\n    inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0\n3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\n',
        'iptables-save.txt': '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n',
      },
      'cgroup-dockerd',
    );
    const r = await analyzeBundle(dir);
    const f = r.findings.find((x) => x.id === 'iptables.docker-chain-missing');
    expect(f?.severity).toBe('info');
    expect(f?.evidence).toContainEqual(expect.objectContaining({ file: 'systemctl-status-docker.txt', line: 11 }));
  });
});
