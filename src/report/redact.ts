/**
 * Redaction for reports that leave the company. Works on the Report alone (like a renderer):
 * every string in it is rewritten. Secrets are always masked; with `ips` / `hostnames`, addresses
 * and names become consistent tokens, so a diagnosis still reads correctly: the same address is
 * the same token everywhere, and subnets stay subnets (10.244.0.0/16 and 10.244.1.5 become
 * 10.x1.0.0/16 and 10.x1.1.5).
 *
 * Hosts are learned before anything is rewritten (the nodes, then every FQDN the value names), so
 * the result does not depend on the order of the strings; a name is replaced only where it stands
 * as a whole name, never inside another word (`node-c` in `three-node-cluster`, `docker` in `docker0`).
 */
import type { BundleReport, Report } from './schema.js';

import { isIPv6 } from 'node:net';
import { mapStrings } from './names.js';
import { parseIp } from '../parsers/cidr.js';

export interface RedactOptions {
  ips: boolean;
  hostnames: boolean;
}

export interface RedactionSummary {
  secrets: number;
  ips: number;
  hostnames: number;
  /** which secret kinds were found, with counts */
  secretKinds: Record<string, number>;
}

interface SecretRule {
  kind: string;
  re: RegExp;
  /** replacement keeping the non-secret part (the key name, the scheme, the user) */
  replace: (m: string, ...groups: string[]) => string;
  /** the secret value itself, for counting distinct values (default: the whole match) */
  secret?: (m: string, ...groups: string[]) => string;
}

const MASK = '***REDACTED***';

/**
 * A key that names a secret's setting, not the secret: the kernel's `net.ipv4.ipfrag_secret_interval = 600`
 * (every `sysctl -a`), a secret's name or file (`secretName: registry-creds`, `token_file=/var/run/...`).
 * Secrets are masked in every report, so such values must stay readable.
 */
const NOT_A_SECRET_KEY = /(?:[_.-]interval|[_.-]timeout|[_.-]ttl|[_-]?names?|[_-]?refs?|[_-]?files?|[_-]?paths?|[_-]?dir|[_-]driver|\.(?:txt|json|ya?ml|conf|cfg|ini|pem|crt|log|env|sh))["']?\s*[:=]\s*$/i;

/** Modelled on what troubleshoot's default redactors catch, written afresh. */
const SECRET_RULES: SecretRule[] = [
  {
    kind: 'private-key',
    re: /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: (_m, t: string) => `-----BEGIN ${t}PRIVATE KEY----- ${MASK} -----END ${t}PRIVATE KEY-----`,
  },
  { kind: 'aws-access-key', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: () => MASK },
  {
    kind: 'connection-string',
    re: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s:/@'"]*):([^\s@'"]+)@/gi,
    replace: (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`,
    secret: (_m, _scheme: string, _user: string, pass: string) => pass,
  },
  { kind: 'bearer-token', re: /\b(Bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/g, replace: (_m, b: string) => `${b} ${MASK}`, secret: (m, b: string) => m.slice(b.length).trim() },
  { kind: 'basic-auth', re: /\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}/g, replace: (_m, b: string) => `${b} ${MASK}`, secret: (m, b: string) => m.slice(b.length).trim() },
  {
    // key = "quoted value, spaces allowed"
    kind: 'password',
    re: /(["']?\b[A-Za-z0-9_.-]{0,64}(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,64}["']?\s*[:=]\s*)(["'])([^"'\n]{1,512})\2/gi,
    replace: (m, key: string, q: string) => (NOT_A_SECRET_KEY.test(key) ? m : `${key}${q}${MASK}${q}`),
    secret: (_m, _key: string, _q: string, value: string) => value,
  },
  {
    // key=value without quotes; `key: value` takes a blank after the colon (YAML), so a Service's `ns/name-secrets:port`
    // in an iptables comment or a host:port is no key (R20); true/false/null are settings, not secrets
    kind: 'password',
    re: /(\b[A-Za-z0-9_.-]{0,64}(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,64}\s*(?:=|:(?=\s))\s*)(?!["'*])(?!(?:true|false|null|none|yes|no)\b)([^\s"',;}]{1,512})/gi,
    replace: (m, key: string) => (NOT_A_SECRET_KEY.test(key) ? m : `${key}${MASK}`),
    secret: (_m, _key: string, value: string) => value,
  },
  { kind: 'password', re: /(--?(?:password|passwd|token|secret)[= ])(\S+)/gi, replace: (_m, flag: string) => `${flag}${MASK}`, secret: (_m, _flag: string, value: string) => value },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, replace: () => MASK },
  // Bare vendor tokens, recognised by their documented prefix and shape (none is an everyday word,
  // a hex id or base64 of a CNI config: each needs its prefix and 16+ characters of its alphabet).
  // GitHub (github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available):
  // ghp_ / gho_ / ghu_ / ghs_ / ghr_ and 36 of [A-Za-z0-9] (up to 255; the newer stateless ghs_ tokens
  // add `.` and `-`); fine-grained `github_pat_` + 22 + `_` + 59.
  { kind: 'github-token', re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9_][A-Za-z0-9_.-]{35,254}/g, replace: () => MASK },
  { kind: 'github-token', re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}/g, replace: () => MASK },
  // GitLab personal access tokens (gitlab-org/gitlab#342327): `glpat-` and 20+ of [A-Za-z0-9_-],
  // newer ones with `.01.xxxxxxxx` after it
  { kind: 'gitlab-token', re: /(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_.-]+)?/g, replace: () => MASK },
  // Slack (docs.slack.dev/authentication/tokens): xoxb- bot, xoxp- user, xoxa- / xoxr- / xoxs- / xoxo-
  { kind: 'slack-token', re: /(?<![A-Za-z0-9_])xox[abposr]-[0-9A-Za-z][0-9A-Za-z-]{9,}/g, replace: () => MASK },
  // Stripe (docs.stripe.com/api/authentication): secret keys sk_live_ / sk_test_, restricted rk_live_ / rk_test_
  { kind: 'stripe-key', re: /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[0-9A-Za-z]{16,}/g, replace: () => MASK },
];

/** A dotted quad; after `...` too (`...203.0.113.9`, an excerpt's cut), but never the tail of a longer dotted run (`1.203.0.113.9`). */
const IPV4 = /(?:(?<![\d.])|(?<=\.\.\.))(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)/g;
/**
 * What is left of an IPv4 address an excerpt cut: two or three octets touching an ellipsis
 * (`203.0.113…`, `…203.0.11`). Only next to an ellipsis: `1.8.9` in ordinary text is a version.
 * Not after a `:` or a word (`00:26:10.41…` is a time, `v1.8…` a version).
 */
const IPV4_CUT_HEAD = /(?<![\w.:])\d{1,3}(?:\.\d{1,3}){1,2}\.?(?=…|\.\.\.)/g;
const IPV4_CUT_TAIL = /(?<=…|\.\.\.)\d{1,3}(?:\.\d{1,3}){1,2}(?![\d]|\.\d|\w)/g;
/** what a cut IPv4 address is written as */
const IPV4_CUT = 'ipv4-cut';
/**
 * A run of hex digits and colons (with at least one colon), perhaps ending in dotted decimals
 * (`::ffff:203.0.113.9`): where IPv6 addresses are looked for. `replaceIpv6` decides what in it is
 * an address (`isIPv6`), so times (`10:14:02`, klog's `10:14:02.884310`) and MAC addresses (six
 * groups, no `::`) never count. Not the port of a dotted quad (`203.0.113.9:8080`). The lookbehind
 * makes each run tried once, from its start: linear.
 */
const HEX_COLON_RUN = /(?<![0-9a-f:]|\d\.)[0-9a-f]*:[0-9a-f:]*(?:\.\d+)*/gi;
/** a letter, digit or underscore, of any script */
const WORD_CHAR = /[\p{L}\p{N}_]/u;
/** the longest an IPv6 address is written: 8 groups of 4, or 6 and a dotted quad */
const MAX_IPV6 = 45;
/** where an excerpt was cut: an ellipsis (`…`, `...`) */
const CUT_BEFORE = /(?:…|\.\.\.)\[?$/;
const CUT_AFTER = /^\.?\]?(?:…|\.\.\.)/;
/** what a cut IPv6 address is written as: there is nothing left to tell which it was */
const IPV6_CUT = 'ipv6-cut';
/** 8 groups of exactly two hex digits: an EUI-64 / hardware address, never written so as IPv6 */
const HW_ADDRESS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){7}$/i;
/** An address spelled into a host name: AWS/EKS `ip-10-0-1-5`, `ip-10-0-1-5.ec2.internal`, `kube-proxy-ip-10-0-1-5` */
const DASHED_IPV4 = /(?<![A-Za-z0-9_])(ip-)(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(?![A-Za-z0-9_]|-\d)/gi;
/** An address spelled into a DNS name: Kubernetes pod records `10-244-1-5.default.pod.cluster.local` */
const DASHED_IPV4_DNS = /(?<![\w.-])(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(?=\.[A-Za-z][\w-]*\.[A-Za-z])/g;
/** First octets that say "private / special" without identifying anyone: kept so the reader sees the kind of address. */
const KEEP_FIRST_OCTET = new Set([0, 10, 100, 127, 169, 172, 192, 224, 255]);
const NOT_SECRET_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '255.255.255.255', '127.0.0.0', '0.0.0.0/0']);
const FQDN = /\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){2,}(?:com|net|org|io|local|internal|lan|corp|cloud|intra|example|test|cluster\.local|[a-z]{2}))\b/gi;
const FILE_LIKE = /\.(conf|json|yaml|yml|log|txt|service|socket|target|gz|tgz|xz|zip|tar|sh|py|go|ts|js|env|d)$/i;
/** What redaction writes (`host-3`, `ipv6-2`, the `a1` / `x4` of `a1.x4.2.1`): never learned as a host, so redacting twice changes nothing. */
const TOKEN = /^(?:host-\d+|ipv6-(?:\d+|cut)|ipv4-cut|[ax]\d+)$/i;

/**
 * Host names that are also everyday words of a support bundle: software, services, roles, the
 * areas of finding ids. A node may well be called `docker` or `master`, but most `docker`s in its
 * report are the daemon (`systemctl restart docker`, `docker0`, `docker.service`, `/var/log/docker/`,
 * `iptables.docker-chain-missing`, an iptables chain's `owner`). Such a name is replaced only where
 * it is the host: a whole string in a field that holds node names (`node`, `nodes`, a node's `name`,
 * a facts key), the host field of a syslog line, `on docker`, `nodeName=docker`, and the node's own
 * folder in paths. The word itself says nothing about whose machine it is.
 */
const COMMON_NAMES = new Set(
  (
    'docker dockerd containerd kubelet kubernetes kube k8s k3s k3d k0s rke rke2 crio podman etcd flannel calico cilium weave canal ' +
    'iptables ip6tables nftables nft firewalld sysctl log logs systemd journald kernel linux ubuntu debian centos rhel fedora rocky alma ' +
    'suse alpine localhost master worker node host server client agent controller control api apiserver proxy router gateway web app ' +
    'db database cache redis postgres postgresql mysql mongo nginx haproxy ingress dns coredns ntp bridge cluster default minikube kind ' +
    'test dev prod staging primary secondary support bundle sosreport none unknown network'
  ).split(' '),
);

/**
 * The field names of the report and the index (`src/report/schema.ts`): a key that is one of them
 * is the report's own structure, never data, and is kept as it is (a node called `node` must not
 * rename the `node` field). Other keys (facts keyed by node, by address) are redacted like values.
 * A test checks this list against the zod schema.
 */
export const REPORT_FIELDS = new Set(
  (
    'id status reason findings tool name version generatedAt shards totals bundles analyzed failed critical warning info byFinding ' +
    'severity title source reports layout nodes summary top node findingIds checked error code ms nameFrom root facts iptables file ' +
    'family backend format origin chains table chain policy rules owner owners message evidence line excerpt note time remedy commands ' +
    'caution analyzer impact related firstSeen lastSeen timeline finding coverage artifacts logs lines bytes truncatedLines analyzers ' +
    'parseProblems kind cluster notes filesSeen bytesRead timing readMs parseMs analyzeMs totalMs failures redaction applied secrets ' +
    'ips hostnames secretKinds yearInferred seenYearInferred docker swarm rootless firewallBackend warnings severities runs notRun core missing anyOf bySeverity marks supportNote'
  ).split(' '),
);

/** Fields whose value is a node's name (or names) as a whole */
const NODE_FIELDS = new Set(['node', 'nodes', 'name']);

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const byLength = (a: string, b: string) => b.length - a.length || (a < b ? -1 : 1);
/** a syslog (`Nov 20 10:14:02`) or RFC 3339 (`2026-11-20T10:14:02.123+01:00`) time, then the host field */
const SYSLOG_TIME = String.raw`(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)`;

interface HostMatchers {
  /** names that cannot be a word: replaced wherever they stand as a whole name */
  names?: RegExp;
  /** common words: replaced where the text says they are the host */
  whole?: RegExp;
  common?: RegExp;
  syslog?: RegExp;
  roots?: RegExp;
}

export class Redactor {
  readonly summary: RedactionSummary = { secrets: 0, ips: 0, hostnames: 0, secretKinds: {} };
  private readonly octet2 = new Map<string, string>();
  private readonly octet1 = new Map<string, string>();
  private readonly v6 = new Map<string, string>();
  /** lower-case host name -> token; a host's short name and FQDN share the token */
  private readonly hosts = new Map<string, string>();
  /** a node's folder whose name holds a common-word host name -> the folder with the token */
  private readonly roots = new Map<string, string>();
  private readonly seenIps = new Set<string>();
  private readonly seenSecrets = new Set<string>();
  private readonly seenSecretKinds = new Set<string>();
  private tokens = 0;
  private matchers: HostMatchers | undefined;

  constructor(readonly options: RedactOptions) {}

  /** Node names are hostnames whatever their shape; learn them before rewriting text. */
  addHosts(names: string[]): void {
    if (!this.options.hostnames) return;
    for (const h of names) {
      const name = h.replace(/#\d+$/, ''); // `node-a#2`: the second node of that name
      if (!this.isHostName(name)) continue;
      const token = this.hostToken(name);
      // the short name of a node's FQDN is the same host
      const short = name.split('.')[0];
      if (short !== name && this.isHostName(short)) this.alias(short, token);
    }
  }

  /** Any JSON-like value, every string rewritten (object keys too, except the report's field names). */
  value<T>(v: T): T {
    // Secrets first, then learn every host the value names, then rewrite: the same name gets the
    // same token wherever it stands, whatever order the strings come in.
    const masked = mapStrings(v, (s) => this.maskSecrets(s), (k) => (REPORT_FIELDS.has(k) ? k : this.maskSecrets(k)));
    this.learn(masked);
    // Where a string holds a node's name as a whole (the `node` of a finding, facts keyed by
    // node), a common-word host name is the host; elsewhere `docker` is more often the daemon.
    const walk = (x: unknown, field: string | undefined, inFacts: boolean): unknown => {
      if (typeof x === 'string') return this.rewrite(x, field !== undefined && NODE_FIELDS.has(field));
      if (Array.isArray(x)) return x.map((y) => walk(y, field, inFacts));
      if (x && typeof x === 'object')
        // a key inside facts is data (a node's name keys facts.values), not one of the report's field names
        return Object.fromEntries(Object.entries(x).map(([k, y]) => [REPORT_FIELDS.has(k) && !inFacts ? k : this.rewrite(k, inFacts), walk(y, k, inFacts || k === 'facts')]));
      return x;
    };
    return walk(masked, undefined, false) as T;
  }

  /** A redacted copy of a report, carrying what was redacted so far. */
  report(report: Report): Report {
    this.addHosts(report.bundles.flatMap((b) => b.nodes.map((n) => n.name)));
    const out = this.value(report);
    out.redaction = this.describe();
    return out;
  }

  describe(): NonNullable<Report['redaction']> {
    return {
      applied: ['secrets', ...(this.options.ips ? ['ips'] : []), ...(this.options.hostnames ? ['hostnames'] : [])],
      secrets: this.summary.secrets,
      ips: this.options.ips ? this.summary.ips : undefined,
      hostnames: this.options.hostnames ? this.summary.hostnames : undefined,
      secretKinds: { ...this.summary.secretKinds },
    };
  }

  /** One string (of no known field), learned from and rewritten. */
  text(s: string): string {
    return this.value(s);
  }

  private maskSecrets(s: string): string {
    let out = s;
    for (const rule of SECRET_RULES) {
      out = out.replace(rule.re, (...args: string[]) => {
        const replaced = rule.replace(...(args as [string, ...string[]]));
        if (replaced !== args[0]) this.countSecret(rule.kind, rule.secret ? rule.secret(...(args as [string, ...string[]])) : args[0]);
        return replaced;
      });
    }
    return out;
  }

  /** Secrets are counted as distinct values: one password quoted in a log line and the timeline is one. */
  private countSecret(kind: string, secret: string): void {
    const kindKey = `${kind}\u0000${secret}`;
    if (this.seenSecretKinds.has(kindKey)) return;
    this.seenSecretKinds.add(kindKey);
    this.summary.secretKinds[kind] = (this.summary.secretKinds[kind] ?? 0) + 1;
    if (!this.seenSecrets.has(secret)) {
      this.seenSecrets.add(secret);
      this.summary.secrets++;
    }
  }

  /** Hosts and addresses of one string; `whole`: a field that holds a node name (`node`, `nodes`, a node's `name`, a facts key). */
  private rewrite(s: string, whole = false): string {
    let out = s;
    if (this.options.hostnames) out = this.replaceHosts(out, whole);
    if (this.options.ips) out = this.replaceIps(out);
    return out;
  }

  /** Every node (name and folder) and every FQDN the value holds, before anything is rewritten. */
  private learn(v: unknown): void {
    if (!this.options.hostnames) return;
    const strings: string[] = [];
    const nodes: { name: string; root: string }[] = [];
    const walk = (x: unknown): void => {
      if (typeof x === 'string') strings.push(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        const o = x as Record<string, unknown>;
        // a NodeInfo: its name is a host whatever its shape
        if (typeof o.name === 'string' && typeof o.nameFrom === 'string' && typeof o.root === 'string') nodes.push({ name: o.name, root: o.root });
        for (const [k, y] of Object.entries(o)) {
          if (!REPORT_FIELDS.has(k)) strings.push(k);
          walk(y);
        }
      }
    };
    walk(v);
    this.addHosts(nodes.map((n) => n.name));
    for (const n of nodes) this.learnRoot(n.name.replace(/#\d+$/, ''), n.root);
    for (const s of strings) for (const m of s.matchAll(FQDN)) this.learnFqdn(m[0]);
  }

  /** A node folder named after a common-word host (`case/docker`, `sosreport-docker-2026-11-20`): the folder is the host there. */
  private learnRoot(name: string, root: string): void {
    if (!COMMON_NAMES.has(name.toLowerCase()) || !this.hosts.has(name.toLowerCase()) || this.roots.has(root)) return;
    const slash = root.lastIndexOf('/');
    const last = root.slice(slash + 1);
    const at = new RegExp(`(?<![A-Za-z0-9])${escapeRe(name)}(?![A-Za-z0-9])`, 'i').exec(last);
    if (!at) return;
    const token = this.hosts.get(name.toLowerCase())!;
    this.roots.set(root, root.slice(0, slash + 1) + last.slice(0, at.index) + token + last.slice(at.index + name.length));
    this.matchers = undefined;
  }

  private learnFqdn(found: string): void {
    if (FILE_LIKE.test(found) || /^\d+(\.\d+)+$/.test(found)) return;
    const fqdn = found.toLowerCase();
    // `sosreport-db01.acme.com-2026`: the FQDN is what follows a known name's hyphen, not the whole run
    const dot = fqdn.indexOf('.');
    const label = fqdn.slice(0, dot);
    const tail = fqdn.slice(dot);
    for (let i = 0; i < label.length; i = label.indexOf('-', i) + 1) {
      const short = label.slice(i);
      if (this.hosts.has(short + tail)) return;
      const known = this.hosts.get(short);
      if (known) return this.alias(short + tail, known);
      if (label.indexOf('-', i) < 0) break;
    }
    const token = this.hostToken(fqdn);
    // Its short name is the same host when it can only be a host name (`db01`, `prod-db-07`):
    // a word (`api` of api.acme.com, `registry` of registry.k8s.io) stays a word elsewhere.
    if (/\d/.test(label) && this.isHostName(label) && !COMMON_NAMES.has(label)) this.alias(label, token);
  }

  private isHostName(name: string): boolean {
    return name.length >= 2 && !/^\(.*\)$/.test(name) && !/^\d+$/.test(name) && !TOKEN.test(name) && !/[\s\u0000-\u001f]/.test(name);
  }

  private alias(name: string, token: string): void {
    const key = name.toLowerCase();
    if (this.hosts.has(key)) return;
    this.hosts.set(key, token);
    this.matchers = undefined;
  }

  private hostToken(name: string): string {
    const key = name.toLowerCase();
    let t = this.hosts.get(key);
    if (!t) {
      t = `host-${++this.tokens}`;
      this.hosts.set(key, t);
      this.summary.hostnames++;
      this.matchers = undefined;
    }
    return t;
  }

  private hostMatchers(): HostMatchers {
    if (this.matchers) return this.matchers;
    const names = [...this.hosts.keys()].sort(byLength);
    const common = names.filter((n) => COMMON_NAMES.has(n)).map(escapeRe);
    const other = names.filter((n) => !COMMON_NAMES.has(n)).map(escapeRe);
    const roots = [...this.roots.keys()].sort(byLength).map(escapeRe);
    const m: HostMatchers = {};
    // A whole name: no letter, digit or underscore on either side (`docker0`, `api_key`,
    // `three-node-cluster` are other words), not a later label of a dotted name (`iptables.node-a`).
    // A hyphen may join it to a prefix or suffix (`sosreport-node-a-2026-11-20`, `kube-proxy-node-a`,
    // `for-node-2/`) and a dot to further labels (`node-a.example.com`, `node-3.tgz`): these
    // names cannot be part of an ordinary word.
    if (other.length > 0) m.names = new RegExp(`(?<![A-Za-z0-9_.])(?:${other.join('|')})(?![A-Za-z0-9_])`, 'gi');
    if (common.length > 0) {
      const alt = `(?:${common.join('|')})`;
      m.whole = new RegExp(`^${alt}(?=(?:#\\d+)?$)`);
      m.common = new RegExp(`(?<=(?:\\b[Oo]n|\\bnode|\\bhost) |\\b(?:nodeName|node-name|node|host|hostname|nodename)[=:] ?|\\bnode/)${alt}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`, 'g');
      m.syslog = new RegExp(`(?<=^${SYSLOG_TIME} )${alt}(?= )`, 'gm');
    }
    if (roots.length > 0) m.roots = new RegExp(`(?<![A-Za-z0-9_.-])(?:${roots.join('|')})(?=/|$|[^A-Za-z0-9_.-])`, 'g');
    return (this.matchers = m);
  }

  private replaceHosts(s: string, whole: boolean): string {
    const m = this.hostMatchers();
    const token = (name: string) => this.hosts.get(name.toLowerCase()) ?? name;
    let out = s;
    if (m.roots) out = out.replace(m.roots, (r) => this.roots.get(r) ?? r);
    if (m.names) out = out.replace(m.names, token);
    if (m.whole && whole) out = out.replace(m.whole, token);
    if (m.common) out = out.replace(m.common, token);
    if (m.syslog) out = out.replace(m.syslog, token);
    return out;
  }

  /** The redacted octets of an IPv4 address, or undefined for one that says nothing about anyone. */
  private v4(a: string, b: string, c: string, d: string): string[] | undefined {
    const o = [a, b, c, d].map(Number);
    if (o.some((x) => x > 255)) return undefined;
    if (NOT_SECRET_ADDRESSES.has(`${o.join('.')}`)) return undefined;
    // masks (255.255.0.0) say nothing about anyone
    if (o[0] === 255) return undefined;
    this.countIp(o.join('.'));
    const first = KEEP_FIRST_OCTET.has(o[0]) ? String(o[0]) : this.token(this.octet1, String(o[0]), 'a');
    const second = this.token(this.octet2, `${o[0]}.${o[1]}`, 'x');
    return [first, second, c, d];
  }

  /**
   * An IPv6 address as a token for its first 48 bits (the site's prefix, which says whose network
   * it is) and the rest as written: the subnet id and the interface id. The token is the same for
   * every spelling of the prefix (`FD00:DEAD:BEEF:0:0:0:0:2` and `fd00:dead:beef::2` are both
   * `ipv6-1::2`), and subnets stay subnets as the IPv4 ones do: `fd00:dead:beef::/64` is
   * `ipv6-1::/64`, `fd00:10:244::/56` and `fd00:10:244:3::1/64` are `ipv6-2::/56` and `ipv6-2:3::1/64`.
   * An IPv4 address in it (IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, IPv4-compatible, or
   * written dotted) is redacted as that IPv4 address, in whatever spelling it came:
   * `::ffff:cb00:7109` and `::ffff:203.0.113.9` are both `::ffff:a1.x1.113.9`. Undefined: keep it.
   */
  private v6Address(addr: string): string | undefined {
    const g = ipv6Groups(addr);
    if (!g) return undefined;
    const dotted = addr.includes('.');
    const octets = () => [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].map(String) as [string, string, string, string];
    const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
    const embedded = (head: string) => {
      const o = this.v4(...octets());
      return o ? `${head}${o.join('.')}` : undefined;
    };
    if (zeros(0, 5) && g[5] === 0xffff) return embedded('::ffff:');
    if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return embedded('64:ff9b::');
    if (zeros(0, 6) && (dotted || g[6] >= 0x100)) return embedded('::');
    this.countIp(g.map((x) => x.toString(16)).join(':'));
    const token = this.token(this.v6, g.slice(0, 3).map((x) => x.toString(16)).join(':'), 'ipv6-');
    if (!dotted) return token + restOfAddress(g.slice(3));
    const o = this.v4(...octets());
    return token + restOfAddress(g.slice(3, 6), o ? o.join('.') : octets().join('.'));
  }

  /**
   * One run of hex digits and colons: the address in it, if any, redacted; what an excerpt cut of
   * one, `ipv6-cut`; anything else (a time, a MAC address, a port, redaction's own tokens) kept.
   */
  private ipv6Run(run: string, at: number, str: string): string {
    // redaction's own output: `ipv6-1:12::1`, `::ffff:a1.x1.113.9`, `64:ff9b::10.x2.1.5`
    if (/ipv6-$/i.test(str.slice(Math.max(0, at - 5), at))) return run;
    const end = at + run.length;
    if (/^\.x\d/.test(str.slice(end, end + 3))) return run;
    const dot = run.indexOf('.');
    const h = dot < 0 ? run : run.slice(0, dot);
    const d = dot < 0 ? '' : run.slice(dot);
    const prev = at > 0 ? str[at - 1] : '';
    const next = end < str.length ? str[end] : '';
    // `src:2001:db8::1`, `inet6:fd00::1`: the first group belongs to the word; `peer\t2001:…` (a JSON escape) does not
    const glued = prev !== '' && WORD_CHAR.test(prev) && !(at >= 2 && str[at - 2] === '\\' && /[a-z]/i.test(prev));
    const gluedAfter = next !== '' && WORD_CHAR.test(next);
    // `…:4f8c:17ab::2]`: a single colon first is the end of a group an excerpt cut
    const leadingColon = h[0] === ':' && h[1] !== ':';
    const afterColons = /^[0-9a-f]*:+/i.exec(h)![0].length;
    // `inet6:::ffff:cb00:7109`: the label's colon, then an address that starts with `::`
    const starts = !glued && !leadingColon ? [0] : glued && /::$/.test(h.slice(0, afterColons)) ? [afterColons - 2, afterColons] : [afterColons];
    const embedded = /^(?:\.\d{1,3}){3}$/.test(d) ? d : '';
    // the longest address from `start` ending at a group's end: the rest is a port (`…:4:5:8080`) or punctuation (`::5:`)
    let found: { addr: string; end: number; dotted: boolean } | undefined;
    let start = starts[0];
    const restOf = (f: { end: number; dotted: boolean }) => h.slice(f.end) + (f.dotted ? '' : d);
    const isRestOk = (rest: string) => rest === '' || rest === ':' || /^:\d{1,5}$/.test(rest) || /^(?:\.\d+)+$/.test(rest);
    for (const [i, s0] of starts.entries()) {
      found = undefined;
      start = s0;
      for (let e = Math.min(h.length, start + MAX_IPV6); e > start && !found; e = h.lastIndexOf(':', e - 1)) {
        if (e < h.length && h[e] !== ':') continue;
        const last = e === h.length;
        if (last && embedded && isIPv6(h.slice(start, e) + embedded)) found = { addr: h.slice(start, e) + embedded, end: e, dotted: true };
        else if (last && gluedAfter && !d) continue;
        else if (isIPv6(h.slice(start, e))) found = { addr: h.slice(start, e), end: e, dotted: false };
      }
      // `msg::67c5:1f83:6c71::f39d`: the start whose address takes the whole run
      if (found && (isRestOk(restOf(found)) || i === starts.length - 1)) break;
    }
    const groups = h.split(/:+/).filter(Boolean);
    if (found) {
      const rest = restOf(found);
      const restOk = isRestOk(rest);
      // more groups than an address has, all of two digits: an InfiniBand hardware address
      if (!restOk && groups.every((x) => x.length <= 2)) return run;
      const lower = found.addr.toLowerCase();
      const head = leadingColon ? '' : run.slice(0, start);
      const beforeAt = leadingColon ? at : at + start;
      const cutBefore = (leadingColon && at === 0) || CUT_BEFORE.test(str.slice(Math.max(0, beforeAt - 4), beforeAt));
      // a dotted rest that is no IPv4 address is what is left of one (`::ffff:203.0.1…`)
      const dottedRest = /^(?:\.\d+)+$/.test(rest);
      const cutAfter = (rest === '' || dottedRest) && CUT_AFTER.test(str.slice(end, end + 4));
      if (cutBefore || cutAfter) {
        this.countIp(`cut:${lower}`);
        return head + IPV6_CUT + (dottedRest ? '' : rest);
      }
      if (lower === '::1' || lower === '::' || HW_ADDRESS.test(lower)) return run;
      const t = this.v6Address(lower);
      return t === undefined ? run : head + t + rest;
    }
    // the head or tail of an address an excerpt cut (next to its ellipsis, or at the string's edge)
    // (after a label, `inet6:9419:4b95:bb8d:0:…`, what follows the label's colon, if it has a colon itself)
    if (gluedAfter || prev === '%' || groups.some((x) => x.length > 4)) return run;
    const part = glued ? h.slice(start) : h;
    const partAt = glued ? at + start : at;
    if (glued && !part.includes(':')) return run;
    const edge = partAt === 0 || end === str.length || CUT_BEFORE.test(str.slice(Math.max(0, partAt - 4), partAt)) || CUT_AFTER.test(str.slice(end, end + 4));
    if (!edge || !looksLikeIpv6Part(part)) return run;
    this.countIp(`cut:${part.toLowerCase()}`);
    return (glued ? run.slice(0, start) : '') + IPV6_CUT;
  }

  private replaceIps(s: string): string {
    // IPv6 first: an IPv4 address inside one (`::ffff:203.0.113.9`) is redacted as that IPv4 address
    const v6 = s.replace(HEX_COLON_RUN, (run: string, at: number, str: string) => this.ipv6Run(run, at, str));
    const v4 = v6.replace(IPV4, (m: string, a: string, b: string, c: string, d: string) => this.v4(a, b, c, d)?.join('.') ?? m);
    const cut = (m: string) => {
      const o = m.replace(/\.$/, '').split('.').map(Number);
      if (o.some((x) => x > 255)) return m;
      this.countIp(`cut:${o.join('.')}`);
      return m.endsWith('.') ? `${IPV4_CUT}.` : IPV4_CUT;
    };
    return v4
      .replace(IPV4_CUT_HEAD, cut)
      .replace(IPV4_CUT_TAIL, cut)
      .replace(DASHED_IPV4, (m: string, ip: string, a: string, b: string, c: string, d: string) => {
        const o = this.v4(a, b, c, d);
        return o ? `${ip}${o.join('-')}` : m;
      })
      .replace(DASHED_IPV4_DNS, (m: string, a: string, b: string, c: string, d: string) => this.v4(a, b, c, d)?.join('-') ?? m);
  }

  private countIp(ip: string): void {
    if (!this.seenIps.has(ip)) {
      this.seenIps.add(ip);
      this.summary.ips++;
    }
  }

  private token(map: Map<string, string>, key: string, prefix: string): string {
    let t = map.get(key);
    if (!t) {
      t = `${prefix}${map.size + 1}`;
      map.set(key, t);
    }
    return t;
  }
}

/** The 8 groups of an IPv6 address, an embedded dotted IPv4 address (`::ffff:203.0.113.9`) as its two. */
function ipv6Groups(addr: string): number[] | undefined {
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  let text = addr;
  if (dotted) {
    const o = dotted.slice(2).map(Number);
    if (o.some((x) => x > 255)) return undefined;
    text = `${dotted[1]}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const ip = parseIp(text);
  if (!ip || ip.family !== 6) return undefined;
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

/**
 * The groups after the token: `::2`, `:3::1`, `::42:acff:fe11:2`, `::` for none; the longest run of
 * two or more zero groups written `::` (RFC 5952), a run at the start always (the token ends there).
 * `tail`: an IPv4 address (redacted) written after the groups, as the address had it.
 */
function restOfAddress(rest: number[], tail?: string): string {
  const hex = rest.map((g) => g.toString(16));
  const zero = rest.map((g) => g === 0);
  if (tail !== undefined) {
    hex.push(tail);
    zero.push(false);
  }
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < hex.length; ) {
    if (!zero[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < hex.length && zero[j]) j++;
    if ((j - i > bestLen && (j - i >= 2 || i === 0)) || (i === 0 && j - i === bestLen)) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return `:${hex.join(':')}`;
  const head = hex.slice(0, best);
  const tailGroups = hex.slice(best + bestLen);
  return `${head.length ? `:${head.join(':')}` : ''}::${tailGroups.join(':')}`;
}

/**
 * Could be part of an IPv6 address: a `::` (no time, MAC or port has one), or hex groups of which
 * one is longer than two digits or holds a letter a-f (`4f8c:17ab`, `2a01:4f8`). Times
 * (`12:30:45`) and MAC addresses (`02:42:ac:11`), all groups of two, are not.
 */
function looksLikeIpv6Part(run: string): boolean {
  const groups = run.split(/:+/).filter(Boolean);
  if (groups.length === 0) return false;
  if (run.includes('::')) return true;
  if (groups.every((g) => g.length <= 2)) return false;
  return groups.length >= 2 || /[a-f]/i.test(groups[0]);
}

/**
 * A report with its secrets masked and nothing else changed: what every rendered report gets
 * unless `--no-mask-secrets` (a report is what support shares, and no secret helps a network
 * diagnosis). A report that says what was masked (`redaction`) keeps what it says; one that was
 * not redacted before says so when a secret was masked here. Deterministic: the same report gives
 * the same text.
 */
export function maskSecretsOf(report: Report): Report {
  const r = new Redactor({ ips: false, hostnames: false });
  const out = r.value(report);
  if (report.redaction) out.redaction = report.redaction;
  else if (r.summary.secrets > 0) out.redaction = r.describe();
  return out;
}

/**
 * One bundle's report as --jsonl streams it: its secrets masked like every rendered report's, unless
 * `maskSecrets` is false (--no-mask-secrets); a bundle report carries no redaction field.
 */
export function jsonlLine(report: BundleReport, maskSecrets = true): string {
  const shown = !maskSecrets ? report : new Redactor({ ips: false, hostnames: false }).value(report);
  return JSON.stringify(shown) + '\n';
}

/** A redacted copy of the report, and what was redacted. */
export function redactReport(report: Report, options: RedactOptions): { report: Report; summary: RedactionSummary } {
  const r = new Redactor(options);
  return { report: r.report(report), summary: r.summary };
}
