/**
 * R13 #6: with no unit or process listing, what Docker and the kubelet leave in the bundle says
 * which runs, and the remedy cites it; "the bundle does not show which runs here" stays only where
 * nothing shows. Real text: the example bundles ip-forward-off (Docker chains, docker0, docker.log),
 * three-node-cluster (node-c: Docker chains and docker0) and kube-firewall-corrupted (kubelet[1187]
 * lines); corpus logs moby-37694 (dockerd[31404] writer, moby/moby#37694), kube-router-1777
 * (k3s[10542] writer, cloudnativelabs/kube-router#1777), free5gc-compose iptables-save with Docker's
 * chains and insights-rhel6 iptables-save without (see the corpus SOURCES.md).
 */
import { describe, expect, it } from 'vitest';
import { nodeServices } from '../../analyzers/lib/node-services.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

const NOT_SHOWN = /does not show which runs here/;

async function commandsOf(bundle: string, id: string, node?: string): Promise<string[]> {
  const r = await analyzeBundle(projectPath('bundles', bundle));
  const f = r.findings.find((x) => x.id === id && (node === undefined || x.node === node));
  expect(f, `${id} on ${bundle}`).toBeDefined();
  return f!.remedy.commands ?? [];
}

describe('the example bundles: the remedy names what their evidence shows', () => {
  it('ip-forward-off: Docker (its DOCKER chain is in the rules), not "does not show"', async () => {
    const commands = await commandsOf('ip-forward-off.tgz', 'sysctl.ip-forward-disabled');
    expect(commands.some((c) => NOT_SHOWN.test(c))).toBe(false);
    const restart = commands.find((c) => c.startsWith('systemctl restart docker'));
    expect(restart).toMatch(/docker runs here: its nat DOCKER chain is in the rules \(ticket-4712\/docker-host-02\/iptables-save\.txt:\d+\)/);
  }, 60_000);

  it('three-node-cluster node-c: Docker, cited', async () => {
    const commands = await commandsOf('three-node-cluster.tgz', 'sysctl.ip-forward-disabled', 'node-c');
    expect(commands.some((c) => NOT_SHOWN.test(c))).toBe(false);
    expect(commands.find((c) => c.startsWith('systemctl restart docker'))).toMatch(/docker runs here: its nat DOCKER chain is in the rules \(.*run-host\/node-c\/iptables-save\.txt:\d+\)/);
  }, 60_000);

  it('kube-firewall-corrupted: kubelet[1187] writes the log: systemctl restart kubelet', async () => {
    const commands = await commandsOf('kube-firewall-corrupted.tgz', 'iptables.kube-firewall-corrupted');
    expect(commands.some((c) => NOT_SHOWN.test(c))).toBe(false);
    expect(commands).toContain('systemctl restart kubelet   # kubelet runs as a unit of its own here: it writes as kubelet[1187] (ticket-4716-node-unreachable/kubelet.log:2)');
  }, 60_000);
});

describe.skipIf(!hasCorpus)('signs in corpus text', () => {
  const dockerChains = () => [parseIptablesSave(readCorpus('iptables-save/free5gc-compose-docker-nft-1.8.10-br-free5gc-tailscale.txt'), 'iptables-save.txt')];
  const noDocker = () => [parseIptablesSave(readCorpus('iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt'), 'iptables-save.txt')];

  it('a dockerd[pid] writer in a log no name ties to Docker: Docker runs', () => {
    const log = scanLogText(readCorpus('logs/moby-37694-dockerd-nat-table-does-not-exist-centos7.log'), 'messages', { year: 2018 });
    expect(log.matches.length).toBeGreaterThan(0);
    const s = nodeServices({ logs: [log], iptables: noDocker() } as NodeArtifacts);
    expect(s.docker).toBe(true);
    expect(s.dockerSign?.says).toMatch(/^dockerd writes to the logs \(messages:\d+\)$/);
    expect(s.restartRuntime[0]).toMatch(/^systemctl restart docker {3}# docker runs here: dockerd writes to the logs/);
  });

  it("Docker's chains in the rules: Docker runs, the chain cited", () => {
    const s = nodeServices({ iptables: dockerChains() } as NodeArtifacts);
    expect(s.docker).toBe(true);
    expect(s.restartRuntime.some((c) => NOT_SHOWN.test(c))).toBe(false);
    expect(s.restartRuntime[0]).toMatch(/^systemctl restart docker {3}# docker runs here: its (nat|filter) DOCKER\S* chain is in the rules \(iptables-save\.txt:\d+\)$/);
  });

  it('a k3s[pid] writer is no kubelet unit: the kubelet restart stays unnamed', () => {
    const log = scanLogText(readCorpus('logs/kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'messages', { year: 2022 });
    const s = nodeServices({ logs: [log], iptables: noDocker() } as NodeArtifacts);
    expect(s.distro?.name).not.toBe('kubelet');
    expect(s.restartKubelet.join('\n')).not.toMatch(/^systemctl restart kubelet/m);
  });

  it('nothing shows (rules without Docker, no log): the wording stays "does not show"', () => {
    const s = nodeServices({ iptables: noDocker() } as NodeArtifacts);
    expect(s.docker).toBeUndefined();
    expect(s.dockerSign).toBeUndefined();
    expect(s.restartRuntime).toHaveLength(1);
    expect(s.restartRuntime[0]).toMatch(NOT_SHOWN);
    expect(s.restartKubelet[0]).toMatch(NOT_SHOWN);
  });

  it('a unit listing without docker.service outweighs leftover Docker chains', () => {
    const listing = `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n${['containerd.service', 'kubelet.service', 'sshd.service', 'systemd-journald.service', 'systemd-udevd.service', 'cron.service']
      .map((u) => `  ${u.padEnd(34)} loaded active running ${u}`)
      .join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;
    const s = nodeServices({ iptables: dockerChains(), services: [parseSystemctlText(listing, 'systemctl-list-units.txt')] } as NodeArtifacts);
    expect(s.docker).toBe(false);
    expect(s.dockerSign).toBeUndefined();
    expect(s.restartRuntime.join('\n')).toContain('systemctl restart containerd');
    expect(s.restartRuntime.join('\n')).not.toContain('docker');
  });
});
