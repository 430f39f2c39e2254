import { describe, expect, it } from 'vitest';
import { REPORT_FIELDS, Redactor, redactReport } from '../../src/report/redact.js';
import { render } from '../../src/report/render.js';
import * as schema from '../../src/report/schema.js';
import type { Finding, Report } from '../../src/report/schema.js';

function report(excerpts: string[], node = 'prod-db-07.acme-corp.com'): Report {
  return {
    tool: { name: 'bundle-doctor', version: '0.0.0' },
    generatedAt: '2026-11-24T00:00:00Z',
    failures: [],
    bundles: [
      {
        source: `/tickets/acme/sosreport-${node}-2026.tar.xz`,
        layout: 'sosreport',
        nodes: [{ name: node, nameFrom: 'hostname', layout: 'sosreport', root: `sosreport-${node}`, facts: { flannel: '10.244.1.0/24' } }],
        findings: [
          {
            id: 'log.connection-refused',
            severity: 'warning',
            title: 'Connections refused',
            message: `${node} could not reach 10.244.1.5:5432 inside 10.244.0.0/16`,
            node,
            analyzer: 'log.signatures',
            evidence: excerpts.map((excerpt, i) => ({ file: `sosreport-${node}/var/log/messages`, line: i + 1, excerpt })),
            remedy: { summary: 'Open 5432 from 10.244.0.0/16', commands: ['iptables -I INPUT -s 10.244.0.0/16 -p tcp --dport 5432 -j ACCEPT'] },
          },
        ],
        coverage: { nodes: [], cluster: [], notes: [], filesSeen: 1, bytesRead: 1 },
        summary: { critical: 0, warning: 1, info: 0 },
        timing: { readMs: 1, parseMs: 1, analyzeMs: 1, totalMs: 3 },
      },
    ],
  };
}

const SECRETS = [
  'db: postgres://app:S3cr3tPass!@10.244.1.5:5432/app',
  'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
  'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U" https://10.0.0.1',
  'Authorization: Basic YWRtaW46aHVudGVyMg==',
  'MYSQL_ROOT_PASSWORD=hunter2hunter2',
  '"password": "correct horse battery staple"',
  '-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA7v1 -----END RSA PRIVATE KEY-----',
  'dockerd --tlsverify --token=abcd1234efgh5678',
];
const ORIGINAL_SECRETS = ['S3cr3tPass!', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'dozjgNryP4J3jVmNHl0w5N', 'YWRtaW46aHVudGVyMg==', 'hunter2hunter2', 'correct horse battery staple', 'MIIEowIBAAKCAQEA7v1', 'abcd1234efgh5678'];

describe('redaction', () => {
  it('always masks secrets, in every format, and says how many', () => {
    const { report: r, summary } = redactReport(report(SECRETS), { ips: false, hostnames: false });
    for (const format of ['json', 'md', 'html'] as const) {
      const text = render(r, format);
      for (const s of ORIGINAL_SECRETS) expect(text, `${format}: ${s}`).not.toContain(s);
    }
    expect(summary.secrets).toBeGreaterThanOrEqual(ORIGINAL_SECRETS.length);
    expect(r.redaction?.applied).toEqual(['secrets']);
    expect(render(r, 'md')).toMatch(/Redacted for sharing \(secrets\): \d+ secret\(s\) replaced/);
    // the user and the scheme stay: the reader still sees what connects to what
    expect(r.bundles[0].findings[0].evidence[0].excerpt).toBe('db: postgres://app:***REDACTED***@10.244.1.5:5432/app');
  });

  it('with ips and hostnames: no original address or name survives, tokens are consistent and subnets stay subnets', () => {
    const { report: r } = redactReport(report(['kubelet on prod-db-07 talks to 10.244.1.5 and 192.168.40.33, peer prod-db-07.acme-corp.com, v6 fd00:1234::5']), {
      ips: true,
      hostnames: true,
    });
    const json = render(r, 'json');
    for (const original of ['prod-db-07', 'acme-corp', '10.244.1.5', '10.244.0.0', '192.168.40.33', 'fd00:1234::5']) expect(json).not.toContain(original);
    const f = r.bundles[0].findings[0];
    expect(f.message).toMatch(/^host-1 could not reach 10\.x1\.1\.5:5432 inside 10\.x1\.0\.0\/16$/);
    expect(f.evidence[0].excerpt).toContain('10.x1.1.5');
    expect(f.evidence[0].excerpt).toContain('192.x2.40.33');
    expect(f.evidence[0].excerpt).toMatch(/kubelet on host-1 talks/);
    expect(r.bundles[0].nodes[0].name).toBe('host-1');
    expect(r.redaction).toMatchObject({ applied: ['secrets', 'ips', 'hostnames'], hostnames: 1 });
    expect(r.redaction?.ips).toBeGreaterThanOrEqual(4);
  });

  it('does not touch masks, loopback, any-address, file names or versions', () => {
    const r = new Redactor({ ips: true, hostnames: true });
    expect(r.text('-A INPUT -s 0.0.0.0/0 -d 127.0.0.1 -m mark --mark 0x8000 netmask 255.255.0.0')).toBe('-A INPUT -s 0.0.0.0/0 -d 127.0.0.1 -m mark --mark 0x8000 netmask 255.255.0.0');
    expect(r.text('iptables v1.8.7 (nf_tables) read /etc/sysctl.d/99-k8s.conf and kube-proxy.service')).toBe('iptables v1.8.7 (nf_tables) read /etc/sysctl.d/99-k8s.conf and kube-proxy.service');
    expect(r.text('link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff')).toBe('link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff');
  });
});

/** A one-bundle report with the given nodes and findings (a timeline from the findings' timed evidence). */
function bundleReport(nodes: string[], findings: Finding[], source = '/tickets/T-4711/bundle.tgz', root = (n: string) => `support-bundle-2026-11-20T11_00_00/host-collectors/${n}`): Report {
  return {
    tool: { name: 'bundle-doctor', version: '0.0.0' },
    generatedAt: '2026-11-24T00:00:00Z',
    failures: [],
    bundles: [
      {
        source,
        layout: 'troubleshoot',
        nodes: nodes.map((name) => ({ name, nameFrom: 'host-collectors', layout: 'troubleshoot', root: root(name), facts: {} })),
        findings,
        timeline: findings.flatMap((f) => f.evidence.filter((e) => e.time).map((e) => ({ time: e.time!, node: f.node, file: e.file, line: e.line, excerpt: e.excerpt, finding: f.id, severity: f.severity }))),
        coverage: { nodes: [], cluster: [], notes: [], filesSeen: 1, bytesRead: 1 },
        summary: { critical: 0, warning: findings.length, info: 0 },
        timing: { readMs: 1, parseMs: 1, analyzeMs: 1, totalMs: 3 },
      },
    ],
  };
}

function finding(id: string, node: string | undefined, message: string, excerpts: string[], extra: Partial<Finding> = {}): Finding {
  return {
    id,
    severity: 'warning',
    title: id,
    message,
    node,
    analyzer: id,
    evidence: excerpts.map((excerpt, i) => ({ file: `${node ?? 'cluster'}/var/log/messages`, line: i + 1, excerpt, time: `2026-11-20T10:14:0${i}.000Z` })),
    remedy: { summary: 'Restart the container runtime.', commands: ['systemctl restart docker'] },
    ...extra,
  };
}

describe('redaction: object keys', () => {
  it('redacts node names and addresses used as keys (facts keyed by node), and keeps the report\'s own field names', () => {
    const f = finding('cluster.node-inconsistent', undefined, 'net.ipv4.ip_forward differs: 1 on node-a and node-b, 0 on node-c', [], {
      nodes: ['node-a', 'node-b', 'node-c'],
      facts: { key: 'net.ipv4.ip_forward', values: { 'node-a': '1', 'node-b': '1', 'node-c': '0' }, peers: { '10.0.0.21': 'node-a', '10.0.0.22': 'node-b' } },
    });
    const { report: r } = redactReport(bundleReport(['node-a', 'node-b', 'node-c'], [f]), { ips: true, hostnames: true });
    const json = render(r, 'json');
    expect(json).not.toMatch(/node-[abc]|10\.0\.0\.2[12]/);
    const facts = r.bundles[0].findings[0].facts as { values: Record<string, string>; peers: Record<string, string> };
    expect(facts.values).toEqual({ 'host-1': '1', 'host-2': '1', 'host-3': '0' });
    expect(facts.peers).toEqual({ '10.x1.0.21': 'host-1', '10.x1.0.22': 'host-2' });
    // the field names stay: the redacted report is still a report
    expect(Object.keys(r.bundles[0].findings[0])).toEqual(Object.keys(f));
  });

  it('keeps every field name of the report schema (REPORT_FIELDS is current)', () => {
    const keys = new Set<string>();
    const seen = new Set<unknown>();
    const walk = (s: unknown): void => {
      if (!s || typeof s !== 'object' || seen.has(s)) return;
      seen.add(s);
      const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) return;
      if (def.shape) for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) keys.add(k), walk(v);
      for (const f of ['element', 'innerType', 'valueType', 'in', 'out', 'schema']) walk(def[f]);
      if (Array.isArray(def.options)) def.options.forEach(walk);
    };
    for (const v of Object.values(schema)) walk(v);
    expect(keys.size).toBeGreaterThan(50);
    for (const k of keys) expect(REPORT_FIELDS.has(k), k).toBe(true);
  });
});

describe('redaction: addresses', () => {
  const r = () => new Redactor({ ips: true, hostnames: false });

  it('never takes a time for an IPv6 address: syslog, klog and journal lines keep their times', () => {
    const lines = [
      'Nov 20 10:14:02 docker-host-01 dockerd[812]: time="2026-11-20T10:14:02.118722Z" level=warning msg="IPv4 forwarding is disabled. Networking will not work."',
      'E1120 10:14:02.884310    2231 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting node: Get \\"https://10.0.0.21:6443/api/v1/nodes\\": dial tcp 10.0.0.21:6443: connect: connection refused"',
      'I1120 10:14:03.000001    2231 reconciler.go:224] "operationExecutor.MountVolume started"',
      'Nov 20 10:14:05 k8s-node-3 kernel: [ 1234.567890] nf_conntrack: nf_conntrack: table full, dropping packet',
      '2026-11-20T10:14:02.118722+00:00 k8s-node-3 flanneld[901]: E1120 10:14:02.118722 main.go:330] Error registering network: failed to acquire lease',
    ];
    const red = r();
    const out = lines.map((l) => red.text(l));
    expect(out[0]).toBe(lines[0]);
    expect(out[1]).toContain('E1120 10:14:02.884310    2231 kubelet_node_status.go:540]');
    expect(out[1]).toContain('https://10.x1.0.21:6443');
    expect(out.slice(2)).toEqual(lines.slice(2));
    expect(out.join('\n')).not.toContain('ipv6-');
    expect(red.summary.ips).toBe(1);
  });

  it('redacts real IPv6 addresses in all their forms, and leaves MAC addresses', () => {
    const red = r();
    // the first 48 bits (the site's prefix) become the token; the subnet and interface id stay
    expect(red.text('    inet6 2001:db8:abcd:12::1/64 scope global dynamic mngtmpaddr')).toBe('    inet6 ipv6-1:12::1/64 scope global dynamic mngtmpaddr');
    expect(red.text('    inet6 fe80::42:acff:fe11:2/64 scope link')).toBe('    inet6 ipv6-2::42:acff:fe11:2/64 scope link');
    expect(red.text('2001:0db8:85a3:0000:0000:8a2e:0370:7334 dev eth0 lladdr 02:42:ac:11:00:02 REACHABLE')).toBe('ipv6-3::8a2e:370:7334 dev eth0 lladdr 02:42:ac:11:00:02 REACHABLE');
    expect(red.text('default via fe80::1%eth0 dev eth0 proto ra metric 100')).toBe('default via ipv6-2::1%eth0 dev eth0 proto ra metric 100');
    expect(red.text('connect ECONNREFUSED [2001:db8:abcd:12::1]:443')).toBe('connect ECONNREFUSED [ipv6-1:12::1]:443');
    // IPv4-mapped: the IPv4 address gets its IPv4 token, the same as where it stands alone
    expect(red.text('ESTAB 0 0 [::ffff:203.0.113.9]:6443 [::ffff:10.0.1.5]:51234')).toBe('ESTAB 0 0 [::ffff:a1.x1.113.9]:6443 [::ffff:10.x2.1.5]:51234');
    expect(red.text('accepted from 203.0.113.9')).toBe('accepted from a1.x1.113.9');
    for (const keep of ['link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff', 'link/infiniband 80:00:02:08:fe:80:00:00:00:00:00:00:7c:fe:90:03:00:b8:a2:e1', 'eui64 02:42:ac:ff:fe:11:00:02 ok', 'inet6 ::1/128 scope host', 'listen [::]:80']) {
      expect(red.text(keep)).toBe(keep);
    }
    expect(red.summary.ips).toBe(6);
    // its own output is left alone
    for (const own of ['inet6 ipv6-1/64 via [::ffff:a1.x1.113.9]:6443 10.x2.1.5', 'inet6 ipv6-1:12::1/64 via [ipv6-2::1%eth0]:443 ipv6-3::8a2e:370:7334 ipv6-1::/48 …ipv6-cut]:80']) expect(red.text(own)).toBe(own);
  });

  it('redacts the address spelled into AWS/EKS node names with the address\'s own token', () => {
    const red = r();
    expect(red.text('Nov 20 11:02:11 ip-10-0-1-5 kubelet[2231]: Successfully registered node ip-10-0-1-5.ec2.internal')).toBe(
      'Nov 20 11:02:11 ip-10-x1-1-5 kubelet[2231]: Successfully registered node ip-10-x1-1-5.ec2.internal',
    );
    expect(red.text('kube-proxy-ip-10-0-1-5.us-west-2.compute.internal 1/1 Running; node IP 10.0.1.5')).toBe('kube-proxy-ip-10-x1-1-5.us-west-2.compute.internal 1/1 Running; node IP 10.x1.1.5');
    expect(red.text('ip-203-0-113-9.ec2.internal')).toBe('ip-a1-x2-113-9.ec2.internal');
    expect(red.text('skip-10-0-1-5 ip-10-0-1-5-2026-11-20')).toBe('skip-10-0-1-5 ip-10-0-1-5-2026-11-20');
    expect(red.summary.ips).toBe(2);
  });

  it('redacts the address spelled into Kubernetes pod DNS names, and leaves dates and versions alone', () => {
    const red = r();
    expect(red.text('lookup 10-244-1-5.default.pod.cluster.local on 10.96.0.10:53: no such host (pod 10.244.1.5)')).toBe(
      'lookup 10-x2-1-5.default.pod.cluster.local on 10.x1.0.10:53: no such host (pod 10.x2.1.5)',
    );
    for (const keep of ['sosreport-node-2026-11-20-ticket.tar.xz', 'logs-2026-11-20-10.tar.gz', 'v1-2-3-4', 'a-10-0-1-5.x.y']) expect(red.text(keep)).toBe(keep);
  });

  it('counts distinct values, not occurrences: a secret in the evidence and the timeline is one secret', () => {
    const f = finding('log.connection-refused', 'acme-web-07', 'acme-web-07 could not reach 203.0.113.50:5432 (3 lines)', [
      'Nov 20 11:02:12 acme-web-07 app[1]: postgres://admin:S3cretPass@203.0.113.50:5432/app connection refused',
      'Nov 20 11:02:13 acme-web-07 app[1]: postgres://admin:S3cretPass@203.0.113.50:5432/app connection refused',
      'Nov 20 11:02:14 acme-web-07 app[1]: login password=hunter2 to 10.20.30.40:6379: connection refused',
    ]);
    const red = new Redactor({ ips: true, hostnames: true });
    const out = red.report(bundleReport(['acme-web-07'], [f]));
    expect(out.bundles[0].timeline).toHaveLength(3);
    expect(out.redaction).toMatchObject({ secrets: 2, ips: 2, hostnames: 1, secretKinds: { 'connection-string': 1, password: 1 } });
    // redacting the redacted report again (a batch does, as later bundles reveal hosts) counts nothing more
    red.value(out);
    expect(red.describe()).toMatchObject({ secrets: 2, ips: 2, hostnames: 1 });
  });
});

describe('redaction: host names', () => {
  const hosts = () => new Redactor({ ips: false, hostnames: true });

  it('replaces whole names only, never inside another word', () => {
    const red = hosts();
    red.addHosts(['node-a', 'node-b', 'node-c']);
    expect(red.text('/tickets/T-4711/three-node-cluster.tgz')).toBe('/tickets/T-4711/three-node-cluster.tgz');
    expect(red.text('Nov 20 11:02:11 node-c kubelet[2231]: node-cluster-autoscaler not found; node-c_backup kept; xnode-a')).toBe(
      'Nov 20 11:02:11 host-3 kubelet[2231]: node-cluster-autoscaler not found; node-c_backup kept; xnode-a',
    );
    // a suffix or prefix joined by a hyphen, a path segment, further labels: still the host
    expect(red.text('sosreport-node-a-2026-11-20-ticket4711/var/log/messages')).toBe('sosreport-host-1-2026-11-20-ticket4711/var/log/messages');
    expect(red.text('kube-proxy-node-b 1/1 Running on node-b.')).toBe('kube-proxy-host-2 1/1 Running on host-2.');
    expect(red.text('tickets/node-c.tgz: kubelet on NODE-C')).toBe('tickets/host-3.tgz: kubelet on host-3');
    expect(red.text('node-a.corp')).toBe('host-1.corp');
  });

  it('a node named like the software (docker) is the host where the report names the host, and the daemon elsewhere', () => {
    const f = finding(
      'sysctl.ip-forward-disabled',
      'docker',
      'net.ipv4.ip_forward is 0 on docker (a container host: br_netfilter loaded), not even the docker0/cni0 address of another node.',
      ['Nov 20 11:02:17 docker dockerd[9]: WARNING: IPv4 forwarding is disabled. Networking will not work.'],
      {
        remedy: {
          summary: 'Turn forwarding on now and persist it, then restart the container runtime.',
          commands: ['sysctl -w net.ipv4.ip_forward=1', 'systemctl restart docker   # or the node service / kubelet that owns the container network'],
          caution: 'Restarting docker restarts every container on the node.',
        },
        related: ['iptables.docker-chain-missing'],
        facts: { values: { docker: '0' } },
      },
    );
    f.evidence.push({ file: 'case/docker/var/log/docker/docker.log', line: 3, excerpt: 'level=info msg="Loading containers: done." docker.service started, bridge docker0 up' });
    const red = new Redactor({ ips: false, hostnames: true });
    const out = red.report(bundleReport(['docker'], [f], '/tmp/tickets/docker-node.tgz', () => 'case/docker'));
    const g = out.bundles[0].findings[0];
    expect(out.bundles[0].nodes[0]).toMatchObject({ name: 'host-1', root: 'case/host-1' });
    expect(g.node).toBe('host-1');
    expect(g.message).toBe('net.ipv4.ip_forward is 0 on host-1 (a container host: br_netfilter loaded), not even the docker0/cni0 address of another node.');
    expect(g.evidence[0].excerpt).toBe('Nov 20 11:02:17 host-1 dockerd[9]: WARNING: IPv4 forwarding is disabled. Networking will not work.');
    expect(g.evidence[1]).toMatchObject({ file: 'case/host-1/var/log/docker/docker.log', excerpt: 'level=info msg="Loading containers: done." docker.service started, bridge docker0 up' });
    expect(g.remedy).toEqual(f.remedy);
    expect(g.related).toEqual(['iptables.docker-chain-missing']);
    expect(g.facts).toEqual({ values: { 'host-1': '0' } });
    expect(out.bundles[0].source).toBe('/tmp/tickets/docker-node.tgz');
  });

  it('gives the same token to the same name whatever the order, and learns no generic word from an FQDN', () => {
    const evidence = [
      'Nov 20 11:02:15 acme-web-07 app[1]: POST https://api.acme-corp.com/v1/orders: i/o timeout (api_key=AKIAABCDEFGHIJKLMNOP)',
      'Nov 20 11:02:16 acme-web-07 app[1]: dial tcp db01:5432: connect: connection refused; the api returned 503',
      'Nov 20 11:02:17 acme-web-07 app[1]: failover to db01.prod.acme-corp.com done',
    ];
    const run = (lines: string[]) => {
      const red = new Redactor({ ips: false, hostnames: true });
      const out = red.report(bundleReport(['acme-web-07'], [finding('log.connection-timed-out', 'acme-web-07', 'acme-web-07: 3 lines', lines)]));
      return { b: out.bundles[0], n: red.summary.hostnames };
    };
    for (const lines of [evidence, [...evidence].reverse()]) {
      const { b, n } = run(lines);
      const text = JSON.stringify(b);
      expect(text).not.toMatch(/acme|db01/);
      expect(n).toBe(3);
      const byOriginal = new Map(lines.map((l, i) => [l, b.findings[0].evidence[i].excerpt]));
      expect(byOriginal.get(evidence[0])).toMatch(/^Nov 20 11:02:15 host-1 app\[1\]: POST https:\/\/host-\d\/v1\/orders: i\/o timeout \(api_key=\*\*\*REDACTED\*\*\*\)$/);
      expect(byOriginal.get(evidence[1])).toMatch(/dial tcp (host-\d):5432: connect: connection refused; the api returned 503$/);
      const db = /dial tcp (host-\d)/.exec(byOriginal.get(evidence[1])!)![1];
      expect(byOriginal.get(evidence[2])).toBe(`Nov 20 11:02:17 host-1 app[1]: failover to ${db} done`);
      // the timeline says the same as the evidence
      expect(b.timeline!.map((e) => e.excerpt)).toEqual(b.findings[0].evidence.map((e) => e.excerpt));
    }
  });
});
