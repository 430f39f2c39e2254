import { describe, expect, it } from 'vitest';
import { Redactor, redactReport } from '../../src/report/redact.js';
import { render } from '../../src/report/render.js';
import type { Report } from '../../src/report/schema.js';

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
