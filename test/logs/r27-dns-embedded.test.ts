/**
 * dockerd's embedded DNS failing to get an answer for host.docker.internal from the host's systemd-resolved stub:
 * R27 04, https://github.com/moby/moby/issues/48266 (the [resolver] line pasted one logfmt field per line, verbatim in
 * test/fixtures/r27-cases/04-embedded-dns-host-docker-internal). The cause the maintainers gave: the name is Docker
 * Desktop's; Docker Engine on Linux does not define it, so it went to the host's resolvers. A DNS lookup, worded as
 * one (not a connection timeout sending the user after a firewall), naming the --add-host fix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { scanLogText } from '../../src/logs/index.js';
import { dnsLookupKind } from '../../src/logs/signatures-dns.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const PASTE = readFileSync(projectPath('test/fixtures/r27-cases/04-embedded-dns-host-docker-internal/journalctl-docker.txt'), 'utf8');

describe('moby#48266: the embedded DNS asking 127.0.0.53 for host.docker.internal', () => {
  it('the error field with its question is a DNS lookup that timed out, not a connection timeout', () => {
    const m = scanLogText(PASTE, 'journalctl-docker.txt').matches;
    expect(m.map((x) => `${x.signature} ${x.line}`)).toEqual(['log.dns-lookup-failed 4']);
    expect(m[0].facts).toMatchObject({ lookup: 'host.docker.internal.', host: '127.0.0.53', port: '53', error: 'i/o timeout' });
  });

  it('the finding names Docker Desktop\'s name and the --add-host fix, and systemd-resolved as the resolver', async () => {
    const report = await analyzeBundle(writeFolder({ 'journalctl-docker.txt': PASTE }, 'web-host'));
    expect(report.findings.map((f) => f.id)).toEqual(['log.dns-lookup-failed']);
    const [f] = report.findings;
    expect(f.message).toContain('host.docker.internal is a name Docker Desktop defines; Docker Engine on Linux does not');
    expect(f.message).toContain('127.0.0.53:53');
    expect(f.remedy.commands.join('\n')).toContain('--add-host=host.docker.internal:host-gateway');
  });

  it('a real name timing out the same way gets no Docker Desktop sentence', async () => {
    const other = PASTE.replace('host.docker.internal.', 'registry-1.docker.io.');
    const report = await analyzeBundle(writeFolder({ 'journalctl-docker.txt': other }, 'web-host'));
    const [f] = report.findings;
    expect(f.id).toBe('log.dns-lookup-failed');
    expect(f.message).toContain('registry-1.docker.io');
    expect(f.message).not.toContain('Docker Desktop');
    expect(f.remedy.commands.join('\n')).not.toContain('--add-host');
  });
});

describe('REFUSED: the resolver answered and declined (RCODE 5), not a refused connection', () => {
  // https://github.com/sameersbn/docker-bind/issues/3 (a BIND container published with --publish=53:53/udp, asked from its host)
  const HOST_LINE = 'Host www.google.com not found: 5(REFUSED)';
  // https://github.com/MatthewVance/unbound-docker/issues/21 (unbound in a container, asked from the host)
  const DIG_LINE = ';; ->>HEADER<<- opcode: QUERY, status: REFUSED, id: 25417';

  it('host and dig: log.dns-lookup-failed of kind rejected, never log.connection-refused', () => {
    for (const line of [HOST_LINE, DIG_LINE]) {
      const m = scanLogText(`${line}\n`, 'session.txt').matches;
      expect(m.map((x) => x.signature), line).toEqual(['log.dns-lookup-failed']);
      expect(dnsLookupKind(m[0].facts), line).toBe('rejected');
    }
    expect(scanLogText(`${HOST_LINE}\n`, 's.txt').matches[0].facts.lookup).toBe('www.google.com');
  });

  it('the finding says the resolver declined by policy, and names docker-proxy\'s gateway address as a cause', async () => {
    const report = await analyzeBundle(writeFolder({ 'session.txt': `${HOST_LINE}\n` }, 'dns-host'));
    const [f] = report.findings;
    expect(f.id).toBe('log.dns-lookup-failed');
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('got REFUSED (the resolver answered and declined by policy');
    expect(f.message).toContain("Docker's gateway through docker-proxy");
  });

  it('a NOERROR answer is no failure', () => {
    // https://github.com/pschiffe/docker-pdns/issues/142
    expect(scanLogText(';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 19008\n', 's.txt').matches).toEqual([]);
  });
});
