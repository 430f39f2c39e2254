/**
 * systemd-networkd's own view of the links: `networkctl` / `networkctl list` (IDX LINK TYPE OPERATIONAL SETUP)
 * and `networkctl status <link>` / `networkctl status -a` (sos's networking plugin: networkctl_status_-a), blocks
 * that start `● 2: docker0` with `Network File:` and `State: routable (configured)` lines.
 *
 * SETUP says whether networkd manages the link: `configured` / `configuring` / `configured (…)` / `failed` /
 * `linger` mean a .network file matched it; `unmanaged` that none did (or it says Unmanaged=yes); `pending` that
 * udev has not initialised it yet (networkd has not decided).
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';

export interface NetworkctlLink {
  name: string;
  index?: number;
  /** networkctl's TYPE: ether, bridge, vxlan, loopback, none, wlan, ... */
  type?: string;
  /** `Kind:` of a status block (bridge, veth, vxlan), where networkctl prints it */
  kind?: string;
  driver?: string;
  operational?: string;
  /** SETUP: configured, configuring, unmanaged, pending, failed, linger */
  setup?: string;
  /** the .network file networkd applied (`Network File:`), absent for `n/a` */
  networkFile?: string;
  linkFile?: string;
  /** `Address:` lines of a status block */
  addresses?: string[];
  /** the list row, or the status block's `●` line */
  ref: SourceRef;
  excerpt: string;
  /** the line that shows SETUP: the list row, or the status block's `State:` line */
  setupRef?: SourceRef;
  setupExcerpt?: string;
  networkFileRef?: SourceRef;
  networkFileExcerpt?: string;
  from: 'list' | 'status';
}

export interface NetworkctlOutput {
  file: string;
  links: NetworkctlLink[];
}

const LIST_HEADER = /^\s*IDX\s+LINK\s+TYPE\s+OPERATIONAL\s+SETUP\s*$/;
const LIST_ROW = /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/;
const STATUS_HEAD = /^\s*●?\s*(\d+):\s+(\S+)\s*$/;
const FIELD = /^\s*([A-Z][A-Za-z0-9 ()/-]*?):\s+(.*?)\s*$/;
/** a value continued on the next line (Address:, DNS:), indented past the key column */
const CONTINUED = /^\s{10,}(\S.*?)\s*$/;

export function parseNetworkctl(text: string, file: string): NetworkctlOutput {
  const links: NetworkctlLink[] = [];
  const all = lines(text);
  let inList = false;
  let cur: NetworkctlLink | undefined;
  let lastKey: string | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i].replace(/\r$/, '');
    const ref = { file, line: i + 1 };
    if (LIST_HEADER.test(raw)) {
      inList = true;
      cur = undefined;
      continue;
    }
    if (inList) {
      const r = LIST_ROW.exec(raw);
      if (r) {
        links.push({ name: r[2], index: Number(r[1]), type: r[3], operational: r[4], setup: r[5], ref, excerpt: capped(raw.trim()), setupRef: ref, setupExcerpt: capped(raw.trim()), from: 'list' });
        continue;
      }
      // "4 links listed." or a blank line ends the table
      inList = false;
    }
    const h = STATUS_HEAD.exec(raw);
    if (h && /●|^\s*\d+:/.test(raw)) {
      cur = { name: h[2], index: Number(h[1]), ref, excerpt: capped(raw.trim()), from: 'status' };
      links.push(cur);
      lastKey = undefined;
      continue;
    }
    if (!cur) continue;
    if (raw.trim() === '') {
      lastKey = undefined;
      continue;
    }
    const f = FIELD.exec(raw);
    if (f) {
      lastKey = f[1];
      const value = f[2];
      const na = value === 'n/a';
      switch (f[1]) {
        case 'Network File':
          if (!na) {
            cur.networkFile = value;
            cur.networkFileRef = ref;
            cur.networkFileExcerpt = capped(raw.trim());
          }
          break;
        case 'Link File':
          if (!na) cur.linkFile = value;
          break;
        case 'State': {
          // v252: "no-carrier (configured)"; older: "routable (configured)"
          const s = /^(\S+)\s+\(([^)]+)\)/.exec(value);
          if (s) {
            cur.operational = s[1];
            cur.setup = s[2];
            cur.setupRef = ref;
            cur.setupExcerpt = capped(raw.trim());
          }
          break;
        }
        case 'Type':
          cur.type = value;
          break;
        case 'Kind':
          cur.kind = value;
          break;
        case 'Driver':
          cur.driver = value;
          break;
        case 'Address':
          cur.addresses = [...(cur.addresses ?? []), value.replace(/\s+\(.*\)$/, '')];
          break;
      }
      continue;
    }
    const c = CONTINUED.exec(raw);
    if (c && lastKey === 'Address') cur.addresses = [...(cur.addresses ?? []), c[1].replace(/\s+\(.*\)$/, '')];
  }
  if (links.length === 0) throw new SkipFile(file, 'no networkctl links');
  return { file, links };
}

/** Content test: networkctl's list header, or a status block (`● 2: docker0` with its Network File line). */
export function sniffNetworkctl(head: string): boolean {
  if (/^\s*IDX\s+LINK\s+TYPE\s+OPERATIONAL\s+SETUP\s*$/m.test(head)) return true;
  return /^\s*●\s*\d+:\s+\S+\s*$/m.test(head) && /^\s+Network File:\s/m.test(head) && /^\s+(?:State|Type):\s/m.test(head);
}

/** SETUP values that mean a .network file matched the link and networkd acts on it. */
export function isManaged(setup: string | undefined): boolean {
  return setup !== undefined && /^(configured|configuring|failed)$/.test(setup);
}

/** Every link networkctl shows, merged by name across files (a status block's Network File added to a list row). */
export function networkctlLinks(outputs: readonly NetworkctlOutput[]): Map<string, NetworkctlLink[]> {
  const out = new Map<string, NetworkctlLink[]>();
  for (const o of outputs) for (const l of o.links) out.set(l.name, [...(out.get(l.name) ?? []), l]);
  return out;
}
