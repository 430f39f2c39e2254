/**
 * H83: cni.config-invalid. Real conflists (flannel's kube-flannel.yml cni-conf.json, Calico's, Podman's
 * 87-podman-bridge.conflist: test/fixtures/h83-cni/README.md), each broken with one real mistake; real log lines:
 * - containerd/containerd#8662 (https://github.com/containerd/containerd/issues/8662), containerd's reload error
 * - fujitatomoya/ros_k8s#22 (https://github.com/fujitatomoya/ros_k8s/issues/22), the kubelet's NotReady line
 * The remedies' sed commands are run on a copy of the broken file: the result must be the valid file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/cni-config-invalid.js';
import { loadCniConf } from '../../src/parsers/cni-conf.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { scanLogText } from '../../src/logs/index.js';
import { CNI_CONFIG_SIGNATURES } from '../../src/logs/signatures-cni-config.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const FLANNEL = readFileSync(projectPath('test', 'fixtures', 'hairpin', 'kube-flannel-10-flannel.conflist'), 'utf8');
const CALICO = readFileSync(projectPath('test', 'fixtures', 'h83-cni', '10-calico.conflist'), 'utf8');
const PODMAN = readFileSync(projectPath('test', 'fixtures', 'h83-cni', '87-podman-bridge.conflist'), 'utf8');

const FLANNEL_COMMENT = FLANNEL.replace('"cniVersion": "0.3.1",\n', '"cniVersion": "0.3.1",\n  // flannel\'s default, do not edit\n');
const CALICO_CUT = CALICO.slice(0, CALICO.indexOf('"capabilities"') + '"capabilities": {'.length);
const PODMAN_TRAILING = PODMAN.replace('"backend": "iptables"\n      }\n', '"backend": "iptables"\n      },\n');

const CONTAINERD_UNITS = parseSystemctlText('  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n  containerd.service   loaded active running containerd container runtime\n  kubelet.service      loaded active running kubelet: The Kubernetes Node Agent\n', 'sos_commands/systemd/systemctl_list-units');
const CRIO_UNITS = parseSystemctlText('  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n  crio.service         loaded active running Container Runtime Interface for OCI (CRI-O)\n  kubelet.service      loaded active running kubelet: The Kubernetes Node Agent\n', 'sos_commands/systemd/systemctl_list-units');

// containerd/containerd#8662, verbatim
const CONTAINERD_LOG =
  'level=error msg="failed to reload cni configuration after receiving fs change event(\\"/etc/cni/net.d/10-calico.conflist\\": WRITE)" error="cni config load failed: failed to load CNI config list file /etc/cni/net.d/10-calico.conflist: error parsing configuration list: unexpected end of JSON input: invalid cni config: failed to load cni config\n';
// fujitatomoya/ros_k8s#22, verbatim
const KUBELET_LOG =
  'Apr 16 22:26:30 tomoyafujita-HP-Compaq-Elite-8300-SFF kubelet[10125]: E0416 22:26:30.150357   10125 kubelet.go:2373] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"\n';

const conf = (text: string, name: string, dir = 'etc/cni/net.d') => loadCniConf(text, `${dir}/${name}`);
const run = (a: NodeArtifacts) => runNode(analyzer, a, 'worker-1');

/** Runs the remedy's sed commands on a copy of the broken file; returns the file afterwards. */
function applySed(commands: readonly string[], path: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'h83-'));
  const copy = join(dir, 'f.conflist');
  writeFileSync(copy, text);
  for (const c of commands.filter((x) => x.startsWith('sed -i'))) {
    const m = /^sed -i '([^']+)' (\S+)/.exec(c);
    expect(m?.[2]).toBe(path);
    execFileSync('sed', ['-i', m![1], copy]);
  }
  return readFileSync(copy, 'utf8');
}

describe('cni.config-invalid fires', () => {
  it('containerd, Calico\'s conflist cut short (containerd#8662): critical, no pod network, the log lines cited', () => {
    const logs = [scanLogText(CONTAINERD_LOG, 'sos_commands/containerd/journalctl_--no-pager_--unit_containerd', { catalog: CNI_CONFIG_SIGNATURES }), scanLogText(KUBELET_LOG, 'sos_commands/kubernetes/journalctl_--unit_kubelet', { catalog: CNI_CONFIG_SIGNATURES })];
    const f = run({ cniConf: [conf(CALICO_CUT, '10-calico.conflist')], services: [CONTAINERD_UNITS], logs });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].title).toBe('containerd cannot load the CNI configuration: the node has no pod network');
    expect(f[0].message).toMatch(/^\/etc\/cni\/net\.d\/10-calico\.conflist on worker-1 \(etc\/cni\/net\.d\/10-calico\.conflist:\d+\) cannot be loaded/);
    expect(f[0].message).toMatch(/cni plugin not initialized/);
    expect(f[0].evidence.map((e) => e.file)).toEqual(['etc/cni/net.d/10-calico.conflist', 'sos_commands/containerd/journalctl_--no-pager_--unit_containerd', 'sos_commands/kubernetes/journalctl_--unit_kubelet']);
    expect(f[0].facts).toMatchObject({ runtime: 'containerd', before: true, logged: true, inUse: null });
    expect(f[0].remedy.commands).toContain('jq . /etc/cni/net.d/10-calico.conflist >/dev/null && echo valid   # jq prints the line of any error left');
    expect(f[0].remedy.commands).toContain('systemctl restart containerd');
  });

  it('containerd, a // comment in flannel\'s conflist before Podman\'s: still no network (containerd does not fall back); the sed fix gives the valid file', () => {
    const f = run({ cniConf: [conf(PODMAN, '87-podman-bridge.conflist'), conf(FLANNEL_COMMENT, '10-flannel.conflist')], services: [CONTAINERD_UNITS] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toMatch(/containerd stops at this file and loads no network at all, though 87-podman-bridge\.conflist after it is valid/);
    expect(f[0].evidence[0]).toMatchObject({ file: 'etc/cni/net.d/10-flannel.conflist', line: 4, excerpt: "// flannel's default, do not edit" });
    expect(f[0].remedy.summary).toMatch(/delete the comment at line 4/);
    expect(applySed(f[0].remedy.commands, '/etc/cni/net.d/10-flannel.conflist', FLANNEL_COMMENT)).toBe(FLANNEL);
  });

  it('CRI-O, the same files: critical, names the stale network CRI-O loads instead', () => {
    const f = run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist'), conf(PODMAN, '87-podman-bridge.conflist')], services: [CRIO_UNITS] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('critical');
    expect(f[0].title).toBe('CRI-O skips the CNI configuration and loads 87-podman-bridge.conflist instead');
    expect(f[0].message).toMatch(/CRI-O skips it and loads 87-podman-bridge\.conflist instead \(network "podman", bridge \+ portmap \+ firewall\)/);
    expect(f[0].evidence[1]).toMatchObject({ file: 'etc/cni/net.d/87-podman-bridge.conflist', line: 3 });
    expect(f[0].facts).toMatchObject({ runtime: 'crio', inUse: '/etc/cni/net.d/87-podman-bridge.conflist' });
  });

  it('no unit listing: containerd\'s own log line (containerd#8662) tells the runtime', () => {
    const logs = [scanLogText(CONTAINERD_LOG, 'sos_commands/containerd/journalctl_--no-pager_--unit_containerd', { catalog: CNI_CONFIG_SIGNATURES })];
    const f = run({ cniConf: [conf(CALICO_CUT, '10-calico.conflist'), conf(PODMAN, '87-podman-bridge.conflist')], logs });
    expect(f[0].title).toBe('containerd cannot load the CNI configuration: the node has no pod network');
    expect(f[0].facts).toMatchObject({ runtime: 'containerd', logged: true });
  });

  it('runtime unknown: critical, both outcomes told', () => {
    const f = run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist'), conf(PODMAN, '87-podman-bridge.conflist')] });
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toMatch(/does not show which runtime the kubelet uses: containerd stops at this file and loads no network at all, though 87-podman-bridge\.conflist after it is valid/);
    expect(f[0].message).toMatch(/CRI-O and the kubelet's dockershim \(cri-dockerd\) skip it and load 87-podman-bridge\.conflist/);
    expect(f[0].facts).toMatchObject({ runtime: null });
  });

  it('Docker beside containerd: dockerd running does not make it the kubelet\'s runtime; both outcomes told, no docker restart', () => {
    const units = parseSystemctlText('  UNIT                 LOAD   ACTIVE SUB     DESCRIPTION\n  containerd.service   loaded active running containerd container runtime\n  docker.service       loaded active running Docker Application Container Engine\n  kubelet.service      loaded active running kubelet: The Kubernetes Node Agent\n', 'sos_commands/systemd/systemctl_list-units');
    const f = run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist')], services: [units] });
    expect(f[0].severity).toBe('critical');
    expect(f[0].title).toBe('The only CNI configuration cannot be loaded: the node has no pod network');
    expect(f[0].message).toMatch(/Whichever runtime the kubelet uses, it has no network/);
    expect(f[0].remedy.commands.join('\n')).not.toMatch(/systemctl restart docker/);
  });

  it('k3s: the agent directory\'s file is the one k3s reads', () => {
    const f = run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist', 'var/lib/rancher/k3s/agent/etc/cni/net.d'), conf(PODMAN, '87-podman-bridge.conflist')] });
    expect(f).toHaveLength(1);
    expect(f[0].facts).toMatchObject({ file: '/var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist', before: true });
  });

  it('a trailing comma in Podman\'s conflist after Calico\'s (in use): a warning; the sed fix gives the valid file', () => {
    const f = run({ cniConf: [conf(CALICO, '10-calico.conflist'), conf(PODMAN_TRAILING, '87-podman-bridge.conflist')], services: [CONTAINERD_UNITS] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].title).toBe('A CNI configuration the runtime cannot load (after 10-calico.conflist, which is in use)');
    expect(f[0].evidence[0]).toMatchObject({ line: 27, excerpt: '},' });
    expect(f[0].message).toMatch(/libcni: "error parsing configuration list: invalid character '\]' looking for beginning of value"/);
    expect(applySed(f[0].remedy.commands, '/etc/cni/net.d/87-podman-bridge.conflist', PODMAN_TRAILING)).toBe(PODMAN);
  });

  it('a conflist saved as .conf (cri-o#7231): critical, rename', () => {
    const f = run({ cniConf: [conf(PODMAN, '100-crio-bridge.conf')], services: [CRIO_UNITS] });
    expect(f[0].severity).toBe('critical');
    expect(f[0].message).toMatch(/missing 'type'/);
    expect(f[0].remedy.commands).toContain('mv /etc/cni/net.d/100-crio-bridge.conf /etc/cni/net.d/100-crio-bridge.conflist');
  });
});

describe('cni.config-invalid stays quiet', () => {
  it('valid conflists only (flannel, Calico, Podman), under containerd and CRI-O', () => {
    const confs = [conf(FLANNEL, '10-flannel.conflist'), conf(CALICO, '10-calico.conflist'), conf(PODMAN, '87-podman-bridge.conflist')];
    expect(run({ cniConf: confs, services: [CONTAINERD_UNITS] })).toEqual([]);
    expect(run({ cniConf: confs, services: [CRIO_UNITS] })).toEqual([]);
  });

  it('a broken .conflist.bak (libcni does not read it) beside a valid conflist', () => {
    expect(run({ cniConf: [conf(FLANNEL, '10-flannel.conflist'), conf(FLANNEL_COMMENT, '10-flannel.conflist.bak')], services: [CONTAINERD_UNITS] })).toEqual([]);
  });

  it('a broken copy outside the CNI directory', () => {
    expect(run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist', 'root/backup')], services: [CONTAINERD_UNITS] })).toEqual([]);
  });

  it('a load failure logged for another file than the bundle\'s broken one is not cited; the line alone is the log signature\'s', () => {
    const logs = [scanLogText(CONTAINERD_LOG, 'containerd.log', { catalog: CNI_CONFIG_SIGNATURES })];
    expect(logs[0].matches.map((m) => [m.signature, m.facts.path])).toEqual([['log.cni-config-load-failed', '/etc/cni/net.d/10-calico.conflist']]);
    expect(analyzer.requires).toEqual(['cniConf']);
    const f = run({ cniConf: [conf(FLANNEL_COMMENT, '10-flannel.conflist')], services: [CONTAINERD_UNITS], logs });
    expect(f.flatMap((x) => x.evidence.map((e) => e.file))).toEqual(['etc/cni/net.d/10-flannel.conflist']);
  });
});
