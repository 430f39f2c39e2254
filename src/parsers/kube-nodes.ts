/**
 * Kubernetes Node objects: troubleshoot's cluster-resources/nodes.json (a NodeList, or a bare array),
 * `kubectl get nodes -o json` / `kubectl get node X -o json`, and `kubectl get nodes -o yaml` (read line by
 * line: metadata.name, the flannel annotations, spec.podCIDR(s), status.addresses). Per node: its name,
 * InternalIP(s), podCIDR(s) and flannel's annotations (flannel.alpha.coreos.com/backend-type,
 * backend-data's VtepMAC, public-ip, and the IPv6 ones: backend-v6-data, public-ipv6), each with the line
 * it sits on in the text (found by scanning the text, since JSON.parse keeps no positions).
 */
import { ParseError, SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';

export interface Located<T = string> {
  value: T;
  ref: SourceRef;
  excerpt: string;
}

export interface FlannelAnnotations {
  backendType?: Located;
  /** VtepMAC of backend-data (lower case); absent when backend-data is `null` (host-gw) */
  vtepMac?: Located;
  publicIp?: Located;
  vtepMacV6?: Located;
  publicIpv6?: Located;
  /** public-ip-overwrite: the public address set on purpose (k3s' node-external-ip, flannel's annotation) */
  publicIpOverwrite?: Located;
}

export interface KubeNode {
  name: string;
  ref: SourceRef;
  internalIps: string[];
  podCidrs: string[];
  /** status.nodeInfo.kubeletVersion (v1.24.4+k3s1 tells k3s's version), where shown */
  kubeletVersion?: string;
  flannel: FlannelAnnotations;
}

export interface KubeNodeList {
  file: string;
  format: 'json' | 'yaml';
  nodes: KubeNode[];
}

const PREFIX = 'flannel.alpha.coreos.com/';
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

export function parseKubeNodes(text: string, file: string): KubeNodeList {
  const t = text.trimStart();
  if (t.startsWith('{') || /^\[\s*[{\]]/.test(t)) return parseJson(text, file);
  if (/^\s*kind:\s*(Node|List)\b/m.test(text) || /^\s*flannel\.alpha\.coreos\.com\/backend-data:/m.test(text)) return parseYaml(text, file);
  throw new SkipFile(file, 'no Node objects');
}

/** Content test: a Node / NodeList in JSON or YAML. */
export function sniffKubeNodes(head: string): boolean {
  return /"kind":\s*"(NodeList|Node)"/.test(head) || (/^kind:\s*Node\s*$/m.test(head) && /^\s*podCIDR|^\s*flannel\.alpha\.coreos\.com\//m.test(head)) || /^\s*-?\s*kind:\s*Node\s*$/m.test(head) && /^\s*apiVersion:\s*v1\s*$/m.test(head) && /^\s*(kubeletVersion|podCIDR):/m.test(head);
}

function vtepOf(data: unknown): string | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const v = JSON.parse(data) as { VtepMAC?: unknown } | null;
    return v && typeof v.VtepMAC === 'string' && MAC.test(v.VtepMAC) ? v.VtepMAC.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string, file: string): KubeNodeList {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError(`not valid JSON: ${(e as Error).message}`, file);
  }
  const items: unknown[] = Array.isArray(doc) ? doc : (doc as { kind?: string; items?: unknown[] })?.kind === 'Node' ? [doc] : ((doc as { items?: unknown[] })?.items ?? []);
  const all = lines(text);
  const out: KubeNodeList = { file, format: 'json', nodes: [] };
  // positions: each node's metadata.name line, in order, then its annotations between it and the next
  let from = 0;
  const starts: number[] = [];
  const nodes = items.filter((x): x is Record<string, any> => !!x && typeof x === 'object' && typeof (x as any).metadata?.name === 'string' && ((x as any).kind === undefined || (x as any).kind === 'Node'));
  for (const n of nodes) {
    const needle = new RegExp(`"name"\\s*:\\s*${JSON.stringify(n.metadata.name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    let at = -1;
    for (let i = from; i < all.length; i++) if (needle.test(all[i])) { at = i; break; }
    starts.push(at < 0 ? from : at);
    if (at >= 0) from = at + 1;
  }
  nodes.forEach((n, k) => {
    const start = starts[k];
    const end = k + 1 < starts.length ? starts[k + 1] : all.length;
    const find = (key: string): SourceRef & { excerpt: string } => {
      const needle = `"${PREFIX}${key}"`;
      for (let i = start; i < end; i++) if (all[i].includes(needle)) return { file, line: i + 1, excerpt: capped(all[i].trim()) };
      return { file, line: start + 1, excerpt: capped(all[start]?.trim() ?? '') };
    };
    const ann: Record<string, unknown> = n.metadata.annotations ?? {};
    const loc = (key: string, value: string | undefined): Located | undefined => {
      if (value === undefined) return undefined;
      const r = find(key);
      return { value, ref: { file: r.file, line: r.line }, excerpt: r.excerpt };
    };
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const flannel: FlannelAnnotations = {};
    const bt = loc('backend-type', str(ann[`${PREFIX}backend-type`]));
    if (bt) flannel.backendType = bt;
    const vm = loc('backend-data', vtepOf(ann[`${PREFIX}backend-data`]));
    if (vm) flannel.vtepMac = vm;
    const ip = loc('public-ip', str(ann[`${PREFIX}public-ip`]));
    if (ip) flannel.publicIp = ip;
    const vm6 = loc('backend-v6-data', vtepOf(ann[`${PREFIX}backend-v6-data`]));
    if (vm6) flannel.vtepMacV6 = vm6;
    const ip6 = loc('public-ipv6', str(ann[`${PREFIX}public-ipv6`]));
    if (ip6) flannel.publicIpv6 = ip6;
    const over = loc('public-ip-overwrite', str(ann[`${PREFIX}public-ip-overwrite`]));
    if (over) flannel.publicIpOverwrite = over;
    const addresses: { type?: string; address?: string }[] = Array.isArray(n.status?.addresses) ? n.status.addresses : [];
    const podCidrs: string[] = Array.isArray(n.spec?.podCIDRs) ? n.spec.podCIDRs.filter((c: unknown) => typeof c === 'string') : typeof n.spec?.podCIDR === 'string' ? [n.spec.podCIDR] : [];
    out.nodes.push({
      name: n.metadata.name,
      ref: { file, line: start + 1 },
      internalIps: addresses.filter((a) => a?.type === 'InternalIP' && typeof a.address === 'string').map((a) => a.address!),
      podCidrs,
      ...(typeof n.status?.nodeInfo?.kubeletVersion === 'string' ? { kubeletVersion: n.status.nodeInfo.kubeletVersion } : {}),
      flannel,
    });
  });
  if (out.nodes.length === 0) throw new SkipFile(file, 'no Node objects');
  return out;
}

/** `kubectl get nodes -o yaml` (or one node, or a grep of its annotations), line by line. */
function parseYaml(text: string, file: string): KubeNodeList {
  const all = lines(text);
  const out: KubeNodeList = { file, format: 'yaml', nodes: [] };
  let cur: KubeNode | undefined;
  let inMetadata = -1;
  let inPodCidrs = -1;
  let pendingAddr: { address?: string; type?: string; indent: number } | undefined;
  const flush = () => {
    if (pendingAddr?.type === 'InternalIP' && pendingAddr.address && cur) cur.internalIps.push(pendingAddr.address);
    pendingAddr = undefined;
  };
  const node = (i: number): KubeNode => {
    if (!cur) {
      cur = { name: '', ref: { file, line: i + 1 }, internalIps: [], podCidrs: [], flannel: {} };
      out.nodes.push(cur);
    }
    return cur;
  };
  const unquote = (v: string) => v.trim().replace(/^'(.*)'$/, (_, s: string) => s.replace(/''/g, "'")).replace(/^"(.*)"$/, (_, s: string) => s.replace(/\\"/g, '"'));
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const indent = raw.length - raw.trimStart().length;
    const t = raw.trim().replace(/^-\s+/, '');
    const ref = { file, line: i + 1 };
    if (/^kind:\s*Node\s*$/.test(t)) {
      flush();
      // a new item starts at `- apiVersion: v1` / `kind: Node` of a List; keep the one the metadata opened
      if (cur && cur.name) cur = undefined;
      node(i);
      continue;
    }
    if (/^metadata:\s*$/.test(t)) {
      if (cur && cur.name) cur = undefined;
      node(i);
      inMetadata = indent;
      continue;
    }
    const name = /^name:\s*(\S+)\s*$/.exec(t);
    if (name && inMetadata >= 0 && indent === inMetadata + 2 && cur && !cur.name) {
      cur.name = unquote(name[1]);
      cur.ref = ref;
      continue;
    }
    const ann = /^flannel\.alpha\.coreos\.com\/(backend-data|backend-type|public-ip|backend-v6-data|public-ipv6|public-ip-overwrite):\s*(.*)$/.exec(t);
    if (ann) {
      const n = node(i);
      const v = unquote(ann[2]);
      const loc = (value: string): Located => ({ value, ref, excerpt: capped(raw.trim()) });
      if (ann[1] === 'backend-type' && v) n.flannel.backendType = loc(v);
      else if (ann[1] === 'public-ip' && v) n.flannel.publicIp = loc(v);
      else if (ann[1] === 'public-ipv6' && v) n.flannel.publicIpv6 = loc(v);
      else if (ann[1] === 'public-ip-overwrite' && v) n.flannel.publicIpOverwrite = loc(v);
      else if (ann[1] === 'backend-data') {
        const m = vtepOf(v);
        if (m) n.flannel.vtepMac = loc(m);
      } else if (ann[1] === 'backend-v6-data') {
        const m = vtepOf(v);
        if (m) n.flannel.vtepMacV6 = loc(m);
      }
      continue;
    }
    const pc = /^podCIDR:\s*(\S+)\s*$/.exec(t);
    if (pc && cur) {
      if (!cur.podCidrs.includes(unquote(pc[1]))) cur.podCidrs.push(unquote(pc[1]));
      continue;
    }
    if (/^podCIDRs:\s*$/.test(t)) {
      inPodCidrs = indent;
      continue;
    }
    if (inPodCidrs >= 0) {
      const item = /^\s*-\s*(\S+)\s*$/.exec(raw);
      if (item && indent >= inPodCidrs && cur) {
        const c = unquote(item[1]);
        if (!cur.podCidrs.includes(c)) cur.podCidrs.push(c);
        continue;
      }
      inPodCidrs = -1;
    }
    const addr = /^address:\s*(\S+)\s*$/.exec(t);
    const typ = /^type:\s*(\S+)\s*$/.exec(t);
    if ((addr || typ) && cur) {
      if (raw.trimStart().startsWith('- ')) flush();
      pendingAddr ??= { indent };
      if (addr) pendingAddr.address = unquote(addr[1]);
      if (typ) pendingAddr.type = unquote(typ[1]);
      continue;
    }
    const kv = /^kubeletVersion:\s*(\S+)\s*$/.exec(t);
    if (kv && cur) cur.kubeletVersion = unquote(kv[1]);
  }
  flush();
  out.nodes = out.nodes.filter((n) => n.name || n.flannel.vtepMac || n.flannel.vtepMacV6);
  if (out.nodes.length === 0) throw new SkipFile(file, 'no Node objects');
  return out;
}
