/**
 * H53 (reviews R18 cases 05-07, R17 case 06): kube-proxy's conntrack setup failure and fatal lines
 * (src/logs/signatures-kube-proxy.ts), klipper-lb's forwarding check and netavark's nft ENOENT
 * (src/logs/signatures-r13.ts), worded by analyzers/lib/r13-wording.ts. Verbatim text (test/fixtures/h53/SOURCES.md):
 * - https://github.com/canonical/microk8s/issues/119 (description): `F0926 ... write /sys/module/nf_conntrack/parameters/hashsize: operation not supported`
 * - https://github.com/kubernetes/minikube/issues/11418 (description): `F0513 ... open /proc/sys/net/netfilter/nf_conntrack_max: permission denied`
 * - healthy starts: https://github.com/kubernetes/minikube/issues/5238 (description), https://github.com/kubernetes/kops/pull/2223 (description),
 *   and kube-proxy's `E0531 ... conntrack.go:127] sysfs is not writable` (a later kube-proxy that skips the hash size, found with find_string)
 * - other F lines: https://github.com/opsnull/follow-me-install-kubernetes-cluster/issues/367 (kube-proxy's), https://github.com/kubernetes/kubelet/issues/9 (the kubelet's)
 * - https://github.com/k3s-io/k3s/issues/4400 (comment by smbambling, 2021-11-04): svclb trace, IPv4 passes, IPv6 exits
 * - https://github.com/k3s-io/klipper-lb/issues/10 (LXC), https://github.com/k3s-io/klipper-lb/issues/6 (Calico)
 * - https://github.com/containers/netavark/issues/1057 (title), https://github.com/containers/podman/issues/23404 (comment by siegy22, 2024-11-10)
 * - corpus logs/kube-router-1777-k3s-chain-incompatible-use-nft.log (cloudnativelabs/kube-router#1777): kube-router's F line in k3s' log
 * - not netavark's: https://github.com/firewalld/firewalld/issues/1370 (description); nft 1.0.6's ENOENT for a missing table, run here
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText, type LogMatch, type LogScanResult } from '../../src/logs/scanner.js';
import { SIGNATURES } from '../../src/logs/signatures.js';
import { KUBE_PROXY_START_SIGNATURES } from '../../src/logs/signatures-kube-proxy.js';
import { R13_SIGNATURES } from '../../src/logs/signatures-r13.js';
import { kubeProxyConntrackSetup, kubeProxyFatal, netavarkNftables, svclbForwarding } from '../../analyzers/lib/r13-wording.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

// before and after the new entries are spread into SIGNATURES
const CATALOG = [...SIGNATURES, ...[...KUBE_PROXY_START_SIGNATURES, ...R13_SIGNATURES].filter((s) => !SIGNATURES.some((x) => x.id === s.id))];
const NOT_QUIET = new Set(CATALOG.filter((s) => !s.quiet).map((s) => s.id));
const fixture = (name: string) => readFileSync(projectPath('test', 'fixtures', 'h53', name), 'utf8');
const scan = (text: string, file = 'case.log', source = {}) => scanLogText(text, file, { catalog: CATALOG, year: 2026, source });
const of = (r: LogScanResult, id: string) => r.matches.filter((m) => m.signature === id);
const artifactsOf = (...logs: LogScanResult[]) => ({ logs }) as unknown as NodeArtifacts;

function draftOf(id: string, matches: LogMatch[]): FindingDraft {
  const sig = CATALOG.find((s) => s.id === id)!;
  return { id, severity: sig.severity, title: sig.title, message: `${matches.length} lines in 1 log on n1: ${sig.meaning}`, evidence: matches.map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt })), remedy: { summary: sig.advice, commands: [] } };
}

describe('microk8s#119: kube-proxy in LXD cannot write the conntrack hash size', () => {
  const r = scan(fixture('microk8s119-journal.txt'), 'journalctl-microk8s.txt');
  it('fires on the F line, with what it wrote and why', () => {
    const m = of(r, 'log.kube-proxy-conntrack-setup-failed');
    expect(m.map((x) => x.line)).toEqual([4]);
    expect(m[0].facts).toMatchObject({ op: 'write', path: '/sys/module/nf_conntrack/parameters/hashsize', reason: 'operation not supported', exit: 'F' });
    expect(m[0].unit).toBe('microk8s.daemon-proxy');
  });
  it('is critical, worded for MicroK8s, with a remedy safe to paste twice', () => {
    const m = of(r, 'log.kube-proxy-conntrack-setup-failed');
    const d = draftOf('log.kube-proxy-conntrack-setup-failed', m);
    kubeProxyConntrackSetup(d, m, artifactsOf(r));
    expect(d.severity).toBe('critical');
    expect(d.message).toContain('hash size');
    expect(d.message).toContain('raising the limit to 131072');
    expect(d.facts).toMatchObject({ distribution: 'microk8s', wantedConntrackMax: 131072, started: false });
    expect(d.remedy.commands[0]).toBe("grep -q -- '--conntrack-max-per-core' /var/snap/microk8s/current/args/kube-proxy || echo '--conntrack-max-per-core=0' >> /var/snap/microk8s/current/args/kube-proxy");
    expect(d.remedy.commands).toContain('snap restart microk8s');
    // the host's limit written with `>`, not appended
    expect(d.remedy.commands.find((c) => c.includes('/etc/sysctl.d/'))).toMatch(/' > \/etc\/sysctl\.d\/90-kube-proxy-conntrack\.conf/);
  });
  it('the F line is explained by it: no generic "kube-proxy exited" finding', () => {
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f).toHaveLength(1);
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(r), NOT_QUIET)).toBe(false);
  });
});

describe('minikube#11418 / kind#2240: kube-proxy in a node container cannot raise nf_conntrack_max', () => {
  const text = fixture('minikube11418-kube-proxy.log');
  const r = scan(text, 'kube-proxy.log');
  it('fires, critical: the restart after it shows no progress past the conntrack setup', () => {
    const m = of(r, 'log.kube-proxy-conntrack-setup-failed');
    expect(m.map((x) => x.line)).toEqual([7]);
    const d = draftOf('log.kube-proxy-conntrack-setup-failed', m);
    kubeProxyConntrackSetup(d, m, artifactsOf(r));
    expect(d.severity).toBe('critical');
    expect(d.facts).toMatchObject({ wantedConntrackMax: 524288, exited: true });
    expect(d.remedy.summary).toContain('maxPerCore: 0');
    expect(d.remedy.commands).toContain('sysctl -w net.netfilter.nf_conntrack_max=524288   # on the host (the LXD host, the machine that runs the kind or minikube containers): kube-proxy then has nothing to raise');
  });
  it('a later start past the conntrack setup (config controllers) makes it history: info', () => {
    const later = scan(`${text}${fixture('minikube5238-kube-proxy.log')}`, 'kube-proxy.log');
    const m = of(later, 'log.kube-proxy-conntrack-setup-failed');
    const d = draftOf('log.kube-proxy-conntrack-setup-failed', m);
    kubeProxyConntrackSetup(d, m, artifactsOf(later));
    expect(d.severity).toBe('info');
    expect(d.message).toContain('history');
  });
  it('healthy starts that set the limit and hash size, and the later kube-proxy that skips a read-only /sys, do not fire', () => {
    for (const t of [
      fixture('minikube5238-kube-proxy.log'),
      fixture('kops2223-kube-proxy.log'),
      "    E0531 12:47:01.491334       1 conntrack.go:127] sysfs is not writable: {Device:sysfs Path:/sys Type:sysfs Opts:[ro nosuid nodev noexec relatime] Freq:0 Pass:0} (mount options are [ro nosuid nodev noexec relatime])",
    ]) {
      const h = scan(t);
      expect(of(h, 'log.kube-proxy-conntrack-setup-failed')).toEqual([]);
      expect(of(h, 'log.kube-proxy-fatal')).toEqual([]);
    }
    expect(of(scan(fixture('minikube5238-kube-proxy.log')), 'log.kube-proxy-started').length).toBe(2);
  });
});

describe('kube-proxy fatal lines no signature explains', () => {
  it("kube-proxy's own F line (opsnull#367) becomes \"kube-proxy exited: <text>\"", () => {
    const r = scan(fixture('opsnull367-kube-proxy-journal.txt'), 'journal.txt');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f.map((x) => x.line)).toEqual([3]);
    const d = draftOf('log.kube-proxy-fatal', f);
    expect(kubeProxyFatal(d, f, artifactsOf(r), NOT_QUIET)).toBe(true);
    expect(d.severity).toBe('warning');
    expect(d.title).toBe('kube-proxy exited: open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file or directory');
  });
  it("by content: the same process's kube-proxy lines just above the F line in a log with no writer", () => {
    // minikube#11418's start with its conntrack line replaced by opsnull#367's fatal text: the F line of the same pid after `Using iptables Proxier`
    const lines = fixture('minikube11418-kube-proxy.log').split('\n').slice(0, 6);
    lines.push('F0513 15:57:17.447425       1 server.go:495] open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file or directory');
    const r = scan(lines.join('\n'), 'pasted.txt');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(r), NOT_QUIET)).toBe(true);
  });
  it("the kubelet's F line (kubelet#9) is not kube-proxy's", () => {
    const r = scan(fixture('kubelet9-journal.txt'), 'journal.txt');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f).toHaveLength(1);
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(r), NOT_QUIET)).toBe(false);
  });
  it("the kubelet's F line is not kube-proxy's even in a file named kube-proxy.log: its syslog tag names kubelet (R20)", () => {
    const r = scan(fixture('kubelet9-journal.txt'), 'kube-proxy.log');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f).toHaveLength(1);
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(r), NOT_QUIET)).toBe(false);
  });
  it("k3s' one process: kube-router's F line after kube-proxy's lines of the same pid is not kube-proxy's", () => {
    // minikube#11418's kube-proxy lines as k3s writes them (pid 1), then kubelet#9's F line with that pid
    const start = fixture('minikube11418-kube-proxy.log').split('\n').slice(0, 6).map((l) => `Dec 05 08:05:15 abc k3s[1]: ${l}`);
    start.push('Dec 05 08:05:15 abc k3s[1]: F0405 05:33:40.511159       1 server.go:274] failed to run Kubelet: misconfiguration: kubelet cgroup driver: "cgroupfs" is different from docker cgroup driver: "systemd"');
    const r = scan(start.join('\n'), 'journal.txt');
    const f = of(r, 'log.kube-proxy-fatal');
    expect(f).toHaveLength(1);
    expect(kubeProxyFatal(draftOf('log.kube-proxy-fatal', f), f, artifactsOf(r), NOT_QUIET)).toBe(false);
  });
  it.skipIf(!hasCorpus)("the corpus' kube-router panic in k3s' log is not kube-proxy's", () => {
    const text = readFileSync(corpusPath('logs', 'kube-router-1777-k3s-chain-incompatible-use-nft.log'), 'utf8');
    const r = scan(text, 'kube-router.log');
    // its F line comes from network_policy_controller.go: the signature reads kube-proxy's own source files only (KUBE_PROXY_FATAL_FILES), and
    // the attribution would drop it anyway (k3s runs every component in one process)
    expect(of(r, 'log.kube-proxy-fatal')).toEqual([]);
    expect(text.split('\n').find((l) => /\bF\d{4} /.test(l))).toMatch(/network_policy_controller\.go/);
  });
  it('I, W and E lines of kube-proxy are not fatal', () => {
    const r = scan(fixture('minikube11418-kube-proxy.log').split('\n').filter((l) => !l.startsWith('F')).join('\n'), 'kube-proxy.log');
    expect(of(r, 'log.kube-proxy-fatal')).toEqual([]);
  });
});

describe('k3s#4400: svclb exits because forwarding is 0 in its own namespace', () => {
  const r = scan(fixture('k3s4400-svclb-lb-port-80.log'), 'svclb-lb-port-80.log');
  it('only the IPv6 test fires; the IPv4 one (1 != 1) does not', () => {
    expect(of(r, 'log.svclb-forwarding-disabled').map((x) => x.line)).toEqual([12]);
  });
  it('is a warning about the pod, names k3s#4400 and its fix, and never the host sysctl', () => {
    const m = of(r, 'log.svclb-forwarding-disabled');
    const d = draftOf('log.svclb-forwarding-disabled', m);
    expect(svclbForwarding(d, m, artifactsOf(r))).toBe(true);
    expect(d.severity).toBe('warning');
    expect(d.title).toContain('net.ipv6.conf.all.forwarding');
    expect(d.title).toContain('k3s#4400');
    expect(d.remedy.summary).toContain('#4437');
    expect(d.remedy.commands.some((c) => /sysctl -w|sysctl\.d/.test(c))).toBe(false);
    expect(d.facts).toMatchObject({ families: ['ipv6'], namespace: 'pod' });
    expect(CATALOG.find((s) => s.id === 'log.svclb-forwarding-disabled')!.supports).not.toContain('sysctl.ip-forward-disabled');
  });
  it('the test line without the cat above and the exit below is not klipper-lb', () => {
    const t = scan("+ '[' 0 '!=' 1 ]\n+ echo done", 'x.log');
    const m = of(t, 'log.svclb-forwarding-disabled');
    expect(m).toHaveLength(1);
    expect(svclbForwarding(draftOf('log.svclb-forwarding-disabled', m), m, artifactsOf(t))).toBe(false);
  });
});

describe('klipper-lb#10 (LXC) and #6 (Calico): IPv4 forwarding 0 in the pod', () => {
  it('timestamped trace (#10): read-only /proc/sys said', () => {
    const r = scan(fixture('klipperlb10-lxc.log'), 'svclb.log');
    const m = of(r, 'log.svclb-forwarding-disabled');
    const d = draftOf('log.svclb-forwarding-disabled', m);
    expect(svclbForwarding(d, m, artifactsOf(r))).toBe(true);
    expect(d.title).toContain('net.ipv4.ip_forward');
    expect(d.message).toContain('read-only');
  });
  it("Calico's allow_ip_forwarding (#6)", () => {
    const r = scan(fixture('klipperlb6-calico.txt'), 'svclb.txt');
    const m = of(r, 'log.svclb-forwarding-disabled');
    const d = draftOf('log.svclb-forwarding-disabled', m);
    expect(svclbForwarding(d, m, artifactsOf(r))).toBe(true);
    expect(d.remedy.summary).toContain('allow_ip_forwarding');
  });
});

describe("netavark#1057 / podman#23404: netavark's nftables driver gets ENOENT", () => {
  it('the issue title fires', () => {
    const r = scan(fixture('netavark1057-title.txt'));
    const m = of(r, 'log.netavark-nftables-failed');
    expect(m).toHaveLength(1);
    expect(m[0].facts.nftError).toBe('No such file or directory');
  });
  it("podman run's output: worded as a missing nft module, with the modules and the iptables driver", () => {
    const r = scan(fixture('podman23404-run.txt'), 'podman-run.txt');
    const m = of(r, 'log.netavark-nftables-failed');
    expect(m.map((x) => x.line)).toEqual([10]);
    const d = draftOf('log.netavark-nftables-failed', m);
    netavarkNftables(d, m, artifactsOf(r));
    expect(d.severity).toBe('warning');
    expect(d.title).toContain('lacks an nft module');
    expect(d.evidence[0].line).toBe(8);
    expect(d.remedy.summary).toContain('nft_fib_inet');
    expect(d.remedy.commands.join('\n')).toContain('firewall_driver = "iptables"');
    // written with `>`: pasting twice leaves one drop-in
    expect(d.remedy.commands.find((c) => c.includes('containers.conf.d'))).toMatch(/> \/etc\/containers\/containers\.conf\.d\/90-firewall-driver\.conf$/);
  });
  it("firewalld's python-nftables ENOENT and nft's ENOENT for a missing table are not netavark's", () => {
    for (const t of [fixture('firewalld1370-reload.txt'), fixture('nft106-delete-missing-table.txt')]) {
      const r = scan(t);
      expect(of(r, 'log.netavark-nftables-failed')).toEqual([]);
      expect(of(r, 'log.nft-rule-not-processed')).toHaveLength(1);
    }
  });
});
