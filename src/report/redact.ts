/**
 * Redaction for reports that leave the company. Works on the Report alone (like a renderer):
 * every string in it is rewritten. Secrets are always masked; with `ips` / `hostnames`, addresses
 * and names become consistent tokens, so a diagnosis still reads correctly: the same address is
 * the same token everywhere, and subnets stay subnets (10.244.0.0/16 and 10.244.1.5 become
 * 10.x1.0.0/16 and 10.x1.1.5).
 */
import type { Report } from './schema.js';
import { mapStrings } from './names.js';

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
}

const MASK = '***REDACTED***';

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
  },
  { kind: 'bearer-token', re: /\b(Bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/g, replace: (_m, b: string) => `${b} ${MASK}` },
  { kind: 'basic-auth', re: /\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}/g, replace: (_m, b: string) => `${b} ${MASK}` },
  {
    // key = "quoted value, spaces allowed"
    kind: 'password',
    re: /(["']?\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*["']?\s*[:=]\s*)(["'])([^"'\n]{1,512})\2/gi,
    replace: (_m, key: string, q: string) => `${key}${q}${MASK}${q}`,
  },
  {
    // key=value without quotes
    kind: 'password',
    re: /(\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*\s*[:=]\s*)(?!["'*])([^\s"',;}]{1,512})/gi,
    replace: (_m, key: string) => `${key}${MASK}`,
  },
  { kind: 'password', re: /(--?(?:password|passwd|token|secret)[= ])(\S+)/gi, replace: (_m, flag: string) => `${flag}${MASK}` },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, replace: () => MASK },
];

const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)/g;
const IPV6 = /(?<![\w:.])((?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?|::(?:[0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})(?![\w:])/gi;
/** First octets that say "private / special" without identifying anyone: kept so the reader sees the kind of address. */
const KEEP_FIRST_OCTET = new Set([0, 10, 100, 127, 169, 172, 192, 224, 255]);
const NOT_SECRET_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '255.255.255.255', '127.0.0.0', '0.0.0.0/0']);
const FQDN = /\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){2,}(?:com|net|org|io|local|internal|lan|corp|cloud|intra|example|test|cluster\.local|[a-z]{2}))\b/gi;
const FILE_LIKE = /\.(conf|json|yaml|yml|log|txt|service|socket|target|gz|tgz|xz|zip|tar|sh|py|go|ts|js|env|d)$/i;

export class Redactor {
  readonly summary: RedactionSummary = { secrets: 0, ips: 0, hostnames: 0, secretKinds: {} };
  private readonly octet2 = new Map<string, string>();
  private readonly octet1 = new Map<string, string>();
  private readonly v6 = new Map<string, string>();
  private readonly hosts = new Map<string, string>();
  private readonly seenIps = new Set<string>();

  constructor(readonly options: RedactOptions) {}

  /** Node names are hostnames whatever their shape; learn them before rewriting text. */
  addHosts(names: string[]): void {
    if (!this.options.hostnames) return;
    const fresh = names.filter((h) => h.length >= 2 && !/^\(.*\)$/.test(h) && !this.hosts.has(h));
    if (fresh.length === 0) return;
    for (const h of fresh) this.hostToken(h);
    // Longest first, so `node1.example.com` is replaced before `node1`.
    const sorted = [...this.hosts].sort((a, b) => b[0].length - a[0].length);
    this.hosts.clear();
    for (const [k, v] of sorted) this.hosts.set(k, v);
  }

  /** Any JSON-like value, every string rewritten. */
  value<T>(v: T): T {
    return mapStrings(v, (s) => this.text(s));
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

  text(s: string): string {
    let out = s;
    for (const rule of SECRET_RULES) {
      out = out.replace(rule.re, (...args: string[]) => {
        const replaced = rule.replace(...(args as [string, ...string[]]));
        if (replaced !== args[0]) {
          this.summary.secrets++;
          this.summary.secretKinds[rule.kind] = (this.summary.secretKinds[rule.kind] ?? 0) + 1;
        }
        return replaced;
      });
    }
    if (this.options.hostnames) out = this.replaceHosts(out);
    if (this.options.ips) out = this.replaceIps(out);
    return out;
  }

  private replaceHosts(s: string): string {
    let out = s;
    for (const [name, token] of this.hosts) {
      if (!out.includes(name)) continue;
      out = out.split(name).join(token);
    }
    return out.replace(FQDN, (name: string) => (FILE_LIKE.test(name) || /^\d+(\.\d+)+$/.test(name) ? name : this.hostToken(name.toLowerCase())));
  }

  private hostToken(name: string): string {
    let t = this.hosts.get(name);
    if (!t) {
      t = `host-${this.hosts.size + 1}`;
      this.hosts.set(name, t);
      this.summary.hostnames++;
      // the short name of an FQDN is the same host
      const short = name.split('.')[0];
      if (short !== name && short.length >= 3 && !this.hosts.has(short)) this.hosts.set(short, t);
    }
    return t;
  }

  private replaceIps(s: string): string {
    const v4 = s.replace(IPV4, (m: string, a: string, b: string, c: string, d: string) => {
      const o = [a, b, c, d].map(Number);
      if (o.some((x) => x > 255)) return m;
      if (NOT_SECRET_ADDRESSES.has(m)) return m;
      // masks (255.255.0.0) say nothing about anyone
      if (o[0] === 255) return m;
      this.countIp(m);
      const first = KEEP_FIRST_OCTET.has(o[0]) ? a : this.token(this.octet1, a, 'a');
      const second = this.token(this.octet2, `${a}.${b}`, 'x');
      return `${first}.${second}.${c}.${d}`;
    });
    return v4.replace(IPV6, (m: string) => {
      const lower = m.toLowerCase();
      if (lower === '::1' || lower === '::' || !/[0-9a-f]:/.test(lower) || !lower.includes(':')) return m;
      if (/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/.test(lower)) return m; // a MAC address, not IPv6
      this.countIp(lower);
      return this.token(this.v6, lower, 'ipv6-');
    });
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

/** A redacted copy of the report, and what was redacted. */
export function redactReport(report: Report, options: RedactOptions): { report: Report; summary: RedactionSummary } {
  const r = new Redactor(options);
  return { report: r.report(report), summary: r.summary };
}
