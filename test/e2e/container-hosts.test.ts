/**
 * Round 5 of the review, on the reviewer's hosts (test/fixtures/hosts, read as hand-made
 * bundles): a Podman host is a container host; dockerd's --iptables=false read from ps and the
 * unit files; br_netfilter only where pods sit on a bridge; `  UNIT` list-units headers.
 */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { readFolder, writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const hostDir = (name: string) => projectPath('test/fixtures/hosts', name);

/** A fixture host's files, to change one and write the variant to a folder of its own. */
const filesOf = (name: string) => readFolder(hostDir(name));

async function findings(dir: string) {
  const r = await analyzeBundle(dir);
  return { report: r, byId: (id: string) => r.findings.filter((f) => f.id === id) };
}

describe('A: a Podman host is a container host', () => {
  it('ip_forward = 0 on rootful Podman (podman0 with a veth, table inet netavark) is critical, naming the evidence', async () => {
    const { byId } = await findings(hostDir('podman-fwd-off'));
    const [f] = byId('sysctl.ip-forward-disabled');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/a container host: podman0 in ip addr, nftables table inet netavark/);
    expect(f.facts?.containerHost).toEqual(['podman0 in ip addr', 'nftables table inet netavark']);
  });

  it('the netavark table alone (no ip addr) is evidence enough; a host with none of it stays a warning', async () => {
    const files = filesOf('podman-fwd-off');
    delete files['fedora-podman-01/ip_addr.txt'];
    const [f] = (await findings(writeFolder(files, 'podman-no-ip-addr'))).byId('sysctl.ip-forward-disabled');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/nftables table inet netavark/);
    delete files['fedora-podman-01/nft_list_ruleset.txt'];
    files['fedora-podman-01/ip_route.txt'] = files['fedora-podman-01/ip_route.txt'].split('\n').filter((l) => !l.includes('podman0')).join('\n');
    const [plain] = (await findings(writeFolder(files, 'plain-server'))).byId('sysctl.ip-forward-disabled');
    expect(plain.severity).toBe('warning');
  });
});

describe('B: dockerd --iptables=false', () => {
  it('from ps and the drop-in: no critical "chains missing", an information naming where it was read', async () => {
    const { report, byId } = await findings(hostDir('docker-iptables-false-cmdline'));
    const [f] = byId('iptables.docker-chain-missing');
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/--iptables=false, read from the running dockerd's command line \(ps\), web-01\/ps_auxwww\.txt:2; also web-01\/etc\/systemd\/system\/docker\.service\.d\/override\.conf:3/);
    expect(f.evidence[0]).toMatchObject({ file: 'web-01/ps_auxwww.txt', line: 2 });
    expect(report.findings.filter((x) => x.severity === 'critical')).toEqual([]);
    const node = report.coverage.nodes[0];
    expect(node.artifacts.dockerDaemon).toEqual(['web-01/etc/systemd/system/docker.service.d/override.conf', 'web-01/ps_auxwww.txt']);
    expect(report.nodes[0].facts['docker iptables']).toBe(false);
  });

  it('from the drop-in alone (no process listing): the same, read from the unit', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    delete files['web-01/ps_auxwww.txt'];
    const [f] = (await findings(writeFolder(files, 'unit-only'))).byId('iptables.docker-chain-missing');
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/read from docker\.service's ExecStart/);
  });

  it('a Docker host without --iptables=false whose chains were flushed still raises the critical', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    delete files['web-01/etc/systemd/system/docker.service.d/override.conf'];
    files['web-01/ps_auxwww.txt'] = files['web-01/ps_auxwww.txt'].replace(' --iptables=false', '');
    const [f] = (await findings(writeFolder(files, 'flushed'))).byId('iptables.docker-chain-missing');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/Something flushed them/);
  });

  it('--iptables=false and the host masquerades docker0 itself (ufw): no masquerade finding; without that rule a warning with a hand-written remedy, no restart', async () => {
    expect((await findings(hostDir('docker-iptables-false-cmdline'))).byId('iptables.docker-masquerade-missing')).toEqual([]);
    const files = filesOf('docker-iptables-false-cmdline');
    files['web-01/iptables-save.txt'] = files['web-01/iptables-save.txt'].replace('-A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE\n', '');
    const [f] = (await findings(writeFolder(files, 'no-masq'))).byId('iptables.docker-masquerade-missing');
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/does not masquerade 172\.17\.0\.0\/16 .*it runs with .*--iptables=false.*no rule of the host's own masquerades it/);
    // safe to paste twice: checked before it is appended
    expect(f.remedy.commands[0]).toBe('iptables -t nat -C POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE');
    expect(f.remedy.commands.join('\n')).toMatch(/\/etc\/ufw\/before\.rules/);
    expect(f.remedy.commands.join('\n')).not.toMatch(/restart docker/);
  });

  it('--ip-masq=false on the running dockerd: no MASQUERADE for docker0 is by design (a routed setup): silent; without the flag, critical', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    delete files['web-01/etc/systemd/system/docker.service.d/override.conf'];
    files['web-01/iptables-save.txt'] = files['web-01/iptables-save.txt'].replace('-A POSTROUTING -s 172.17.0.0/16 -o eth0 -j MASQUERADE\n', '');
    files['web-01/ps_auxwww.txt'] = files['web-01/ps_auxwww.txt'].replace(' --iptables=false', ' --ip-masq=false');
    expect((await findings(writeFolder(files, 'ipmasq-off'))).byId('iptables.docker-masquerade-missing')).toEqual([]);
    files['web-01/ps_auxwww.txt'] = files['web-01/ps_auxwww.txt'].replace(' --ip-masq=false', '');
    expect((await findings(writeFolder(files, 'ipmasq-on'))).byId('iptables.docker-masquerade-missing').map((f) => f.severity)).toEqual(['critical']);
  });

  it('no systemd word, and a process listing without dockerd: dockerd is not running, so nothing flushed the chains', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    delete files['web-01/etc/systemd/system/docker.service.d/override.conf'];
    delete files['web-01/systemctl_list-unit-files.txt'];
    files['web-01/ps_auxwww.txt'] = files['web-01/ps_auxwww.txt'].split('\n').filter((l) => !/dockerd|docker-proxy/.test(l)).join('\n');
    const [f] = (await findings(writeFolder(files, 'not-running'))).byId('iptables.docker-chain-missing');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/dockerd is not running: the process listing shows no dockerd \(web-01\/ps_auxwww\.txt\)/);
    expect(f.message).not.toMatch(/Something flushed them/);
  });

  it('the drop-in says --iptables=false but the running dockerd lacks it: still critical, and says a restart applies it', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    files['web-01/ps_auxwww.txt'] = files['web-01/ps_auxwww.txt'].replace(' --iptables=false', '');
    const [f] = (await findings(writeFolder(files, 'pending'))).byId('iptables.docker-chain-missing');
    expect(f.severity).toBe('critical');
    expect(f.message).toMatch(/docker\.service now says --iptables=false \(web-01\/etc\/systemd\/system\/docker\.service\.d\/override\.conf:3\), but the running dockerd was started without it/);
  });
});

describe('B: where a sosreport keeps dockerd\'s flags', () => {
  it('sos_commands/process/ps_auxwww and the docker.service drop-in are read; the process wins', async () => {
    const files = filesOf('docker-iptables-false-cmdline');
    const sos = writeFolder(
      {
        'sosreport-web-01-2026-12-02-abcdefg/sos_commands/process/ps_auxwww': files['web-01/ps_auxwww.txt'],
        'sosreport-web-01-2026-12-02-abcdefg/sos_commands/process/ps_alxwww': 'F   UID     PID    PPID PRI  NI    VSZ   RSS WCHAN  STAT TTY        TIME COMMAND\n',
        'sosreport-web-01-2026-12-02-abcdefg/etc/systemd/system/docker.service.d/override.conf': files['web-01/etc/systemd/system/docker.service.d/override.conf'],
        'sosreport-web-01-2026-12-02-abcdefg/sos_commands/kernel/sysctl_-a': files['web-01/sysctl-a.txt'],
        'sosreport-web-01-2026-12-02-abcdefg/hostname': 'web-01\n',
      },
      'sos-web-01',
    );
    const { report } = await findings(sos);
    expect(report.layout).toBe('sosreport');
    // ps_alxwww is the fallback of the group: ps_auxwww is there
    expect(report.coverage.nodes[0].artifacts.dockerDaemon).toEqual([
      'sosreport-web-01-2026-12-02-abcdefg/etc/systemd/system/docker.service.d/override.conf',
      'sosreport-web-01-2026-12-02-abcdefg/sos_commands/process/ps_auxwww',
    ]);
    expect(report.nodes[0].facts['docker iptables']).toBe(false);
  });
});

describe('C: br_netfilter only matters where pods sit on a bridge', () => {
  it('Cilium (kube-proxy replacement) and Calico (with an idle docker0 and kube-proxy): no warning', async () => {
    for (const name of ['cilium-kpr-healthy', 'calico-no-brnf']) {
      const { report } = await findings(hostDir(name));
      expect(report.findings.map((f) => f.id), name).toEqual([]);
    }
  });

  it('a flannel node (cni0 with a pod, kube-proxy in IPVS mode) without br_netfilter still warns, naming the bridge', async () => {
    const [f] = (await findings(hostDir('flannel-ipvs-no-brnf'))).byId('sysctl.bridge-nf-call-disabled');
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/br_netfilter is not loaded on k8s-w1, a Kubernetes node with pods on a bridge \(cni0, k8s-w1\/ip_addr\.txt:\d+\)/);
  });

  it('Calico whose docker0 has containers attached, beside kube-proxy: warns (the bridge is used)', async () => {
    const files = filesOf('calico-no-brnf');
    files['calico-node-2/ip_addr.txt'] +=
      '7: veth5d1e2f7@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP group default qlen 1000\n    link/ether a6:3b:9e:41:d2:07 brd ff:ff:ff:ff:ff:ff link-netnsid 1\n';
    const [f] = (await findings(writeFolder(files, 'calico-docker-containers'))).byId('sysctl.bridge-nf-call-disabled');
    expect(f.message).toMatch(/pods on a bridge \(docker0/);
  });
});

describe('D: `systemctl list-units` of a hand-made folder', () => {
  it('the two-space "  UNIT" header is recognised, so kubelet.service counts', async () => {
    const { report } = await findings(hostDir('cilium-kpr-healthy'));
    expect(report.coverage.nodes[0].artifacts.services).toEqual(['ip-172-31-20-15/systemctl_list-units.txt']);
  });
});
