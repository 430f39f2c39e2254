/**
 * iptables.kube-chains-missing told who runs kube-proxy, and how, by the node's processes (ps, a
 * `systemctl status` CGroup tree) and kube-proxy's own log (log.kube-proxy-mode):
 * - kube-proxy replaced (cilium-agent listed) or turned off (k0s --disable-components=kube-proxy):
 *   no kube-proxy finding; Cilium's own chains gone with the rest is said instead, as a warning;
 * - the mode from the running kube-proxy's --proxy-mode or its start line where the rules do not
 *   tell (every chain deleted): IPVS named; nftables mode needs no iptables chain at all, and its
 *   table missing from a listing is the finding;
 * - ip6tables checked where the node has IPv6 Services.
 * Rules: test/fixtures/k8s-flush (the real iptables 1.8.9), hosts/cilium-kpr-healthy, rv5/kp-nft-masq-missing;
 * ip6tables: the output of the real ip6tables-save 1.8.9 (nf_tables) below.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import kubeChainsMissing from '../../analyzers/iptables-kube-chains-missing.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/scanner.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';
import { K3S_UNITS, runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const rules = (name: string) => parseIptablesSave(fx('k8s-flush', name), `node/${name}`);
const units = () => [parseSystemctlText(K3S_UNITS, 'node/systemctl-list-units.txt')];
const HEADER = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND';
const ps = (...lines: string[]) => parsePsDockerd([HEADER, ...lines, ''].join('\n'), 'node/ps_auxwww');

/** k3s' own process title, and Cilium's agent as its Helm chart starts it */
const K3S_SERVER = 'root         888 11.2 16.5 6023484 2701232 ?     Ssl  Oct08 9134:36 /usr/local/bin/k3s server';
const CILIUM = 'root        2790  2.1  4.0 1540312 162212 ?      Ssl  09:13  10:02 cilium-agent --config-dir=/tmp/cilium/config-map';
const KUBEADM_PROXY = 'root        2345  0.0  0.6 1284564 24960 ?       Ssl  09:13   0:12 /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.conf --hostname-override=k8s-w1';

describe('kube-proxy replaced or turned off: its chains are not looked for', () => {
  it('k3s with Cilium (--disable-kube-proxy, which k3s hides from ps), every chain deleted: no kube-proxy finding; Cilium\'s chains gone is a warning citing the agent', () => {
    const a: NodeArtifacts = { iptables: [rules('k3s-deleted.rules')], services: units(), dockerDaemon: [ps(K3S_SERVER, CILIUM)] };
    const out = runNode(kubeChainsMissing, a, 'k3s-node1');
    expect(out.map((f) => [f.severity, f.title])).toEqual([['warning', "Cilium's iptables chains are missing"]]);
    expect(out[0].evidence.map((e) => e.excerpt)).toEqual(['*filter: no CILIUM_FORWARD chain', '*nat: no CILIUM_POST_nat chain', CILIUM]);
    expect(out[0].evidence[2]).toMatchObject({ file: 'node/ps_auxwww', line: 3 });
    expect(out[0].remedy.commands[0]).toContain('-l k8s-app=cilium --field-selector spec.nodeName=k3s-node1');
  });

  it("a healthy Cilium node (Cilium's chains, kubelet's KUBE- chains only) with its agent listed: nothing", () => {
    const d = 'hosts/cilium-kpr-healthy/ip-172-31-20-15';
    const healthy: NodeArtifacts = { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], services: [parseSystemctlText(fx(d, 'systemctl_list-units.txt'), 'systemctl_list-units.txt')], dockerDaemon: [ps(CILIUM)] };
    expect(runNode(kubeChainsMissing, healthy)).toEqual([]);
  });

  it('Cilium running with --install-iptables-rules=false, every chain deleted: it keeps no chains, nothing to say', () => {
    const noRules = CILIUM.replace('--config-dir=/tmp/cilium/config-map', '--config-dir=/tmp/cilium/config-map --install-iptables-rules=false');
    expect(runNode(kubeChainsMissing, { iptables: [rules('k3s-deleted.rules')], services: units(), dockerDaemon: [ps(K3S_SERVER, noRules)] })).toEqual([]);
  });

  it('k0s with --disable-components=kube-proxy: the flushed leftovers of a kube-proxy (its canary included) say nothing', () => {
    const k0s = 'root         702  3.0  4.1 1822340 168220 ?      Ssl  09:11  21:40 /usr/local/bin/k0s controller --enable-worker --disable-components=kube-proxy';
    expect(runNode(kubeChainsMissing, { iptables: [rules('kubeadm-flushed.rules')], dockerDaemon: [ps(k0s)] })).toEqual([]);
  });

  it('a kubeadm node whose ps lists kube-proxy: flushed fires, citing the process; healthy stays quiet', () => {
    const [f, ...more] = runNode(kubeChainsMissing, { iptables: [rules('kubeadm-flushed.rules')], dockerDaemon: [ps(KUBEADM_PROXY)] }, 'k8s-w1');
    expect(more).toEqual([]);
    expect(f.severity).toBe('critical');
    expect(f.evidence.some((e) => e.file === 'node/ps_auxwww' && e.line === 2 && /kube-proxy runs on this node/.test(e.note ?? ''))).toBe(true);
    expect(runNode(kubeChainsMissing, { iptables: [rules('kubeadm-healthy.rules')], dockerDaemon: [ps(KUBEADM_PROXY)] })).toEqual([]);
  });
});

describe('the mode where the rules do not tell', () => {
  it("RKE2's kube-proxy started with --proxy-mode=ipvs, every chain deleted: the IPVS mode and the ps line in the finding, RKE2's restart", () => {
    const rke2 = [
      'root        1511  1.0  2.2 1522360 91220 ?       Ssl  04:48   0:41 /usr/local/bin/rke2 agent',
      'root        1683  0.0  0.8 1291044 33516 ?       Ssl  04:48   0:08 kube-proxy --cluster-cidr=10.42.0.0/16 --conntrack-max-per-core=0 --healthz-bind-address=127.0.0.1 --hostname-override=w1 --kubeconfig=/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig --proxy-mode=ipvs',
    ];
    const [f] = runNode(kubeChainsMissing, { iptables: [rules('k3s-deleted.rules')], dockerDaemon: [ps(...rke2)] });
    expect(f.facts).toMatchObject({ mode: 'ipvs', modeFrom: 'process', proxyOwner: 'rke2-agent', missing: ['nat KUBE-SERVICES is gone', 'nat KUBE-POSTROUTING is gone'] });
    expect(f.message).toContain('(IPVS mode)');
    expect(f.evidence.some((e) => e.line === 3 && e.excerpt.includes('--proxy-mode=ipvs'))).toBe(true);
  });

  it("k3s' log of its kube-proxy (--proxy-mode=ipvs), every chain deleted: IPVS, the log line cited", () => {
    // k3s logs its kube-proxy's command line at start (k3s-io/k3s#3618: `k3s server --kube-proxy-arg proxy-mode=ipvs`)
    const log = scanLogText(
      'Dec 01 09:14:06 k3s-node1 k3s[812]: time="2026-12-01T09:14:06Z" level=info msg="Running kube-proxy --cluster-cidr=10.42.0.0/16 --conntrack-max-per-core=0 --conntrack-tcp-timeout-close-wait=0s --conntrack-tcp-timeout-established=0s --healthz-bind-address=127.0.0.1 --hostname-override=k3s-node1 --kubeconfig=/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig --proxy-mode=ipvs"\n',
      'node/journalctl-u-k3s.log',
      { year: 2026 },
    );
    const [f] = runNode(kubeChainsMissing, { iptables: [rules('k3s-deleted.rules')], services: units(), logs: [log] });
    expect(f.facts).toMatchObject({ mode: 'ipvs', modeFrom: 'log', proxyOwner: 'k3s' });
    expect(f.evidence.some((e) => e.file === 'node/journalctl-u-k3s.log' && e.line === 1)).toBe(true);
  });

  it("nftables mode said by kube-proxy's log, no nft listing in the bundle: no KUBE- iptables chain is healthy", () => {
    const d = 'rv5/kp-nft-masq-missing';
    const log = scanLogText('I0525 03:56:52.754214       1 server_linux.go:254] "Using nftables Proxier"\n', 'cluster-resources/pods/logs/kube-system/kube-proxy-t978q/kube-proxy.log', { year: 2026 });
    expect(runNode(kubeChainsMissing, { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], logs: [log] })).toEqual([]);
  });

  it('nftables mode on the command line, and the listing has no table ip kube-proxy (nft delete table): critical, the table named', () => {
    const d = 'rv5/kp-nft-masq-missing';
    // the listing as nft prints it once the table is deleted: the other tables, unchanged
    const listing = fx(d, 'nft_list_ruleset.txt').replace(/^table ip kube-proxy \{\n[\s\S]*?^\}\n/m, '');
    expect(listing).not.toContain('kube-proxy');
    const proxy = 'root        2345  0.2  0.7 1290112 29388 ?       Ssl  09:13   0:40 /usr/local/bin/kube-proxy --proxy-mode=nftables --cluster-cidr=10.244.0.0/16 --kubeconfig=/var/lib/kube-proxy/kubeconfig';
    const a: NodeArtifacts = { iptables: [parseIptablesSave(fx(d, 'iptables-save.txt'), 'iptables-save.txt')], nftables: [parseNftText(listing, 'nft_list_ruleset.txt')], dockerDaemon: [ps(proxy)] };
    const out = runNode(kubeChainsMissing, a);
    expect(out.map((f) => [f.severity, f.facts?.mode, f.facts?.modeFrom])).toEqual([['critical', 'nftables', 'process']]);
    expect(out[0].evidence[0]).toMatchObject({ file: 'nft_list_ruleset.txt', excerpt: 'no table ip kube-proxy' });
    expect(out[0].evidence.some((e) => e.excerpt.includes('--proxy-mode=nftables'))).toBe(true);
    // with its table there: healthy
    a.nftables = [parseNftText(fx(d, 'nft_list_ruleset.txt'), 'nft_list_ruleset.txt')];
    expect(runNode(kubeChainsMissing, a)).toEqual([]);
  });
});

/** A dual-stack node's ip6tables: kube-proxy's IPv6 rules for Service default/web (2001:cafe:43::8a2f), loaded and saved by the real ip6tables 1.8.9 (nf_tables) in a network namespace. */
const IP6_HEALTHY = `# Generated by ip6tables-save v1.8.9 (nf_tables) on Wed Dec  2 06:17:52 2026
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-PROXY-CANARY - [0:0]
COMMIT
# Completed on Wed Dec  2 06:17:52 2026
# Generated by ip6tables-save v1.8.9 (nf_tables) on Wed Dec  2 06:17:52 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
# Completed on Wed Dec  2 06:17:52 2026
# Generated by ip6tables-save v1.8.9 (nf_tables) on Wed Dec  2 06:17:52 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-2NP2MUL5HKVZVSJR - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-2NP2MUL5HKVZVSJR -s 2001:cafe:42:1::5/128 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-2NP2MUL5HKVZVSJR -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination [2001:cafe:42:1::5]:8080
-A KUBE-SERVICES -d 2001:cafe:43::8a2f/128 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 2001:cafe:42::/56 -d 2001:cafe:43::8a2f/128 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> [2001:cafe:42:1::5]:8080" -j KUBE-SEP-2NP2MUL5HKVZVSJR
COMMIT
# Completed on Wed Dec  2 06:17:52 2026
`;
/** `ip6tables -t <table> -F` for filter, nat and mangle: the real ip6tables-save printed exactly the chains without their rules. */
const IP6_FLUSHED = IP6_HEALTHY.split('\n').filter((l) => !l.startsWith('-A ')).join('\n');
const ip6 = (text: string) => parseIptablesSave(text, 'node/ip6tables-save', { family: 'ipv6' });

describe('IPv6: ip6tables checked where the node has IPv6 Services', () => {
  it('IPv4 rules healthy, ip6tables flushed: critical, the ip6tables gaps named and cited, the IPv6 check in the remedy', () => {
    // kube-proxy's start line (kubernetes 1.28+ wording) beside it
    const log = scanLogText('I1201 09:14:06.120500       1 server.go:254] "kube-proxy running in dual-stack mode" primary ipFamily="IPv4"\n', 'node/kube-proxy.log', { year: 2026 });
    const [f, ...more] = runNode(kubeChainsMissing, { iptables: [rules('k3s-healthy.rules'), ip6(IP6_FLUSHED)], services: units(), logs: [log] });
    expect(more).toEqual([]);
    expect(f.facts!.missing).toEqual([
      'ip6tables nat KUBE-SERVICES is empty',
      'ip6tables nat PREROUTING does not jump to KUBE-SERVICES',
      'ip6tables nat OUTPUT does not jump to KUBE-SERVICES',
      'ip6tables nat KUBE-POSTROUTING is empty',
      'ip6tables nat POSTROUTING does not jump to KUBE-POSTROUTING',
      'ip6tables filter KUBE-FORWARD is empty',
      'ip6tables filter FORWARD does not jump to KUBE-FORWARD',
    ]);
    expect(f.evidence[0]).toMatchObject({ file: 'node/ip6tables-save', excerpt: 'KUBE-SERVICES' });
    expect(IP6_FLUSHED.split('\n')[f.evidence[0].line - 1]).toBe(':KUBE-SERVICES - [0:0]');
    expect(f.evidence.some((e) => /IPv6 Service chains/.test(e.note ?? ''))).toBe(true);
    expect(f.evidence.some((e) => e.file === 'node/kube-proxy.log' && e.line === 1 && /dual-stack/.test(e.note ?? ''))).toBe(true);
    expect(f.impact).toMatch(/^IPv6 Service traffic/);
    expect(f.remedy.commands.some((c) => c.startsWith('ip6tables -t nat -S KUBE-SERVICES'))).toBe(true);
  });

  it('both families healthy; and a single-stack cluster whose ip6tables holds only the base chains, flushed: nothing', () => {
    expect(runNode(kubeChainsMissing, { iptables: [rules('k3s-healthy.rules'), ip6(IP6_HEALTHY)], services: units() })).toEqual([]);
    const baseOnly = IP6_FLUSHED.split('\n').filter((l) => !/KUBE-(SVC|SEP)-/.test(l)).join('\n');
    expect(runNode(kubeChainsMissing, { iptables: [rules('k3s-healthy.rules'), ip6(baseOnly)], services: units() })).toEqual([]);
  });
});

describe('the whole bundle: a hand-made folder with ps and systemctl status', () => {
  it("k3s + Cilium, every chain deleted: the ps listing reaches the analyzer, one warning, no kube-proxy critical", async () => {
    const tgz = writeTmp(
      'k3s-cilium-deleted.tgz',
      await makeTarGz([
        { name: 'k3s-node1/iptables-save.txt', content: fx('k8s-flush', 'k3s-deleted.rules') },
        { name: 'k3s-node1/systemctl-list-units.txt', content: K3S_UNITS },
        { name: 'k3s-node1/ps_auxwww.txt', content: [HEADER, K3S_SERVER, CILIUM, ''].join('\n') },
      ]),
    );
    const report = await analyzeBundle(tgz);
    expect(report.findings.filter((f) => f.id === 'iptables.kube-chains-missing').map((f) => [f.severity, f.title])).toEqual([['warning', "Cilium's iptables chains are missing"]]);
    expect(report.findings.some((f) => f.severity === 'critical')).toBe(false);
  });

  it("the kube-proxy.service status' CGroup names its mode (ipvs) where every chain is deleted", async () => {
    const status = [
      '● kube-proxy.service - Kubernetes Kube Proxy',
      '     Loaded: loaded (/etc/systemd/system/kube-proxy.service; enabled; vendor preset: enabled)',
      '     Active: active (running) since Tue 2026-12-01 09:13:02 UTC; 1h 2min ago',
      '       Docs: https://github.com/kubernetes/kubernetes',
      '   Main PID: 2345 (kube-proxy)',
      '      Tasks: 9 (limit: 9400)',
      '     Memory: 31.2M',
      '        CPU: 40.118s',
      '     CGroup: /system.slice/kube-proxy.service',
      '             └─2345 /usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/kube-proxy-config.yaml --proxy-mode=ipvs',
      '',
    ].join('\n');
    const tgz = writeTmp(
      'kube-proxy-ipvs-deleted.tgz',
      await makeTarGz([
        { name: 'worker-1/iptables-save.txt', content: fx('k8s-flush', 'k3s-deleted.rules') },
        { name: 'worker-1/systemctl-status-kube-proxy.txt', content: status },
      ]),
    );
    const report = await analyzeBundle(tgz);
    const f = report.findings.find((x) => x.id === 'iptables.kube-chains-missing');
    expect(f?.facts).toMatchObject({ mode: 'ipvs', modeFrom: 'process', proxyOwner: 'kube-proxy.service' });
    expect(f?.evidence.some((e) => e.file === 'worker-1/systemctl-status-kube-proxy.txt' && e.line === 10)).toBe(true);
    expect(f?.remedy.commands[0]).toBe('systemctl restart kube-proxy');
  });
});
