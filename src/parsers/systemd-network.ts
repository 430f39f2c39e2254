/**
 * systemd-networkd .network files (systemd.network(5)): networkd applies to each link the FIRST .network file,
 * in file-name order across /etc/systemd/network, /run/systemd/network, /usr/local/lib/systemd/network and
 * /usr/lib/systemd/network (/lib/...), whose [Match] section selects it; a file in /etc masks one of the same name
 * in /run or /usr/lib. A link no file matches is left alone ("unmanaged"); so is one whose file says
 * `[Link] Unmanaged=yes`. A managed link gets the file's [Network] settings: networkd drops addresses and routes
 * it did not configure (KeepConfiguration= aside), sets the bridge master from Bridge= (none = detached), DHCP,
 * IPForward=, IPMasquerade=.
 *
 * The [Match] semantics are those of .link files, with Name= for the link's name: the matching is systemd-link.ts'
 * (linkMatches), asked with the .network's Name= as OriginalName=.
 */
import { SkipFile } from '../model/source.js';
import { inSystemdOrder, linkMatches, readSystemdSections, type LinkDevice, type LinkSetting, type SystemdDir, type SystemdLinkFile } from './systemd-link.js';

export interface SystemdNetworkFile {
  file: string;
  /** the file's name (`99-catchall.network`): the sort key across directories */
  name: string;
  dir?: SystemdDir;
  match: LinkSetting[];
  /** [Link] settings (Unmanaged=, RequiredForOnline=, MTUBytes=, ...) */
  link: LinkSetting[];
  /** [Network] settings (DHCP=, Address=, Bridge=, IPForward=, IPMasquerade=, KeepConfiguration=, ...) */
  network: LinkSetting[];
  /** Address= of [Address] sections */
  addresses: LinkSetting[];
  /** keys networkd reads only in another section, written where it ignores them (Unmanaged= under [Network]) */
  misplaced: LinkSetting[];
  /** no section at all (an empty file, a /dev/null symlink copied as empty): masks its name */
  empty: boolean;
  /** a drop-in (`<dir>/<name>.network.d/*.conf`): the .network it extends */
  dropInFor?: string;
}

const LINK_ONLY = new Set(['Unmanaged', 'RequiredForOnline', 'ActivationPolicy', 'MTUBytes', 'ARP', 'Multicast', 'AllMulticast', 'Promiscuous', 'RequiredFamilyForOnline']);

export function parseSystemdNetwork(text: string, file: string): SystemdNetworkFile {
  const r = readSystemdSections(text, file, '.network');
  const of = (section: string) => r.settings.filter((x) => x.section === section).map((x) => x.setting);
  const network = of('Network');
  const out: SystemdNetworkFile = {
    file,
    name: r.name,
    dir: r.dir,
    match: of('Match'),
    link: of('Link'),
    network: network.filter((x) => !LINK_ONLY.has(x.key)),
    addresses: of('Address').filter((x) => x.key === 'Address'),
    misplaced: network.filter((x) => LINK_ONLY.has(x.key)),
    empty: r.empty,
    ...(r.dropInFor ? { dropInFor: r.dropInFor } : {}),
  };
  if (out.empty && r.sawKey) throw new SkipFile(file, 'not a .network file: keys outside any section');
  return out;
}

/** Content test for a hand-made bundle: a [Match] section and a [Network] section or [Link] Unmanaged=; not a unit, .netdev or .link. */
export function sniffSystemdNetwork(head: string): boolean {
  if (!/^\s*\[Match\]\s*$/m.test(head)) return false;
  if (/^\s*\[(Unit|Service|Install|NetDev)\]\s*$/m.test(head)) return false;
  if (/^\s*(MACAddressPolicy|NamePolicy|AlternativeNamesPolicy)\s*=/m.test(head)) return false;
  return /^\s*\[Network\]\s*$/m.test(head) || /^\s*Unmanaged\s*=/m.test(head);
}

/** The last value of a key in settings (systemd: a later assignment wins). */
function last(settings: readonly LinkSetting[], key: string): LinkSetting | undefined {
  for (let i = settings.length - 1; i >= 0; i--) if (settings[i].key === key) return settings[i];
  return undefined;
}

const YES = /^(1|yes|y|true|t|on)$/i;

/** `[Link] Unmanaged=yes`: networkd leaves the matched link alone. */
export function unmanagedSetting(f: SystemdNetworkFile): LinkSetting | undefined {
  const u = last(f.link, 'Unmanaged');
  return u && YES.test(u.value) ? u : undefined;
}

/** A [Network] setting's last assignment (IPForward=, IPMasquerade=, DHCP=, Bridge=, KeepConfiguration=). */
export function networkSetting(f: SystemdNetworkFile, key: string): LinkSetting | undefined {
  return last(f.network, key);
}

export interface NetworkMatch {
  file: SystemdNetworkFile;
  /** the [Match] lines that decided it */
  because: LinkSetting[];
  /** conditions bundle-doctor cannot evaluate (Host=, Virtualization=, KernelCommandLine=, a Type= / Driver= of a device it could not type): assumed to hold */
  assumed: LinkSetting[];
}

/** Does this .network's [Match] select the device? A file without [Match] keys selects nothing (networkd ignores it, asking for Name=*). */
export function networkMatches(f: SystemdNetworkFile, dev: LinkDevice): NetworkMatch | undefined {
  if (f.empty || f.match.length === 0) return undefined;
  // .link's OriginalName= is matched as .network's Name= is: a list of globs, `!` negating
  const asLink: SystemdLinkFile = { file: f.file, name: f.name, match: f.match.map((m) => ({ ...m, key: m.key === 'Name' ? 'OriginalName' : m.key })), link: [], empty: false };
  const m = linkMatches(asLink, dev);
  if (!m) return undefined;
  const back = (s: LinkSetting) => f.match.find((x) => x.ref.line === s.ref.line) ?? s;
  return { file: f, because: m.because.map(back), assumed: m.assumed.map(back) };
}

/** The files networkd reads: one per name (/etc over /run over /usr/lib), each with its drop-ins appended, in name order. */
export function orderedNetworkFiles(files: readonly SystemdNetworkFile[]): SystemdNetworkFile[] {
  return inSystemdOrder(files, (base, dropIns) => ({
    ...base,
    match: [...base.match, ...dropIns.flatMap((d) => d.match)],
    link: [...base.link, ...dropIns.flatMap((d) => d.link)],
    network: [...base.network, ...dropIns.flatMap((d) => d.network)],
    addresses: [...base.addresses, ...dropIns.flatMap((d) => d.addresses)],
    misplaced: [...base.misplaced, ...dropIns.flatMap((d) => d.misplaced)],
  }));
}

/** The .network networkd applies to the device: the first in name order whose [Match] selects it. */
export function effectiveNetwork(files: readonly SystemdNetworkFile[], dev: LinkDevice): NetworkMatch | undefined {
  for (const f of orderedNetworkFiles(files)) {
    const m = networkMatches(f, dev);
    if (m) return m;
  }
  return undefined;
}
