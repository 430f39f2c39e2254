/**
 * The Amazon VPC CNI's (aws-node's ipamd) network settings, as its introspection endpoint
 * `GET localhost:61679/v1/networkutils-env-settings` prints them: the JSON of
 * networkutils.GetConfigForDebug() (aws/amazon-vpc-cni-k8s pkg/networkutils/network.go), a map of
 * the environment variables ipamd's network code reads to the values it uses, e.g.
 *
 *   {"AWS_EXTERNAL_SERVICE_CIDRS":null,"AWS_VPC_CNI_NODE_PORT_SUPPORT":true,"AWS_VPC_ENI_MTU":9001,
 *    "AWS_VPC_K8S_CNI_CONNMARK":128,"AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS":null,
 *    "AWS_VPC_K8S_CNI_EXTERNALSNAT":false,"AWS_VPC_K8S_CNI_RANDOMIZESNAT":2,"AWS_VPC_K8S_CNI_VETHPREFIX":"eni"}
 *
 * Go's encoding/json writes it on one line with the keys sorted; `| python -m json.tool` (as people
 * paste it) a key per line. Older versions have fewer keys (EXTERNALSNAT, NODE_PORT_SUPPORT,
 * CONNMARK, RANDOMIZESNAT; some AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER). The exclusions are a list of
 * CIDRs or null; RANDOMIZESNAT is ipamd's snatType number: 0 none (sequential ports), 1 hashrandom
 * (`--random`), 2 prng (`--random-fully`).
 *
 * Where bundles have it: the EKS log collector's `ipamd/networkutils-env-settings.json` (curl of the
 * endpoint; empty when introspection is off or ipamd is down), aws-cni-support.sh's
 * `/var/log/aws-routed-eni/networkutils-env.out`.
 */
import { ParseError, SkipFile, excerpt as cut, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface AwsCniSetting<T> {
  value: T;
  ref: SourceRef;
  /** the key and its value as the file writes them: `"AWS_VPC_K8S_CNI_EXTERNALSNAT":false` */
  excerpt: string;
}

export type SnatPorts = 'none' | 'hashrandom' | 'prng';

export interface AwsCniNetworkSettings {
  file: string;
  /** AWS_VPC_K8S_CNI_EXTERNALSNAT: true = a NAT gateway source-NATs pods' traffic, aws-node writes no SNAT */
  externalSnat?: AwsCniSetting<boolean>;
  /** AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: destinations aws-node RETURNs before its SNAT (besides the VPC's CIDRs) */
  excludeSnatCidrs?: AwsCniSetting<string[]>;
  /** AWS_VPC_K8S_CNI_RANDOMIZESNAT: the SNAT rule's port option */
  randomizeSnat?: AwsCniSetting<SnatPorts>;
  /** AWS_VPC_CNI_NODE_PORT_SUPPORT */
  nodePortSupport?: AwsCniSetting<boolean>;
  /** AWS_VPC_K8S_CNI_CONNMARK */
  connmark?: AwsCniSetting<number>;
  /** AWS_VPC_K8S_CNI_VETHPREFIX: the host side of pods' veths is `<prefix><11 hex>` */
  vethPrefix?: AwsCniSetting<string>;
  /** AWS_EXTERNAL_SERVICE_CIDRS */
  externalServiceCidrs?: AwsCniSetting<string[]>;
  warnings: ParseWarning[];
}

const SNAT_TYPES: Record<string, SnatPorts> = { '0': 'none', '1': 'hashrandom', '2': 'prng', none: 'none', hashrandom: 'hashrandom', prng: 'prng' };

export function parseAwsCniNetworkSettings(text: string, file: string): AwsCniNetworkSettings {
  if (text.trim() === '') throw new SkipFile(file, 'empty: ipamd did not answer the collector (introspection off, or aws-node not running)');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data) || !Object.keys(data).some((k) => /^AWS_VPC_/.test(k))) throw new SkipFile(file, 'no AWS_VPC_ settings');
  const d = data as Record<string, unknown>;
  const all = lines(text);
  const out: AwsCniNetworkSettings = { file, warnings: [] };
  const at = (key: string): { ref: SourceRef; excerpt: string } => {
    const i = all.findIndex((l) => l.includes(`"${key}"`));
    const line = i < 0 ? '' : all[i];
    // the key and its value, whether the file is one line (as ipamd writes it) or pretty-printed
    const m = new RegExp(`"${key}"\\s*:\\s*(?:null|true|false|-?\\d+(?:\\.\\d+)?|"(?:[^"\\\\]|\\\\.)*"|\\[[^\\]]*\\])`).exec(line);
    return { ref: { file, line: i + 1 }, excerpt: cut(m ? m[0] : line.trim()) };
  };
  const bool = (key: string): AwsCniSetting<boolean> | undefined => {
    const v = d[key];
    if (v === undefined) return undefined;
    // ipamd prints the value it uses: a bool; a string only if someone wrote the file by hand
    const b = typeof v === 'boolean' ? v : typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : undefined;
    if (b === undefined) {
      out.warnings.push({ file, line: at(key).ref.line, message: `${key} is not a boolean (${JSON.stringify(v)})` });
      return undefined;
    }
    return { value: b, ...at(key) };
  };
  const cidrs = (key: string): AwsCniSetting<string[]> | undefined => {
    const v = d[key];
    if (v === undefined) return undefined;
    if (v === null) return { value: [], ...at(key) };
    const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : undefined;
    if (!list || !list.every((x) => typeof x === 'string')) {
      out.warnings.push({ file, line: at(key).ref.line, message: `${key} is not a list of CIDRs (${JSON.stringify(v)})` });
      return undefined;
    }
    return { value: (list as string[]).map((x) => x.trim()).filter(Boolean), ...at(key) };
  };
  out.externalSnat = bool('AWS_VPC_K8S_CNI_EXTERNALSNAT');
  out.nodePortSupport = bool('AWS_VPC_CNI_NODE_PORT_SUPPORT');
  out.excludeSnatCidrs = cidrs('AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS');
  out.externalServiceCidrs = cidrs('AWS_EXTERNAL_SERVICE_CIDRS');
  const r = d.AWS_VPC_K8S_CNI_RANDOMIZESNAT;
  if (r !== undefined) {
    const t = SNAT_TYPES[String(r).toLowerCase()];
    if (t) out.randomizeSnat = { value: t, ...at('AWS_VPC_K8S_CNI_RANDOMIZESNAT') };
    else out.warnings.push({ file, line: at('AWS_VPC_K8S_CNI_RANDOMIZESNAT').ref.line, message: `AWS_VPC_K8S_CNI_RANDOMIZESNAT is not a SNAT type ipamd knows (${JSON.stringify(r)})` });
  }
  if (typeof d.AWS_VPC_K8S_CNI_CONNMARK === 'number') out.connmark = { value: d.AWS_VPC_K8S_CNI_CONNMARK, ...at('AWS_VPC_K8S_CNI_CONNMARK') };
  if (typeof d.AWS_VPC_K8S_CNI_VETHPREFIX === 'string' && /^[A-Za-z0-9]+$/.test(d.AWS_VPC_K8S_CNI_VETHPREFIX)) out.vethPrefix = { value: d.AWS_VPC_K8S_CNI_VETHPREFIX, ...at('AWS_VPC_K8S_CNI_VETHPREFIX') };
  return out;
}

/** A file no path names: the endpoint's JSON, by its keys. */
export function sniffAwsCniNetworkSettings(head: string): boolean {
  return /^\s*\{/.test(head) && /"AWS_VPC_K8S_CNI_EXTERNALSNAT"\s*:/.test(head);
}
