/**
 * `/etc/docker/daemon.json`: whether Docker manages iptables at all, and through which firewall
 * back end. Both change what "Docker's chains are missing" means.
 */
import { z } from 'zod';
import { ParseError, lines, type SourceRef } from '../model/source.js';
import type { DockerUnitFile, DockerdProcess } from './dockerd-flags.js';
import type { DockerEngineInfo } from './docker-info.js';

export interface DockerDaemonConfig {
  file: string;
  /**
   * Where the settings were read: daemon.json (absent means the same), the running dockerd's
   * command line (`process`: ps output), or raw material for the command line it starts with
   * (`unit`: docker.service and its drop-ins; `env-file`: /etc/sysconfig/docker, /etc/default/docker),
   * which only dockerdSettings (dockerd-flags.ts) can combine. Only `daemon.json` and `process`
   * fill the settings below. `docker-info` / `docker-version`: what the running daemon reported of
   * itself (`docker info`, `docker version`, as text or JSON) in `engine`; dockerEngine (docker-info.ts)
   * combines them.
   */
  origin?: 'daemon.json' | 'process' | 'unit' | 'env-file' | 'docker-info' | 'docker-version';
  /** origin docker-info / docker-version: the daemon's version, Swarm state, rootless mode, firewall back end, warnings */
  engine?: DockerEngineInfo;
  /** origin process: the dockerd processes of the listing (none: the listing shows no dockerd running) */
  processes?: DockerdProcess[];
  /** origin process: the listing is a `systemctl status` CGroup tree (its unit's processes only), not ps */
  cgroup?: true;
  /** origin unit: what the unit file or drop-in says */
  unit?: DockerUnitFile;
  /** origin env-file: its variables */
  env?: Record<string, { value: string; ref: SourceRef; excerpt: string }>;
  /** origin env-file: the path in the host's tree (etc/sysconfig/docker) */
  envPath?: string;
  /** false: `"iptables": false`, Docker writes no rules */
  iptables?: { value: boolean; ref: SourceRef };
  /** Docker 29+: "iptables" (default) or "nftables" */
  firewallBackend?: { value: string; ref: SourceRef };
  bip?: { value: string; ref: SourceRef };
  ipForward?: { value: boolean; ref: SourceRef };
  /** false: `"ip-masq": false`, Docker adds no MASQUERADE rule for the default bridge */
  ipMasq?: { value: boolean; ref: SourceRef };
  /** false: `"userland-proxy": false`, no docker-proxy: the host's own connections to published ports need nat OUTPUT */
  userlandProxy?: { value: boolean; ref: SourceRef };
  defaultAddressPools?: { base: string; size?: number }[];
  /** `"ipv6": true`: IPv6 on the default bridge */
  ipv6?: { value: boolean; ref: SourceRef };
  /** `"ip6tables"`: Docker manages ip6tables (default true since Docker 27; before, only with experimental) */
  ip6tables?: { value: boolean; ref: SourceRef };
  /** `"fixed-cidr-v6"`: the default bridge's IPv6 subnet */
  fixedCidrV6?: { value: string; ref: SourceRef };
  experimental?: { value: boolean; ref: SourceRef };
  /** `"mtu"`: the MTU Docker gives the default bridge docker0 and its containers' veths (1500 when unset); user networks take com.docker.network.driver.mtu */
  mtu?: { value: number; ref: SourceRef };
  /** false: `"icc": false`, no traffic between containers of the default bridge (Docker implements it with iptables rules) */
  icc?: { value: boolean; ref: SourceRef };
  /** `"bridge"`: the default bridge's interface instead of docker0; `"none"`: no default bridge at all */
  bridge?: { value: string; ref: SourceRef };
}

const Schema = z
  .object({
    iptables: z.boolean().optional(),
    'firewall-backend': z.string().optional(),
    bip: z.string().optional(),
    'ip-forward': z.boolean().optional(),
    'ip-masq': z.boolean().optional(),
    'userland-proxy': z.boolean().optional(),
    ipv6: z.boolean().optional(),
    ip6tables: z.boolean().optional(),
    'fixed-cidr-v6': z.string().optional(),
    experimental: z.boolean().optional(),
    // read leniently: a file that was read before these keys were must not fail on them (dockerd refuses a wrong type itself)
    mtu: z.unknown().optional(),
    icc: z.unknown().optional(),
    bridge: z.unknown().optional(),
    'default-address-pools': z.array(z.object({ base: z.string(), size: z.number().optional() })).optional(),
  })
  .loose();

export function parseDockerDaemonJson(text: string, file: string): DockerDaemonConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (err) {
    throw new ParseError(`not valid JSON (${(err as Error).message})`, file);
  }
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) throw new ParseError(`unexpected daemon.json shape (${parsed.error.issues[0]?.message ?? 'invalid'})`, file);
  const d = parsed.data;
  const fileLines = lines(text);
  const refOf = (key: string): SourceRef => {
    const i = fileLines.findIndex((l) => l.includes(`"${key}"`));
    return { file, line: i < 0 ? 1 : i + 1 };
  };
  // the top-level key with a value of its type: not "bridge" of "default-network-opts": { "bridge": { ... } }
  const refOfValue = (key: string, value: RegExp): SourceRef => {
    const re = new RegExp(`"${key}"\\s*:\\s*${value.source}`);
    const i = fileLines.findIndex((l) => re.test(l));
    return i < 0 ? refOf(key) : { file, line: i + 1 };
  };
  const out: DockerDaemonConfig = { file, origin: 'daemon.json' };
  if (d.iptables !== undefined) out.iptables = { value: d.iptables, ref: refOf('iptables') };
  if (d['firewall-backend'] !== undefined) out.firewallBackend = { value: d['firewall-backend'], ref: refOf('firewall-backend') };
  if (d.bip !== undefined) out.bip = { value: d.bip, ref: refOf('bip') };
  if (d['ip-forward'] !== undefined) out.ipForward = { value: d['ip-forward'], ref: refOf('ip-forward') };
  if (d['ip-masq'] !== undefined) out.ipMasq = { value: d['ip-masq'], ref: refOf('ip-masq') };
  if (d['userland-proxy'] !== undefined) out.userlandProxy = { value: d['userland-proxy'], ref: refOf('userland-proxy') };
  if (d['default-address-pools']) out.defaultAddressPools = d['default-address-pools'];
  if (d.ipv6 !== undefined) out.ipv6 = { value: d.ipv6, ref: refOf('ipv6') };
  if (d.ip6tables !== undefined) out.ip6tables = { value: d.ip6tables, ref: refOf('ip6tables') };
  if (d['fixed-cidr-v6'] !== undefined) out.fixedCidrV6 = { value: d['fixed-cidr-v6'], ref: refOf('fixed-cidr-v6') };
  if (d.experimental !== undefined) out.experimental = { value: d.experimental, ref: refOf('experimental') };
  if (typeof d.mtu === 'number' && Number.isInteger(d.mtu) && d.mtu > 0) out.mtu = { value: d.mtu, ref: refOfValue('mtu', /\d/) };
  if (typeof d.icc === 'boolean') out.icc = { value: d.icc, ref: refOfValue('icc', /(true|false)/) };
  if (typeof d.bridge === 'string') out.bridge = { value: d.bridge, ref: refOfValue('bridge', /"/) };
  return out;
}
