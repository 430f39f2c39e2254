/**
 * Is this node a container host? Several analyzers only mean something on one (ip_forward off
 * is normal on a plain server), so they ask here and name what they saw.
 */
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { matchText, type Rule } from '../../src/netfilter/rules.js';
import type { Evidence } from '../../src/report/schema.js';
import { cidrContains, parseCidr } from '../../src/parsers/cidr.js';
import { interfacesOf } from '../../src/parsers/interfaces.js';
import { findService, isActive, isEnabled } from '../../src/parsers/services.js';

/** docker0 and Docker's user bridges (br-<12 hex>), cni0, flannel.1, calico, cilium, weave, kube-router. */
const CONTAINER_INTERFACE = /^(docker0|br-[0-9a-f]{12}|cni0|flannel\.\d+|flannel-wg|cali[0-9a-f]{11}|vxlan\.calico|cilium_host|cilium_vxlan|weave|kube-bridge|kube-ipvs0)$/;

const RUNTIME_UNITS = ['docker', 'containerd', 'kubelet', 'k3s', 'k3s-agent', 'crio', 'snap.kubelet.daemon', 'atomic-openshift-node', 'origin-node'];

/** Short phrases naming what shows a container runtime on the node; empty when nothing does. */
export function containerHostEvidence(artifacts: NodeArtifacts): string[] {
  const seen: string[] = [];
  for (const unit of RUNTIME_UNITS) {
    const states = findService(artifacts.services ?? [], unit);
    if (isEnabled(states) || isActive(states)) seen.push(`${unit}.service ${isActive(states) ? 'active' : 'enabled'}`);
  }
  if ((artifacts.dockerDaemon ?? []).length > 0) seen.push('docker daemon.json');
  // the bridges and tunnels a container runtime or CNI plugin creates (ip addr)
  const itfs = [...interfacesOf(artifacts.ipAddr ?? []).keys()].filter((n) => CONTAINER_INTERFACE.test(n));
  if (itfs.length > 0) seen.push(`${itfs.slice(0, 2).join(', ')} in ip addr`);
  if ((artifacts.dockerNetworks ?? []).some((d) => d.networks.length > 0)) seen.push('docker networks');
  for (const s of artifacts.sysctl ?? []) {
    if ([...s.values.keys()].some((k) => k.startsWith('net.bridge.bridge-nf-call'))) {
      seen.push('br_netfilter loaded');
      break;
    }
  }
  return seen;
}

/** What the unit state says of dockerd: running, not running (failed / inactive), or nothing known. */
export interface DockerdState {
  running: boolean | undefined;
  /** failed, inactive, deactivating, ... when not running */
  state?: string;
  /** the unit-state line that says so */
  evidence?: Evidence;
}

/**
 * docker.service's run state from `systemctl list-units` / troubleshoot's systemctl JSON. A socket
 * that listens (docker.socket active) does not make dockerd run: only docker.service counts.
 */
export function dockerdState(artifacts: NodeArtifacts): DockerdState {
  const states = findService(artifacts.services ?? [], 'docker');
  const active = isActive(states);
  if (active) return { running: true, state: active.active, evidence: { file: active.ref.file, line: active.ref.line, excerpt: active.excerpt, note: `docker.service is ${active.active}` } };
  const down = states.find((s) => s.active === 'failed') ?? states.find((s) => s.active === 'inactive' || s.active === 'deactivating');
  if (down)
    return {
      running: false,
      state: down.active,
      evidence: { file: down.ref.file, line: down.ref.line, excerpt: down.excerpt, note: `docker.service is ${down.active}${down.sub && down.sub !== down.active ? ` (${down.sub})` : ''}: dockerd is not running` },
    };
  // `systemctl list-units` (sos runs it without --all) lists the loaded units that are active or
  // failed: a docker.service enabled but absent from it is not running (stopped, or never started)
  const listing = (artifacts.services ?? []).find((l) => /list-units(?!-files)/.test(l.file) && l.services.some((x) => x.active !== undefined && x.unit.endsWith('.service')));
  if (listing && states.length > 0 && states.every((x) => x.active === undefined)) {
    const enabled = isEnabled(states);
    if (enabled)
      return {
        running: false,
        state: 'inactive',
        evidence: { file: listing.file, line: 0, excerpt: 'docker.service is not among the loaded units listed', note: `enabled (${enabled.ref.file}:${enabled.ref.line}) but not active or failed: dockerd is not running` },
      };
  }
  return { running: undefined };
}

/** The interface a packet to `dst` leaves by: the most specific route of the main table, else the default route's, else undefined. */
export function routeDevFor(artifacts: NodeArtifacts, dst: string): string | undefined {
  const to = parseCidr(dst);
  if (!to || to.family !== 4) return undefined;
  let best: { prefix: number; dev: string } | undefined;
  for (const t of artifacts.routes ?? [])
    for (const r of t.routes) {
      if (!r.dev || (r.table && r.table !== 'main') || (r.type && r.type !== 'unicast')) continue;
      const c = parseCidr(r.destination === 'default' ? '0.0.0.0/0' : r.destination.includes('/') ? r.destination : `${r.destination}/32`);
      if (!c || c.family !== 4 || !cidrContains(c, to)) continue;
      if (!best || c.prefix > best.prefix) best = { prefix: c.prefix, dev: r.dev };
    }
  return best?.dev;
}

/**
 * A rule as `iptables -A CHAIN <spec>` would take it (for `iptables -D CHAIN <spec>` and to find it in
 * a saved configuration): its own text in iptables-save / -S dumps; rebuilt from the model for a
 * listing (`iptables -L -n -v`), unless the listing hid something (an unknown match, a name it
 * resolved): then undefined, and the caller names the rule by number instead.
 */
export function ruleSpec(rule: Rule): string | undefined {
  const own = /^-A \S+ (.+)$/.exec(rule.text);
  if (own) return own[1];
  if (rule.incomplete?.length || !rule.target || rule.targetKind === 'goto') return undefined;
  const parts: string[] = [];
  const field = (flag: string, v: { value: string; negated: boolean } | undefined, any?: string) => {
    if (v && v.value !== any) parts.push(`${v.negated ? '! ' : ''}${flag} ${v.value}`);
  };
  field('-s', rule.source, '0.0.0.0/0');
  field('-d', rule.destination, '0.0.0.0/0');
  field('-i', rule.inInterface);
  field('-o', rule.outInterface);
  if (rule.protocol && !['all', '0'].includes(rule.protocol.value)) field('-p', rule.protocol);
  for (const m of rule.matches) {
    if (m.module === 'unknown' || m.options.length === 0) return undefined;
    // as iptables-save writes it, not the listing's text (`tcp dpt:5432`)
    parts.push(matchText({ module: m.module, options: m.options }));
  }
  if (rule.comment) parts.push(`-m comment --comment ${JSON.stringify(rule.comment)}`);
  parts.push(`-j ${rule.target}`, ...Object.entries(rule.targetOptions).map(([k, v]) => `--${k} ${v}`));
  return parts.join(' ');
}
