/**
 * The remedies of log findings follow the node: a firewall restart on a Podman-only host is put right
 * with podman network reload --all, on a Docker host with a docker restart (as the node restarts
 * dockerd), on a Kubernetes node with the kubelet's service; with nothing to tell, the advice names the
 * alternatives and no command. A missing chain's remedy follows its owner (DOCKER..., KUBE-...), and the
 * iptables 1.8.0-1.8.2 clause is kept only where the line's version is in range or unknown.
 *
 * Real text: `$ firewall-cmd --reload` (containers/podman#8048), Podman's host from reviewer round 5
 * (test/fixtures/hosts/podman-fwd-off: podman0, table inet netavark), iptables-nft 1.8.9's own errors run
 * here in an empty network namespace, dockerd's errors from moby/moby#38099 (1.8.1) and
 * firewalld/firewalld#503 (1.8.2), `systemctl list-units` as it prints units.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import logSignatures from '../../analyzers/log-signatures.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const PODMAN_HOST = 'test/fixtures/hosts/podman-fwd-off/fedora-podman-01';
const podmanHost = (): NodeArtifacts => ({
  ipAddr: [parseInterfaces(readFileSync(projectPath(PODMAN_HOST, 'ip_addr.txt'), 'utf8'), 'ip_addr.txt')],
  nftables: [parseNftText(readFileSync(projectPath(PODMAN_HOST, 'nft_list_ruleset.txt'), 'utf8'), 'nft_list_ruleset.txt')],
});
const listUnits = (units: [string, string][]) =>
  `  UNIT                               LOAD   ACTIVE SUB     DESCRIPTION\n${units.map(([u, d]) => `  ${u.padEnd(35)}loaded active running ${d}`).join('\n')}\n\nLOAD   = Reflects whether the unit definition was properly loaded.\n`;
const BASE: [string, string][] = [
  ['cron.service', 'Regular background program processing daemon'],
  ['ssh.service', 'OpenBSD Secure Shell server'],
  ['systemd-journald.service', 'Journal Service'],
];
const DOCKER: [string, string] = ['docker.service', 'Docker Application Container Engine'];
const KUBELET: [string, string] = ['kubelet.service', 'kubelet: The Kubernetes Node Agent'];
const CONTAINERD: [string, string] = ['containerd.service', 'containerd container runtime'];
const units = (...u: [string, string][]): NodeArtifacts => ({ services: [parseSystemctlText(listUnits([...BASE, ...u]), 'systemctl_list-units')] });

/** `$ firewall-cmd --reload` as the podman#8048 transcript shows it */
const RELOAD = '$ firewall-cmd --reload\nsuccess\n';
/** iptables-nft 1.8.9 here: `iptables -I FORWARD -j DOCKER-USER` / `iptables -t nat -A POSTROUTING -j KUBE-POSTROUTING` in an empty netns */
const NFT_DOCKER_USER = "iptables v1.8.9 (nf_tables): Chain 'DOCKER-USER' does not exist\nTry `iptables -h' or 'iptables --help' for more information.\n";
const NFT_KUBE = "iptables v1.8.9 (nf_tables): Chain 'KUBE-POSTROUTING' does not exist\nTry `iptables -h' or 'iptables --help' for more information.\n";
/** moby/moby#38099: Docker 18.06 with iptables 1.8.1 (nf_tables) taking DNAT for a chain */
const DNAT_181 =
  "docker: Error response from daemon: driver failed programming external connectivity on endpoint hopeful_kapitsa (f6bcba259f5ab3db1043515bb81dedad2b8aca51e2164fc8e9786d9fc45cfd7c):  (iptables failed: iptables --wait -t nat -A DOCKER -p tcp -d 0/0 --dport 80 -j DNAT --to-destination 172.17.0.2:80 ! -i docker0: iptables v1.8.1 (nf_tables): Chain 'DNAT' does not exist\n (exit status 1)).\n";
/** firewalld/firewalld#503: Debian 10, iptables 1.8.2 (nf_tables), firewalld installed without restarting dockerd */
const DOCKER_182 =
  "ERROR: Failed to program NAT chain: Failed to inject DOCKER in PREROUTING chain: iptables failed: iptables --wait -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER: iptables v1.8.2 (nf_tables): Chain 'DOCKER' does not exist\n";

function finding(log: string, host: NodeArtifacts, id: string): FindingDraft {
  const f = runNode(logSignatures, { ...host, logs: [scanLogText(log, 'messages', { year: 2026 })] }).find((x) => x.id === id);
  expect(f, id).toBeDefined();
  return f!;
}
const restart = (host: NodeArtifacts) => finding(RELOAD, host, 'log.firewall-restart');

describe('a firewall restart: the remedy of the runtime the node runs', () => {
  it('a Podman-only host (podman0, table inet netavark): podman network reload --all, nothing of docker', () => {
    const f = restart(podmanHost());
    expect(f.remedy.summary).toMatch(/^Podman does not notice a firewall restart: put its rules back with podman network reload --all \(Podman 3\.0 and later\)/);
    expect(f.remedy.commands).toEqual(['podman network reload --all', 'systemctl enable --now netavark-firewalld-reload.service   # netavark 1.9+, where firewalld runs']);
    expect(JSON.stringify(f.remedy)).not.toMatch(/docker|kubelet/i);
  });

  it('a Docker host (docker.service active): restart docker, nothing of Podman', () => {
    const f = restart(units(DOCKER));
    expect(f.remedy.summary).toBe('After a firewall restart, restart docker so that it creates its chains and rules again (this restarts its containers).');
    expect(f.remedy.commands).toEqual(['systemctl restart docker   # this restarts its containers']);
  });

  it('a Kubernetes node on containerd: the kubelet\'s service, not docker', () => {
    const f = restart(units(KUBELET, CONTAINERD));
    expect(f.remedy.commands).toEqual(['systemctl restart kubelet']);
    expect(JSON.stringify(f.remedy)).not.toMatch(/docker|podman/i);
  });

  it('Docker and the kubelet: both, docker first', () => {
    expect(restart(units(DOCKER, KUBELET)).remedy.commands).toEqual(['systemctl restart docker   # this restarts its containers', 'systemctl restart kubelet']);
  });

  it('nothing in the bundle tells: the alternatives, no command that assumes one', () => {
    const f = restart({});
    expect(f.remedy.summary).toMatch(/whichever runs here \(the bundle does not show which\): restart docker .*, run podman network reload --all for Podman, restart the kubelet's service/);
    expect(f.remedy.commands).toEqual([]);
  });
});

describe("a missing chain: its owner's remedy, and the iptables 1.8.0-1.8.2 clause only where it can apply", () => {
  it("DOCKER-USER from iptables 1.8.9: Docker's remedy (the chain's owner, even on a Podman host), no 1.8.0-1.8.2 clause", () => {
    for (const host of [{}, podmanHost()]) {
      const f = finding(NFT_DOCKER_USER, host, 'log.nf-tables-chain-missing');
      expect(f.remedy.summary).toBe("Docker's chains are gone: restart docker so that it creates them again (this restarts its containers).");
      expect(f.remedy.commands).toEqual(['systemctl restart docker   # this restarts its containers']);
    }
  });

  it("KUBE-POSTROUTING on a Kubernetes node: the kubelet's service", () => {
    const f = finding(NFT_KUBE, units(KUBELET, CONTAINERD), 'log.nf-tables-chain-missing');
    expect(f.remedy.commands).toEqual(['systemctl restart kubelet']);
    expect(f.remedy.summary).not.toMatch(/1\.8\.0-1\.8\.2|docker/i);
  });

  it("iptables 1.8.1 taking DNAT for a chain (moby#38099): the owner is not in the name, so the node's; the 1.8.0-1.8.2 clause stays", () => {
    const f = finding(DNAT_181, units(DOCKER), 'log.nf-tables-chain-missing');
    expect(f.facts).toMatchObject({ chain: ['DNAT'], version: ['1.8.1'] });
    expect(f.remedy.summary).toBe(
      "Docker's chains are gone: restart docker so that it creates them again (this restarts its containers). With iptables 1.8.0-1.8.2 (nf_tables), a target such as DNAT can be taken for a missing chain: upgrade iptables or switch to the legacy back end.",
    );
    // on a host that shows nothing: the owner-neutral advice, with the clause
    expect(finding(DNAT_181, {}, 'log.nf-tables-chain-missing').remedy.summary).toMatch(/^Find the component that owns the chain .* With iptables 1\.8\.0-1\.8\.2/);
  });

  it('iptables 1.8.2 with DOCKER missing (firewalld#503): restart docker, and the clause (1.8.2 is in range)', () => {
    const f = finding(DOCKER_182, {}, 'log.nf-tables-chain-missing');
    expect(f.remedy.summary).toMatch(/^Docker's chains are gone: .* With iptables 1\.8\.0-1\.8\.2/);
  });

  it('a line without a version keeps the clause: nothing rules it out', () => {
    const f = finding('CHAIN_ADD failed (No such file or directory): chain PREROUTING\n', {}, 'log.nf-tables-chain-missing');
    expect(f.facts?.version).toBeUndefined();
    expect(f.remedy.summary).toMatch(/With iptables 1\.8\.0-1\.8\.2/);
  });
});
