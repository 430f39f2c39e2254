/**
 * kubernetes.dns-forwarding-loop: CoreDNS forwards to itself. kubelet gives pods whose dnsPolicy is
 * Default (CoreDNS' own) the node's resolv.conf (`resolvConf` / `--resolv-conf`, default
 * /etc/resolv.conf), and CoreDNS' stock Corefile forwards what it does not serve to the nameservers
 * of that file (`forward . /etc/resolv.conf`). On an Ubuntu node /etc/resolv.conf is systemd-resolved's
 * stub (`nameserver 127.0.0.53`); in the pod's network namespace 127.0.0.0/8 is the pod itself, so
 * CoreDNS asks itself, its loop plugin sees its probe come back and it exits (`plugin/loop: Loop
 * (127.0.0.1:xxxx -> :53) detected for zone "."`): CrashLoopBackOff, and no name resolves in the
 * cluster (coredns/coredns#2087, https://coredns.io/plugins/loop/#troubleshooting).
 *
 * - critical: the loop line is in the node's logs (log.coredns-loop-detected); with the file kubelet
 *   hands pods when the bundle has it (loopback or not: when its nameservers are real, the loop goes
 *   through the Corefile's own forward target or an upstream that forwards back).
 * - warning: a Kubernetes node whose kubelet resolv.conf lists only loopback nameservers (or some
 *   beside real ones: CoreDNS picks among them at random), no loop line: the Corefile decides.
 * - quiet: a host that shows no Kubernetes (127.0.0.53 there is normal); k3s and RKE2 without an
 *   explicit --resolv-conf (they check the host's files and write their own when both are loopback,
 *   k3s-io/k3s#265); MicroK8s (it picks a non-loopback file itself since canonical/microk8s#3487).
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { LogMatch } from '../src/logs/index.js';
import { flagValue, nodeProcesses } from '../src/parsers/processes.js';
import {
  KUBELET_DEFAULT_RESOLV_CONF,
  kubeletResolvConfFlag,
  kubeletResolvConfSettings,
  resolvConfFiles,
  type ResolvConfFile,
} from '../src/parsers/resolv-conf.js';
import type { Evidence } from '../src/report/schema.js';
import { timeOf } from './lib/logs.js';
import { hasKubernetes, hostKubernetesSign } from './lib/node-view.js';
import { NODE_SERVICE_KINDS, nodeServices } from './lib/node-services.js';

/** The log signature of CoreDNS' loop plugin (proposed for src/logs/signatures.ts). */
export const COREDNS_LOOP_SIGNATURE = 'log.coredns-loop-detected';
const UPLINK = '/run/systemd/resolve/resolv.conf';
const COREDNS_PODS = 'kubectl -n kube-system delete pod -l k8s-app=kube-dns   # CoreDNS restarts with the new resolv.conf';
const MAX_LOG_EVIDENCE = 4;

/** Where kubelet's resolv.conf path came from. */
interface KubeletSetting {
  path: string;
  /**
   * default: kubelet's own default, shown to apply (its command line has neither --resolv-conf nor --config, or its
   * configuration file has no resolvConf); assumed: the bundle shows neither its configuration nor its command line
   * (kubeadm writes resolvConf: /run/systemd/resolve/resolv.conf itself where systemd-resolved runs, kubernetes#64665)
   */
  how: 'flag' | 'kubeadm-flags' | 'config' | 'default' | 'assumed';
  evidence?: Evidence;
}

/** The path kubelet hands pods, by kubelet's precedence (command line over its config file); 'self' where the distribution picks it. */
function kubeletSetting(artifacts: NodeArtifacts, distro: string | undefined, hostProcesses: boolean): KubeletSetting | 'self' {
  let plainCommandLine: Evidence | undefined;
  if (hostProcesses)
    for (const p of nodeProcesses(artifacts).processes) {
      const v = kubeletResolvConfFlag(p);
      if (v !== undefined) return { path: v, how: 'flag', evidence: { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: `${p.component} is given --resolv-conf=${v}` } };
      // kubelet's whole command line, with no configuration file: its default holds
      if (p.component === 'kubelet' && p.argsShown && !p.cut && flagValue(p, 'config') === undefined)
        plainCommandLine = { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: 'kubelet runs with neither --resolv-conf nor --config: its default /etc/resolv.conf' };
    }
  const settings = kubeletResolvConfSettings(artifacts.resolvConf);
  for (const how of ['kubeadm-flags', 'kubelet-config'] as const)
    for (const s of settings)
      if (s.format === how && s.resolvConf)
        return {
          path: s.resolvConf.value,
          how: how === 'kubelet-config' ? 'config' : how,
          evidence: { file: s.resolvConf.ref.file, line: s.resolvConf.ref.line, excerpt: s.resolvConf.excerpt, note: `kubelet's resolvConf: ${s.resolvConf.value || '"" (no host resolver for pods)'}` },
        };
  if (distro === 'k3s' || distro === 'rke2' || distro === 'microk8s') return 'self';
  const config = settings.find((x) => x.format === 'kubelet-config');
  if (plainCommandLine || config)
    return { path: KUBELET_DEFAULT_RESOLV_CONF, how: 'default', evidence: plainCommandLine ?? { file: config!.file, line: 0, excerpt: `${config!.file}: no resolvConf`, note: "kubelet's configuration sets no resolvConf: its default /etc/resolv.conf" } };
  return { path: KUBELET_DEFAULT_RESOLV_CONF, how: 'assumed' };
}

function fileFor(files: ResolvConfFile[], path: string): ResolvConfFile | undefined {
  return files.find((f) => f.hostPath === path);
}

function nsEvidence(f: ResolvConfFile, loopbackOnly: boolean): Evidence[] {
  return f.nameservers
    .filter((n) => !loopbackOnly || n.loopback)
    .map((n) => ({
      file: n.ref.file,
      line: n.ref.line,
      excerpt: n.excerpt,
      note: n.loopback ? `${n.address} is a loopback address: inside CoreDNS' pod it is CoreDNS itself` : `${n.address}: a real upstream`,
    }));
}

function logLines(artifacts: NodeArtifacts): LogMatch[] {
  const out = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === COREDNS_LOOP_SIGNATURE));
  out.sort((a, b) => (a.timestamp?.epochMs ?? Infinity) - (b.timestamp?.epochMs ?? Infinity) || a.file.localeCompare(b.file) || a.line - b.line);
  return out;
}

export default defineAnalyzer({
  id: 'kubernetes.dns-forwarding-loop',
  title: 'CoreDNS forwards to itself: a loopback nameserver in the resolv.conf kubelet hands pods',
  description:
    "A Kubernetes node whose kubelet gives pods a resolv.conf with loopback nameservers (systemd-resolved's 127.0.0.53): CoreDNS, forwarding to them, asks itself. Critical with CoreDNS' plugin/loop line.",
  scope: 'node',
  requires: [],
  requiresOneOf: ['resolvConf', 'logs'],
  optional: [...new Set(['resolvConf', 'logs', 'nftables', ...NODE_SERVICE_KINDS] as const)],
  analyze({ artifacts, partly }) {
    const loops = logLines(artifacts);
    const files = resolvConfFiles(artifacts.resolvConf);
    const svc = nodeServices(artifacts);
    // kind's and k3d's nodes are containers: their kubelet shows in the host's ps, its resolv.conf is the container's
    const hostSign = hostKubernetesSign(artifacts);
    const kubeSign: Evidence | undefined =
      svc.distro?.evidence ??
      hasKubernetes(artifacts) ??
      (typeof hostSign === 'object' ? hostSign : undefined) ??
      (() => {
        const s = kubeletResolvConfSettings(artifacts.resolvConf)[0];
        return s ? { file: s.file, line: s.resolvConf?.ref.line ?? 0, excerpt: s.resolvConf?.excerpt ?? s.file, note: "kubelet's configuration is on the node" } : undefined;
      })() ??
      (() => {
        if (hostSign === undefined) return undefined;
        const p = nodeProcesses(artifacts).processes.find((x) => x.component === 'kubelet');
        return p ? { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: 'kubelet runs here' } : undefined;
      })();
    if (!kubeSign && loops.length === 0) return [];

    const setting = kubeletSetting(artifacts, svc.distro?.name, hostSign !== undefined);
    const logEvidence: Evidence[] = loops.slice(0, MAX_LOG_EVIDENCE).map((m) => ({
      file: m.file,
      line: m.line,
      excerpt: m.excerpt,
      ...timeOf(m),
      note: `CoreDNS' loop plugin saw its own probe come back${m.facts.from ? ` from ${m.facts.from}` : ''} and exited`,
    }));
    const uplink = fileFor(files, UPLINK);
    const uplinkReal = uplink && uplink.nameservers.length > 0 && uplink.nameservers.every((n) => !n.loopback) ? uplink : undefined;
    const restartKubelet = svc.restartKubelet;

    if (setting === 'self') {
      // k3s / RKE2 / MicroK8s choose a non-loopback file themselves: only the loop line says something is wrong
      if (loops.length === 0) return [];
      return [loopOnly(loops, logEvidence, kubeSign, `${svc.distro!.label} picks a resolv.conf without loopback nameservers for its kubelet itself unless told otherwise (k3s: /etc/resolv.conf, else ${UPLINK}, else its own ${svc.distro!.name === 'rke2' ? '/var/lib/rancher/rke2' : '/var/lib/rancher/k3s'}/agent/etc/resolv.conf with 8.8.8.8; a --resolv-conf or --kubelet-arg=resolv-conf= given by hand is used unchecked, and ${svc.distro!.name === 'rke2' ? 'RKE2' : 'k3s'} hides its flags from ps: look in /etc/rancher/${svc.distro!.name}/config.yaml). So either such a hand-given file lists a loopback nameserver, or the Corefile forwards to one, or to an upstream that forwards back to CoreDNS.`, svc.distro!.name)];
    }
    if (setting.path === '') {
      if (loops.length === 0) return [];
      return [loopOnly(loops, logEvidence, kubeSign, 'kubelet hands pods no host resolver (resolvConf is ""), so the loop goes through the Corefile\'s own forward target or an upstream that forwards back to CoreDNS.')];
    }
    const file = fileFor(files, setting.path);
    if (!file) {
      partly?.(`the resolv.conf kubelet hands pods (${setting.path}) is not in the bundle`, ['resolvConf']);
      if (loops.length === 0) return [];
      return [
        loopOnly(
          loops,
          logEvidence,
          kubeSign,
          `The file kubelet hands pods (${setting.path}${setting.how === 'default' || setting.how === 'assumed' ? ", kubelet's default" : ''}) is not in the bundle. The usual cause is a loopback nameserver in it (systemd-resolved's 127.0.0.53, a local dnsmasq's 127.0.0.1): check it with grep nameserver ${setting.path}.`,
          undefined,
          setting,
          uplinkReal,
        ),
      ];
    }
    const loopback = file.nameservers.filter((n) => n.loopback);
    if (loopback.length === 0) {
      if (loops.length === 0) return [];
      return [
        loopOnly(
          loops,
          logEvidence,
          kubeSign,
          `The file kubelet hands pods (${setting.path}) lists real upstreams only, so the loop goes through the Corefile's own forward target or an upstream that forwards back to CoreDNS (a node-local cache or a DNS server that sends cluster.local to CoreDNS).`,
          undefined,
          undefined,
          undefined,
          [...settingEvidence(setting), ...nsEvidence(file, false)],
        ),
      ];
    }
    if (!kubeSign) return [];
    if (setting.how === 'assumed' && loops.length === 0) {
      partly?.(`${setting.path} lists only loopback nameservers, but kubelet's resolvConf setting is not in the bundle (/var/lib/kubelet/config.yaml, kubeadm-flags.env or its command line): kubeadm points it at ${UPLINK} itself where systemd-resolved runs`);
      return [];
    }
    const all = loopback.length === file.nameservers.length;
    const critical = loops.length > 0;
    const addrs = loopback.map((n) => n.address);
    const stub = file.managedBy === 'systemd-resolved-stub' || addrs.includes('127.0.0.53');
    const where = `${setting.path}${setting.how === 'assumed' ? " (kubelet's default; the bundle shows neither its configuration nor its command line)" : setting.how === 'default' ? " (kubelet's default: its configuration sets no resolvConf)" : setting.how === 'flag' ? ' (--resolv-conf on its command line)' : setting.how === 'kubeadm-flags' ? " (--resolv-conf in kubeadm's flags file)" : " (resolvConf in kubelet's configuration)"}`;
    const why = `${stub ? "systemd-resolved's stub resolver 127.0.0.53" : `the loopback nameserver${addrs.length > 1 ? 's' : ''} ${addrs.join(', ')}`} answer${addrs.length > 1 || !stub ? '' : 's'} on the node, but inside a pod's network namespace 127.0.0.0/8 and ::1 are the pod itself`;
    const message = critical
      ? `CoreDNS detected a forwarding loop and exited (plugin/loop). kubelet hands pods ${where}, whose ${all ? 'only ' : ''}nameserver${addrs.length > 1 ? 's are' : ' is'} ${addrs.join(', ')}: ${why}, so CoreDNS, forwarding to ${all ? 'it' : 'them'} (forward . /etc/resolv.conf), asks itself. CoreDNS is in CrashLoopBackOff and no name resolves in the cluster.`
      : `kubelet hands pods ${where}, whose ${all ? 'only ' : ''}nameserver${addrs.length > 1 ? 's are' : ' is'} ${addrs.join(', ')}${all ? '' : ` (beside ${file.nameservers.filter((n) => !n.loopback).map((n) => n.address).join(', ')}: CoreDNS picks among them at random)`}: ${why}. CoreDNS forwards what it does not serve to the nameservers of that file by default (forward . /etc/resolv.conf in its Corefile), so it would ask itself: its loop plugin then stops it (plugin/loop: Loop ... detected), and pods with dnsPolicy Default cannot resolve anything. No loop line is in the bundle's logs: whether CoreDNS loops depends on its Corefile (kubectl -n kube-system get configmap coredns -o yaml: a forward to an upstream IP does not loop).`;
    const evidence = [...nsEvidence(file, true), ...settingEvidence(setting), ...logEvidence, ...(kubeSign && !critical ? [kubeSign] : [])];
    return [
      {
        severity: critical ? 'critical' : 'warning',
        title: critical ? 'CoreDNS forwards to itself: kubelet hands pods a loopback nameserver' : 'kubelet hands pods a resolv.conf whose nameserver is loopback: CoreDNS would forward to itself',
        message,
        impact: 'CoreDNS exits at start (CrashLoopBackOff): Service names and external names do not resolve in any pod; pods with dnsPolicy Default cannot resolve at all.',
        evidence,
        remedy: fixFor(setting, uplinkReal, restartKubelet, svc.distro?.name),
        facts: { resolvConf: setting.path, setBy: setting.how, nameservers: file.nameservers.map((n) => n.address), loopback: addrs, loopLines: loops.length, ...(loops[0]?.facts.from ? { loopFrom: loops[0].facts.from } : {}) },
        ...(loops[0]?.timestamp ? { firstSeen: loops[0].timestamp.iso, lastSeen: loops.at(-1)!.timestamp?.iso } : {}),
      },
    ];

    function settingEvidence(s: KubeletSetting): Evidence[] {
      return s.evidence ? [s.evidence] : [];
    }

    function loopOnly(
      lines: LogMatch[],
      logEv: Evidence[],
      sign: Evidence | undefined,
      cause: string,
      distro?: string,
      s?: KubeletSetting,
      real?: ResolvConfFile,
      extra: Evidence[] = [],
    ): FindingDraft {
      const from = lines[0].facts.from;
      const viaLoopback = from !== undefined && /^(127\.|\[?::1\]?:)/.test(from);
      return {
        severity: 'critical',
        title: 'CoreDNS detected a forwarding loop and exited',
        message: `CoreDNS' loop plugin saw its own probe query come back${from ? ` from ${from}${viaLoopback ? " (a loopback address: CoreDNS asked itself)" : ''}` : ''} and stopped CoreDNS (plugin/loop, ${lines.length} line${lines.length > 1 ? 's' : ''}): CoreDNS is in CrashLoopBackOff and no name resolves in the cluster. ${cause} The Corefile decides where CoreDNS forwards: forward . /etc/resolv.conf uses the nameservers of the file kubelet hands CoreDNS' pod.`,
        impact: 'CoreDNS exits at start (CrashLoopBackOff): Service names and external names do not resolve in any pod.',
        evidence: [...extra, ...logEv, ...(sign && extra.length === 0 ? [sign] : [])],
        remedy:
          distro === 'k3s' || distro === 'rke2'
            ? {
                summary: `Look at CoreDNS' forward targets, and at the resolv.conf ${distro === 'rke2' ? 'RKE2' : 'k3s'} gives its kubelet; point forward at a real upstream (not 127.x, not a server that forwards back to CoreDNS), then restart CoreDNS.`,
                commands: [
                  'kubectl -n kube-system get configmap coredns -o yaml | grep -n forward   # where CoreDNS forwards',
                  `grep -rn resolv-conf /etc/rancher/${distro}/config.yaml /etc/systemd/system/${distro}*.service   # a --resolv-conf given by hand is used as it is`,
                  `cat /var/lib/rancher/${distro}/agent/etc/resolv.conf 2>/dev/null   # the file ${distro} wrote when the host's were loopback`,
                  COREDNS_PODS,
                ],
              }
            : s
              ? fixFor(s, real, svc.restartKubelet, undefined, true)
              : {
                  summary: "Find where CoreDNS forwards (its Corefile's forward line) and make it a real upstream that does not forward back to CoreDNS; then restart CoreDNS.",
                  commands: ['kubectl -n kube-system get configmap coredns -o yaml | grep -n forward   # where CoreDNS forwards', 'kubectl -n kube-system edit configmap coredns   # forward . <upstream DNS IP>', COREDNS_PODS],
                },
        facts: { loopLines: lines.length, ...(from ? { loopFrom: from } : {}), ...(s ? { resolvConf: s.path, setBy: s.how } : {}) },
        ...(lines[0].timestamp ? { firstSeen: lines[0].timestamp.iso, lastSeen: lines.at(-1)!.timestamp?.iso } : {}),
      };
    }
  },
});

/** The fix for a kubelet that hands pods a loopback resolver: point resolvConf at real upstreams, restart kubelet, recreate CoreDNS. */
function fixFor(s: KubeletSetting, uplink: ResolvConfFile | undefined, restartKubelet: string[], distro?: string, unchecked = false) {
  // kubelet already reads systemd-resolved's uplink list and it is loopback too (resolved forwards to a local cache): a file of its own
  const own = s.path === UPLINK;
  const target = own ? '/etc/kubernetes/resolv.conf' : UPLINK;
  const check = own
    ? [`printf 'nameserver %s\\n' <upstream DNS IP> > ${target}   # the upstream your local resolver forwards to (resolvectl status); never 127.x`]
    : uplink
      ? []
      : [`grep nameserver ${target}   # systemd-resolved's real upstreams: use this file only if it exists and lists no 127.x; else write one with your upstream DNS IPs (echo 'nameserver <upstream IP>' > /etc/kubernetes/resolv.conf) and use that path below`];
  const commands: string[] = [...(unchecked ? [`grep nameserver ${s.path}   # a 127.x or ::1 nameserver here is CoreDNS' own pod`] : []), ...check];
  if (distro === 'k3s' || distro === 'rke2') {
    commands.push(`# remove the hand-given --resolv-conf (or --kubelet-arg=resolv-conf=) from /etc/rancher/${distro}/config.yaml or the unit: ${distro} then picks a non-loopback file itself`);
  } else if (s.how === 'kubeadm-flags') {
    commands.push(`sed -i 's|--resolv-conf=[^" ]*|--resolv-conf=${target}|' /var/lib/kubelet/kubeadm-flags.env`);
  } else if (s.how === 'flag') {
    commands.push(`systemctl cat kubelet | grep -n resolv-conf   # set --resolv-conf=${target} where it is given (a drop-in or /etc/default/kubelet), then systemctl daemon-reload`);
  } else {
    commands.push(
      `grep -q '^resolvConf:' /var/lib/kubelet/config.yaml && sed -i 's|^resolvConf:.*|resolvConf: ${target}|' /var/lib/kubelet/config.yaml || echo 'resolvConf: ${target}' >> /var/lib/kubelet/config.yaml`,
      `kubectl -n kube-system edit configmap kubelet-config   # kubeadm clusters: resolvConf: ${target} there too, or kubeadm upgrade writes the old value back`,
    );
  }
  commands.push(...restartKubelet, COREDNS_PODS);
  return {
    summary: `Give pods real upstream nameservers: point kubelet's resolvConf at ${target} (${own ? 'a file of their own listing the real upstreams' : `systemd-resolved's list of the real upstreams${uplink ? `: ${uplink.nameservers.map((n) => n.address).join(', ')} in the bundle` : ''}`}), restart kubelet, then delete the CoreDNS pods so they start with it. Or make the Corefile forward to an upstream IP (forward . <upstream IP>) in place of /etc/resolv.conf.`,
    commands,
    caution: "Restarting kubelet does not restart running pods; deleting CoreDNS' pods interrupts cluster DNS until the new ones are ready. Pods with dnsPolicy Default keep their old resolv.conf until they are recreated.",
  };
}
