/**
 * The node's Docker daemon in the report: `docker: { version, swarm, rootless, firewallBackend,
 * error, warnings, file }` in the JSON (schema/report.schema.json validates it), a line per node in
 * the Markdown and HTML reports with docker info's warnings and their lines, and the version,
 * Swarm state and firewall back end in the side-by-side table. Real `docker info` text
 * (test/fixtures/docker-info/SOURCE.txt).
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/engine/analyze.js';
import { render } from '../../src/report/render.js';
import { BundleReport } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/docker-info', name), 'utf8');
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
const validate = ajv.compile(JSON.parse(readFileSync(projectPath('schema/report.schema.json'), 'utf8')));
const SYSCTL = 'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.core.somaxconn = 4096\n';

async function twoNodes() {
  return analyze(
    writeFolder(
      {
        'case/node-a/docker-info.txt': fx('debian-20.10.24/docker-info-warnings.txt'),
        'case/node-a/sysctl.txt': SYSCTL,
        'case/node-b/docker_info': fx('orbstack-29.4.0-info.txt'),
        'case/node-b/sysctl.txt': SYSCTL,
      },
      'docker-report',
    ),
  );
}

describe('the Docker daemon in the report', () => {
  it('JSON: each node gets docker.version (and Swarm, rootless, firewall back end, warnings with file and line); the published schema validates it', async () => {
    const report = await twoNodes();
    const [a, b] = report.bundles[0].nodes;
    expect(a.docker).toEqual({
      version: '20.10.24+dfsg1',
      swarm: 'inactive',
      rootless: false,
      warnings: [
        { file: 'case/node-a/docker-info.txt', line: 50, excerpt: 'WARNING: IPv4 forwarding is disabled' },
        { file: 'case/node-a/docker-info.txt', line: 51, excerpt: 'WARNING: bridge-nf-call-iptables is disabled' },
        { file: 'case/node-a/docker-info.txt', line: 52, excerpt: 'WARNING: bridge-nf-call-ip6tables is disabled' },
      ],
      file: 'case/node-a/docker-info.txt',
    });
    expect(b.docker).toEqual({ version: '29.4.0', swarm: 'inactive', rootless: false, firewallBackend: 'iptables', file: 'case/node-b/docker_info' });
    const json = JSON.parse(JSON.stringify(report));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    // the schema holds the field's shape: a version that is no string is refused
    json.bundles[0].nodes[0].docker.version = 28;
    expect(validate(json)).toBe(false);
    // and the zod source of truth agrees
    expect(() => BundleReport.parse({ ...report.bundles[0], nodes: [{ ...a, docker: { version: '28.0.1' } }] })).toThrow();
  });

  it('Markdown: a Docker line per node, its warnings with file:line; the side-by-side table has the versions', async () => {
    const md = render(await twoNodes(), 'md');
    expect(md).toContain('**Docker on `node-a`:** 20.10.24+dfsg1 · Swarm inactive (`case/node-a/docker-info.txt`)');
    expect(md).toContain('- ⚠️ `WARNING: IPv4 forwarding is disabled` (`case/node-a/docker-info.txt:50`)');
    expect(md).toContain('- ⚠️ `WARNING: bridge-nf-call-ip6tables is disabled` (`case/node-a/docker-info.txt:52`)');
    expect(md).toContain('**Docker on `node-b`:** 29.4.0 · Swarm inactive · firewall back end iptables (`case/node-b/docker_info`)');
    expect(md).toMatch(/^\| docker version \| `20\.10\.24\+dfsg1` \| `29\.4\.0` \|$/m);
    expect(md).toMatch(/^\| docker swarm \| `inactive` \| `inactive` \|$/m);
    expect(md).toMatch(/^\| docker firewall backend \| — \| `iptables` \|$/m);
  });

  it('HTML: the same line, escaped', async () => {
    const report = await twoNodes();
    // a daemon whose error text carries markup stays text
    report.bundles[0].nodes[0].docker!.error = '<img src=x onerror=alert(1)>';
    const html = render(report, 'html');
    expect(html).toContain('<p class="meta docker">Docker on <code>node-b</code>: 29.4.0 · Swarm inactive · firewall back end iptables (<code>case/node-b/docker_info</code>)</p>');
    expect(html).toContain('<br>⚠ <code>WARNING: IPv4 forwarding is disabled</code> <code>case/node-a/docker-info.txt:50</code>');
    expect(html).toContain('the CLI could not reach the daemon: &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
  });

  it('a rootless daemon and one the CLI could not reach say so', async () => {
    const report = await analyze(
      writeFolder(
        { 'c/r/docker-info.txt': fx('debian-20.10.24/docker-info-rootless-cli28.txt'), 'c/r/sysctl.txt': SYSCTL, 'c/d/docker-info.txt': fx('debian-20.10.24/docker-info-daemon-down.txt'), 'c/d/sysctl.txt': SYSCTL },
        'rl',
      ),
    );
    const md = render(report, 'md');
    expect(md).toContain('**Docker on `r`:** 20.10.24+dfsg1 · Swarm inactive · rootless (`c/r/docker-info.txt`)');
    expect(md).toContain('**Docker on `d`:** version not shown · the CLI could not reach the daemon: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? (`c/d/docker-info.txt`)');
  });

  it('a bundle without docker info shows no Docker line', async () => {
    const report = await analyze(writeFolder({ 'h/sysctl.txt': SYSCTL }, 'nodocker'));
    expect(render(report, 'md')).not.toContain('**Docker on');
    expect(render(report, 'html')).not.toContain('class="meta docker"');
  });
});
