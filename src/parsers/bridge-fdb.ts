/**
 * The forwarding database as iproute2's `bridge fdb show` prints it: `bridge fdb [show]`, `bridge -d fdb`,
 * `bridge -s -s -d -t fdb show` (sosreport's networking plugin: sos_commands/networking/bridge_-s_-s_-d_-t_fdb_show),
 * and `bridge fdb show dev flannel.1` (the device is then not printed: it is taken from the file name where
 * the name says it, else left unknown). Each entry keeps its file and line.
 *
 * flannel's VXLAN backend adds, per peer node, `<peer VTEP MAC> dev flannel.1 dst <peer public IP> self permanent`
 * (pkg/backend/vxlan/vxlan_network.go: AddFDB).
 */
import { SkipFile, excerpt as capped, lines, type ParseWarning, type SourceRef } from '../model/source.js';

export interface FdbEntry {
  /** lower case */
  mac: string;
  dev?: string;
  /** VXLAN remote (the peer's public IP) */
  dst?: string;
  vlan?: number;
  vni?: number;
  port?: number;
  /** `master br0` */
  master?: string;
  /** self, master, permanent, static, dynamic, router, offload, extern_learn, sticky, ... */
  flags: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface BridgeFdbList {
  file: string;
  entries: FdbEntry[];
  warnings: ParseWarning[];
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const WITH_ARG = new Set(['dev', 'dst', 'vlan', 'vni', 'port', 'master', 'via', 'src_vni', 'nhid', 'used', 'state']);

/** `ctx.devHint`: the device a `bridge fdb show dev X` listing was of (from the file name), for lines that omit it. */
export function parseBridgeFdb(text: string, file: string, devHint?: string): BridgeFdbList {
  const all = lines(text);
  const out: BridgeFdbList = { file, entries: [], warnings: [] };
  const hint = devHint ?? devFromName(file);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (raw.length > 4096) continue;
    const t = raw.trim();
    const w = t.split(/\s+/);
    if (!MAC.test(w[0] ?? '')) continue;
    // a fdb line continues with a keyword or a flag; anything else (an `ip neigh`-like line) is not ours
    if (w.length > 1 && !WITH_ARG.has(w[1]) && !/^(self|master|permanent|static|dynamic|router|offload|extern_learn|sticky|local)$/.test(w[1])) continue;
    const e: FdbEntry = { mac: w[0].toLowerCase(), flags: [], ref: { file, line: i + 1 }, excerpt: capped(t) };
    for (let j = 1; j < w.length; j++) {
      const x = w[j];
      if (x === 'dev') e.dev = w[++j];
      else if (x === 'dst') e.dst = w[++j];
      else if (x === 'vlan') e.vlan = Number(w[++j]);
      else if (x === 'vni') e.vni = Number(w[++j]);
      else if (x === 'port') e.port = Number(w[++j]);
      else if (x === 'master') {
        // `master br0` names the bridge; a bare `master` (older iproute2) is a flag
        if (w[j + 1] && !/^(permanent|static|dynamic|offload|extern_learn|sticky|self)$/.test(w[j + 1])) e.master = w[++j];
        else e.flags.push('master');
      } else if (WITH_ARG.has(x)) j++;
      else e.flags.push(x);
    }
    if (!e.dev && hint) e.dev = hint;
    out.entries.push(e);
  }
  if (out.entries.length === 0) throw new SkipFile(file, 'no fdb entries');
  return out;
}

/** `bridge_fdb_show_dev_flannel.1`, `bridge-fdb-show-dev-flannel.1.txt` -> flannel.1 */
function devFromName(file: string): string | undefined {
  const base = file.split('/').pop() ?? '';
  const m = /fdb[-_ ]show[-_ ]dev[-_ ](.+?)(?:\.txt|\.out|\.log)?$/i.exec(base);
  return m?.[1];
}

/** Content test: `<mac> dev <if> ... (self|master ...) [permanent]` lines, or `<mac> dst <ip> self` of a per-device listing. */
export function sniffBridgeFdb(head: string): boolean {
  return /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}\s+(?:dev\s+\S+\s+)?(?:(?:vlan|dst|vni|port|master|via|src_vni|nhid)\s+\S+\s+)*(?:used\s+\S+\s+)?(?:self|master|permanent|static|offload|extern_learn)\b/im.test(head);
}

/** The entries on one device with a VXLAN remote (flannel's per-peer entries on flannel.1 / flannel-v6.1). */
export function remotesOn(lists: readonly BridgeFdbList[], dev: string): FdbEntry[] {
  return lists.flatMap((l) => l.entries.filter((e) => e.dev === dev && e.dst !== undefined && e.mac !== '00:00:00:00:00:00'));
}
