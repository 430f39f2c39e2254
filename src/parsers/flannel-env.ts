/** flannel's `/run/flannel/subnet.env` and its network configuration (kube-flannel `net-conf.json`, etcd config). */
import { ParseError, SkipFile, lines, type ParseWarning, type SourceRef } from '../model/source.js';
import { networkOf } from './cidr.js';

export interface Setting<T> {
  value: T;
  ref: SourceRef;
  excerpt: string;
}

export interface FlannelSubnetEnv {
  file: string;
  network?: Setting<string>;
  /** as written (10.10.1.1/24: the node's gateway address and prefix) */
  subnet?: Setting<string>;
  /** the subnet as a network: 10.10.1.0/24 */
  subnetNetwork?: string;
  mtu?: Setting<number>;
  ipmasq?: Setting<boolean>;
  ipv6Network?: Setting<string>;
  ipv6Subnet?: Setting<string>;
  warnings: ParseWarning[];
}

const KEY = /^\s*(?:export\s+)?(FLANNEL_[A-Z0-9_]+)\s*=\s*["']?([^"'\s]*)["']?\s*$/;

export function parseSubnetEnv(text: string, file: string): FlannelSubnetEnv {
  const out: FlannelSubnetEnv = { file, warnings: [] };
  let seen = 0;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const m = KEY.exec(all[i]);
    if (!m) continue;
    seen++;
    const ref = { file, line: i + 1 };
    const excerpt = all[i].trim();
    switch (m[1]) {
      case 'FLANNEL_NETWORK':
        out.network = { value: m[2], ref, excerpt };
        break;
      case 'FLANNEL_SUBNET':
        out.subnet = { value: m[2], ref, excerpt };
        out.subnetNetwork = networkOf(m[2]);
        if (!out.subnetNetwork) out.warnings.push({ file, line: i + 1, message: `FLANNEL_SUBNET "${m[2]}" is not an address/prefix` });
        break;
      case 'FLANNEL_MTU':
        out.mtu = { value: Number(m[2]), ref, excerpt };
        break;
      case 'FLANNEL_IPMASQ':
        out.ipmasq = { value: m[2] === 'true', ref, excerpt };
        break;
      case 'FLANNEL_IPV6_NETWORK':
        out.ipv6Network = { value: m[2], ref, excerpt };
        break;
      case 'FLANNEL_IPV6_SUBNET':
        out.ipv6Subnet = { value: m[2], ref, excerpt };
        break;
    }
  }
  if (seen === 0) throw new SkipFile(file, 'no FLANNEL_ variables');
  return out;
}

export function sniffSubnetEnv(head: string): boolean {
  return /^\s*(export\s+)?FLANNEL_(NETWORK|SUBNET)=/m.test(head);
}

export interface FlannelNetConf {
  file: string;
  network?: Setting<string>;
  subnetLen?: Setting<number>;
  backend?: Setting<string>;
  /**
   * the backend's own UDP port when the file sets one: `Port` of vxlan (default 8472 on Linux; 4789 where Windows
   * nodes join) and udp (8285), `ListenPort` of wireguard (51820)
   */
  backendPort?: Setting<number>;
  warnings: ParseWarning[];
}

/** kube-flannel's net-conf.json or the etcd network config: `{"Network": "...", "Backend": {"Type": "vxlan"}}`. */
export function parseFlannelNetConf(text: string, file: string): FlannelNetConf {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  if (!data || typeof data !== 'object' || !('Network' in data)) throw new SkipFile(file, 'no flannel Network key');
  const d = data as { Network?: unknown; SubnetLen?: unknown; Backend?: { Type?: unknown; Port?: unknown; ListenPort?: unknown } };
  const all = lines(text);
  const at = (key: string): SourceRef => ({ file, line: Math.max(1, all.findIndex((l) => l.includes(`"${key}"`)) + 1) });
  const ex = (key: string) => (all.find((l) => l.includes(`"${key}"`)) ?? '').trim();
  const out: FlannelNetConf = { file, warnings: [] };
  if (typeof d.Network === 'string') out.network = { value: d.Network, ref: at('Network'), excerpt: ex('Network') };
  if (typeof d.SubnetLen === 'number') out.subnetLen = { value: d.SubnetLen, ref: at('SubnetLen'), excerpt: ex('SubnetLen') };
  if (typeof d.Backend?.Type === 'string') out.backend = { value: d.Backend.Type, ref: at('Type'), excerpt: ex('Type') };
  const portKey = typeof d.Backend?.ListenPort === 'number' ? 'ListenPort' : 'Port';
  const port = d.Backend?.[portKey];
  if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) out.backendPort = { value: port, ref: at(portKey), excerpt: ex(portKey) };
  return out;
}

export function sniffFlannelNetConf(head: string): boolean {
  return /^\s*\{/.test(head) && /"Network"\s*:\s*"\d/.test(head) && /"Backend"|"SubnetLen"/.test(head);
}
