/**
 * `docker network inspect` JSON: one network, an array, several JSON documents in one file
 * (sosreport writes one file per network). Each bridge network is mapped to its host interface:
 * `docker0` for the default `bridge`, the bridge.name option, else `br-<first 12 of the Id>`.
 */
import { z } from 'zod';
import { ParseError, SkipFile, excerpt, type ParseWarning, type SourceRef } from '../model/source.js';

export interface DockerSubnet {
  subnet: string;
  gateway?: string;
  ipRange?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface DockerNetwork {
  id: string;
  name: string;
  driver: string;
  scope?: string;
  internal: boolean;
  /**
   * `"EnableIPv6"`: the network has IPv6 (its IPv6 subnet in IPAM, Docker's ip6tables rules for it);
   * absent when the output does not say (docker network inspect has printed it since Docker 1.10)
   */
  enableIPv6?: { value: boolean; ref: SourceRef; excerpt: string };
  subnets: DockerSubnet[];
  options: Record<string, string>;
  /**
   * where each of `options` stands (com.docker.network.bridge.enable_icc, enable_ip_masquerade,
   * host_binding_ipv4, com.docker.network.driver.mtu, ...): the option's own line
   */
  optionRefs: Record<string, { ref: SourceRef; excerpt: string }>;
  /** the host interface of a bridge network */
  bridgeName?: string;
  containers: { id: string; name?: string; ipv4?: string; ipv6?: string; mac?: string }[];
  ref: SourceRef;
}

export interface DockerNetworks {
  file: string;
  networks: DockerNetwork[];
  warnings: ParseWarning[];
}

const NetworkShape = z
  .object({
    Name: z.string(),
    Id: z.string().optional(),
    ID: z.string().optional(),
    Driver: z.string().optional(),
    Scope: z.string().optional(),
    Internal: z.boolean().optional(),
    EnableIPv6: z.boolean().optional(),
    IPAM: z
      .object({ Config: z.array(z.object({ Subnet: z.string().optional(), Gateway: z.string().optional(), IPRange: z.string().optional() }).loose()).nullable().optional() })
      .loose()
      .optional(),
    Options: z.record(z.string(), z.string()).nullable().optional(),
    Containers: z
      .record(z.string(), z.object({ Name: z.string().optional(), IPv4Address: z.string().optional(), IPv6Address: z.string().optional(), MacAddress: z.string().optional() }).loose())
      .nullable()
      .optional(),
  })
  .loose();

/** Splits concatenated JSON documents (`[...]\n[...]` or `{...}{...}`) by bracket depth, outside strings. */
function documents(text: string): { json: string; offset: number }[] {
  const out: { json: string; offset: number }[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push({ json: text.slice(start, i + 1), offset: start });
        start = -1;
      }
      if (depth < 0) return out;
    }
  }
  return out;
}

export function parseDockerNetworks(text: string, file: string): DockerNetworks {
  const out: DockerNetworks = { file, networks: [], warnings: [] };
  // line of an offset by binary search over the newline positions (files can hold thousands of documents)
  const newlines: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const lineText = (line: number) => text.slice(line === 1 ? 0 : newlines[line - 2] + 1, newlines[line - 1] ?? text.length).trim();
  let sawJson = false;
  for (const doc of documents(text)) {
    let data: unknown;
    try {
      data = JSON.parse(doc.json);
    } catch (err) {
      throw new ParseError(`not valid JSON (${(err as Error).message})`, file, lineAt(doc.offset));
    }
    sawJson = true;
    const items = Array.isArray(data) ? data : [data];
    for (const item of items) {
      const parsed = NetworkShape.safeParse(item);
      if (!parsed.success) continue;
      // a container's `docker inspect` also has Name and Driver (its storage driver): a network has IPAM or Scope
      if (parsed.data.IPAM === undefined && parsed.data.Scope === undefined) continue;
      const n = parsed.data;
      const id = n.Id ?? n.ID ?? '';
      // line of this network: where its Id (or its name) stands inside this document
      const at = (needle: string, from = 0) => {
        const i = doc.json.indexOf(needle, from);
        return i < 0 ? undefined : i;
      };
      const idAt = at(id ? `"${id}"` : JSON.stringify(n.Name)) ?? 0;
      const idLine = lineAt(doc.offset + idAt);
      const options = n.Options ?? {};
      // this network's own text, to its closing brace: its flags and options are looked for there, not in the next network
      const end = endOfObject(doc.json, idAt);
      const refIn = (needle: string) => {
        const i = doc.json.indexOf(needle, idAt);
        if (i < 0 || i >= end) return undefined;
        const line = lineAt(doc.offset + i);
        return { ref: { file, line }, excerpt: excerpt(lineText(line)) };
      };
      const optionRefs: Record<string, { ref: SourceRef; excerpt: string }> = {};
      for (const k of Object.keys(options)) {
        const r = refIn(`${JSON.stringify(k)}:`) ?? refIn(JSON.stringify(k));
        if (r) optionRefs[k] = r;
      }
      const v6At = n.EnableIPv6 === undefined ? undefined : refIn('"EnableIPv6"');
      const enableIPv6 = n.EnableIPv6 === undefined ? undefined : { value: n.EnableIPv6, ...(v6At ?? { ref: { file, line: idLine }, excerpt: `"EnableIPv6": ${n.EnableIPv6}` }) };
      const driver = n.Driver ?? 'bridge';
      const subnets: DockerSubnet[] = [];
      for (const c of n.IPAM?.Config ?? []) {
        if (!c.Subnet) continue;
        const line = lineAt(doc.offset + (at(JSON.stringify(c.Subnet), idAt) ?? idAt));
        subnets.push({ subnet: c.Subnet, gateway: c.Gateway, ipRange: c.IPRange, ref: { file, line }, excerpt: excerpt(lineText(line)) });
      }
      out.networks.push({
        id,
        name: n.Name,
        driver,
        scope: n.Scope,
        internal: n.Internal ?? false,
        ...(enableIPv6 ? { enableIPv6 } : {}),
        subnets,
        options,
        optionRefs,
        bridgeName: driver === 'bridge' ? options['com.docker.network.bridge.name'] ?? (n.Name === 'bridge' ? 'docker0' : id ? `br-${id.slice(0, 12)}` : undefined) : undefined,
        containers: Object.entries(n.Containers ?? {}).map(([cid, c]) => ({ id: cid, name: c.Name, ipv4: c.IPv4Address || undefined, ipv6: c.IPv6Address || undefined, mac: c.MacAddress })),
        ref: { file, line: idLine },
      });
    }
  }
  if (!sawJson) throw new SkipFile(file, 'no JSON');
  if (out.networks.length === 0) throw new SkipFile(file, 'no docker networks in the JSON');
  return out;
}

/** Where the object holding `from` (a place outside any string of it) closes: its brace depth falls below its own there. */
function endOfObject(json: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth < 0) return i;
    }
  }
  return json.length;
}

export function sniffDockerNetworks(head: string): boolean {
  return /^\s*[[{]/.test(head) && /"IPAM"\s*:/.test(head) && /"Driver"\s*:/.test(head);
}
