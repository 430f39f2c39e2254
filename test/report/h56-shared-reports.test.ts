/**
 * Reports made to be shared (H56, review R19 D2, D4, D5, D6, N2, N3):
 * - D2: a command an earlier fix on the same node gave is a reference in md/html, not printed again
 *   (bundles/firewalld-blocks-postgres.tgz: the same add-interface, reload and `systemctl restart docker`
 *   in three findings); the JSON keeps every finding's commands whole.
 * - D4: the Source line shows the input relative to the current directory, else its base name; JSON
 *   `source` stays as given, except in a redacted report (the base name).
 * - D5: secrets are masked in every rendered report (md, html, json) unless --no-mask-secrets.
 * - D6: bare vendor tokens, in the shapes their vendors document:
 *     GitHub  https://github.blog/changelog/2021-03-31-authentication-token-format-updates-are-generally-available
 *             (ghp_/gho_/ghu_/ghs_/ghr_ + 36 of [A-Za-z0-9]); fine-grained `github_pat_` + 22 + `_` + 59
 *             (https://gist.github.com/magnetikonline/073afe7909ffdd6f10ef06a00bc3bc88)
 *     GitLab  https://gitlab.com/gitlab-org/gitlab/-/issues/342327 (glpat-); the disabled example token
 *             `glpat-z_sxgtrfAxKr8q1TPY8Y` from https://github.com/sirwart/ripsecrets/issues/62
 *     Slack   https://docs.slack.dev/authentication/tokens; sample `xoxb-23984754863-2348975623103` quoted in
 *             https://github.com/secretlint/secretlint/issues/16
 *     Stripe  https://docs.stripe.com/api/authentication: the documented sample key `sk_test_BQokikJOvBiI2HlWgH4olfQ2`
 *     JWT     the jwt.io sample token (RFC 7519 shape: three base64url parts, header `eyJ`)
 *   and nothing of the corpus (docker ids, sha256 digests, flannel subnet.env, CNI configs, sysctl -a
 *   with `ipfrag_secret_interval`, pod names) is masked.
 * - N2: no "Nodes side by side" without a row; N3: evidence cited twice at one (file, line) shown once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { main } from '../../src/cli.js';
import { Redactor, maskSecretsOf, redactReport } from '../../src/report/redact.js';
import { evidenceOnce, fixCommands, render, sourceShown } from '../../src/report/render.js';
import type { Finding, Report } from '../../src/report/schema.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';
import { corpusDir, corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

/** The fenced shell blocks of a Markdown report, one string per block. */
function shellBlocks(md: string): string[] {
  return [...md.matchAll(/^(`{3,})sh\n([\s\S]*?)\n\1$/gm)].map((m) => m[2]);
}

function finding(id: string, commands: string[], node = 'app-host-09'): Finding {
  return { id, severity: 'warning', title: id, message: id, node, analyzer: id, evidence: [], remedy: { summary: 'fix', commands } };
}

describe('D2: a command already in an earlier fix on the same node is a reference', () => {
  it('firewalld-blocks-postgres: the bridge is added, firewalld reloaded and docker restarted once each in md and html; JSON keeps every command', async () => {
    const report = await analyze([projectPath('bundles/firewalld-blocks-postgres.tgz')]);
    const ids = report.bundles[0].findings.map((f) => f.id);
    expect(ids).toEqual(['iptables.port-blocked', 'firewalld.container-interface-unzoned', 'iptables.service-conflict']);
    const add = 'firewall-cmd --permanent --zone=trusted --add-interface=br-5c2d5b9a3f0e';

    const md = render(report, 'md');
    const blocks = shellBlocks(md);
    expect(blocks).toHaveLength(3);
    const runnable = blocks.flatMap((b) => b.split('\n')).filter((l) => !l.startsWith('#'));
    expect(runnable.filter((l) => l === add)).toHaveLength(1);
    expect(runnable.filter((l) => l === 'firewall-cmd --reload')).toHaveLength(1);
    expect(runnable.filter((l) => /^systemctl restart docker\b/.test(l))).toHaveLength(1);
    // the second fix adds nothing new: all three lines are references to the first
    expect(blocks[1].split('\n')).toEqual([
      `# already in the fix of iptables.port-blocked above: ${add}`,
      '# already in the fix of iptables.port-blocked above: firewall-cmd --reload',
      '# already in the fix of iptables.port-blocked above: systemctl restart docker',
    ]);
    // the third: docker0 is in the docker zone already (the bundle's zone listing), so only the bridge, a reference;
    // its reload-and-restart line is written as one command there, not the first fix's two, and is kept
    expect(blocks[2].split('\n')).toEqual([
      `# already in the fix of iptables.port-blocked above: ${add}`,
      'firewall-cmd --reload && systemctl restart docker',
    ]);

    const html = render(report, 'html');
    const pres = [...html.matchAll(/<pre class="commands">([\s\S]*?)<\/pre>/g)].map((m) => m[1]);
    expect(pres).toHaveLength(3);
    expect(pres[1]).toContain('# already in the fix of iptables.port-blocked above: systemctl restart docker');
    expect(pres.join('\n').split('\n').filter((l) => l.startsWith('systemctl restart docker'))).toHaveLength(1);

    const json = JSON.parse(render(report, 'json')) as Report;
    for (const f of json.bundles[0].findings) expect(f.remedy.commands).toContain(add);
    expect(json.bundles[0].findings[1].remedy.commands).toEqual(report.bundles[0].findings[1].remedy.commands);
  });

  it('a report whose fixes share no command shows every fix as the JSON has it (three-node-cluster)', async () => {
    const report = await analyze([projectPath('bundles/three-node-cluster.tgz')]);
    const md = render(report, 'md');
    expect(md).not.toContain('already in the fix of');
    const withCommands = report.bundles[0].findings.filter((f) => f.remedy.commands.length > 0);
    expect(shellBlocks(md)).toEqual(withCommands.map((f) => f.remedy.commands.join('\n')));
  });

  it('compares without a trailing comment, per node, keeps `\\` continuations, and reprints a restart after a new command', () => {
    const out = fixCommands([
      finding('a.first', ['iptables -I FORWARD 1 -j ACCEPT   # first', 'systemctl restart docker']),
      finding('b.second', ['iptables -I FORWARD 1 -j ACCEPT # same, other words', 'systemctl restart docker   # again']),
      finding('c.other-node', ['systemctl restart docker'], 'db-01'),
      finding('d.new-rule', ['iptables -t nat -I POSTROUTING 1 -j MASQUERADE', 'systemctl restart docker']),
      finding('e.continued', ['iptables -I FORWARD 1 \\', 'systemctl restart docker', 'echo "a # b"']),
    ]);
    expect(out[0]).toEqual(['iptables -I FORWARD 1 -j ACCEPT   # first', 'systemctl restart docker']);
    expect(out[1]).toEqual([
      '# already in the fix of a.first above: iptables -I FORWARD 1 -j ACCEPT',
      '# already in the fix of a.first above: systemctl restart docker',
    ]);
    expect(out[2]).toEqual(['systemctl restart docker']);
    expect(out[3]).toEqual(['iptables -t nat -I POSTROUTING 1 -j MASQUERADE', 'systemctl restart docker']);
    // the second line continues the first: it is part of that command, never a reference
    expect(out[4]).toEqual(['iptables -I FORWARD 1 \\', 'systemctl restart docker', 'echo "a # b"']);
  });
});

describe('D4: the Source line without the analyst\'s paths', () => {
  it('relative under the current directory, else the base name; redacted: the base name', () => {
    expect(sourceShown('/home/ana/tickets/T-1/bundle.tgz', false, '/home/ana')).toBe('tickets/T-1/bundle.tgz');
    expect(sourceShown('tickets/T-1/bundle.tgz', false, '/home/ana')).toBe('tickets/T-1/bundle.tgz');
    expect(sourceShown('/srv/in/sosreport-db01.tar.xz', false, '/home/ana')).toBe('sosreport-db01.tar.xz');
    expect(sourceShown('../in/case/', false, '/home/ana')).toBe('case');
    expect(sourceShown('/home/ana/tickets/T-1/bundle.tgz', true, '/home/ana')).toBe('bundle.tgz');
  });

  it('md and html show it so; JSON keeps the input as given, and in a redacted report the base name', async () => {
    const path = projectPath('bundles/ip-forward-off.tgz');
    const report = await analyze([path]);
    const under = render(report, 'md', { cwd: projectPath() });
    expect(under).toContain('**Source:** `bundles/ip-forward-off.tgz`');
    const outside = render(report, 'md', { cwd: '/nonexistent/elsewhere' });
    expect(outside).toContain('**Source:** `ip-forward-off.tgz`');
    expect(outside).not.toContain(projectPath());
    const html = render(report, 'html', { cwd: '/nonexistent/elsewhere' });
    expect(html).toContain('source: <code>ip-forward-off.tgz</code>');
    expect(html).not.toContain(projectPath());
    expect((JSON.parse(render(report, 'json')) as Report).bundles[0].source).toBe(path);

    const redacted = redactReport(report, { ips: true, hostnames: true }).report;
    const json = JSON.parse(render(redacted, 'json', { cwd: projectPath() })) as Report;
    expect(json.bundles[0].source).toBe('ip-forward-off.tgz');
    expect(render(redacted, 'md', { cwd: projectPath() })).toContain('**Source:** `ip-forward-off.tgz`');
  });

  it('two inputs of the same base name outside the current directory are told apart as the batch index does', async () => {
    const report = await analyze([projectPath('bundles/ip-forward-off.tgz')]);
    const b = report.bundles[0];
    const two: Report = { ...report, bundles: [{ ...b, source: '/t/T-1/bundle.tgz' }, { ...b, source: '/t/T-2/bundle.tgz' }] };
    const md = render(two, 'md', { cwd: '/home/ana' });
    expect(md).toContain('**Source:** `T-1/bundle.tgz`');
    expect(md).toContain('**Source:** `T-2/bundle.tgz`');
  });
});

/** The documented example of each format (see the header), in a line as a log would carry it. */
const TOKENS = {
  github: 'ghp_' + 'A1bC2dE3fH4iJ5kL6mN7oP8qR9sT0uVwXyZ1', // ghp_ + 36 of [A-Za-z0-9]
  githubFine: 'github_pat_' + '11ABCDEFG0123456789abc' + '_' + 'x'.repeat(20) + 'Y'.repeat(20) + '0123456789abcdefghi',
  gitlab: 'glpat-z_sxgtrfAxKr8q1TPY8Y',
  slack: 'xoxb-23984754863-2348975623103',
  stripe: 'sk_test_BQokikJOvBiI2HlWgH4olfQ2',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
};

function reportWith(excerpts: string[]): Report {
  return {
    tool: { name: 'bundle-doctor', version: '0.0.0' },
    generatedAt: '2026-12-03T00:00:00Z',
    failures: [],
    bundles: [
      {
        source: 'case.tgz',
        layout: 'flat',
        nodes: [{ name: 'h', nameFrom: 'hostname', layout: 'flat', root: 'n1', facts: {} }],
        findings: [
          {
            ...finding('iptables.docker-chain-missing', ['systemctl restart docker'], 'h'),
            evidence: excerpts.map((excerpt, i) => ({ file: 'n1/dockerd.log', line: i + 1, excerpt })),
          },
        ],
        coverage: { nodes: [], cluster: [], notes: [], filesSeen: 1, bytesRead: 1 },
        summary: { critical: 0, warning: 1, info: 0 },
        timing: { readMs: 1, parseMs: 1, analyzeMs: 1, totalMs: 3 },
      },
    ],
  };
}

describe('D5, D6: secrets masked in every report by default', () => {
  it('each vendor format is masked in md, html and json, bare and after a key, and counted by kind', () => {
    const lines = Object.values(TOKENS).map((t) => `Nov 20 10:15:02 h dockerd[1134]: level=error msg="driver failed programming external connectivity" auth ${t}`);
    const report = reportWith(lines);
    for (const format of ['md', 'html', 'json'] as const) {
      const out = render(report, format);
      for (const [kind, t] of Object.entries(TOKENS)) expect(out, `${format} ${kind}`).not.toContain(t);
      expect(out).toContain('***REDACTED***');
    }
    const json = JSON.parse(render(report, 'json')) as Report;
    expect(json.redaction).toEqual({
      applied: ['secrets'],
      secrets: 6,
      secretKinds: { 'github-token': 2, 'gitlab-token': 1, 'slack-token': 1, 'stripe-key': 1, jwt: 1 },
    });
    // deterministic: the same report gives the same text
    expect(render(report, 'md')).toBe(render(report, 'md'));
    // off for internal use
    const raw = render(report, 'md', { maskSecrets: false });
    for (const t of Object.values(TOKENS)) expect(raw).toContain(t);
  });

  it('a report already redacted keeps what its redaction says; masking it again changes nothing', () => {
    const { report } = redactReport(reportWith([`token=${TOKENS.github}`]), { ips: true, hostnames: false });
    const json = JSON.parse(render(report, 'json')) as Report;
    expect(json.redaction).toEqual(report.redaction);
    expect(maskSecretsOf(report).bundles).toEqual(report.bundles);
  });

  it.skipIf(!hasCorpus)('nothing in the corpus text is masked: docker ids, sha256 digests, subnet.env, CNI configs, sysctl -a, kube logs', () => {
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const files = walk(corpusDir).filter((f) => !/\.(gz|tgz|xz|zip|tar)$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const changed: string[] = [];
    let lines = 0;
    for (const f of files) {
      const r = new Redactor({ ips: false, hostnames: false });
      for (const l of readFileSync(f, 'utf8').split('\n')) {
        lines++;
        if (r.text(l) !== l) changed.push(`${f}: ${l.slice(0, 120)}`);
      }
    }
    expect(lines).toBeGreaterThan(5000);
    expect(changed).toEqual([]);
    // the look-alikes named in the brief, verbatim from the corpus
    const inspect = readFileSync(corpusPath('docker-network', 'spring-boot-container-inspect-network-mode-host.json'), 'utf8');
    expect(inspect).toMatch(/sha256:[0-9a-f]{64}/);
    expect(readFileSync(corpusPath('flannel', 'flannel-sample-subnet.env'), 'utf8')).toContain('FLANNEL_SUBNET=10.1.74.1/24');
    const sysctl = readFileSync(corpusPath('sysctl', 'jc-centos77-docker-sysctl-a.txt'), 'utf8');
    expect(sysctl).toContain('net.ipv4.ipfrag_secret_interval = 600');
  });

  it('prefixes alone, pod names and hex ids are no tokens', () => {
    const r = new Redactor({ ips: false, hostnames: false });
    for (const s of [
      'kube-flannel-ds-amd64-4w4xd',
      'coredns-5dd5756b68-xk2lp',
      'sk_live_short',
      'ghp_tooShort123',
      'xoxb-',
      'glpat-',
      '"Id": "b2b1a2cba717161d984383fd68218cf70bbbd17d328496885f7c921333228b0f"',
      'secretName: registry-creds',
      'token_file=/var/lib/kubelet/token',
      // R20: a Service's comment in kube-proxy's rules (namespace/name:port), settings that merely name secrets
      '-A KUBE-SERVICES -d 10.96.44.12/32 -p tcp -m comment --comment "external-secrets/external-secrets-webhook:webhook cluster IP" -m tcp --dport 443 -j KUBE-SVC-ABCDEF',
      'automountServiceAccountToken: false',
      'serviceAccountToken: true',
      'secret_driver=file',
      // a file's name in a reading note (test/bundle/reader-robustness: unreadable files)
      'node1/secret.txt: permission denied; not read',
    ])
      expect(r.text(s), s).toBe(s);
    // a YAML key and a key=value still are
    expect(r.text('password: Hunter2Secret')).not.toContain('Hunter2Secret');
    expect(r.text('DB_PASSWORD=Hunter2Secret')).not.toContain('Hunter2Secret');
  });
});

describe('--no-mask-secrets', () => {
  const line = `Nov 20 10:15:02 h dockerd[1134]: level=error msg="driver failed programming external connectivity on endpoint web (abc): iptables: No chain/target/match by that name. ${TOKENS.gitlab} ${TOKENS.slack}"\n`;
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
  };

  it('the CLI masks by default, shows them with --no-mask-secrets, and refuses it with --redact', async () => {
    const path = writeTmp('h56-secrets.tgz', await makeTarGz([{ name: 'n1/dockerd.log', content: line }]));
    const masked = io();
    expect(await main(['analyze', path], masked.io)).toBe(0);
    expect(masked.out.stdout).toContain('No chain/target/match');
    expect(masked.out.stdout).not.toContain(TOKENS.gitlab);
    expect(masked.out.stdout).not.toContain(TOKENS.slack);
    const shown = io();
    expect(await main(['analyze', path, '--no-mask-secrets'], shown.io)).toBe(0);
    expect(shown.out.stdout).toContain(TOKENS.gitlab);
    // nothing of the run is left behind: the next run masks again
    const again = io();
    expect(await main(['analyze', path], again.io)).toBe(0);
    expect(again.out.stdout).not.toContain(TOKENS.gitlab);
    const both = io();
    expect(await main(['analyze', path, '--no-mask-secrets', '--redact'], both.io)).toBe(2);
    expect(both.out.stderr).toMatch(/--no-mask-secrets and --redact exclude each other/);
    const help = io();
    await main(['--help'], help.io);
    expect(help.out.stdout).toMatch(/--no-mask-secrets/);
  });

  it('reaches the batch children: the reports they write and the JSON lines they send', async () => {
    const bin = projectPath('dist/src/bin.js');
    const a = writeTmp('h56-batch-a.tgz', await makeTarGz([{ name: 'n1/dockerd.log', content: line }]));
    const b = writeTmp('h56-batch-b.tgz', await makeTarGz([{ name: 'n2/dockerd.log', content: line }]));
    const run = (...extra: string[]) => {
      const out = mkdtempSync(join(tmpdir(), 'bd-h56-'));
      const r = spawnSync(process.execPath, [bin, 'analyze', a, b, '--format', 'md,json', '-o', out + '/', '-q', '--concurrency', '2', ...extra], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const reports = readdirSync(out).filter((f) => !f.startsWith('index'));
      expect(reports).toHaveLength(4);
      return reports.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    };
    expect(run()).not.toContain(TOKENS.gitlab);
    expect(run('--no-mask-secrets')).toContain(TOKENS.gitlab);
    const jsonl = (...extra: string[]) => spawnSync(process.execPath, [bin, 'analyze', a, b, '--jsonl', '-q', ...extra], { encoding: 'utf8' }).stdout;
    expect(jsonl().split('\n').filter(Boolean)).toHaveLength(2);
    expect(jsonl()).not.toContain(TOKENS.slack);
    expect(jsonl('--no-mask-secrets')).toContain(TOKENS.slack);
  }, 60_000);
});

describe('N2, N3', () => {
  it.skipIf(!hasCorpus)('no "Nodes side by side" without a row (insights 4-host archive); a cluster with facts keeps it', async () => {
    const empty = await analyze([corpusPath('bundles', 'insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz')]);
    expect(empty.bundles[0].nodes.length).toBeGreaterThan(1);
    expect(render(empty, 'md')).not.toContain('Nodes side by side');
    expect(render(empty, 'html')).not.toContain('<table class="cluster">');
    const three = await analyze([projectPath('bundles/three-node-cluster.tgz')]);
    expect(render(three, 'md')).toContain('### Nodes side by side');
    expect(render(three, 'html')).toContain('<table class="cluster">');
  });

  it('one (file, line) cited twice is shown once with both notes; JSON keeps both', () => {
    const ev = [
      { file: 'n1/dockerd.log', line: 1, excerpt: 'x', note: 'dockerd writes to the logs' },
      { file: 'n1/dockerd.log', line: 1, excerpt: 'x', note: 'log.iptables-no-chain (dockerd)', time: '2026-11-20T10:15:02.000Z', yearInferred: true },
      { file: 'n1/dockerd.log', line: 2, excerpt: 'y' },
      { file: 'n1/iptables-save', line: 0, excerpt: 'no DOCKER chain' },
      { file: 'n1/iptables-save', line: 0, excerpt: 'no DOCKER chain in nat' },
    ];
    expect(evidenceOnce(ev)).toEqual([
      { file: 'n1/dockerd.log', line: 1, excerpt: 'x', note: 'dockerd writes to the logs; log.iptables-no-chain (dockerd)', time: '2026-11-20T10:15:02.000Z', yearInferred: true },
      ev[2],
      ev[3],
      ev[4],
    ]);
    const report = reportWith(['x']);
    report.bundles[0].findings[0].evidence = ev;
    const md = render(report, 'md');
    expect(md.match(/- `n1\/dockerd\.log:1`/g)).toHaveLength(1);
    expect(md).toContain('dockerd writes to the logs; log.iptables-no-chain (dockerd)');
    expect((JSON.parse(render(report, 'json')) as Report).bundles[0].findings[0].evidence).toHaveLength(5);
  });
});
