import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import dockerChainMissing from '../../analyzers/iptables-docker-chain-missing.js';
import masqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import kubeFirewall from '../../analyzers/iptables-kube-firewall-corrupted.js';
import mixedBackends from '../../analyzers/iptables-mixed-backends.js';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import traceRules from '../../analyzers/iptables-trace-rules-left.js';
import { BUILTIN_ANALYZERS } from '../../analyzers/index.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesVersion } from '../../src/netfilter/iptables-version.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { parseIptablesSave, parseIptablesSpec } from '../../src/netfilter/save-format.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const healthySave = () => parseIptablesSave(fx('netfilter/nft/iptables-save'), 'iptables-save');
const ipA = () => parseInterfaces(fx('iproute2/ip_a'), 'ip_a');
const routes = () => parseRoutes(fx('iproute2/ip_route_show_table_all'), 'ip_route');
const UNITS = (iptables: 'enabled' | 'disabled', firewalld = 'disabled') =>
  parseSystemctlText(`UNIT FILE                 STATE    VENDOR PRESET\ndocker.service            enabled  disabled\nfirewalld.service         ${firewalld} enabled\niptables.service          ${iptables} disabled\nkubelet.service           enabled  disabled\n\n4 unit files listed.\n`, 'sos_commands/systemd/systemctl_list-unit-files');

/** The healthy node: real rules (Docker + kube-proxy + flannel) and real interfaces. */
function healthy(): NodeArtifacts {
  return { iptables: [healthySave()], ipAddr: [ipA()], routes: [routes()], services: [UNITS('disabled')] };
}

describe('the healthy Docker + Kubernetes + flannel node fires no iptables finding', () => {
  it('every iptables analyzer stays quiet on the real healthy rules, in both back ends and in the listing format', () => {
    const listing: NodeArtifacts = {
      iptables: ['filter', 'nat', 'mangle', 'raw'].map((t) => parseIptablesList(fx(`netfilter/legacy/iptables_-t_${t}_-nvL`), `iptables_-t_${t}_-nvL`, { table: t })),
      ipAddr: [ipA()],
      routes: [routes()],
      services: [UNITS('disabled')],
      iptablesVersion: [parseIptablesVersion(fx('netfilter/legacy/iptables-V'), 'iptables-V')],
    };
    for (const artifacts of [healthy(), listing]) {
      for (const a of BUILTIN_ANALYZERS.filter((x) => x.id.startsWith('iptables.') && x.scope === 'node')) {
        if (a.requires.some((k) => !artifacts[k]?.length)) continue;
        expect(runNode(a, artifacts), a.id).toEqual([]);
      }
    }
  });
});

describe.skipIf(!hasCorpus)('iptables.docker-chain-missing', () => {
  it('fires when the live rules are the stock RHEL config (chains flushed by iptables.service), with the log line and the restart', () => {
    const f = 'iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt';
    const logs = scanLogText(
      'Nov 20 10:14:02 docker-host-01 systemd[1]: Stopping IPv4 firewall with iptables...\nNov 20 10:14:03 docker-host-01 systemd[1]: Started IPv4 firewall with iptables.\nNov 20 10:15:02 docker-host-01 dockerd[1234]: ' + readCorpus('logs/moby-26494-docker-run-publish-nat-DOCKER-chain-missing.log').split('\n')[2] + '\n',
      'var/log/messages',
      { year: 2026 },
    );
    const [f1] = runNode(dockerChainMissing, { iptables: [parseIptablesSave(readCorpus(f), f)], ipAddr: [ipA()], logs: [logs] });
    expect(f1.severity).toBe('critical');
    expect(f1.evidence[0]).toMatchObject({ file: f, line: 0, excerpt: 'no DOCKER chain in the filter table' });
    expect(f1.evidence.some((e) => e.excerpt === 'docker0 172.17.0.1/16')).toBe(true);
    expect(f1.message).toMatch(/A firewall restart is logged at 2026-11-20T10:14:02/);
    expect(f1.evidence.filter((e) => e.time).map((e) => e.time)).toEqual(['2026-11-20T10:14:02.000Z', '2026-11-20T10:14:03.000Z', '2026-11-20T10:15:02.000Z']);
    expect(f1.evidence.at(-1)?.note).toBe('log.iptables-no-chain (dockerd), log.docker-port-programming-failed');
  });

  it('is silent without Docker, and only informs when Docker runs with iptables=false', async () => {
    const f = 'iptables-save/insights-rhel6-plain-iptables-save-v1.4.7.txt';
    expect(runNode(dockerChainMissing, { iptables: [parseIptablesSave(readCorpus(f), f)] })).toEqual([]);
    const { parseDockerDaemonJson } = await import('../../src/parsers/docker-daemon.js');
    // "iptables": false: no chains are expected; only an information says Docker leaves iptables to the admin
    const off = runNode(dockerChainMissing, { iptables: [parseIptablesSave(readCorpus(f), f)], ipAddr: [ipA()], dockerDaemon: [parseDockerDaemonJson('{\n  "iptables": false\n}\n', 'etc/docker/daemon.json')] });
    expect(off.map((x) => x.severity)).toEqual(['info']);
    expect(off[0].evidence[0]).toMatchObject({ file: 'etc/docker/daemon.json', line: 2, excerpt: '"iptables": false' });
  });

  it('is silent on every Docker version of the corpus (27, 28 swarm, 29)', () => {
    for (const f of ['moby-docker27-new-daemon-iptables-S.txt', 'moby-docker28-swarm-ingress-iptables-S.txt', 'moby-docker29-usernet-portmap-iptables-S.txt']) {
      const rs = parseIptablesSpec(readCorpus('iptables-save', f), f);
      expect(runNode(dockerChainMissing, { iptables: [rs], ipAddr: [ipA()] }), f).toEqual([]);
    }
  });
});

describe.skipIf(!hasCorpus)('iptables.docker-masquerade-missing', () => {
  it('fires for 172.17.0.0/16 on the 2014 Docker host whose nat has no MASQUERADE', () => {
    const f = 'iptables-save/k8s-proxier-test-2014-docker-host-nat-v1.4.7.txt';
    const nets = parseDockerNetworks(readCorpus('docker-network/docker-docs-inspect-bridge-alpine3-alpine4.json'), 'docker_network_inspect_bridge');
    const [m] = runNode(masqueradeMissing, { iptables: [parseIptablesSave(readCorpus(f), f)], dockerNetworks: [nets], ipAddr: [ipA()] });
    expect(m.severity).toBe('critical');
    expect(m.facts).toMatchObject({ subnet: '172.17.0.0/16', bridge: 'docker0' });
    expect(m.evidence[1].file).toBe('docker_network_inspect_bridge');
  });

  it('is silent on the healthy rules and on Docker 28 routed networks (no NAT by design)', () => {
    expect(runNode(masqueradeMissing, healthy())).toEqual([]);
    const f = 'iptables-list/moby-docker28-usernet-gateway-mode-routed-nvL.txt';
    const rs = parseIptablesList(readCorpus(f), f);
    const routed = parseDockerNetworks(JSON.stringify([{ Name: 'bridge1', Id: 'a'.repeat(64), Driver: 'bridge', IPAM: { Config: [{ Subnet: '192.0.2.0/24' }] }, Options: { 'com.docker.network.bridge.gateway_mode_ipv4': 'routed', 'com.docker.network.bridge.name': 'bridge1' } }], null, 2), 'n');
    expect(runNode(masqueradeMissing, { iptables: [rs], dockerNetworks: [routed] })).toEqual([]);
  });
});

describe.skipIf(!hasCorpus)('iptables.forward-blocks-containers', () => {
  it('flannel#1321: FORWARD policy DROP after reboot, no flannel accepts: cni0 pods are dropped by the policy; docker0 is fine', () => {
    const f = 'iptables-save/flannel-1321-after-reboot-filter-iptables-S-v-counters-truncated.txt';
    const findings = runNode(forwardBlocks, { iptables: [parseIptablesSpec(readCorpus(f), f)], ipAddr: [ipA()], routes: [routes()] });
    expect(findings.map((x) => x.facts?.bridge)).toEqual(['cni0']);
    expect(findings[0].facts).toMatchObject({ verdict: 'DROP', decidedBy: 'filter/FORWARD#0', uplink: 'eth0' });
    expect(findings[0].evidence[0]).toMatchObject({ file: f, line: 2, excerpt: ':FORWARD DROP' });
  });

  it('a REJECT in FORWARD ahead of Docker\'s accepts (stock RHEL config restored over Docker) is named with its line', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\nCOMMIT\n';
    const [f] = runNode(forwardBlocks, { iptables: [parseIptablesSave(rules, 'etc-sysconfig-restored')], ipAddr: [ipA()], routes: [routes()] });
    expect(f.facts).toMatchObject({ bridge: 'docker0', verdict: 'REJECT', decidedBy: 'filter/FORWARD#1' });
    expect(f.evidence[0].line).toBe(5);
  });

  it('is silent on the healthy rules', () => {
    expect(runNode(forwardBlocks, healthy())).toEqual([]);
  });
});

describe('iptables.forward-blocks-containers with nftables beside iptables', () => {
  // Debian's /etc/nftables.conf hardened to `policy drop` in forward, listed by the real nft: its
  // inet filter table drops what Docker's iptables rules accept (both base chains are on the hook)
  const drop = () => parseNftText(fx('nft/nftables-conf-drop/nft_-a_list_ruleset'), 'sos_commands/firewall_tables/nft_-a_list_ruleset');
  const accept = () => parseNftText(fx('nft/nftables-conf-drop/nft_-a_list_ruleset.accept'), 'sos_commands/firewall_tables/nft_-a_list_ruleset');

  it("Docker's iptables accept docker0, nftables.conf's forward policy drops it: named, with an nft remedy", () => {
    const [f] = runNode(forwardBlocks, { ...healthy(), nftables: [drop()] });
    expect(f.facts).toMatchObject({ bridge: 'docker0', verdict: 'DROP', decidedBy: 'inet filter/forward#0' });
    // the line that says `policy drop`, not the chain's opening line
    expect(f.evidence[0]).toMatchObject({ file: 'sos_commands/firewall_tables/nft_-a_list_ruleset', line: 7 });
    expect(f.remedy.commands[0]).toBe(`nft list chain inet filter forward | sed 's/^[[:space:]]*//' | grep -qxF 'iifname "docker0" accept' || nft insert rule inet filter forward iifname "docker0" accept`);
    // persisted as rule text in the chain's block, and never by loading the file while Docker runs:
    // a stock nftables.conf starts with `flush ruleset` (reviewer R1, D7)
    expect(f.remedy.commands.slice(2)).toEqual([
      '# persist: in the file the nftables service loads (/etc/nftables.conf on Debian/Ubuntu; /etc/sysconfig/nftables.conf or a file it includes on RHEL), in table inet filter, chain forward, as its first rules (ahead of the blocking policy):',
      '#   oifname "docker0" ct state established,related accept',
      '#   iifname "docker0" accept',
      expect.stringMatching(/^# the rules inserted above already apply: do not load that file now .*if it runs "flush ruleset".*ExecStop runs nft flush ruleset, which deletes their tables too$/),
    ]);
  });

  it('is silent when the nftables forward policy accepts', () => {
    expect(runNode(forwardBlocks, { ...healthy(), nftables: [accept()] })).toEqual([]);
  });

  it('a native nftables table that masquerades the Docker subnet counts; one for other subnets does not', () => {
    const noMasq = parseIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', 'iptables-save');
    const listing = fx('nft/nftables-conf-masquerade/nft_list_ruleset');
    const node: NodeArtifacts = { iptables: [noMasq], ipAddr: [ipA()], nftables: [parseNftText(listing, 'nft_list_ruleset')] };
    expect(runNode(masqueradeMissing, node)).toEqual([]);
    const other = parseNftText(listing.replace('{ 10.88.0.0/16, 172.17.0.0/16 }', '10.88.0.0/16'), 'nft_list_ruleset');
    expect(runNode(masqueradeMissing, { ...node, nftables: [other] }).map((f) => f.facts?.subnet)).toEqual(['172.17.0.0/16']);
  });

  it("Docker 29's nftables back end (ip docker-bridges, no iptables rules of its own): no missing chain, no missing MASQUERADE, forwarding passes", () => {
    const empty = parseIptablesSave('*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', 'iptables-save');
    const docker = parseNftText(fx('nft/docker-bridges/nft_-a_list_ruleset'), 'nft_-a_list_ruleset');
    const node: NodeArtifacts = { iptables: [empty], ipAddr: [ipA()], routes: [routes()], nftables: [docker] };
    expect(runNode(dockerChainMissing, node)).toEqual([]);
    expect(runNode(masqueradeMissing, node)).toEqual([]);
    expect(runNode(forwardBlocks, node)).toEqual([]);
    // without the nft listing the same iptables view would mean Docker's rules are gone
    expect(runNode(masqueradeMissing, { ...node, nftables: [] }).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasCorpus)('iptables.kube-firewall-corrupted', () => {
  it('fires on the rule without its mark match (kubernetes#112477, #114549 line 2), not on the healthy one', () => {
    const f = 'iptables-save/kubernetes-114549-coreos36-vs-37-kube-firewall-fragment.txt';
    const [k] = runNode(kubeFirewall, { iptables: [parseIptablesSave(readCorpus(f), f)], iptablesVersion: [parseIptablesVersion('iptables v1.8.8 (nf_tables)\n', 'iptables-V')] });
    expect(k.severity).toBe('critical');
    expect(k.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([`${f}:2`, 'iptables-V:1']);
    const g = 'iptables-save/kubernetes-112477-kube-firewall-rewritten-without-mark-fragment.txt';
    expect(runNode(kubeFirewall, { iptables: [parseIptablesSave(readCorpus(g), g)] })).toHaveLength(1);
    expect(runNode(kubeFirewall, healthy())).toEqual([]);
  });

  it('fires in the listing format too', () => {
    const list = 'Chain KUBE-FIREWALL (2 references)\n pkts bytes target     prot opt in     out     source               destination\n 9912  595K DROP       all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes firewall for dropping marked packets */\n';
    expect(runNode(kubeFirewall, { iptables: [parseIptablesList(list, 'sos_commands/firewall_tables/iptables_-t_filter_-nvL', { table: 'filter' })] })[0].evidence[0].line).toBe(3);
  });
});

describe('iptables.mixed-backends', () => {
  it('fires on the nft dump that warns of legacy tables (made by the real binaries), and on two dumps of different back ends', () => {
    const nft = parseIptablesSave(fx('netfilter/mixed/iptables-nft-save'), 'iptables-nft-save');
    const legacy = parseIptablesSave(fx('netfilter/mixed/iptables-legacy-save'), 'iptables-legacy-save');
    const [m] = runNode(mixedBackends, { iptables: [nft] });
    expect(m.evidence[0]).toMatchObject({ file: 'iptables-nft-save', line: 1 });
    const [both] = runNode(mixedBackends, { iptables: [nft, legacy] });
    expect(both.evidence.map((e) => e.note)).toEqual(expect.arrayContaining(['rules exist in this back end']));
  });

  it('fires when iptables -V of host and component differ; silent on a consistent node', () => {
    const v = [parseIptablesVersion('iptables v1.8.9 (nf_tables)\n', 'host/iptables-V'), parseIptablesVersion('iptables v1.8.7 (legacy)\n', 'kube-proxy/iptables-V')];
    expect(runNode(mixedBackends, { iptables: [healthySave()], iptablesVersion: v })).toHaveLength(1);
    expect(runNode(mixedBackends, { iptables: [healthySave()], iptablesVersion: [parseIptablesVersion(fx('netfilter/nft/iptables-V'), 'V')] })).toEqual([]);
  });
});

describe('iptables.trace-rules-left', () => {
  it('fires on TRACE rules in raw (real nft output), mentioning xtables lock contention from the logs', () => {
    const rs = parseIptablesSave(fx('netfilter/trace/iptables-save'), 'iptables-save');
    const logs = scanLogText('E0407 07:08:13.007655       1 network_policy_controller.go:253] Aborting sync. Failed to run iptables-restore: exit status 4 (Another app is currently holding the xtables lock. Perhaps you want to use the -w option?\n', 'kube-router.log');
    const [t] = runNode(traceRules, { iptables: [rs], logs: [logs] });
    expect(t.severity).toBe('warning');
    expect(t.message).toMatch(/2 TRACE rules/);
    expect(t.message).toMatch(/xtables lock contention/);
    // by spec, as the dump writes the rules: numbers would shift between the deletes
    expect(t.remedy.commands).toEqual(['iptables -t raw -D PREROUTING -p tcp -m tcp --dport 5432 -j TRACE', 'iptables -t raw -D OUTPUT -p tcp -m tcp --dport 5432 -j TRACE']);
    expect(runNode(traceRules, healthy())).toEqual([]);
  });
});

describe('iptables.service-conflict', () => {
  it('fires when iptables.service is enabled on a Docker/kubelet host, stronger with container rules in the saved config', () => {
    const saved = parseIptablesSave(fx('netfilter/legacy/iptables-save'), 'etc/sysconfig/iptables', { origin: 'saved-config' });
    const [c] = runNode(serviceConflict, { services: [UNITS('enabled')], iptables: [healthySave(), saved], ipAddr: [ipA()] });
    expect(c.severity).toBe('warning');
    expect(c.evidence[0]).toMatchObject({ file: 'sos_commands/systemd/systemctl_list-unit-files', line: 4 });
    expect(c.message).toMatch(/saved configuration even contains container rules/);
    expect(c.remedy.commands[0]).toBe('systemctl disable iptables.service   # not --now: stopping it runs its stop action now');
    // stopping iptables.service flushes every rule and opens the host (reviewer R1, D3): never --now, and the caution says why
    expect(c.remedy.commands.join('\n')).not.toMatch(/disable --now|systemctl stop/);
    expect(c.remedy.caution).toMatch(/^Do not stop iptables\.service now .* flushes every rule of its tables and sets the policies to ACCEPT/);
    // restarting docker restarts every container: pasted, it runs only where Docker's chains are gone (reviewer R2)
    expect(c.remedy.commands).toContain("iptables -t nat -nL DOCKER >/dev/null 2>&1 || systemctl restart docker   # only if its last start already removed Docker's chains (iptables.docker-chain-missing)");
  });

  it('firewalld active gets the zone remedy; a node with both disabled is silent', () => {
    const [f] = runNode(serviceConflict, { services: [UNITS('disabled', 'enabled')], ipAddr: [ipA()] });
    expect(f.facts).toMatchObject({ unit: 'firewalld.service' });
    // the container bridges the fixture's ip addr shows (docker0 and cni0, not flannel.1 or the veth), sorted by name
    expect(f.remedy.commands.filter((c) => /--zone=trusted/.test(c))).toEqual([
      'firewall-cmd --permanent --zone=trusted --add-interface=cni0',
      'firewall-cmd --permanent --zone=trusted --add-interface=docker0',
    ]);
    // a bridge the node does not have is not named: the same interfaces without docker0
    const noDocker0 = fx('iproute2/ip_a').replace(/^4: docker0:[^]*?(?=^5: )/m, '');
    expect(noDocker0).not.toMatch(/docker0/);
    const [g] = runNode(serviceConflict, { services: [UNITS('disabled', 'enabled')], ipAddr: [parseInterfaces(noDocker0, 'ip_a')] });
    expect(g.remedy.commands.filter((c) => /--zone=trusted/.test(c))).toEqual(['firewall-cmd --permanent --zone=trusted --add-interface=cni0']);
    expect(runNode(serviceConflict, healthy())).toEqual([]);
  });
});
