/**
 * The resolver configuration a node hands its pods, and where kubelet takes it from:
 *
 * - resolv.conf text (`nameserver`, `search` / `domain`, `options`, `sortlist`; `#` and `;` comments),
 *   each record at its {file, line}: /etc/resolv.conf (on systemd-resolved hosts a link to
 *   ../run/systemd/resolve/stub-resolv.conf, whose only nameserver is the stub 127.0.0.53), the uplink
 *   list /run/systemd/resolve/resolv.conf, k3s' own /var/lib/rancher/k3s/agent/etc/resolv.conf, a
 *   hand-made `cat /etc/resolv.conf` saved as resolv.conf.txt.
 * - kubelet's `resolvConf` setting: the KubeletConfiguration file (/var/lib/kubelet/config.yaml,
 *   YAML or JSON; a top-level `resolvConf:` key) and kubeadm's flags file
 *   (/var/lib/kubelet/kubeadm-flags.env: `KUBELET_KUBEADM_ARGS="... --resolv-conf=..."`). kubelet's
 *   own command line is read by processes.ts (`--resolv-conf`): `kubeletResolvConfFlag` reads it there.
 *
 * Which file a resolv.conf text stands for on the host comes from its bundle path when that names
 * one (`etc/resolv.conf`, `run/systemd/resolve/resolv.conf`), else from systemd-resolved's header
 * (`# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).`), else a
 * bare `resolv.conf[.txt]` is taken for /etc/resolv.conf (what people `cat`).
 */
import { excerpt as capped, lines, SkipFile, type ParseWarning, type SourceRef } from '../model/source.js';
import { parseIp } from './cidr.js';
import { flagValue, type ListedProcess } from './processes.js';

export interface ResolvConfRecord {
  keyword: 'nameserver' | 'search' | 'domain' | 'options' | 'sortlist';
  values: string[];
  ref: SourceRef;
  excerpt: string;
}

export interface Nameserver {
  address: string;
  /** 127.0.0.0/8 or ::1: inside a pod's network namespace this is the pod itself */
  loopback: boolean;
  ref: SourceRef;
  excerpt: string;
}

/** Who wrote the file, as its header comment says. */
export type ResolvConfManager = 'systemd-resolved-stub' | 'systemd-resolved-uplink' | 'networkmanager' | 'resolvconf' | 'k3s';

export interface ResolvConfFile {
  format: 'resolv.conf';
  file: string;
  /** the host file it stands for (/etc/resolv.conf, /run/systemd/resolve/resolv.conf, ...); undefined when neither path nor header tells */
  hostPath?: string;
  managedBy?: ResolvConfManager;
  records: ResolvConfRecord[];
  nameservers: Nameserver[];
  warnings: ParseWarning[];
  /** H85: the file is a container's or a build's (not the host's own): by its path, its name or Docker's own footer */
  owner?: ResolvConfOwner;
  /** H85: the footer Docker 25+ writes into a container's resolv.conf (`# Based on host file: ...`) */
  docker?: DockerResolvConfFooter;
}

/** H85: whose resolv.conf a file is, when it is no host's: a Docker or Podman container's, a BuildKit build's, a container's named by hand. */
export type ResolvConfOwner = 'docker-container' | 'podman-container' | 'buildkit' | 'container';

/**
 * H85: what Docker 25+ says of a container's resolv.conf in its footer (libnetwork/internal/resolvconf):
 * `# Based on host file: '/etc/resolv.conf' (legacy)` (the default bridge: the nameservers are the container's own)
 * or `(internal resolver)` (user-defined networks: 127.0.0.11, which forwards to `# ExtServers: [...]`; `host(IP)`
 * is asked from the host's network namespace, a bare IP from the container's), `# Used default nameservers.`
 * (no usable host nameserver: Google's 8.8.8.8 / 8.8.4.4 and their IPv6 pair) and `# Overrides: [nameservers]`
 * (--dns or daemon.json "dns" named the servers).
 */
export interface DockerResolvConfFooter {
  hostFile?: string;
  mode?: 'legacy' | 'internal resolver';
  usedDefaults?: { ref: SourceRef; excerpt: string };
  extServers?: { address: string; hostNamespace: boolean; ref: SourceRef; excerpt: string }[];
  /** `# Overrides: [nameservers search options]` */
  overrides?: string[];
  ref: SourceRef;
  excerpt: string;
}

/** Docker's fallback nameservers (libnetwork resolvconf: defaultIPv4NSs / defaultIPv6NSs), also BuildKit's. */
export const DOCKER_DEFAULT_NAMESERVERS: readonly string[] = ['8.8.8.8', '8.8.4.4', '2001:4860:4860::8888', '2001:4860:4860::8844'];

/** Docker's embedded DNS server in a container on a user-defined network. */
export const DOCKER_EMBEDDED_DNS = '127.0.0.11';

/** kubelet's resolvConf as a configuration file sets it. */
export interface KubeletResolvConfSetting {
  format: 'kubelet-config' | 'kubeadm-flags';
  file: string;
  /** the path kubelet hands pods' resolvers from; '' turns host DNS inheritance off; undefined when the file does not set it (kubelet's default /etc/resolv.conf) */
  resolvConf?: { value: string; ref: SourceRef; excerpt: string };
  warnings: ParseWarning[];
}

export type ResolvConfArtifact = ResolvConfFile | KubeletResolvConfSetting;

/** kubelet's default (`--resolv-conf`, KubeletConfiguration resolvConf) */
export const KUBELET_DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

const KEYWORDS = new Set(['nameserver', 'search', 'domain', 'options', 'sortlist']);

/** Whether an address is one of the host's own (127.0.0.0/8, ::1), for a pod: itself. */
export function isLoopbackAddress(address: string): boolean {
  const ip = parseIp(address.replace(/%.*$/, ''));
  if (!ip) return false;
  if (ip.family === 4) return ip.value >> 24n === 127n;
  return ip.value === 1n;
}

function managerOf(text: string): ResolvConfManager | undefined {
  const head = text.slice(0, 2048);
  if (/This is \/run\/systemd\/resolve\/stub-resolv\.conf managed by/.test(head) || /connecting local clients to the\s*\n?#?\s*internal DNS stub resolver of systemd-resolved/.test(head))
    return 'systemd-resolved-stub';
  if (/This is \/run\/systemd\/resolve\/resolv\.conf managed by/.test(head) || /connecting local clients directly to\s*\n?#?\s*all known uplink DNS servers/.test(head))
    return 'systemd-resolved-uplink';
  if (/^# Generated by NetworkManager/m.test(head)) return 'networkmanager';
  if (/DO NOT EDIT THIS FILE BY HAND -- YOUR CHANGES WILL BE OVERWRITTEN/.test(head)) return 'resolvconf';
  return undefined;
}

/**
 * The host path a resolv.conf in the bundle stands for: a path under etc/, run/ or var/ names it
 * (sos keeps the host's tree; troubleshoot's copy collector and hand-made bundles may too); else the
 * header; else a bare name (resolv.conf, resolv.conf.txt, etc-resolv.conf.out) is /etc/resolv.conf.
 */
export function resolvConfHostPath(relPath: string, managedBy?: ResolvConfManager): string | undefined {
  const full = /(?:^|\/)((?:etc|run|var)\/(?:[^/]+\/)*(?:stub-)?resolv\.conf)$/.exec(relPath);
  if (full) return '/' + full[1];
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  // sos-style flattened names of a command's output (cat_.etc.resolv.conf) and people's names
  if (/run[-_.]systemd[-_.]resolve[-_.]stub[-_.]resolv/i.test(base)) return '/run/systemd/resolve/stub-resolv.conf';
  if (/run[-_.]systemd[-_.]resolve[-_.]resolv/i.test(base)) return '/run/systemd/resolve/resolv.conf';
  if (managedBy === 'systemd-resolved-uplink') return '/run/systemd/resolve/resolv.conf';
  if (/^(?:cat[-_ .]*)?(?:etc[-_ .]*)?resolv\.conf(?:[-_.](?:txt|out|log))?$/i.test(base)) return KUBELET_DEFAULT_RESOLV_CONF;
  return undefined;
}

/** A resolv.conf: every line is blank, a comment, or a resolver keyword; at least one nameserver. */
export function sniffResolvConf(head: string): boolean {
  const all = lines(head).slice(0, 200);
  // the last line of a 4 KiB head may be cut
  if (head.length >= 4096) all.pop();
  let nameservers = 0;
  for (const raw of all) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
    const m = /^(\S+)\s+\S/.exec(l);
    if (!m || !KEYWORDS.has(m[1])) return false;
    if (m[1] === 'nameserver') {
      if (!parseIp(l.split(/\s+/)[1].replace(/%.*$/, ''))) return false;
      nameservers++;
    }
  }
  return nameservers > 0;
}

export function parseResolvConf(text: string, file: string, relPath = file): ResolvConfFile {
  const records: ResolvConfRecord[] = [];
  const nameservers: Nameserver[] = [];
  const warnings: ParseWarning[] = [];
  const all = lines(text);
  let unknown = 0;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    // glibc: a comment starts a line with # or ;; the rest of a line after a value is not read
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
    const words = l.split(/\s+/);
    const keyword = words[0];
    if (!KEYWORDS.has(keyword)) {
      unknown++;
      continue;
    }
    const ref = { file, line: i + 1 };
    const values = words.slice(1).filter((w, k, arr) => !arr.slice(0, k + 1).some((x) => x.startsWith('#') || x.startsWith(';')));
    records.push({ keyword: keyword as ResolvConfRecord['keyword'], values, ref, excerpt: capped(raw) });
    if (keyword === 'nameserver') {
      const address = values[0];
      if (!address || !parseIp(address.replace(/%.*$/, ''))) {
        warnings.push({ file, line: i + 1, message: `nameserver without an IP address: ${capped(l, 80)}` });
        continue;
      }
      nameservers.push({ address, loopback: isLoopbackAddress(address), ref, excerpt: capped(raw) });
    }
  }
  if (records.length === 0) throw new SkipFile(file, 'no resolver keyword');
  // a file with more lines that are no resolver keyword than that are is another format
  if (unknown > records.length) throw new SkipFile(file, 'mostly lines that are no resolv.conf keyword');
  const managedBy = managerOf(text);
  const out: ResolvConfFile = { format: 'resolv.conf', file, hostPath: resolvConfHostPath(relPath, managedBy), managedBy, records, nameservers, warnings };
  const docker = dockerFooter(all, file);
  if (docker) out.docker = docker;
  const owner = resolvConfOwner(relPath) ?? (docker ? 'docker-container' : undefined);
  if (owner) out.owner = owner;
  return out;
}

/**
 * H85: the container or build a resolv.conf belongs to, by its path or name: Docker's
 * var/lib/docker/containers/<id>/resolv.conf (and the hostconfig copy under network/files), Podman's
 * overlay-containers/<id>/userdata/resolv.conf, a path naming buildkit, a pasted file named
 * container-resolv.conf / ctr_resolv.conf / build-resolv.conf. Undefined: the host's own (or unknown).
 */
export function resolvConfOwner(relPath: string): ResolvConfOwner | undefined {
  const p = relPath.replace(/\\/g, '/');
  if (/(?:^|\/)var\/lib\/docker\/(?:containers\/[0-9a-f]{12,64}|network\/files\/[0-9a-f]{12,64})\/resolv\.conf$/.test(p)) return 'docker-container';
  if (/(?:^|\/)overlay-containers\/[0-9a-f]{12,64}\/userdata\/resolv\.conf$/.test(p)) return 'podman-container';
  if (/(?:^|\/)[^/]*buildkit[^/]*\/(?:[^/]+\/)*resolv\.conf$/i.test(p)) return 'buildkit';
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (/^(?:buildkitd?|build)[-_.]resolv\.conf(?:[-_.](?:txt|out|log))?$/i.test(base)) return 'buildkit';
  if (/^(?:container|ctr|in[-_]container)[-_.]resolv\.conf(?:[-_.](?:txt|out|log))?$/i.test(base)) return 'container';
  return undefined;
}

function dockerFooter(all: string[], file: string): DockerResolvConfFooter | undefined {
  let out: DockerResolvConfFooter | undefined;
  for (let i = 0; i < all.length; i++) {
    const raw = all[i].trim();
    const ref = { file, line: i + 1 };
    const based = /^# Based on host file: '([^']*)'(?: \((legacy|internal resolver)\))?/.exec(raw);
    if (based) {
      out = { hostFile: based[1], ...(based[2] ? { mode: based[2] as 'legacy' | 'internal resolver' } : {}), ref, excerpt: capped(raw) };
      continue;
    }
    if (!out) continue;
    if (/^# Used default nameservers\.?$/.test(raw)) out.usedDefaults = { ref, excerpt: capped(raw) };
    const ext = /^# ExtServers: \[([^\]]*)\]/.exec(raw);
    if (ext)
      out.extServers = ext[1]
        .split(/\s+/)
        .filter((w) => w !== '')
        .map((w) => {
          const h = /^host\((.*)\)$/.exec(w);
          return { address: h ? h[1] : w, hostNamespace: !!h, ref, excerpt: capped(raw) };
        });
    const ov = /^# Overrides: \[([^\]]*)\]/.exec(raw);
    if (ov) out.overrides = ov[1].split(/\s+/).filter((w) => w !== '');
  }
  return out;
}

/** H85: a DNS server Docker is told to give containers (daemon.json "dns", dockerd --dns, HostConfig.Dns). */
export interface DnsServerSetting {
  address: string;
  loopback: boolean;
  ref: SourceRef;
  excerpt: string;
}

/**
 * H85: daemon.json's `"dns": [...]`, each server at its own line (a one-line list: the key's line). Undefined when
 * the file sets no dns list (or is no JSON object; parseDockerDaemonJson reports that). `parsed`: the document
 * parseDockerDaemonJson already read, so the text is not parsed twice.
 */
export function daemonJsonDns(text: string, file: string, parsed?: unknown): DnsServerSetting[] | undefined {
  let raw: unknown = parsed;
  if (raw === undefined)
    try {
      raw = JSON.parse(text.trim() === '' ? '{}' : text);
    } catch {
      return undefined;
    }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const dns = (raw as Record<string, unknown>).dns;
  if (!Array.isArray(dns)) return undefined;
  const src = lines(text);
  const keyAt = src.findIndex((l) => /"dns"\s*:/.test(l));
  const out: DnsServerSetting[] = [];
  let from = keyAt < 0 ? 0 : keyAt;
  for (const v of dns) {
    if (typeof v !== 'string') continue;
    const quoted = JSON.stringify(v);
    let at = src.findIndex((l, k) => k >= from && l.includes(quoted));
    if (at < 0) at = keyAt < 0 ? 0 : keyAt;
    else from = at;
    out.push({ address: v, loopback: isLoopbackAddress(v), ref: { file, line: at + 1 }, excerpt: capped(src[at]?.trim() ?? `"dns": ${quoted}`) });
  }
  return out;
}

/** H85: the `--dns` servers of a dockerd command line (`--dns 127.0.0.53`, `--dns=127.0.0.53`); the words after the executable. */
export function dockerdDnsFlags(args: readonly string[], ref: SourceRef, excerpt: string): DnsServerSetting[] {
  const out: DnsServerSetting[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--dns(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const v = m[1] ?? (args[i + 1] !== undefined && !args[i + 1].startsWith('-') ? args[++i] : undefined);
    if (v === undefined || !parseIp(v.replace(/%.*$/, ''))) continue;
    out.push({ address: v, loopback: isLoopbackAddress(v), ref, excerpt });
  }
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(t);
  if (m) return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
  return t.replace(/\s+#.*$/, '').trim();
}

/**
 * kubelet's KubeletConfiguration file (/var/lib/kubelet/config.yaml; JSON too): its top-level
 * `resolvConf`. Only the top level counts (a YAML key at column 0, a JSON key of the outer object).
 */
export function parseKubeletConfigResolvConf(text: string, file: string): KubeletResolvConfSetting {
  if (!/\bKubeletConfiguration\b/.test(text) && !/(^|\n)["']?resolvConf["']?\s*:/.test(text)) throw new SkipFile(file, 'no KubeletConfiguration');
  const all = lines(text);
  const json = /^\s*\{/.test(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const m = json ? /^\s{0,4}"resolvConf"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(raw) : /^resolvConf\s*:\s*(.*)$/.exec(raw);
    if (!m) continue;
    const value = json ? (JSON.parse(m[1]) as string) : unquote(m[1]);
    return { format: 'kubelet-config', file, resolvConf: { value, ref: { file, line: i + 1 }, excerpt: capped(raw) }, warnings: [] };
  }
  return { format: 'kubelet-config', file, warnings: [] };
}

/** kubeadm's /var/lib/kubelet/kubeadm-flags.env: `KUBELET_KUBEADM_ARGS="--resolv-conf=/run/systemd/resolve/resolv.conf ..."`. */
export function parseKubeadmFlagsResolvConf(text: string, file: string): KubeletResolvConfSetting {
  const all = lines(text);
  let seen = false;
  let out: KubeletResolvConfSetting['resolvConf'];
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    if (!/^\s*KUBELET_\w*ARGS\s*=/.test(raw)) continue;
    seen = true;
    // the last --resolv-conf wins, as kubelet's flag parsing keeps the last value
    const re = /--resolv-conf(?:=|\s+)("[^"]*"|'[^']*'|[^\s"']*)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(raw))) out = { value: m[1].replace(/^["']|["']$/g, ''), ref: { file, line: i + 1 }, excerpt: capped(raw) };
  }
  if (!seen) throw new SkipFile(file, 'no KUBELET_*ARGS line');
  return { format: 'kubeadm-flags', file, resolvConf: out, warnings: [] };
}

/**
 * The resolv.conf kubelet is given on a command line: kubelet's own `--resolv-conf`; k3s / RKE2
 * `--resolv-conf` (their agent flag) or `--kubelet-arg=resolv-conf=...`. Undefined when not given.
 */
export function kubeletResolvConfFlag(p: ListedProcess): string | undefined {
  if (p.component === 'kubelet') return flagValue(p, 'resolv-conf');
  if (p.component === 'k3s' || p.component === 'rke2') {
    let v = flagValue(p, 'resolv-conf');
    for (const a of p.flags.get('kubelet-arg') ?? []) {
      const m = /^-{0,2}resolv-conf=(.*)$/.exec(a.trim());
      if (m) v = m[1];
    }
    return v;
  }
  return undefined;
}

/** The resolv.conf files of a node's artifacts. */
export function resolvConfFiles(artifacts: readonly ResolvConfArtifact[] | undefined): ResolvConfFile[] {
  return (artifacts ?? []).filter((a): a is ResolvConfFile => a.format === 'resolv.conf');
}

/** The kubelet settings of a node's artifacts. */
export function kubeletResolvConfSettings(artifacts: readonly ResolvConfArtifact[] | undefined): KubeletResolvConfSetting[] {
  return (artifacts ?? []).filter((a): a is KubeletResolvConfSetting => a.format !== 'resolv.conf');
}

/**
 * H85: a container's HostConfig.Dns in `docker inspect` output (the servers `docker run --dns` / compose `dns:` named;
 * [] when none), each at the line its value stands on, searched from `from` (the offset of the container's Id).
 * Undefined when the container has no Dns list.
 */
export function inspectDns(text: string, file: string, hostConfig: unknown, from: number, lineOf: (offset: number) => number): DnsServerSetting[] | undefined {
  const dns = hostConfig && typeof hostConfig === 'object' ? (hostConfig as { Dns?: unknown }).Dns : undefined;
  if (!Array.isArray(dns)) return undefined;
  const keyAt = text.indexOf('"Dns"', Math.max(0, from));
  const out: DnsServerSetting[] = [];
  let at = keyAt;
  for (const v of dns) {
    if (typeof v !== 'string') continue;
    const i = keyAt < 0 ? -1 : text.indexOf(JSON.stringify(v), at);
    if (i >= 0) at = i;
    const lineStart = at < 0 ? 0 : text.lastIndexOf('\n', at) + 1;
    const lineEnd = text.indexOf('\n', lineStart);
    const line = at < 0 ? 1 : lineOf(at);
    out.push({ address: v, loopback: isLoopbackAddress(v), ref: { file, line }, excerpt: capped(text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim()) });
  }
  return out;
}
