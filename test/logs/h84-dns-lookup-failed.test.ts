/**
 * H84: failed DNS lookups, log.dns-lookup-failed (src/logs/signatures-dns.ts): each real line matched with its kind
 * and resolver, the lines that must not match, and the pairing with log.connection-timed-out / log.connection-refused
 * (their `unless`), tested through the catalog as signatures.ts wires it (or, before that, wired here the same way).
 */
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES, type LogSignature } from '../../src/logs/signatures.js';
import { DNS_LOOKUP_REFUSED, DNS_LOOKUP_TIMEOUT, DNS_SIGNATURES, dnsLookupKind } from '../../src/logs/signatures-dns.js';
import { dnsLookupWording, resolverRole } from '../../analyzers/lib/dns-lookup.js';

const DNS = 'log.dns-lookup-failed';

/** The catalog with H84's wiring: SIGNATURES itself once signatures.ts has it. */
function wired(): readonly LogSignature[] {
  if (SIGNATURES.some((s) => s.id === DNS)) return SIGNATURES;
  const out: LogSignature[] = [];
  for (const s of SIGNATURES) {
    if (s.id === 'log.connection-refused') out.push(...DNS_SIGNATURES);
    if (s.id === 'log.connection-timed-out') out.push({ ...s, unless: new RegExp(`${s.unless!.source}|${DNS_LOOKUP_TIMEOUT.source}`) });
    else if (s.id === 'log.connection-refused') out.push({ ...s, unless: new RegExp(`${s.unless!.source}|${DNS_LOOKUP_REFUSED.source}`) });
    else out.push(s);
  }
  return out;
}
const CATALOG = wired();
const scan = (line: string) => scanLogText(`${line}\n`, 'h84.log', { catalog: CATALOG }).matches;
const dnsOf = (line: string) => scan(line).filter((m) => m.signature === DNS);

interface Case {
  url: string;
  line: string;
  kind: string;
  lookup?: string;
  host?: string;
  port?: string;
}

const REAL: Case[] = [
  {
    url: 'https://github.com/docker/for-mac/issues/2152',
    line: 'Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 192.168.65.1:53: read udp 192.168.65.2:45941->192.168.65.1:53: i/o timeout',
    kind: 'timeout',
    lookup: 'registry-1.docker.io',
    host: '192.168.65.1',
    port: '53',
  },
  {
    url: 'https://github.com/aquasecurity/trivy/blob/main/docs/docs/references/troubleshooting.md',
    line: 'Error: failed to list releases: Get <https://api.github.com/repos/aquasecurity/trivy-db/releases>: dial tcp: lookup api.github.com on 127.0.0.11:53: read udp 127.0.0.1:39070->127.0.0.11:53: i/o timeout',
    kind: 'timeout',
    lookup: 'api.github.com',
    host: '127.0.0.11',
    port: '53',
  },
  {
    url: 'https://github.com/docker-archive-public/docker.kitematic/issues/797',
    line: 'Get https://index.docker.io/v1/repositories/library/cassandra/images: dial tcp: lookup index.docker.io on 172.20.10.1:53: read udp 172.20.10.1:53: i/o timeout',
    kind: 'timeout',
    lookup: 'index.docker.io',
    host: '172.20.10.1',
  },
  {
    url: 'https://github.com/Windscribe/Desktop-App/issues/199',
    line: 'dial tcp4: lookup site.com: i/o timeout',
    kind: 'timeout',
    lookup: 'site.com',
  },
  {
    url: 'https://github.com/miniflux/v2/issues/2899',
    line: 'level=WARN msg="Unable to fetch feed" feed_url=https://blog.cloudflare.com/rss error="fetcher: Get \\"https://blog.cloudflare.com/rss\\": dial tcp: lookup blog.cloudflare.com on 127.0.0.11:53: server misbehaving"',
    kind: 'servfail',
    lookup: 'blog.cloudflare.com',
    host: '127.0.0.11',
  },
  {
    url: 'https://github.com/rc452860/vnet/issues/10',
    line: 'ERROR 2019-01-22 08:56:16 db.go[225] DBServiceMonitor: dial tcp: lookup ll on 127.0.0.53:53: server misbehaving',
    kind: 'servfail',
    lookup: 'll',
    host: '127.0.0.53',
  },
  {
    url: 'https://github.com/OJ/gobuster/issues/465',
    line: '[ERROR] 2023/11/13 18:11:45 [!] Get "https://*redacted*": dial tcp: lookup *redacted* on [fe80::1%wlp2s0]:53: server misbehaving',
    kind: 'servfail',
    lookup: '*redacted*',
    host: '[fe80::1%wlp2s0]',
  },
  {
    url: 'https://github.com/TykTechnologies/tyk-pro-docker-demo/issues/28',
    line: 'Error trying to set value: dial tcp: lookup redis on 127.0.0.11:53: no such host"',
    kind: 'nxdomain',
    lookup: 'redis',
    host: '127.0.0.11',
  },
  {
    url: 'https://github.com/docker-library/docker/issues/202',
    line: 'docker: error during connect: Post http://docker:2375/v1.40/containers/create: dial tcp: lookup docker on 192.168.1.1:53: no such host.',
    kind: 'nxdomain',
    lookup: 'docker',
    host: '192.168.1.1',
  },
  {
    url: 'https://github.com/alibaba/nacos/issues/2165',
    line: '2019/12/04 12:24:47 lookup nacos-headless on 172.172.0.2:53: read udp 172.168.1.243:53854->172.172.0.2:53: read: connection refused',
    kind: 'refused',
    lookup: 'nacos-headless',
    host: '172.172.0.2',
  },
  {
    url: 'https://github.com/docker/compose/issues/5533',
    line: 'Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on [::1]:53: read udp [::1]:60341->[::1]:53: read: connection refused',
    kind: 'refused',
    lookup: 'registry-1.docker.io',
    host: '[::1]',
  },
  {
    url: 'https://github.com/kubernetes/kubernetes/issues/86762',
    line: '[ERROR] plugin/errors: 2 o2o-redis-service. A: read udp 10.244.169.134:47806->132.120.200.52:53: i/o timeout',
    kind: 'timeout',
    lookup: 'o2o-redis-service.',
    host: '132.120.200.52',
  },
  {
    url: 'https://github.com/kubernetes/kubernetes/issues/71826',
    line: ' [ERROR] plugin/errors: 2 1832739969549183765.325799172751613093. HINFO: unreachable backend: read udp 10.233.102.132:49471->219.141.136.10:53: i/o timeout',
    kind: 'timeout',
    host: '219.141.136.10',
  },
  {
    url: 'https://github.com/linuxserver/docker-kasm/issues/76',
    line: 'time="2024-11-07T16:56:43.364936084Z" level=error msg="[resolver] failed to query external DNS server" client-addr="udp:127.0.0.1:54611" dns-server="udp:127.0.0.11:53" error="read udp 127.0.0.1:54611->127.0.0.11:53: i/o timeout" question=";proxy.local.\\tIN\\t A" spanID=3454aa19ebd11c4c traceID=da7dd444d1241e30eddf154480a9775d',
    kind: 'timeout',
    lookup: 'proxy.local.',
    host: '127.0.0.11',
  },
  {
    url: 'https://github.com/docker/for-linux/issues/179',
    line: 'sg="[resolver] read from DNS server failed, read udp 172.19.0.4:42216->100.108.191.250:53: i/o timeout"',
    kind: 'timeout',
    host: '100.108.191.250',
  },
  {
    url: 'https://github.com/alexbers/mtprotoproxy/issues/212',
    line: "W: Failed to fetch http://deb.debian.org/debian/dists/buster/InRelease  Temporary failure resolving 'deb.debian.org'",
    kind: 'temporary',
    lookup: 'deb.debian.org',
  },
  {
    url: 'https://github.com/npm/npm/issues/12090',
    line: 'npm ERR! getaddrinfo EAI_AGAIN registry.npmjs.org:80',
    kind: 'temporary',
    lookup: 'registry.npmjs.org',
  },
  {
    url: 'https://github.com/hyperledger-archives/composer/issues/4357',
    line: 'Connection fails: MongoNetworkError: failed to connect to server [mongo:27017] on first connect [MongoNetworkError: getaddrinfo ENOTFOUND mongo mongo:27017]',
    kind: 'nxdomain',
    lookup: 'mongo',
  },
  {
    url: 'https://github.com/devpi/devpi/issues/815',
    line: "2020-08-06 03:11:06,488 WARNI [IDXQ] [Rtx7256] upstream error (URL 'https://pip.domain.com/simple/' returned -1 ConnectionError(MaxRetryError(\"HTTPSConnectionPool(host='pip.domain.com', port=443): Max retries exceeded with url: /simple/ (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7ff04404a4a8>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution',))\",),)): using stale projects list",
    kind: 'temporary',
    lookup: 'pip.domain.com',
  },
  {
    url: 'https://github.com/kubernetes/kubernetes/issues/86762',
    line: 'ConnectionError: Error -3 connecting to o2o-redis-service.o2o-sales.svc.cluster.local:6379. Temporary failure in name resolution.',
    kind: 'temporary',
    lookup: 'o2o-redis-service.o2o-sales.svc.cluster.local',
  },
  {
    url: 'https://github.com/ubiquiti/docker-compose-aarch64/issues/8',
    line: 'curl: (6) Could not resolve host: github.com',
    kind: 'unresolved',
    lookup: 'github.com',
  },
  {
    url: 'https://github.com/containers/toolbox/issues/521',
    line: "  - Curl error (6): Couldn't resolve host name for https://mirrors.fedoraproject.org/metalink?repo=fedora-cisco-openh264-32&arch=x86_64 [Could not resolve host: mirrors.fedoraproject.org]",
    kind: 'unresolved',
    lookup: 'mirrors.fedoraproject.org',
  },
  {
    url: 'https://github.com/golang/go/issues/12712',
    line: "** server can't find doesnotexist.domain: NXDOMAIN",
    kind: 'nxdomain',
    lookup: 'doesnotexist.domain',
  },
  {
    url: 'https://github.com/systemd/systemd/issues/19964',
    line: ';; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 11860',
    kind: 'servfail',
  },
  {
    url: 'https://github.com/systemd/systemd/issues/18769',
    line: 'Host google.com not found: 2(SERVFAIL)',
    kind: 'servfail',
    lookup: 'google.com',
  },
  {
    url: 'https://github.com/kubernetes/kubernetes/issues/63423',
    line: ';; connection timed out; no servers could be reached',
    kind: 'timeout',
  },
  {
    url: 'https://github.com/YunoHost/yunohost/pull/2203',
    line: ';; communications error to 194.150.168.168#53: timed out',
    kind: 'timeout',
    host: '194.150.168.168',
    port: '53',
  },
];

describe('log.dns-lookup-failed: real lines, by kind and resolver', () => {
  for (const c of REAL)
    it(`${c.kind}: ${c.url}`, () => {
      const all = scan(c.line);
      const dns = all.filter((m) => m.signature === DNS);
      expect(dns).toHaveLength(1);
      const f = dns[0].facts;
      expect(dnsLookupKind(f)).toBe(c.kind);
      if (c.lookup) expect(f.lookup).toBe(c.lookup);
      if (c.host) expect(f.host).toBe(c.host);
      if (c.port) expect(f.port).toBe(c.port);
      // one line, one diagnosis: no generic connection finding for a DNS lookup
      expect(all.map((m) => m.signature).filter((s) => s === 'log.connection-timed-out' || s === 'log.connection-refused')).toEqual([]);
    });
});

describe('lines that are not a failed lookup', () => {
  const NOT: [string, string][] = [
    // a successful nslookup (https://github.com/kubernetes/kubernetes/issues/91518)
    ['https://github.com/kubernetes/kubernetes/issues/91518', 'Server:\t\t10.254.0.2\nAddress:\t10.254.0.2#53\n\nNon-authoritative answer:\nName:\twww.baidu.com\nAddress: 14.215.177.39'],
    // nslookup's header against systemd-resolved (https://github.com/prometheus/node_exporter/issues/3467)
    ['https://github.com/prometheus/node_exporter/issues/3467', 'Server:         127.0.0.11\nAddress:        127.0.0.11:53'],
    // resolv.conf dumps (https://github.com/kubernetes/kubernetes/issues/42645, https://github.com/d2iq-archive/mesos-dns/issues/298)
    ['https://github.com/kubernetes/kubernetes/issues/42645', 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5'],
    ['https://github.com/d2iq-archive/mesos-dns/issues/298', 'nameserver 72.14.179.25 # Atlas004\nnameserver 198.58.99.72 # Atlas005'],
    // CoreDNS' own startup and its log plugin answering NXDOMAIN for search-domain expansions (normal) (https://github.com/coredns/coredns/issues/3839, #4125)
    ['https://github.com/coredns/coredns/issues/3839', '[INFO] plugin/reload: Running configuration MD5 = 4e235fcc3696966e76816bcd9034ebc7'],
    ['https://github.com/coredns/coredns/issues/4125', '2020-09-14T19:12:33.322Z [INFO] 10.244.0.6:60748 - 10848 "A IN kubernetes.default.svc.cluster.local.svc.cluster.local. udp 72 false 512" NXDOMAIN qr,rd 165 0.000024s'],
    // a connect timeout that is not DNS (https://github.com/kubernetes/kubernetes/issues/71826)
    ['https://github.com/kubernetes/kubernetes/issues/71826', 'E1207 03:34:20.049977       1 reflector.go:205] github.com/coredns/coredns/plugin/kubernetes/controller.go:318: Failed to list *v1.Namespace: Get https://10.233.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0: dial tcp 10.233.0.1:443: i/o timeout'],
    // dnf in a Fedora 35 image on Docker < 20.10.10: seccomp refuses clone3, not DNS (https://github.com/fedora-cloud/docker-brew-fedora/issues/100)
    ['https://github.com/fedora-cloud/docker-brew-fedora/issues/100', "  - Curl error (6): Couldn't resolve host name for https://mirrors.fedoraproject.org/metalink?repo=fedora-35&arch=x86_64 [getaddrinfo() thread failed to start]"],
  ];
  for (const [url, text] of NOT)
    it(url, () => {
      expect(scanLogText(`${text}\n`, 'h84.log', { catalog: CATALOG }).matches.filter((m) => m.signature === DNS)).toEqual([]);
    });

  it('a plain dial timeout stays log.connection-timed-out (kubernetes#71826)', () => {
    const ids = scan('Failed to list *v1.Service: Get https://10.233.0.1:443/api/v1/services?limit=500&resourceVersion=0: dial tcp 10.233.0.1:443: i/o timeout').map((m) => m.signature);
    expect(ids).toContain('log.connection-timed-out');
    expect(ids).not.toContain(DNS);
  });

  it("Go's `no such host` is nxdomain, not a timeout, and not a connection finding (caarlos0/domain_exporter#6)", () => {
    const all = scan('Get http://domain:9222/probe?target=watchub.pw: dial tcp: lookup domain on 127.0.0.11:53: no such host');
    expect(all.map((m) => m.signature)).toEqual([DNS]);
    expect(dnsLookupKind(all[0].facts)).toBe('nxdomain');
  });
});

describe("10.0.2.3: user-mode NAT's forwarder stays with log.connection-timed-out (user-mode-nat.ts words it)", () => {
  it('a VirtualBox guest timing out at 10.0.2.3 (docker/docs#7612): connection-timed-out only, with its lookup facts', () => {
    const all = scan('`(HTTP code 500) server error - Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:51848->10.0.2.3:53: i/o timeout`');
    expect(all.map((m) => m.signature)).toEqual(['log.connection-timed-out']);
    expect(all[0].facts).toMatchObject({ lookup: 'registry-1.docker.io', host: '10.0.2.3', port: '53', source: '10.0.2.15' });
  });
  it('a CoreDNS pod forwarding to 10.0.2.3 (coredns#3839 shape, kubernetes/dns#295 Vagrant): not double reported', () => {
    const ids = scan('[ERROR] plugin/errors: 2 registry-1.docker.io. AAAA: read udp 10.244.0.3:57070->10.0.2.3:53: i/o timeout').map((m) => m.signature);
    expect(ids).not.toContain(DNS);
  });
});

describe('wording by resolver and kind', () => {
  it('names the resolvers by their role', () => {
    expect(resolverRole('127.0.0.11')).toBe('docker-embedded');
    expect(resolverRole('127.0.0.53')).toBe('systemd-resolved');
    expect(resolverRole('10.96.0.10')).toBe('kube-dns');
    expect(resolverRole('10.0.2.3')).toBe('user-mode-nat');
    expect(resolverRole('192.168.1.1')).toBe('other');
  });
  it("Docker's embedded DNS timing out: warning, forwards to the host's resolv.conf nameservers", () => {
    const m = dnsOf(REAL[1].line);
    const w = dnsLookupWording(m);
    expect(w.severity).toBe('warning');
    expect(w.kinds).toEqual(['timeout']);
    expect(w.message).toMatch(/127\.0\.0\.11 is Docker's embedded DNS/);
    expect(w.message).toMatch(/forwards every other name to the nameservers of the host's resolv\.conf/);
    expect(w.commands.join('\n')).toMatch(/grep '\^nameserver' \/etc\/resolv\.conf/);
  });
  it("systemd-resolved's stub: points at resolvectl status", () => {
    const w = dnsLookupWording(dnsOf(REAL[5].line));
    expect(w.message).toMatch(/systemd-resolved's local stub/);
    expect(w.commands[0]).toMatch(/^resolvectl status/);
    expect(w.kinds).toEqual(['servfail']);
  });
  it('kube-dns ClusterIP: CoreDNS pods and kube-proxy (kubernetes#86762 pod-side line)', () => {
    // the cluster's DNS Service as the client's resolver: Go's client line shape of kubernetes#86762's title
    const w = dnsLookupWording([{ facts: { lookup: 'elasticsearch', host: '10.96.0.10', port: '53', error: 'i/o timeout' } }]);
    expect(w.message).toMatch(/cluster's DNS Service \(kube-dns, served by CoreDNS\)/);
    expect(w.commands.join('\n')).toMatch(/k8s-app=kube-dns/);
    expect(w.commands.join('\n')).toMatch(/k8s-app=kube-proxy/);
  });
  it("CoreDNS' own errors are its upstream, not the pods' resolver", () => {
    const w = dnsLookupWording(dnsOf(REAL[11].line));
    expect(w.message).toMatch(/CoreDNS asking its upstream/);
    expect(w.message).not.toMatch(/kube-dns, served by CoreDNS/);
  });
  it('only names that do not exist: info, and says it is not a network block', () => {
    const w = dnsLookupWording([...dnsOf(REAL[7].line), ...dnsOf(REAL[17].line)]);
    expect(w.severity).toBe('info');
    expect(w.message).toMatch(/not a network block/);
    expect(w.message).toMatch(/no firewall or network change helps/);
  });
  it('a name that does not exist beside a timeout: warning', () => {
    expect(dnsLookupWording([...dnsOf(REAL[7].line), ...dnsOf(REAL[0].line)]).severity).toBe('warning');
  });
  it('10.0.2.3 gets no sentence of its own here', () => {
    const w = dnsLookupWording([{ facts: { lookup: 'x', host: '10.0.2.3', port: '53', error: 'no such host' } }]);
    expect(w.message).not.toMatch(/slirp4netns|VirtualBox/);
  });
});
