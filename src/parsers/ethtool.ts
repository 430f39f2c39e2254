/**
 * ethtool's read-only views of a network device: `ethtool -k <dev>` (also `--show-features`, `--show-offload`),
 * the offload features and whether each is on, and `ethtool -i <dev>` (`--driver`), the driver behind it.
 *
 * `ethtool -k` prints a header naming the device, then one feature a line, sub-features indented by a tab;
 * a feature the driver cannot change says `[fixed]` (sosreport's sos_commands/networking/ethtool_-k_ens3):
 *
 *     Features for ens3:
 *     rx-checksumming: on [fixed]
 *     tx-checksumming: on
 *     	tx-checksum-ipv4: off [fixed]
 *     	tx-checksum-ip-generic: on
 *
 * `ethtool -i` prints `key: value` lines, `driver:` first; the device is named only by the command (the file
 * name sos gives it, ethtool_-i_ens3, or a typed `ethtool -i ens192` above a paste). A device without a
 * driver (lo) prints `Cannot get driver information: Operation not supported`:
 *
 *     driver: vmxnet3
 *     version: 1.5.0.0-k-NAPI
 *     firmware-version:
 *     bus-info: 0000:0b:00.0
 *
 * A pasted session may hold several commands, each after its prompt line; what `ethtool -K` prints
 * (`Actual changes:` and the features it changed) is a change report, not a listing, and is skipped.
 */
import { SkipFile, excerpt as capped, lines, type SourceRef } from '../model/source.js';

export interface EthtoolFeature {
  /** tx-checksum-ip-generic */
  name: string;
  on: boolean;
  /** `[fixed]`: the driver does not let it change */
  fixed: boolean;
  /** ethtool's other note: `requested on` (a change the driver refused) */
  note?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface EthtoolDriver {
  /** vmxnet3, virtio_net, e1000, vxlan, bridge, veth */
  name: string;
  /** the driver's version: 1.5.0.0-k-NAPI; a kernel release for in-tree drivers of recent kernels */
  version?: string;
  firmware?: string;
  busInfo?: string;
  ref: SourceRef;
  excerpt: string;
}

export interface EthtoolDevice {
  /** the device's name: from `Features for <dev>:`, a typed command, or the file's name (sos); undefined when none says */
  name?: string;
  /** `ethtool -k`: the features by name (absent: the file holds no -k listing of the device) */
  features?: Record<string, EthtoolFeature>;
  /** the `Features for <dev>:` line */
  featuresRef?: SourceRef;
  /** `ethtool -i` */
  driver?: EthtoolDriver;
  /** `ethtool -i` said the device has no driver information (lo): `Cannot get driver information` */
  noDriver?: SourceRef;
}

export interface EthtoolOutput {
  file: string;
  devices: EthtoolDevice[];
}

const DEV = String.raw`[\w.@:-]{1,32}`;
/** a typed `ethtool -k ens3` / `ethtool -i ens3` after a prompt (or alone), naming the device the next output is of */
const TYPED = new RegExp(
  String.raw`^(?:\S*[$#]\s*|\[[^\]]*\][$#]\s*)?(?:sudo\s+)?(?:\S*\/)?ethtool\s+(?:(?<k>-k|--show-features|--show-offload)|(?<i>-i|--driver))\s+(?<dev>${DEV})\s*(?:\|.*)?$`,
);
/** any other typed ethtool command (`ethtool -K ...`, `ethtool -S ...`): what follows is not a -k / -i listing */
const OTHER_ETHTOOL = /^(?:\S*[$#]\s*|\[[^\]]*\][$#]\s*)?(?:sudo\s+)?(?:\S*\/)?ethtool\s+\S/;
const FEATURES_FOR = new RegExp(String.raw`^Features for (?<dev>${DEV}):\s*$`);
const FEATURE = /^\s*(?<name>[a-z0-9][a-z0-9_-]{0,63}): (?<state>on|off)(?: \[(?<note>[a-z ]{1,40})\])?\s*$/;
const DRIVER = /^driver:\s*(?<name>[\w.-]{1,64})\s*$/;
const DRIVER_FIELD = /^(?<key>version|firmware-version|expansion-rom-version|bus-info|supports-[a-z-]+):\s?(?<value>.*)$/;
const NO_DRIVER = /^Cannot get driver information\b/;

/** Parses `ethtool -k` and `ethtool -i` output (one command's, or a pasted session of several). `deviceHint`: the device the file's name gives. */
export function parseEthtool(text: string, file: string, deviceHint?: string): EthtoolOutput {
  const ls = lines(text);
  const devices: EthtoolDevice[] = [];
  let typed: { kind: 'k' | 'i'; dev: string } | undefined;
  /** the device a block of output belongs to: merged by name, an unnamed block stands alone */
  const deviceOf = (name: string | undefined): EthtoolDevice => {
    const found = name !== undefined ? devices.find((d) => d.name === name) : undefined;
    if (found) return found;
    const d: EthtoolDevice = name !== undefined ? { name } : {};
    devices.push(d);
    return d;
  };
  let mode: 'features' | 'driver' | 'skip' | undefined;
  let current: EthtoolDevice | undefined;
  for (let i = 0; i < ls.length; i++) {
    const raw = ls[i].replace(/\r$/, '');
    const l = raw.trim();
    const ref = { file, line: i + 1 };
    if (l === '') {
      if (mode === 'driver' || mode === 'skip') mode = undefined;
      continue;
    }
    const t = TYPED.exec(l);
    if (t?.groups) {
      typed = { kind: t.groups.k ? 'k' : 'i', dev: t.groups.dev };
      mode = undefined;
      continue;
    }
    if (OTHER_ETHTOOL.test(l) && !FEATURE.test(raw)) {
      typed = undefined;
      mode = 'skip';
      continue;
    }
    if (/^Actual changes:\s*$/.test(l)) {
      mode = 'skip';
      continue;
    }
    const ff = FEATURES_FOR.exec(l);
    if (ff?.groups) {
      current = deviceOf(ff.groups.dev);
      current.features ??= {};
      current.featuresRef = ref;
      mode = 'features';
      typed = undefined;
      continue;
    }
    const dr = DRIVER.exec(l);
    if (dr?.groups) {
      const name = typed?.kind === 'i' ? typed.dev : deviceHint;
      current = deviceOf(name);
      current.driver = { name: dr.groups.name, ref, excerpt: capped(l) };
      mode = 'driver';
      typed = undefined;
      continue;
    }
    if (NO_DRIVER.test(l)) {
      const name = typed?.kind === 'i' ? typed.dev : deviceHint;
      deviceOf(name).noDriver = ref;
      mode = undefined;
      typed = undefined;
      continue;
    }
    if (mode === 'features' && current?.features) {
      const f = FEATURE.exec(raw);
      if (f?.groups) {
        const note = f.groups.note;
        current.features[f.groups.name] = { name: f.groups.name, on: f.groups.state === 'on', fixed: note === 'fixed', ...(note && note !== 'fixed' ? { note } : {}), ref, excerpt: capped(l) };
        continue;
      }
      mode = undefined;
      continue;
    }
    if (mode === 'driver' && current?.driver) {
      const f = DRIVER_FIELD.exec(l);
      if (f?.groups) {
        const v = f.groups.value.trim();
        if (v !== '') {
          if (f.groups.key === 'version') current.driver.version = v;
          else if (f.groups.key === 'firmware-version') current.driver.firmware = v;
          else if (f.groups.key === 'bus-info') current.driver.busInfo = v;
        }
        continue;
      }
      mode = undefined;
    }
  }
  // a file of one command without a name of its own (ethtool -i): the file's name gives it
  const kept = devices.filter((d) => d.features !== undefined || d.driver !== undefined || d.noDriver !== undefined);
  if (kept.length === 0) throw new SkipFile(file, 'no ethtool -k or ethtool -i output');
  return { file, devices: kept };
}

const head = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');

/** `ethtool -k` output by content: `Features for <dev>:` (a typed command allowed above it), then feature lines. */
export function sniffEthtoolFeatures(text: string): boolean {
  const ls = head(text);
  let i = 0;
  if (ls[i] !== undefined && TYPED.test(ls[i].trim())) i++;
  if (ls[i] === undefined || !FEATURES_FOR.test(ls[i].trim())) return false;
  const rest = ls.slice(i + 1, i + 6);
  return rest.length >= 2 && rest.every((l) => FEATURE.test(l));
}

/** `ethtool -i` output by content: `driver: <name>` then `version:` (a typed command allowed above). */
export function sniffEthtoolDriver(text: string): boolean {
  const ls = head(text).map((l) => l.trim());
  let i = 0;
  if (ls[i] !== undefined && TYPED.test(ls[i])) i++;
  if (ls[i] === undefined || !DRIVER.test(ls[i])) return false;
  const rest = ls.slice(i + 1, i + 4);
  return rest.length >= 2 && /^version:/.test(rest[0]) && rest.every((l) => DRIVER_FIELD.test(l));
}

/** Every device the files show, merged by name (a -k file and a -i file of ens192 give one device). Unnamed devices are left out. */
export function ethtoolDevices(outputs: readonly EthtoolOutput[] | undefined): Map<string, EthtoolDevice> {
  const out = new Map<string, EthtoolDevice>();
  for (const o of outputs ?? [])
    for (const d of o.devices) {
      if (d.name === undefined) continue;
      const m = out.get(d.name) ?? { name: d.name };
      if (d.features && !m.features) {
        m.features = d.features;
        m.featuresRef = d.featuresRef;
      }
      if (d.driver && !m.driver) m.driver = d.driver;
      if (d.noDriver && !m.noDriver) m.noDriver = d.noDriver;
      out.set(d.name, m);
    }
  return out;
}
