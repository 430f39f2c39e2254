/**
 * Reviewer R2's repros of false criticals in the process and CGroup readers (test/fixtures/r2-regressions,
 * real text: kind's and k3d's node processes in a host's ps, a k3s journal from before the move to
 * Cilium, systemd's cut and `‣` lines, a rootless dockerd in `systemctl status --all`):
 * - a cut CGroup line (`--ipta…`, `--root /var...`) said dockerd was started without the unit's
 *   --iptables=false: critical and a docker restart;
 * - rootless Docker's dockerd under user@1000.service was taken for the system's;
 * - kind's kube-proxy and k3d's k3s, processes of containers, made a plain Docker host a Kubernetes node;
 * - an old "Running kube-proxy" line outweighed a running Cilium kube-proxy replacement.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { nodeServices } from '../../analyzers/lib/node-services.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { dockerdFromCgroups, dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';

const fx = (...p: string[]) => projectPath('test/fixtures/r2-regressions', ...p);
const findingsOf = async (dir: string) => (await analyzeBundle(fx(dir))).findings.map((f) => `${f.severity} ${f.id}`);

describe('no false critical on R2\'s repros', () => {
  it.each([
    ['cutU/web-01', 'systemd\'s "…"'],
    ['cutA/web-01', 'the ASCII "..."'],
  ])('%s: a CGroup line cut by %s says nothing of the flags after the cut: the unit\'s --iptables=false stands', async (dir) => {
    expect(await findingsOf(dir)).toEqual(['info iptables.docker-chain-missing']);
  });

  it('rootless-status-all: the dockerd under user@1000.service is rootless Docker, not the system\'s', async () => {
    // the info that says where rootless Docker's rules are, as from ps
    expect(await findingsOf('rootless-status-all/web-01')).toEqual(['info iptables.docker-chain-missing']);
    const l = parseSystemctlText(readFileSync(fx('rootless-status-all/web-01/systemctl_status_--all.txt'), 'utf8'), 'systemctl_status_--all.txt');
    expect(dockerdSettings([dockerdFromCgroups([l])!]).rootless).toMatchObject({ user: '1000' });
  });

  it.each(['kind-host/dev01', 'k3d-host/dev01'])('%s: the node containers\' kube-proxy / k3s do not make the host a Kubernetes node', async (dir) => {
    const r = await analyzeBundle(fx(dir));
    expect(r.findings.filter((f) => f.severity === 'critical').map((f) => f.id)).toEqual([]);
    expect(r.findings.map((f) => f.id)).not.toContain('iptables.kube-chains-missing');
  });

  it('k3s-cilium-migrated: a kube-proxy start line from before the move to Cilium is history, not a running kube-proxy', async () => {
    expect((await findingsOf('k3s-cilium-migrated/node1')).filter((f) => f.startsWith('critical'))).toEqual([]);
  });
});

describe('psql naming an IPv6 peer bare (v6-psql: ip6tables INPUT DROP on a dual-stack Docker host)', () => {
  it('the port finding names the peer and port, as for Go\'s bracketed form', async () => {
    const dir = projectPath('test/fixtures/r2-regressions/v6-psql');
    const r = await analyzeBundle(`${dir}/${readdirSync(dir)[0]}`);
    expect(r.findings.find((f) => f.id === 'iptables.port-blocked' && f.facts?.port === 5432)?.facts).toMatchObject({ family: 'ipv6', to: ['fd00:dead:beef::1'] });
  });
});

describe("systemd's `‣` line (the main process outside the unit's cgroup, k3s-io/k3s#2502)", () => {
  it('is read: k3s server, and the distribution it shows', () => {
    const l = parseSystemctlText(readFileSync(fx('status-k3s-extra-pid.txt'), 'utf8'), 'status.txt');
    expect(l.processes?.map((p) => [p.component, p.role, p.pid])).toContainEqual(['k3s', 'server', 3796039]);
    // with the unit state the distribution is k3s anyway; the process is there for who runs kube-proxy
    expect(nodeServices({ services: [l] }).distro?.name).toBe('k3s');
  });
});
