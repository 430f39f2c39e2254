/**
 * firewalld's view of the host: `firewall-cmd --list-all-zones` / `--list-all` output, the zone
 * files in etc/firewalld/zones/*.xml, and etc/firewalld/firewalld.conf. Zones from either source
 * come out alike (rich rules from XML are written the way firewall-cmd prints them), so an
 * analyzer need not care which one a bundle had.
 */
import { ParseError, SkipFile, lines as splitLines, type ParseWarning, type SourceRef } from '../model/source.js';
import type { NftRuleset } from './model.js';

export type FirewalldTarget = 'default' | 'ACCEPT' | 'DROP' | 'REJECT';

export interface FirewalldPort {
  /** `5432` or a range `30000-32767` */
  port: string;
  protocol: string;
  ref: SourceRef;
}

export interface FirewalldForwardPort {
  port: string;
  protocol: string;
  toPort?: string;
  toAddr?: string;
}

export type FirewalldField =
  | 'target' | 'interfaces' | 'sources' | 'services' | 'ports' | 'protocols' | 'forward' | 'masquerade'
  | 'forwardPorts' | 'sourcePorts' | 'icmpBlocks' | 'icmpBlockInversion' | 'richRules';

export interface FirewalldZone {
  name: string;
  /** `(active)` in firewall-cmd output: the zone has interfaces or sources bound */
  active?: boolean;
  /** `(default)` in firewall-cmd output, when that version prints it */
  default?: boolean;
  target: FirewalldTarget;
  interfaces: string[];
  /** addresses, `ipset:NAME`, MAC addresses */
  sources: string[];
  services: string[];
  ports: FirewalldPort[];
  protocols: string[];
  /** intra-zone forwarding (firewalld >= 0.9); absent when the source does not say */
  forward?: boolean;
  masquerade?: boolean;
  forwardPorts: FirewalldForwardPort[];
  sourcePorts: { port: string; protocol: string }[];
  icmpBlocks: string[];
  icmpBlockInversion?: boolean;
  /** as firewall-cmd prints them: `rule family="ipv4" source address="192.0.2.0/24" port port="5432" protocol="tcp" accept` */
  richRules: string[];
  /** the zone header line, or the `<zone>` element */
  ref: SourceRef;
  /** where each field was read (first line of a field spanning several) */
  fieldRefs: Partial<Record<FirewalldField, SourceRef>>;
  /**
   * XML only: the line of each `<interface name="..."/>` element, by the name as written (`docker+` too).
   * firewall-cmd lists every interface of a zone on its one `interfaces:` line: fieldRefs.interfaces there.
   */
  interfaceRefs?: Record<string, SourceRef>;
  /** XML only */
  short?: string;
}

export interface FirewalldZones {
  file: string;
  zones: FirewalldZone[];
  /** the zone marked `(default)`, if the output marks one */
  defaultZone?: string;
  warnings: ParseWarning[];
}

export interface FirewalldConf {
  file: string;
  defaultZone?: string;
  backend?: 'nftables' | 'iptables';
  /** every KEY=value setting, by key */
  settings: Record<string, string>;
  refs: Record<string, SourceRef>;
}

const ZONE_HEADER = /^([A-Za-z0-9_.+-]+)(?:\s+\(([^)]*)\))?\s*$/;
const FIELD_LINE = /^\s+([a-z-]+(?: [a-z]+)?):\s?(.*)$/;

const FIELD_BY_LABEL: Record<string, FirewalldField> = {
  target: 'target',
  'icmp-block-inversion': 'icmpBlockInversion',
  interfaces: 'interfaces',
  sources: 'sources',
  services: 'services',
  ports: 'ports',
  protocols: 'protocols',
  forward: 'forward',
  masquerade: 'masquerade',
  'forward-ports': 'forwardPorts',
  'source-ports': 'sourcePorts',
  'icmp-blocks': 'icmpBlocks',
  'rich rules': 'richRules',
};

/** A zone header followed by `target:` (`--get-active-zones` looks alike but has no target line). */
export function sniffFirewallCmd(head: string): boolean {
  return /^[A-Za-z0-9_.+-]+(?: \([^)]*\))?\r?\n {2}target: /m.test(head);
}

function emptyZone(name: string, ref: SourceRef): FirewalldZone {
  return {
    name,
    target: 'default',
    interfaces: [],
    sources: [],
    services: [],
    ports: [],
    protocols: [],
    forwardPorts: [],
    sourcePorts: [],
    icmpBlocks: [],
    richRules: [],
    ref,
    fieldRefs: {},
  };
}

function normalizeTarget(raw: string): FirewalldTarget | undefined {
  const t = raw.trim().replace(/^%%(.*)%%$/, '$1');
  if (t === 'default' || t === 'ACCEPT' || t === 'DROP' || t === 'REJECT') return t;
  return undefined;
}

function words(v: string): string[] {
  return v.split(/\s+/).filter(Boolean);
}

/** `8080/tcp` or `30000-32767/udp` */
function portOf(word: string, ref: SourceRef): FirewalldPort | undefined {
  const slash = word.lastIndexOf('/');
  if (slash <= 0) return undefined;
  return { port: word.slice(0, slash), protocol: word.slice(slash + 1), ref };
}

/**
 * A ports, source-ports or forward-ports value of a zone or a policy (firewall-cmd prints them
 * alike): each word into its list, or a warning naming its owner.
 */
function addPorts(
  lists: { ports: FirewalldPort[]; sourcePorts: { port: string; protocol: string }[]; forwardPort: (fp: FirewalldForwardPort) => void },
  f: 'ports' | 'sourcePorts' | 'forwardPorts',
  value: string,
  ref: SourceRef,
  warn: (message: string, line?: number) => void,
  owner: string,
): void {
  for (const w of words(value)) {
    if (f === 'forwardPorts') {
      const fp = forwardPortOf(w);
      if (fp) lists.forwardPort(fp);
      else warn(`${owner}: forward port ${w} not understood`, ref.line);
      continue;
    }
    const port = portOf(w, ref);
    if (!port) warn(`${owner}: port ${w} not understood`, ref.line);
    else if (f === 'ports') lists.ports.push(port);
    else lists.sourcePorts.push({ port: port.port, protocol: port.protocol });
  }
}

/** `port=8080:proto=tcp:toport=80:toaddr=172.17.0.2` */
function forwardPortOf(word: string): FirewalldForwardPort | undefined {
  const kv: Record<string, string> = {};
  for (const part of word.split(':')) {
    const eq = part.indexOf('=');
    if (eq > 0) kv[part.slice(0, eq)] = part.slice(eq + 1);
  }
  if (!kv.port || !kv.proto) return undefined;
  const fp: FirewalldForwardPort = { port: kv.port, protocol: kv.proto };
  if (kv.toport) fp.toPort = kv.toport;
  if (kv.toaddr) fp.toAddr = kv.toaddr;
  return fp;
}

const yesNo = (v: string): boolean | undefined => (v.trim() === 'yes' ? true : v.trim() === 'no' ? false : undefined);

/**
 * `firewall-cmd --list-all-zones` and `--list-all` (one zone). Field values may continue on
 * tab-indented lines (rich rules and, in firewalld 1.x, forward ports, one per line).
 */
export function parseFirewallCmdListAllZones(text: string, file: string): FirewalldZones {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not firewall-cmd output');
  const out: FirewalldZones = { file, zones: [], warnings: [] };
  const warn = (message: string, line?: number) => {
    if (out.warnings.length < 100) out.warnings.push({ file, line, message });
  };
  const src = splitLines(text);
  let zone: FirewalldZone | undefined;
  let field: FirewalldField | undefined;
  let fieldRef: SourceRef | undefined;
  let sawField = false;
  const addValue = (f: FirewalldField, v: string, ref: SourceRef) => {
    const value = v.trim();
    if (!zone || value === '') return;
    switch (f) {
      case 'target': {
        const t = normalizeTarget(value);
        if (t) zone.target = t;
        else warn(`zone ${zone.name}: target ${value} not understood`, ref.line);
        break;
      }
      case 'icmpBlockInversion':
        zone.icmpBlockInversion = yesNo(value);
        break;
      case 'forward':
        zone.forward = yesNo(value);
        break;
      case 'masquerade':
        zone.masquerade = yesNo(value);
        break;
      case 'interfaces':
      case 'sources':
      case 'services':
      case 'protocols':
      case 'icmpBlocks':
        zone[f].push(...words(value));
        break;
      case 'ports':
      case 'sourcePorts':
      case 'forwardPorts': {
        const z = zone;
        addPorts({ ports: z.ports, sourcePorts: z.sourcePorts, forwardPort: (fp) => z.forwardPorts.push(fp) }, f, value, ref, warn, `zone ${z.name}`);
        break;
      }
      case 'richRules':
        zone.richRules.push(value);
        break;
    }
  };
  for (let i = 0; i < src.length; i++) {
    const line = src[i].length > 65536 ? src[i].slice(0, 65536) : src[i];
    const ref = { file, line: i + 1 };
    if (line.trim() === '') {
      field = undefined;
      continue;
    }
    if (/^\S/.test(line)) {
      const h = ZONE_HEADER.exec(line);
      if (!h) {
        zone = undefined;
        field = undefined;
        continue;
      }
      zone = emptyZone(h[1], ref);
      const attrs = (h[2] ?? '').split(',').map((s) => s.trim());
      if (attrs.includes('active')) zone.active = true;
      if (attrs.includes('default')) {
        zone.default = true;
        out.defaultZone = zone.name;
      }
      out.zones.push(zone);
      field = undefined;
      continue;
    }
    if (!zone) continue;
    if (line.startsWith('\t') && field) {
      // continuation: one rich rule or forward port per line
      addValue(field, line, ref);
      continue;
    }
    const m = FIELD_LINE.exec(line);
    if (!m) continue;
    const f = FIELD_BY_LABEL[m[1]];
    field = f;
    fieldRef = ref;
    if (!f) continue;
    sawField = true;
    zone.fieldRefs[f] ??= fieldRef;
    addValue(f, m[2], ref);
  }
  if (!sawField) throw new SkipFile(file, 'no firewall-cmd zone listing');
  return out;
}

/** The zone a packet arriving on `ifname` is handled by: a zone naming the interface, else the default zone. */
export function zoneOfInterface(
  zones: readonly FirewalldZone[],
  ifname: string,
  defaultZone?: string,
): { zone: FirewalldZone; via: 'interface' | 'default' } | undefined {
  for (const z of zones) {
    for (const i of z.interfaces) {
      // firewalld takes a trailing `+` as "any suffix" (`docker+`)
      if (i === ifname || (i.endsWith('+') && ifname.startsWith(i.slice(0, -1)))) return { zone: z, via: 'interface' };
    }
  }
  const dflt = defaultZone !== undefined ? zones.find((z) => z.name === defaultZone) : zones.find((z) => z.default);
  return dflt ? { zone: dflt, via: 'default' } : undefined;
}

/**
 * A rule of firewalld's own nftables table that sends an interface's packets to a zone's chain. The running
 * firewalld writes these for every interface bound to a zone, permanently or at runtime only (Docker 20.10+ binds
 * its bridges to its docker zone over D-Bus, which no zone file shows). The shapes, from firewalld's nftables.py:
 * - 0.6-0.9: `filter_INPUT_ZONES`: `iifname "docker0" goto filter_IN_docker`, `filter_FORWARD_IN_ZONES`:
 *   `iifname "docker0" goto filter_FWDI_docker`, `filter_FORWARD_OUT_ZONES`: `oifname "docker0" goto filter_FWDO_docker`,
 *   `nat_PRE_` / `mangle_PRE_` (iifname), `nat_POST_` (oifname);
 * - 1.x-2.x: `filter_INPUT_POLICIES`: `iifname "docker0" jump filter_IN_docker`, `filter_FORWARD_POLICIES`:
 *   `iifname "docker0" oifname "docker0" jump filter_FWD_docker` (a real policy's `filter_FWD_policy_<name>` names
 *   no zone and is left out);
 * - the staged dispatch of newer releases: `filter_INPUT_dispatch`: `iifname "docker0" jump filter_IN_docker_to_HOST`,
 *   `filter_FORWARD_dispatch`: `iifname "docker0" jump filter_FWD_docker_dispatch_stage2`, and in a stage-2 chain
 *   `oifname "docker0" jump filter_FWD_public_to_docker` (the egress zone is after `_to_`).
 * firewalld writes `docker+` as `"docker*"`. `!=` matches are not dispatch. With -a, `# handle N` may follow.
 */
const ZONE_DISPATCH =
  /(?:^|\s)(iifname|oifname) (?:== )?("?)([^"\s{}]+)\2 (?:(iifname|oifname) (?:== )?("?)([^"\s{}]+)\5 )?(?:counter(?: packets \d+ bytes \d+)? )?(?:goto|jump) (?:filter|nat|mangle)_(IN|FWD|FWDI|FWDO|PRE|POST)_(?!policy_)([\w-]+?)(_dispatch_stage2)?(?=\s|$)/;

/** `docker0` against a dispatch rule's interface: the same name, or firewalld's `docker+` written by nft as `docker*` */
function ifnameMatches(pattern: string, ifname: string): boolean {
  return pattern === ifname || (pattern.endsWith('*') && ifname.startsWith(pattern.slice(0, -1)));
}

/**
 * The zone a firewalld dispatch rule (its text as nft lists it, or a trace's rule text) sends `ifname` to,
 * or undefined when the rule is not a zone dispatch for that interface. The zone is the ingress zone where
 * the rule matches iifname, the egress zone where it matches oifname (FWDO_, POST_, `_to_<zone>`).
 */
export function zoneDispatchOf(ruleText: string, ifname: string): string | undefined {
  const m = ZONE_DISPATCH.exec(ruleText.length > 4096 ? ruleText.slice(0, 4096) : ruleText);
  if (!m) return undefined;
  const matches = [{ field: m[1], name: m[3] }, ...(m[4] ? [{ field: m[4], name: m[6] }] : [])];
  const shortcut = m[7];
  const chainZone = m[8];
  const stage2 = m[9];
  let zone: string;
  let field: 'iifname' | 'oifname';
  const to = stage2 ? -1 : chainZone.indexOf('_to_');
  if (to > 0) {
    // filter_IN_docker_to_HOST from the ingress dispatch (iifname), filter_FWD_public_to_docker from stage 2 (oifname)
    const fromIn = matches.some((x) => x.field === 'iifname');
    zone = fromIn ? chainZone.slice(0, to) : chainZone.slice(to + 4);
    field = fromIn ? 'iifname' : 'oifname';
  } else {
    zone = chainZone;
    field = !stage2 && (shortcut === 'FWDO' || shortcut === 'POST') ? 'oifname' : 'iifname';
  }
  if (zone === '' || zone === 'HOST' || zone === 'ANY') return undefined;
  return matches.some((x) => x.field === field && ifnameMatches(x.name, ifname)) ? zone : undefined;
}

/** Where the running firewalld's table binds an interface to a zone. */
export interface LiveZoneBinding {
  zone: string;
  /** the dispatch rule */
  ref: SourceRef;
  /** the rule as listed */
  excerpt: string;
  /** its chain: `filter_INPUT_POLICIES`, `filter_INPUT_ZONES`, ... */
  chain: string;
}

/**
 * The zone firewalld's live nftables table (`table inet firewalld`, also `ip`/`ip6 firewalld` on 0.6-0.8)
 * dispatches `ifname` to, from an nft listing (text or JSON) in the bundle: the first dispatch rule for it
 * (see zoneDispatchOf), a verdict map `iifname vmap { "docker0" : goto filter_IN_docker, ... }` too. This is
 * the running firewalld's binding, permanent or runtime-only: what zone files and `--permanent` listings miss.
 */
export function liveZoneOfInterface(nftables: readonly NftRuleset[] | undefined, ifname: string): LiveZoneBinding | undefined {
  for (const rs of nftables ?? [])
    for (const t of rs.tables) {
      if (t.name !== 'firewalld' || (t.family !== 'inet' && t.family !== 'ip' && t.family !== 'ip6')) continue;
      for (const c of t.chains)
        for (const r of c.rules) {
          const hit = (zone: string | undefined) => (zone ? { zone, ref: r.ref, excerpt: r.text, chain: c.name } : undefined);
          const direct = hit(zoneDispatchOf(r.text, ifname));
          if (direct) return direct;
          for (const e of r.exprs) {
            if (e.kind !== 'vmap' || (e.key !== 'iifname' && e.key !== 'oifname')) continue;
            for (const entry of e.entries ?? []) {
              const v = entry.verdict;
              if (entry.key.kind !== 'value' || (v.kind !== 'goto' && v.kind !== 'jump') || !v.target) continue;
              // the same reading as a rule of its own: `iifname "docker0" goto filter_IN_docker`
              const viaMap = hit(zoneDispatchOf(`${e.key} "${entry.key.value}" ${v.kind} ${v.target}`, ifname));
              if (viaMap) return viaMap;
            }
          }
        }
    }
  return undefined;
}

/** `DefaultZone=public`, `FirewallBackend=nftables`; `#` comments. */
export function parseFirewalldConf(text: string, file: string): FirewalldConf {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not firewalld.conf');
  const conf: FirewalldConf = { file, settings: {}, refs: {} };
  const src = splitLines(text);
  for (let i = 0; i < src.length; i++) {
    const line = src[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line.slice(0, 4096));
    if (!m) continue;
    const value = m[2].trim().replace(/^"(.*)"$/, '$1');
    conf.settings[m[1]] = value;
    conf.refs[m[1]] = { file, line: i + 1 };
    if (m[1] === 'DefaultZone') conf.defaultZone = value;
    if (m[1] === 'FirewallBackend' && (value === 'nftables' || value === 'iptables')) conf.backend = value;
  }
  if (Object.keys(conf.settings).length === 0) throw new SkipFile(file, 'no KEY=value settings');
  return conf;
}

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** attribute names in document order (rich rules are printed in that order) */
  attrOrder: string[];
  children: XmlElement[];
  text: string;
  line: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-z]{2,4});/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Math.min(parseInt(e.slice(2), 16), 0x10ffff));
    if (e.startsWith('#')) return String.fromCodePoint(Math.min(Number(e.slice(1)), 0x10ffff));
    return ENTITIES[e] ?? all;
  });
}

/**
 * A small XML reader for firewalld's flat config files: elements, attributes, text, comments,
 * the XML declaration. No DTDs, namespaces or CDATA (firewalld writes none). Every step moves
 * forward, so any input ends; malformed markup is a ParseError.
 */
export function readXml(text: string, file: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, attrOrder: [], children: [], text: '', line: 1 };
  const stack: XmlElement[] = [root];
  let i = 0;
  let line = 1;
  const n = text.length;
  const advanceTo = (j: number) => {
    for (let k = i; k < j && k < n; k++) if (text.charCodeAt(k) === 10) line++;
    i = j;
  };
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      stack[stack.length - 1].text += decodeEntities(text.slice(i, textEnd));
      advanceTo(textEnd);
      if (lt < 0) break;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw new ParseError('XML comment not closed', file, line);
      advanceTo(end + 3);
      continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) {
      const end = text.indexOf('>', i);
      if (end < 0) throw new ParseError('XML declaration not closed', file, line);
      advanceTo(end + 1);
      continue;
    }
    const gt = text.indexOf('>', i);
    if (gt < 0) throw new ParseError('XML tag not closed', file, line);
    const tagLine = line;
    const body = text.slice(i + 1, gt);
    advanceTo(gt + 1);
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      let k = stack.length - 1;
      while (k > 0 && stack[k].name !== name) k--;
      if (k === 0) throw new ParseError(`closing tag </${name}> without an opening tag`, file, tagLine);
      stack.length = k;
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nm = /^\s*([A-Za-z_][\w.:-]*)/.exec(inner);
    if (!nm) throw new ParseError(`tag not understood: <${inner.slice(0, 40)}>`, file, tagLine);
    const el: XmlElement = { name: nm[1], attrs: {}, attrOrder: [], children: [], text: '', line: tagLine };
    const attrRe = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
    const rest = inner.slice(nm[0].length);
    let a: RegExpExecArray | null;
    while ((a = attrRe.exec(rest)) !== null) {
      if (!(a[1] in el.attrs)) el.attrOrder.push(a[1]);
      el.attrs[a[1]] = decodeEntities(a[2] ?? a[3] ?? '');
    }
    stack[stack.length - 1].children.push(el);
    if (!selfClosing) stack.push(el);
  }
  return root;
}

const RICH_RULE_ATTR_ORDER: Record<string, string[]> = {
  rule: ['priority', 'family'],
  source: ['address', 'mac', 'ipset'],
  destination: ['address', 'ipset'],
};

/** A `<rule>` element as firewall-cmd prints the rule. */
function richRuleText(rule: XmlElement): string {
  const part = (el: XmlElement): string => {
    const order = RICH_RULE_ATTR_ORDER[el.name];
    const names = order ? [...order.filter((x) => x in el.attrs), ...el.attrOrder.filter((x) => !order.includes(x))] : el.attrOrder;
    const attrs = names.filter((x) => x !== 'invert').map((x) => `${x}="${el.attrs[x]}"`);
    const not = el.attrs.invert === 'True' || el.attrs.invert === 'true' || el.attrs.invert === 'yes' ? ['NOT'] : [];
    const head = [el.name, ...not, ...attrs].join(' ');
    const kids = el.children.map(part);
    return [head, ...kids].join(' ');
  };
  return part(rule);
}

/** Zone elements that only add one attribute's value to a list. */
const NAMED_LISTS: Record<string, { field: 'interfaces' | 'services' | 'protocols' | 'icmpBlocks'; attr: string }> = {
  interface: { field: 'interfaces', attr: 'name' },
  service: { field: 'services', attr: 'name' },
  protocol: { field: 'protocols', attr: 'value' },
  'icmp-block': { field: 'icmpBlocks', attr: 'name' },
};

/**
 * A `<port>`, `<source-port>` or `<forward-port>` element of a zone or policy XML into its list (the
 * attributes are the same in both): the field it filled, or undefined where it lacks port or protocol.
 */
function addXmlPort(
  lists: { ports: FirewalldPort[]; sourcePorts: { port: string; protocol: string }[]; forwardPort: (fp: FirewalldForwardPort) => void },
  el: XmlElement,
  ref: SourceRef,
): 'ports' | 'sourcePorts' | 'forwardPorts' | undefined {
  const { port, protocol } = el.attrs;
  if (!port || !protocol) return undefined;
  if (el.name === 'port') {
    lists.ports.push({ port, protocol, ref });
    return 'ports';
  }
  if (el.name === 'source-port') {
    lists.sourcePorts.push({ port, protocol });
    return 'sourcePorts';
  }
  const fp: FirewalldForwardPort = { port, protocol };
  if (el.attrs['to-port']) fp.toPort = el.attrs['to-port'];
  if (el.attrs['to-addr']) fp.toAddr = el.attrs['to-addr'];
  lists.forwardPort(fp);
  return 'forwardPorts';
}

/** `etc/firewalld/zones/NAME.xml`: the zone is named by the file. */
export function parseFirewalldZoneXml(text: string, file: string): FirewalldZone {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not a zone file');
  if (!/<zone[\s>/]/.test(text)) throw new SkipFile(file, 'no <zone> element');
  const doc = readXml(text, file);
  const z = doc.children.find((c) => c.name === 'zone');
  if (!z) throw new SkipFile(file, 'no <zone> root element');
  const base = file.split('/').pop() ?? file;
  const name = base.replace(/\.xml$/, '');
  const ref = { file, line: z.line };
  const zone = emptyZone(name, ref);
  const at = (el: XmlElement): SourceRef => ({ file, line: el.line });
  const note = (f: FirewalldField, el: XmlElement) => {
    zone.fieldRefs[f] ??= at(el);
  };
  if (z.attrs.target !== undefined) {
    const t = normalizeTarget(z.attrs.target);
    if (t === undefined) throw new ParseError(`zone target ${z.attrs.target} not understood`, file, z.line);
    zone.target = t;
    zone.fieldRefs.target = ref;
  }
  for (const el of z.children) {
    const list = Object.prototype.hasOwnProperty.call(NAMED_LISTS, el.name) ? NAMED_LISTS[el.name] : undefined;
    if (list) {
      const v = el.attrs[list.attr];
      if (v) {
        zone[list.field].push(v);
        note(list.field, el);
        // each interface on its own line: cite the element itself, not the zone's first interface
        if (list.field === 'interfaces') {
          zone.interfaceRefs ??= Object.create(null) as Record<string, SourceRef>;
          zone.interfaceRefs[v] ??= at(el);
        }
      }
      continue;
    }
    switch (el.name) {
      case 'short':
        zone.short = el.text.trim();
        break;
      case 'source': {
        const src = el.attrs.address ?? el.attrs.mac ?? (el.attrs.ipset !== undefined ? `ipset:${el.attrs.ipset}` : undefined);
        if (src !== undefined) {
          zone.sources.push(src);
          note('sources', el);
        }
        break;
      }
      case 'port':
      case 'source-port':
      case 'forward-port': {
        const filled = addXmlPort({ ports: zone.ports, sourcePorts: zone.sourcePorts, forwardPort: (fp) => zone.forwardPorts.push(fp) }, el, at(el));
        if (filled) note(filled, el);
        break;
      }
      case 'icmp-block-inversion':
        zone.icmpBlockInversion = true;
        note('icmpBlockInversion', el);
        break;
      case 'forward':
        zone.forward = true;
        note('forward', el);
        break;
      case 'masquerade':
        zone.masquerade = true;
        note('masquerade', el);
        break;
      case 'rule':
        zone.richRules.push(richRuleText(el));
        note('richRules', el);
        break;
    }
  }
  // a zone file says "no" by leaving the element out; firewall-cmd prints it as `no`
  zone.forward ??= false;
  zone.masquerade ??= false;
  zone.icmpBlockInversion ??= false;
  return zone;
}

/* ---------------------------------------------------------------------------------------------
 * Policies (firewalld >= 0.9): traffic between zones (`ingress-zones` -> `egress-zones`, `ANY`,
 * `HOST`). netavark's firewalld driver keeps published ports in the policy `netavark_portfwd`,
 * runtime only: a `firewall-cmd --reload` empties its forward-ports.
 */

export type FirewalldPolicyField =
  | 'priority' | 'target' | 'ingressZones' | 'egressZones' | 'services' | 'ports' | 'protocols' | 'masquerade'
  | 'forwardPorts' | 'sourcePorts' | 'icmpBlocks' | 'richRules';

export interface FirewalldPolicy {
  name: string;
  /** `(active)` in firewall-cmd output: its ingress and egress zones are active */
  active?: boolean;
  /** firewall-cmd prints it; a policy XML file leaves out the default, -1 */
  priority?: number;
  /** `CONTINUE` (the default), `ACCEPT`, `DROP` or `REJECT` */
  target: string;
  ingressZones: string[];
  egressZones: string[];
  services: string[];
  ports: FirewalldPort[];
  protocols: string[];
  masquerade?: boolean;
  /** each with the line it is on */
  forwardPorts: (FirewalldForwardPort & { ref: SourceRef })[];
  sourcePorts: { port: string; protocol: string }[];
  icmpBlocks: string[];
  richRules: string[];
  /** the policy header line, or the `<policy>` element */
  ref: SourceRef;
  /** where each field was read (the label line of a field spanning several) */
  fieldRefs: Partial<Record<FirewalldPolicyField, SourceRef>>;
}

export interface FirewalldPolicies {
  file: string;
  /**
   * what the listing shows: the running firewall (`firewall-cmd --list-all-policies`, `--info-policy`)
   * or the permanent configuration (`--permanent`, etc/firewalld/policies/*.xml), which a reload
   * makes the runtime one: runtime-only additions are not in it
   */
  config: 'runtime' | 'permanent';
  policies: FirewalldPolicy[];
  warnings: ParseWarning[];
}

const POLICY_FIELD_BY_LABEL: Record<string, FirewalldPolicyField> = {
  priority: 'priority',
  target: 'target',
  'ingress-zones': 'ingressZones',
  'egress-zones': 'egressZones',
  services: 'services',
  ports: 'ports',
  protocols: 'protocols',
  masquerade: 'masquerade',
  'forward-ports': 'forwardPorts',
  'source-ports': 'sourcePorts',
  'icmp-blocks': 'icmpBlocks',
  'rich rules': 'richRules',
};

/**
 * `firewall-cmd --list-all-policies` / `--info-policy=NAME`: a header line, then `  priority: N`
 * and `  target: T` (zones have no priority line; `--get-policies` prints names only).
 */
export function sniffFirewallCmdPolicies(head: string): boolean {
  return /^[A-Za-z0-9_.+-]+(?: \([^)]*\))?\r?\n {2}priority: -?\d+\r?\n {2}target: /m.test(head);
}

function emptyPolicy(name: string, ref: SourceRef): FirewalldPolicy {
  return {
    name,
    target: 'CONTINUE',
    ingressZones: [],
    egressZones: [],
    services: [],
    ports: [],
    protocols: [],
    forwardPorts: [],
    sourcePorts: [],
    icmpBlocks: [],
    richRules: [],
    ref,
    fieldRefs: {},
  };
}

/** `--permanent` in the file's name or in a command line pasted above the output */
const PERMANENT = /(^|[\s_/])--permanent([\s_]|$)/;

/**
 * `firewall-cmd [--permanent] --list-all-policies` and `--info-policy=NAME` (firewalld >= 0.9).
 * Forward ports and rich rules continue on further lines: tab-indented as firewall-cmd prints
 * them, or space-indented once pasted into a ticket.
 */
export function parseFirewallCmdPolicies(text: string, file: string, opts: { permanent?: boolean } = {}): FirewalldPolicies {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not firewall-cmd output');
  const out: FirewalldPolicies = { file, config: opts.permanent || PERMANENT.test(file) ? 'permanent' : 'runtime', policies: [], warnings: [] };
  const warn = (message: string, line?: number) => {
    if (out.warnings.length < 100) out.warnings.push({ file, line, message });
  };
  const src = splitLines(text);
  let policy: FirewalldPolicy | undefined;
  let field: FirewalldPolicyField | undefined;
  let sawPolicy = false;
  const addValue = (p: FirewalldPolicy, f: FirewalldPolicyField, v: string, ref: SourceRef) => {
    const value = v.trim();
    if (value === '') return;
    switch (f) {
      case 'priority': {
        const n = Number(value);
        if (Number.isInteger(n)) p.priority = n;
        else warn(`policy ${p.name}: priority ${value} not understood`, ref.line);
        break;
      }
      case 'target':
        p.target = value.replace(/^%%(.*)%%$/, '$1');
        break;
      case 'masquerade':
        p.masquerade = yesNo(value);
        break;
      case 'ingressZones':
      case 'egressZones':
      case 'services':
      case 'protocols':
      case 'icmpBlocks':
        p[f].push(...words(value));
        break;
      case 'ports':
      case 'sourcePorts':
      case 'forwardPorts':
        addPorts({ ports: p.ports, sourcePorts: p.sourcePorts, forwardPort: (fp) => p.forwardPorts.push({ ...fp, ref }) }, f, value, ref, warn, `policy ${p.name}`);
        break;
      case 'richRules':
        p.richRules.push(value);
        break;
    }
  };
  for (let i = 0; i < src.length; i++) {
    const line = src[i].length > 65536 ? src[i].slice(0, 65536) : src[i];
    const ref = { file, line: i + 1 };
    if (line.trim() === '') {
      field = undefined;
      continue;
    }
    if (/^\S/.test(line)) {
      field = undefined;
      const h = ZONE_HEADER.exec(line);
      if (!h) {
        // a shell prompt with the command: `# firewall-cmd --permanent --info-policy=x`
        if (/firewall-cmd/.test(line) && PERMANENT.test(line)) out.config = 'permanent';
        policy = undefined;
        continue;
      }
      policy = emptyPolicy(h[1], ref);
      if ((h[2] ?? '').split(',').some((s) => s.trim() === 'active')) policy.active = true;
      // kept once its priority line follows (a zone or a bare name list has none)
      continue;
    }
    if (!policy) continue;
    const m = FIELD_LINE.exec(line);
    const f = m ? POLICY_FIELD_BY_LABEL[m[1]] : undefined;
    if (!f) {
      // continuation: one forward port or rich rule per line
      if (field && (line.startsWith('\t') || /^ {3,}\S/.test(line))) addValue(policy, field, line, ref);
      continue;
    }
    if (!out.policies.includes(policy)) {
      if (f !== 'priority') {
        // firewall-cmd prints a policy's priority first; a zone block starts with its target
        policy = undefined;
        continue;
      }
      out.policies.push(policy);
      sawPolicy = true;
    }
    field = f;
    policy.fieldRefs[f] ??= ref;
    addValue(policy, f, m![2], ref);
  }
  if (!sawPolicy) throw new SkipFile(file, 'no firewall-cmd policy listing');
  return out;
}

/** `etc/firewalld/policies/NAME.xml`: a permanent policy, named by its file. */
export function parseFirewalldPolicyXml(text: string, file: string): FirewalldPolicies {
  if (text.slice(0, 8192).includes('\u0000')) throw new SkipFile(file, 'binary data, not a policy file');
  if (!/<policy[\s>/]/.test(text)) throw new SkipFile(file, 'no <policy> element');
  const doc = readXml(text, file);
  const el = doc.children.find((c) => c.name === 'policy');
  if (!el) throw new SkipFile(file, 'no <policy> root element');
  const name = (file.split('/').pop() ?? file).replace(/\.xml$/, '');
  const ref = { file, line: el.line };
  const p = emptyPolicy(name, ref);
  const at = (x: XmlElement): SourceRef => ({ file, line: x.line });
  const note = (f: FirewalldPolicyField, x: XmlElement) => {
    p.fieldRefs[f] ??= at(x);
  };
  if (el.attrs.target !== undefined) {
    p.target = el.attrs.target.replace(/^%%(.*)%%$/, '$1');
    p.fieldRefs.target = ref;
  }
  // firewalld writes no priority attribute for the default
  p.priority = el.attrs.priority !== undefined && Number.isInteger(Number(el.attrs.priority)) ? Number(el.attrs.priority) : -1;
  if (el.attrs.priority !== undefined) p.fieldRefs.priority = ref;
  const lists: Record<string, { field: 'ingressZones' | 'egressZones' | 'services' | 'protocols' | 'icmpBlocks'; attr: string }> = {
    'ingress-zone': { field: 'ingressZones', attr: 'name' },
    'egress-zone': { field: 'egressZones', attr: 'name' },
    service: { field: 'services', attr: 'name' },
    protocol: { field: 'protocols', attr: 'value' },
    'icmp-block': { field: 'icmpBlocks', attr: 'name' },
  };
  for (const c of el.children) {
    const list = Object.prototype.hasOwnProperty.call(lists, c.name) ? lists[c.name] : undefined;
    if (list) {
      const v = c.attrs[list.attr];
      if (v) {
        p[list.field].push(v);
        note(list.field, c);
      }
      continue;
    }
    switch (c.name) {
      case 'port':
      case 'source-port':
      case 'forward-port': {
        const ref = at(c);
        const filled = addXmlPort({ ports: p.ports, sourcePorts: p.sourcePorts, forwardPort: (fp) => p.forwardPorts.push({ ...fp, ref }) }, c, ref);
        if (filled) note(filled, c);
        break;
      }
      case 'masquerade':
        p.masquerade = true;
        note('masquerade', c);
        break;
      case 'rule':
        p.richRules.push(richRuleText(c));
        note('richRules', c);
        break;
    }
  }
  p.masquerade ??= false;
  return { file, config: 'permanent', policies: [p], warnings: [] };
}
