/**
 * runtime.proxy-without-no-proxy: the container runtime (containerd, CRI-O) or the kubelet has an
 * HTTP proxy (HTTPS_PROXY / HTTP_PROXY in a systemd drop-in, systemctl show, an EnvironmentFile,
 * DefaultEnvironment=, RKE2 / k3s' CONTAINERD_HTTPS_PROXY) and its NO_PROXY does not exempt the
 * cluster's own addresses. The CNI plugin, which the runtime runs with its own environment, then
 * calls the API ClusterIP through the proxy, and pods get no network: Calico's `error getting
 * ClusterInformation: Get "https://10.96.0.1:443/...": Service Unavailable` is the proxy's answer
 * to CONNECT (projectcalico/calico#10352, #2941, #6124; rancher/rke2#4924).
 *
 * NO_PROXY is matched as Go's golang.org/x/net/http/httpproxy matches it (containerd, CRI-O,
 * dockerd, kubelet and the CNI plugins are Go programs: CIDR entries work). The addresses come from
 * the bundle: the ClusterIP of the error line, KUBE-SERVICES' default/kubernetes:https rule,
 * `--service-cidr` / `--service-cluster-ip-range` and `--cluster-cidr` of the listed processes,
 * flannel's network; else the distribution's default service range, said to be assumed.
 *
 * Critical where the CNI's proxied API calls are in the logs; warning without them. k3s and RKE2
 * add their cluster ranges to their own NO_PROXY (HTTP_PROXY in their environment file): only
 * their CONTAINERD_* variables, which they pass to containerd as they are, are checked. dockerd's
 * proxy on a host that is no Kubernetes node only concerns pulls: quiet there.
 */
import { defineAnalyzer, type FindingDraft } from '../src/engine/analyzer.js';
import type { ArtifactKind, NodeArtifacts } from '../src/engine/artifacts.js';
import type { Evidence } from '../src/report/schema.js';
import { effectiveProxy, noProxyCovers, noProxyCoversRange, proxyEnvOfDocker, type NoProxyEntry, type ProxyEnvFile, type ProxyEnvSource, type ProxyEnvUnit, type ProxyVariable } from '../src/parsers/proxy-env.js';
import { cidrContains, formatCidr, parseCidr, type Cidr } from '../src/parsers/cidr.js';
import { nodeProcesses } from '../src/parsers/processes.js';
import { nodeServices } from './lib/node-services.js';
import { timeOf } from './lib/logs.js';

export const ID = 'runtime.proxy-without-no-proxy';
/** the signature of src/logs/signatures-proxy.ts */
export const PROXIED_API_SIGNATURE = 'log.cni-api-via-proxy';

/** What the analyzer reads: `proxyEnv` (the files src/parsers/proxy-env.ts reads) and the node's usual kinds. */
export type ProxyAnalyzerArtifacts = NodeArtifacts & { proxyEnv: ProxyEnvFile[] };

const OPTIONAL = ['logs', 'iptables', 'dockerDaemon', 'services', 'flannelSubnetEnv', 'flannelNetConf', 'distributionHint', 'kubeNodes', 'cniConf'] as const satisfies readonly ArtifactKind[];

/** Units that run the CNI plugin (or are the kubelet): their proxy reaches the API ClusterIP. */
function runsCni(unit: string): boolean {
  return /(?:^|[.-])(containerd|crio|cri-o|kubelet|cri-docker)(?:$|[.-])/.test(unit) || unit === 'systemd-default';
}

/**
 * Units whose proxy this analyzer weighs (on a Kubernetes node): those that run the CNI plugin or call the API.
 * Not dockerd: its proxy serves registry pulls and pushes only, never the ClusterIP (R7); cri-dockerd is weighed.
 */
function relevant(unit: string): boolean {
  return runsCni(unit);
}

function normalizeUnit(unit: string): string {
  return unit === 'cri-o' ? 'crio' : unit;
}

const RANK: Record<ProxyEnvSource, number> = { 'systemd-manager': 0, unit: 1, 'drop-in': 2, environment: 3, 'env-file': 4, 'systemctl-show': 5 };

/** A unit's environment as systemd hands it over: ProxyEnvUnit's variables, merged over its sources (by file). */
type Effective = Pick<ProxyEnvUnit, 'unit' | 'embeddedIn' | 'variables' | 'httpProxy' | 'httpsProxy' | 'noProxy'> & { sources: Map<string, ProxyEnvSource> };

/** Each unit's environment: DefaultEnvironment=, then the unit and its drop-ins (by file name), then its EnvironmentFile=s, then systemctl show. */
export function effectiveUnits(files: readonly ProxyEnvFile[]): Effective[] {
  const parts = new Map<string, { rank: number; name: string; file: string; source: ProxyEnvSource; u: ProxyEnvUnit }[]>();
  const defaults = files.flatMap((f) => f.units.filter((u) => u.unit === 'systemd-default').map((u) => ({ f, u })));
  const globals = files.flatMap((f) => f.units.filter((u) => u.unit === 'global').map((u) => ({ f, u })));
  for (const f of files)
    for (const u of f.units) {
      if (u.unit === 'global' || u.unit === 'systemd-default') continue;
      const key = u.embeddedIn ? `containerd@${u.embeddedIn}` : normalizeUnit(u.unit);
      const list = parts.get(key) ?? [];
      list.push({ rank: RANK[f.source], name: f.file.slice(f.file.lastIndexOf('/') + 1), file: f.file, source: f.source, u });
      parts.set(key, list);
    }
  // DefaultEnvironment= is every unit's, including those the bundle has no file of: it stands alone then
  if (defaults.length > 0 && !['containerd', 'crio', 'kubelet'].some((k) => parts.has(k))) parts.set('systemd-default', []);
  const out: Effective[] = [];
  for (const [key, list] of parts) {
    list.sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const variables: ProxyVariable[] = [];
    const sources = new Map<string, ProxyEnvSource>();
    const embedded = list.find((p) => p.u.embeddedIn)?.u.embeddedIn;
    if (!embedded)
      for (const d of defaults) {
        variables.push(...d.u.variables);
        sources.set(d.f.file, d.f.source);
      }
    const envFiles = list.flatMap((p) => p.u.environmentFiles);
    for (const p of list) {
      variables.push(...p.u.variables);
      sources.set(p.file, p.source);
    }
    // /etc/environment is PAM's: a unit reads it only through EnvironmentFile=
    if (envFiles.some((e) => /(?:^|\/)etc\/environment$/.test(e)))
      for (const g of globals) {
        // EnvironmentFile= values override Environment=: they go before systemctl show's (the live view) only
        const idx = variables.findIndex((v) => list.some((p) => p.source === 'systemctl-show' && p.u.variables.includes(v)));
        variables.splice(idx < 0 ? variables.length : idx, 0, ...g.u.variables);
        sources.set(g.f.file, g.f.source);
      }
    const unit = embedded ? 'containerd' : key;
    out.push({ unit, ...(embedded ? { embeddedIn: embedded } : {}), variables, sources, ...effectiveProxy(variables) });
  }
  return out;
}

interface Target {
  kind: 'api' | 'service' | 'pod' | 'domain';
  /** what to add to NO_PROXY */
  entry: string;
  /** the host or range checked */
  check: { ip?: string; range?: Cidr; host?: string };
  evidence?: Evidence;
  assumed?: string;
}

function firstFlag(artifacts: NodeArtifacts, names: string[]): { value: string; ev: Evidence } | undefined {
  for (const p of nodeProcesses(artifacts).processes)
    for (const n of names) {
      const v = p.flags.get(n)?.[0];
      if (v && v !== 'true') return { value: v.split(',')[0], ev: { file: p.ref.file, line: p.ref.line, excerpt: p.excerpt, note: `--${n}` } };
    }
  return undefined;
}

function targets(artifacts: NodeArtifacts, distro: string | undefined): Target[] {
  const out: Target[] = [];
  const apiIps = new Map<string, Evidence>();
  for (const l of artifacts.logs ?? [])
    for (const m of l.matches)
      if (m.signature === PROXIED_API_SIGNATURE && m.facts.clusterIP && parseCidr(m.facts.clusterIP) && !apiIps.has(m.facts.clusterIP))
        apiIps.set(m.facts.clusterIP, { file: m.file, line: m.line, excerpt: m.excerpt, note: 'the API address the CNI plugin called through the proxy' });
  for (const rs of artifacts.iptables ?? [])
    for (const r of rs.tables.nat?.chains['KUBE-SERVICES']?.rules ?? [])
      if (r.comment && /default\/kubernetes:https/.test(r.comment) && r.destination && !r.destination.negated) {
        const ip = r.destination.value.replace(/\/(32|128)$/, '');
        if (parseCidr(ip) && !apiIps.has(ip)) apiIps.set(ip, { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "kube-proxy's rule for the API Service (default/kubernetes): its ClusterIP" });
      }
  const svcFlag = firstFlag(artifacts, ['service-cidr', 'service-cluster-ip-range']);
  let svc: Target | undefined;
  const svcCidr = svcFlag ? parseCidr(svcFlag.value) : undefined;
  if (svcFlag && svcCidr) svc = { kind: 'service', entry: formatCidr(svcCidr), check: { range: svcCidr }, evidence: { ...svcFlag.ev, note: 'the service CIDR' } };
  else {
    const dflt = distro === 'k3s' || distro === 'rke2' ? '10.43.0.0/16' : '10.96.0.0/12';
    const c = parseCidr(dflt)!;
    // a known API ClusterIP outside the default range: the cluster has its own range, unknown here
    const fits = [...apiIps.keys()].every((ip) => cidrContains(c, parseCidr(ip)!));
    if (fits) svc = { kind: 'service', entry: dflt, check: { range: c }, assumed: `${dflt} (the ${distro === 'k3s' || distro === 'rke2' ? distro : 'kubeadm'} default service range; the bundle does not show the cluster's)` };
  }
  if (svc) out.push(svc);
  for (const [ip, ev] of apiIps) out.push({ kind: 'api', entry: ip, check: { ip }, evidence: ev });
  let pod: Target | undefined;
  for (const f of [...(artifacts.flannelSubnetEnv ?? []), ...(artifacts.flannelNetConf ?? [])]) {
    const c = f.network ? parseCidr(f.network.value) : undefined;
    if (c && !pod) pod = { kind: 'pod', entry: formatCidr(c), check: { range: c }, evidence: { file: f.network!.ref.file, line: f.network!.ref.line, excerpt: f.network!.excerpt, note: "flannel's network: the pod CIDR" } };
  }
  if (!pod) {
    const cc = firstFlag(artifacts, ['cluster-cidr']);
    const c = cc ? parseCidr(cc.value) : undefined;
    if (cc && c) pod = { kind: 'pod', entry: formatCidr(c), check: { range: c }, evidence: { ...cc.ev, note: 'the pod CIDR' } };
  }
  // k3s / RKE2: the Node objects' podCIDRs inside the default cluster CIDR 10.42.0.0/16 stand for it (said assumed)
  if (!pod && (distro === 'k3s' || distro === 'rke2')) {
    const dflt = parseCidr('10.42.0.0/16')!;
    const nodes = (artifacts.kubeNodes ?? []).flatMap((l) => l.nodes.flatMap((n) => n.podCidrs.map((c) => ({ c, n }))));
    const inside = nodes.filter(({ c }) => { const p = parseCidr(c); return p && cidrContains(dflt, p); });
    if (inside.length > 0 && inside.length === nodes.length)
      pod = { kind: 'pod', entry: '10.42.0.0/16', check: { range: dflt }, evidence: { file: inside[0].n.ref.file, line: inside[0].n.ref.line, excerpt: `podCIDR ${inside[0].c} (node ${inside[0].n.name})`, note: "a node's pod range, inside the k3s / RKE2 default cluster CIDR" }, assumed: `10.42.0.0/16 (the ${distro} default cluster CIDR, which the nodes' podCIDRs fall in)` };
  }
  if (pod) out.push(pod);
  out.push({ kind: 'domain', entry: '.svc', check: { host: 'kubernetes.default.svc' } });
  out.push({ kind: 'domain', entry: '.cluster.local', check: { host: 'kubernetes.default.svc.cluster.local' } });
  return out;
}

function covered(entries: readonly NoProxyEntry[], t: Target): boolean {
  if (t.check.ip) return noProxyCovers(entries, t.check.ip, '443') !== undefined;
  if (t.check.host) return noProxyCovers(entries, t.check.host, '443') !== undefined;
  const r = t.check.range!;
  if (noProxyCoversRange(entries, r)) return true;
  // the service range: its first address (the API ClusterIP) exempt by itself is what matters
  if (t.kind === 'service' && r.family === 4) return noProxyCovers(entries, formatCidr({ ...r, network: r.network + 1n, prefix: 32 }).replace(/\/32$/, ''), '443') !== undefined;
  return false;
}

/** The distribution: the node's units and paths, else the kubelet version of the Node objects (v1.24.4+k3s1). */
function distroOf(artifacts: NodeArtifacts, fromServices: string | undefined): string | undefined {
  if (fromServices) return fromServices;
  const hint = artifacts.distributionHint?.[0]?.name;
  if (hint) return hint;
  const versions = (artifacts.kubeNodes ?? []).flatMap((l) => l.nodes.map((n) => n.kubeletVersion ?? ''));
  return versions.some((v) => /\+rke2/.test(v)) ? 'rke2' : versions.some((v) => /\+k3s/.test(v)) ? 'k3s' : undefined;
}

/** Evidence that this is a Kubernetes node (else dockerd's and containerd's proxies concern pulls only). */
function kubernetesEvidence(artifacts: ProxyAnalyzerArtifacts, units: Effective[]): string | undefined {
  const s = nodeServices(artifacts);
  if (s.distro) return s.distro.label;
  if (units.some((u) => /kubelet|crio|cri-o|cri-docker/.test(u.unit) || u.embeddedIn)) return 'a kubelet or CRI-O unit';
  if ((artifacts.iptables ?? []).some((rs) => rs.tables.nat?.chains['KUBE-SERVICES'])) return "kube-proxy's KUBE-SERVICES chain";
  if ((artifacts.logs ?? []).some((l) => l.matches.some((m) => m.signature === PROXIED_API_SIGNATURE || m.signature === 'log.cni-setup-failed'))) return 'CNI errors in the logs';
  if ((artifacts.flannelSubnetEnv ?? []).length > 0 || (artifacts.kubeNodes ?? []).length > 0) return 'flannel / Kubernetes node objects';
  if (nodeProcesses(artifacts).processes.some((p) => p.component === 'kubelet' || p.component === 'k3s' || p.component === 'rke2')) return 'a kubelet process';
  return undefined;
}

const at = (v: ProxyVariable, note: string): Evidence => ({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note });

export function analyzeRuntimeProxy(node: string, artifacts: ProxyAnalyzerArtifacts): FindingDraft[] {
  // docker.service's files are the dockerDaemon kind's (dockerd-flags.ts): its proxy is read from there
  const files = [...(artifacts.proxyEnv ?? []), ...proxyEnvOfDocker(artifacts.dockerDaemon).filter((d) => !(artifacts.proxyEnv ?? []).some((f) => f.file === d.file))];
  const units = effectiveUnits(files).filter((u) => relevant(u.unit) && (u.httpProxy || u.httpsProxy));
  if (units.length === 0) return [];
  const k8s = kubernetesEvidence(artifacts, units);
  if (!k8s) return [];
  const services = nodeServices(artifacts);
  const distro = distroOf(artifacts, services.distro?.name);
  const all = targets(artifacts, distro);
  const logLines = (artifacts.logs ?? []).flatMap((l) => l.matches.filter((m) => m.signature === PROXIED_API_SIGNATURE));
  const findings: FindingDraft[] = [];
  for (const u of units) {
    const entries = u.noProxy?.entries ?? [];
    // the API call is HTTPS: only HTTPS_PROXY sends it to the proxy; pod and name traffic may be either
    const missing = all.filter((t) => {
      if ((t.kind === 'api' || t.kind === 'service') && !u.httpsProxy) return false;
      // an assumed range: where NO_PROXY lists addresses of its own, one of them may be the cluster's real range
      if (t.assumed && listsAddresses(entries)) return false;
      return !covered(entries, t);
    });
    // names under .svc / .cluster.local resolve only through the cluster's DNS, which host units do not use:
    // they are added to the fix, but alone they are no fault
    const ipsMissing = missing.filter((t) => t.kind !== 'domain');
    if (ipsMissing.length === 0) continue;
    const cni = runsCni(u.unit) || !!u.embeddedIn;
    const apiMissing = missing.some((t) => t.kind === 'api' || t.kind === 'service');
    const severity: FindingDraft['severity'] = cni && apiMissing && logLines.length > 0 ? 'critical' : 'warning';
    const proxy = u.httpsProxy ?? u.httpProxy!;
    const unitLabel = u.embeddedIn ? `containerd (run by ${u.embeddedIn}, CONTAINERD_* variables)` : u.unit === 'systemd-default' ? "every systemd unit (DefaultEnvironment=)" : `${u.unit}.service`;
    const evidence: Evidence[] = [];
    if (u.httpsProxy) evidence.push(at(u.httpsProxy, `${unitLabel} sends HTTPS through ${u.httpsProxy.value}`));
    if (u.httpProxy) evidence.push(at(u.httpProxy, `${unitLabel} sends plain HTTP through ${u.httpProxy.value}`));
    if (u.noProxy) evidence.push(at(u.noProxy, `NO_PROXY as Go reads it (${u.noProxy.name}): ${u.noProxy.entries.map((e) => e.text).join(', ') || 'empty'}`));
    else evidence.push({ file: proxy.ref.file, line: 0, excerpt: 'no NO_PROXY / no_proxy', note: `${unitLabel} has no NO_PROXY: every address but loopback goes through the proxy` });
    for (const t of missing) if (t.evidence) evidence.push(t.evidence);
    for (const m of logLines.slice(0, 5)) evidence.push({ file: m.file, line: m.line, excerpt: m.excerpt, note: "the proxy's answer to the CNI plugin's API call", ...timeOf(m) });
    const add = missing.map((t) => t.entry).filter((e, i, a) => a.indexOf(e) === i);
    const kept = entries.map((e) => e.text);
    const value = [...kept, ...add.filter((a) => !kept.includes(a))].join(',');
    const fix = fixFor(u, value, services.restartKubelet, services.distro?.unit);
    const assumed = missing.filter((t) => t.assumed).map((t) => t.assumed).join('; ') || undefined;
    findings.push({
      id: ID,
      severity,
      title: `${unitLabel} uses an HTTP proxy without NO_PROXY for the cluster's addresses`,
      message:
        `${unitLabel} has ${u.httpsProxy ? 'HTTPS_PROXY' : 'HTTP_PROXY'}=${proxy.value}, and its NO_PROXY does not exempt ${describe(ipsMissing)}. ` +
        (cni && apiMissing
          ? 'The CNI plugin runs with this environment, so its calls to the API ClusterIP go to the proxy, which cannot reach cluster addresses'
          : 'Its requests to those addresses go to the proxy, which cannot reach cluster addresses') +
        (logLines.length > 0 ? `: the logs show the proxy's answer (${logLines[0].facts.proxyStatus ?? logLines[0].facts.proxyError ?? 'proxied'}) ${logLines.length} time(s).` : '.') +
        (assumed ? ` Assumed: ${assumed}.` : '') +
        ` Kubernetes node: ${k8s}.`,
      evidence,
      remedy: {
        summary: `Extend NO_PROXY of ${unitLabel} by ${add.join(',')} (keeping its entries): ${fix.line} — in ${fix.where}; then ${u.embeddedIn ? `restart ${u.embeddedIn} (it runs containerd and the kubelet)` : `reload systemd and restart it${cni && u.unit !== 'kubelet' ? ' and the kubelet' : ''}`}.`,
        commands: fix.commands,
        caution: 'Restarting containerd or CRI-O leaves running containers up; restarting dockerd stops them unless live-restore is on. Add the node and registry addresses your site needs to keep going direct as well.',
      },
      impact: cni ? 'New pods stay in ContainerCreating: the CNI plugin cannot reach the API server.' : 'Cluster-internal requests of this unit go through the proxy.',
      facts: { unit: u.unit, embeddedIn: u.embeddedIn, proxy: proxy.value, noProxy: kept, missing: add, ...(assumed ? { assumed } : {}) },
    });
  }
  return findings;
}

/** NO_PROXY names an IP or CIDR that is not loopback or link-local. */
function listsAddresses(entries: readonly NoProxyEntry[]): boolean {
  return entries.some((e) => {
    const c = parseCidr(e.text.replace(/^\[|\](?::\d+)?$/g, '').replace(/:\d+$/, ''));
    if (!c) return false;
    if (c.family === 4) return !(c.network >> 24n === 127n || c.network >> 16n === 0xa9fen);
    return c.network !== 1n && c.network >> 118n !== 0x3fan;
  });
}

function describe(ts: Target[]): string {
  const name: Record<Target['kind'], string> = { api: 'the API ClusterIP', service: 'the service CIDR', pod: 'the pod CIDR', domain: 'the cluster domain' };
  return ts.map((t) => `${name[t.kind]} ${t.entry}`).join(', ');
}

/** The file's path on the host, where the bundle path shows it (`sos/etc/default/rke2-server` -> /etc/default/rke2-server). */
function hostPath(file: string): string | undefined {
  const m = /(?:^|\/)(etc\/(?:default|sysconfig)\/[^/]+|etc\/systemd\/system\/[^/]+\.service\.env|etc\/environment)$/.exec(file);
  return m ? `/${m[1]}` : undefined;
}

/** The node's kubelet restart; kubelet.service where the bundle does not say which unit runs it. */
function kubeletRestart(restartKubelet: string[]): string[] {
  const real = restartKubelet.filter((c) => !c.startsWith('#'));
  return real.length > 0 ? real : ["systemctl restart kubelet   # the kubelet's unit, where it is not kubelet.service"];
}

/** The NO_PROXY line to write and where: the file that sets the proxy. */
function fixFor(u: Effective, value: string, restartKubelet: string[], distroUnit: string | undefined): { line: string; where: string; commands: string[] } {
  const proxy = u.httpsProxy ?? u.httpProxy!;
  const file = proxy.ref.file;
  const source = u.sources.get(file);
  const restart: string[] = [];
  if (u.embeddedIn) {
    const line = `CONTAINERD_NO_PROXY=${value}`;
    const path = hostPath(file) ?? `/etc/default/${u.embeddedIn}`;
    return {
      line,
      where: `${file} (on the node: the environment file of ${u.embeddedIn}.service, e.g. ${path} or /etc/sysconfig/${u.embeddedIn})`,
      commands: [
        `f=${path}; grep -q '^CONTAINERD_NO_PROXY=' "$f" && sed -i 's|^CONTAINERD_NO_PROXY=.*|${line}|' "$f" || echo '${line}' >> "$f"   # the file that sets CONTAINERD_HTTPS_PROXY (${file})`,
        `systemctl restart ${u.embeddedIn}`,
      ],
    };
  }
  if (source === 'env-file' || source === 'environment') {
    const name = u.noProxy?.name.toUpperCase() === 'NO_PROXY' ? u.noProxy.name : 'NO_PROXY';
    const line = `${name}=${value}`;
    const path = source === 'environment' ? '/etc/environment' : (hostPath(file) ?? `/etc/default/${u.unit}`);
    restart.push(`systemctl restart ${u.unit}`);
    if (u.unit !== 'kubelet' && runsCni(u.unit)) restart.push(...kubeletRestart(restartKubelet));
    return {
      line,
      where: file,
      commands: [
        `f=${path}; grep -q '^${name}=' "$f" && sed -i 's|^${name}=.*|${line}|' "$f" || echo '${line}' >> "$f"`,
        ...(name === 'NO_PROXY' ? [`grep -q '^no_proxy=' "$f" && sed -i 's|^no_proxy=.*|no_proxy=${value}|' "$f" || true   # the lower-case copy, for programs that read only it`] : []),
        'systemctl daemon-reload',
        ...restart,
      ],
    };
  }
  // systemd units: a drop-in that sorts last overrides NO_PROXY (systemd applies drop-ins in the lexical order of
  // their names, and a later Environment= assignment wins): after every drop-in of the unit the bundle shows
  const unit = u.unit === 'systemd-default' ? 'containerd' : u.unit;
  const dropIns = [...u.sources].filter(([, s]) => s === 'drop-in').map(([f]) => f.slice(f.lastIndexOf('/') + 1));
  let name = 'zz-no-proxy.conf';
  while (dropIns.some((d) => d >= name)) name = `z${name}`;
  const line = `Environment="NO_PROXY=${value}" "no_proxy=${value}"`;
  const dir = `/etc/systemd/system/${unit}.service.d`;
  restart.push(`systemctl restart ${unit}`);
  if (unit !== 'kubelet' && runsCni(unit)) restart.push(...kubeletRestart(restartKubelet));
  return {
    line,
    where: `${file} (or a drop-in of its own that sorts after it, as below)`,
    commands: [`mkdir -p ${dir} && printf '[Service]\\n%s\\n' '${line}' > ${dir}/${name}`, 'systemctl daemon-reload', ...[...new Set(restart)]],
  };
}

export default defineAnalyzer({
  id: 'runtime.proxy-without-no-proxy',
  title: 'The container runtime or kubelet uses an HTTP proxy without NO_PROXY for cluster addresses',
  description:
    "containerd, CRI-O, the kubelet (or dockerd on a Kubernetes node) have HTTPS_PROXY / HTTP_PROXY and their NO_PROXY misses the service CIDR (the API ClusterIP), the pod CIDR or .svc / .cluster.local: the CNI plugin reaches the API server through the proxy.",
  scope: 'node',
  requires: [],
  // docker.service's proxy comes from the dockerDaemon kind (its unit files and env files)
  requiresOneOf: ['proxyEnv', 'dockerDaemon'],
  optional: ['proxyEnv', ...OPTIONAL],
  analyze({ node, artifacts }) {
    return analyzeRuntimeProxy(node, artifacts as unknown as ProxyAnalyzerArtifacts);
  },
});
