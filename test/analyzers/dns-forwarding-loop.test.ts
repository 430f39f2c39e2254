/**
 * kubernetes.dns-forwarding-loop (analyzers/dns-resolv-conf-loop.ts) and the log signature it reads,
 * log.coredns-loop-detected (src/logs/signatures.ts), scanned with the tool's own catalog.
 *
 * Real text (test/fixtures/dns-loop/README.md):
 * - https://github.com/coredns/coredns/issues/2087: `kubectl logs` of CoreDNS 1.2.2 on Ubuntu 18.04 with
 *   systemd-resolved (`[FATAL] plugin/loop: Seen "HINFO IN ..." more than twice, loop detected`), the
 *   reviewer's case 03 verbatim; the maintainer's fix: kubelet --resolv-conf=/run/systemd/resolve/resolv.conf,
 *   then restart the CoreDNS pods.
 * - https://github.com/coredns/coredns/issues/2790: CoreDNS 1.5.0 on Ubuntu 18.04 (`[FATAL] plugin/loop: Loop
 *   (127.0.0.1:34614 -> :53) detected for zone "."`, its Query cut as pasted).
 * - https://github.com/coredns/coredns/issues/6321: the host's /etc/resolv.conf (systemd-resolved's stub).
 * - The middle form (`Forwarding loop detected in "." zone. Exiting. See ... Probe query: "HINFO ..."`):
 *   CoreDNS' loop.go format string of the 1.2.x releases between the two, as the CoreDNS source quoted
 *   in public write-ups prints it.
 * - The kubelet node's unit list: test/fixtures/hosts/calico-no-brnf (kubelet.service active); the host
 *   without Kubernetes: test/fixtures/hosts/docker-iptables-false-cmdline (Docker + ufw).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { COREDNS_LOOP_SIGNATURE } from '../../analyzers/dns-resolv-conf-loop.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { scanLogText } from '../../src/logs/index.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseKubeletConfigResolvConf, parseResolvConf } from '../../src/parsers/resolv-conf.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';
import { K3S_UNITS } from './helpers.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const STUB = read('dns-loop', 'coredns6321-stub-resolv.conf');
const UPLINK = read('dns-loop', 'systemd-uplink-resolv.conf');
const LOG_2087 = read('dns-loop', 'coredns2087-kubectl-logs-coredns.txt');
const LOG_2790 = read('dns-loop', 'coredns2790-coredns-1.5.0.log');
const KUBELET_UNITS = read('hosts', 'calico-no-brnf', 'calico-node-2', 'systemctl_list-units.txt');

const scan = (text: string, file: string) => scanLogText(text, file, { year: 2019, source: { namespace: 'kube-system', pod: 'coredns-55f86bf584-7sbtj', container: 'coredns' } });
const lineOf = (text: string, start: string) => text.split('\n').findIndex((l) => l.includes(start)) + 1;

function run(a: NodeArtifacts): { findings: FindingDraft[]; partly: string[] } {
  const partly: string[] = [];
  const findings = analyzer.analyze({ node: 'node-1', artifacts: a as never, options: { requiredPorts: [] }, partly: (w: string) => partly.push(w) } as never);
  return { findings, partly };
}

const NO_RESOLVCONF = () => parseKubeletConfigResolvConf(read('dns-loop', 'kubelet-config-no-resolvconf.yaml'), 'var/lib/kubelet/config.yaml');

const kubeletNode = (extra: NodeArtifacts = {}): NodeArtifacts => ({
  services: [parseSystemctlText(KUBELET_UNITS, 'systemctl_list-units.txt')],
  ...extra,
});

describe('log.coredns-loop-detected (proposed signature)', () => {
  it('matches the three wordings of CoreDNS releases, with the looping source where the line gives it', () => {
    const a = scan(LOG_2087, 'kubectl-logs-coredns.txt');
    expect(a.matches.filter((m) => m.signature === COREDNS_LOOP_SIGNATURE).map((m) => m.line)).toEqual([lineOf(LOG_2087, 'plugin/loop: Seen')]);
    const b = scan(LOG_2790, 'coredns.log').matches.find((m) => m.signature === COREDNS_LOOP_SIGNATURE)!;
    expect(b.line).toBe(7);
    expect(b.facts).toMatchObject({ from: '127.0.0.1:34614', to: ':53', zone: '.' });
    const mid = '2018/10/20 10:02:11 [FATAL] plugin/loop: Forwarding loop detected in "." zone. Exiting. See https://coredns.io/plugins/loop#troubleshooting. Probe query: "HINFO 7087784449798295848.7359092265978106814.".';
    expect(scan(mid, 'coredns.log').matches.find((m) => m.signature === COREDNS_LOOP_SIGNATURE)?.facts.zone).toBe('.');
  });

  it("CoreDNS' ordinary start lines match nothing", () => {
    const start = LOG_2790.split('\n').slice(0, 6).join('\n');
    expect(scan(start, 'coredns.log').matches.filter((m) => m.signature === COREDNS_LOOP_SIGNATURE)).toEqual([]);
  });
});

describe('kubernetes.dns-forwarding-loop', () => {
  it('coredns#2087 as the reviewer pasted it (the log alone): critical, citing the loop line, asking for the resolv.conf', () => {
    const { findings, partly } = run({ logs: [scan(LOG_2087, 'kubectl-logs-coredns.txt')] });
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('CoreDNS detected a forwarding loop and exited');
    expect(f.evidence[0]).toMatchObject({ file: 'kubectl-logs-coredns.txt', line: 7 });
    expect(f.evidence[0].excerpt).toContain('more than twice, loop detected');
    expect(f.message).toContain('(/etc/resolv.conf, kubelet\'s default) is not in the bundle');
    expect(f.remedy.commands).toEqual(expect.arrayContaining(['kubectl -n kube-system delete pod -l k8s-app=kube-dns   # CoreDNS restarts with the new resolv.conf']));
    expect(f.remedy.commands.some((c) => c.includes('resolvConf: /run/systemd/resolve/resolv.conf'))).toBe(true);
    expect(partly).toEqual(['the resolv.conf kubelet hands pods (/etc/resolv.conf) is not in the bundle']);
  });

  it('kubelet node, stub /etc/resolv.conf (coredns#6321), no resolvConf in kubelet\'s config, CoreDNS 1.5.0\'s loop line (coredns#2790): critical, citing 127.0.0.53 and the log', () => {
    const { findings } = run(
      kubeletNode({
        resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf'), parseKubeletConfigResolvConf(read('dns-loop', 'kubelet-config-no-resolvconf.yaml'), 'var/lib/kubelet/config.yaml')],
        logs: [scan(LOG_2790, 'coredns.log')],
      }),
    );
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('critical');
    expect(f.evidence[0]).toMatchObject({ file: 'etc/resolv.conf', line: lineOf(STUB, 'nameserver 127.0.0.53'), excerpt: 'nameserver 127.0.0.53' });
    expect(f.evidence.some((e) => e.file === 'coredns.log' && e.line === 7)).toBe(true);
    expect(f.message).toContain("systemd-resolved's stub resolver 127.0.0.53");
    expect(f.facts).toMatchObject({ resolvConf: '/etc/resolv.conf', setBy: 'default', loopback: ['127.0.0.53'], loopLines: 1, loopFrom: '127.0.0.1:34614' });
    expect(f.remedy.commands).toEqual(
      expect.arrayContaining([
        "grep -q '^resolvConf:' /var/lib/kubelet/config.yaml && sed -i 's|^resolvConf:.*|resolvConf: /run/systemd/resolve/resolv.conf|' /var/lib/kubelet/config.yaml || echo 'resolvConf: /run/systemd/resolve/resolv.conf' >> /var/lib/kubelet/config.yaml",
        'systemctl restart kubelet',
        'kubectl -n kube-system delete pod -l k8s-app=kube-dns   # CoreDNS restarts with the new resolv.conf',
      ]),
    );
  });

  it('the same node without the loop line: a warning that says the Corefile decides', () => {
    const { findings } = run(kubeletNode({ resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf'), NO_RESOLVCONF()] }));
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].message).toContain('depends on its Corefile');
    expect(findings[0].message).toContain('forward . /etc/resolv.conf');
    // the node's Kubernetes evidence is cited: kubelet.service
    expect(findings[0].evidence.some((e) => e.excerpt.includes('kubelet.service'))).toBe(true);
  });

  it("the uplink file sos kept beside the stub is named in the fix with its real upstream", () => {
    const { findings } = run(kubeletNode({ resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf'), parseResolvConf(UPLINK, 'run/systemd/resolve/resolv.conf', 'run/systemd/resolve/resolv.conf'), NO_RESOLVCONF()] }));
    expect(findings[0].remedy.summary).toContain('168.63.129.16 in the bundle');
    expect(findings[0].remedy.commands.some((c) => c.startsWith('grep nameserver'))).toBe(false);
  });

  it("kubelet's setting not in the bundle (kubeadm sets resolvConf itself where systemd-resolved runs): no warning on the stub alone, the coverage says why", () => {
    const { findings, partly } = run(kubeletNode({ resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf')] }));
    expect(findings).toEqual([]);
    expect(partly).toHaveLength(1);
    expect(partly[0]).toContain("kubelet's resolvConf setting is not in the bundle");
  });

  it("kubelet's whole command line in ps, without --config or --resolv-conf: its default applies, a warning", () => {
    const ps = [
      'UID          PID    PPID  C STIME TTY          TIME CMD',
      'root        1203       1  2 10:02 ?        00:01:12 /usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf --network-plugin=cni --cluster-dns=10.96.0.10',
    ].join('\n');
    const { findings } = run(kubeletNode({ dockerDaemon: [parsePsDockerd(ps, 'ps-ef.txt')], resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf')] }));
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].evidence.map((e) => e.file)).toContain('ps-ef.txt');
  });

  it("healthy: kubeadm's config points kubelet at systemd-resolved's uplink list (a real upstream): nothing, though /etc/resolv.conf is the stub", () => {
    const { findings, partly } = run(
      kubeletNode({
        resolvConf: [
          parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf'),
          parseResolvConf(UPLINK, 'run/systemd/resolve/resolv.conf', 'run/systemd/resolve/resolv.conf'),
          parseKubeletConfigResolvConf(read('dns-loop', 'kubeadm-kubelet-config.yaml'), 'var/lib/kubelet/config.yaml'),
        ],
      }),
    );
    expect(findings).toEqual([]);
    expect(partly).toEqual([]);
  });

  it('a host without Kubernetes (Docker + ufw) with the stub 127.0.0.53: perfectly normal, quiet', () => {
    const host = 'hosts/docker-iptables-false-cmdline/web-01';
    const { findings } = run({
      services: [parseSystemctlText(read(host, 'systemctl_list-unit-files.txt'), 'systemctl_list-unit-files.txt')],
      iptables: [parseIptablesSave(read(host, 'iptables-save.txt'), 'iptables-save.txt')],
      ipAddr: [parseInterfaces(read(host, 'ip_a.txt'), 'ip_a.txt')],
      resolvConf: [parseResolvConf(STUB, 'resolv.conf.txt', 'resolv.conf.txt')],
    });
    expect(findings).toEqual([]);
  });

  it('k3s picks a non-loopback file itself: the stub on a k3s node is quiet; with the loop line, critical pointing at the Corefile', () => {
    const k3s = { services: [parseSystemctlText(K3S_UNITS, 'systemctl_list-units.txt')], resolvConf: [parseResolvConf(STUB, 'etc/resolv.conf', 'etc/resolv.conf')] };
    expect(run(k3s).findings).toEqual([]);
    const f = run({ ...k3s, logs: [scan(LOG_2790, 'coredns.log')] }).findings[0];
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('k3s server picks a resolv.conf without loopback nameservers');
    expect(f.message).toContain('/etc/rancher/k3s/config.yaml');
    expect(f.remedy.commands.some((c) => c.includes('/var/lib/rancher/k3s/agent/etc/resolv.conf'))).toBe(true);
  });

  it("the loop line while kubelet's file lists a real upstream: critical, the loop is elsewhere (the Corefile's target)", () => {
    const { findings } = run(
      kubeletNode({
        resolvConf: [parseResolvConf(UPLINK, 'run/systemd/resolve/resolv.conf', 'run/systemd/resolve/resolv.conf'), parseKubeletConfigResolvConf(read('dns-loop', 'kubeadm-kubelet-config.yaml'), 'var/lib/kubelet/config.yaml')],
        logs: [scan(LOG_2790, 'coredns.log')],
      }),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('critical');
    expect(findings[0].message).toContain('lists real upstreams only');
    expect(findings[0].evidence[0].excerpt).toBe('resolvConf: /run/systemd/resolve/resolv.conf');
    expect(findings[0].evidence[1].excerpt).toBe('nameserver 168.63.129.16');
  });

  it('kubelet told to read the uplink list, and that list is loopback too (resolved forwarding to a local cache): the fix writes a file of its own', () => {
    const loopUplink = UPLINK.replace('nameserver 168.63.129.16', 'nameserver 127.0.0.1');
    const { findings } = run(
      kubeletNode({
        resolvConf: [parseResolvConf(loopUplink, 'run/systemd/resolve/resolv.conf', 'run/systemd/resolve/resolv.conf'), parseKubeletConfigResolvConf(read('dns-loop', 'kubeadm-kubelet-config.yaml'), 'var/lib/kubelet/config.yaml')],
      }),
    );
    expect(findings[0].severity).toBe('warning');
    expect(findings[0].remedy.commands[0]).toContain('> /etc/kubernetes/resolv.conf');
    expect(findings[0].remedy.commands).toContain("grep -q '^resolvConf:' /var/lib/kubelet/config.yaml && sed -i 's|^resolvConf:.*|resolvConf: /etc/kubernetes/resolv.conf|' /var/lib/kubelet/config.yaml || echo 'resolvConf: /etc/kubernetes/resolv.conf' >> /var/lib/kubelet/config.yaml");
  });
});
