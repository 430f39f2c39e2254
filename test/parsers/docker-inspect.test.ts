/**
 * Docker's containers from JSON: `docker inspect <container>` (sos's docker plugin writes one per container under
 * sos_commands/docker/containers/) and `docker ps --format json` / `docker compose ps --format json` lines, read into
 * the same artifact as the docker ps table (dockerPs), so the checks that read published ports see them.
 * - corpus/docker-network/spring-boot-container-inspect-*.json: real `docker inspect` of a Compose redis container
 *   (published 0.0.0.0:32770 and [::]:32770 -> 6379/tcp) and of one with NetworkMode host (nothing published);
 * - test/fixtures/docker-inspect/*.jsonl: real JSON lines (README there), `->` escaped as \u003e.
 * - e2e: ufw status verbose (the real ufw 0.36.2 output of test/fixtures/ufw, ufw active, default deny incoming; sos
 *   runs `ufw status numbered`, which has no Default line, so the file is put where a collector's verbose goes) beside sos's docker inspect of that container: ufw.published-ports-bypass names 32770 from the
 *   inspect's NetworkSettings.Ports line; before this parser the inspect was "not recognised" and nothing fired.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerContainerInspect, parseDockerPsJsonLines, sniffDockerContainerInspect, sniffDockerPsJsonLines } from '../../src/parsers/docker-inspect.js';
import { formatById, sniffableFormats } from '../../src/parsers/registry.js';
import { FLAT_RULES, SOSREPORT_RULES } from '../../src/layouts/rules.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/docker-inspect', f), 'utf8');
const corpus = (f: string) => readFileSync(corpusPath('docker-network', f), 'utf8');
const BRIDGE = 'spring-boot-container-inspect-compose-network-192.168.32.0-20.json';
const HOST = 'spring-boot-container-inspect-network-mode-host.json';
const firstSniffed = (head: string) => sniffableFormats().find((f) => f.sniff!(head.slice(0, 4096)))?.id;

describe.skipIf(!hasCorpus)('docker inspect of containers (corpus)', () => {
  it('reads the published ports with the line of their HostPort, the state and the network mode', () => {
    const text = corpus(BRIDGE);
    expect(sniffDockerContainerInspect(text.slice(0, 4096))).toBe(true);
    expect(firstSniffed(text)).toBe('docker-container-inspect');
    const ps = parseDockerContainerInspect(text, 'docker_inspect_redis');
    expect(ps.containers).toHaveLength(1);
    const [c] = ps.containers;
    expect(c).toMatchObject({ name: 'redis-docker-redis-1', running: true, status: 'running', networkMode: 'redis-docker_default', exposed: [] });
    expect(c.bindings).toEqual([
      { hostIp: '0.0.0.0', hostPort: 32770, hostPortEnd: 32770, containerPort: '6379', protocol: 'tcp', text: '0.0.0.0:32770->6379/tcp' },
      { hostIp: '::', hostPort: 32770, hostPortEnd: 32770, containerPort: '6379', protocol: 'tcp', text: '[::]:32770->6379/tcp' },
    ]);
    // the first "HostPort": "32770" of NetworkSettings.Ports (HostConfig.PortBindings' empty HostPort lines come earlier)
    const lines = text.split('\n');
    expect(lines[c.ref.line - 1]).toMatch(/"HostPort": "32770"/);
    expect(c.ref.line).toBeGreaterThan(lines.findIndex((l) => l.includes('"NetworkSettings"')));
    expect(c.excerpt).toBe('redis-docker-redis-1 running 0.0.0.0:32770->6379/tcp, [::]:32770->6379/tcp');
  });

  it('NetworkMode host publishes nothing; two inspect outputs in one file are two containers', () => {
    const host = parseDockerContainerInspect(corpus(HOST), 'h.json').containers;
    expect(host).toHaveLength(1);
    expect(host[0]).toMatchObject({ networkMode: 'host', bindings: [], running: true });
    const both = parseDockerContainerInspect(`${corpus(BRIDGE).trimEnd()}\n${corpus(HOST)}`, 'both.json').containers;
    expect(both.map((c) => [c.networkMode, c.bindings.length])).toEqual([
      ['redis-docker_default', 2],
      ['host', 0],
    ]);
  });

  it('e2e: ufw status verbose (active, deny incoming) + sos docker inspect: the bypass warning names 32770 at the inspect line', async () => {
    const ufw = readFileSync(projectPath('test/fixtures/ufw/ufw-status-verbose.txt'), 'utf8');
    const name = 'sosreport-inspect-2026-12-02-abcdefg';
    const r = await analyzeBundle(
      writeFolder({ 'sos_commands/ufw/ufw_status_verbose': ufw, 'sos_commands/docker/containers/docker_inspect_redis-docker-redis-1': corpus(BRIDGE), 'sos_commands/docker/images/docker_inspect_redis': '[]\n' }, name),
    );
    expect(r.layout).toBe('sosreport');
    const found = r.findings.filter((f) => f.id === 'ufw.published-ports-bypass');
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain('0.0.0.0:32770->6379/tcp (redis-docker-redis-1)');
    const ev = found[0].evidence.find((e) => e.file.endsWith('docker_inspect_redis-docker-redis-1'));
    expect(ev?.line).toBe(parseDockerContainerInspect(corpus(BRIDGE), 'x').containers[0].ref.line);
  });
});

describe('docker ps / docker compose ps as JSON lines', () => {
  it('reads each line: the Ports cell (\\u003e decoded), the state, exposed-only ports', () => {
    const text = fx('compose-ps-format-json.jsonl');
    expect(sniffDockerPsJsonLines(text)).toBe(true);
    expect(firstSniffed(text)).toBe('docker-ps-json');
    const ps = parseDockerPsJsonLines(text, 'compose-ps.json');
    expect(ps.warnings).toEqual([]);
    expect(ps.containers.map((c) => ({ name: c.name, running: c.running, line: c.ref.line, exposed: c.exposed, bindings: c.bindings.map((b) => b.text) }))).toEqual([
      { name: 'relay-postgres-1', running: true, line: 1, exposed: ['5432/tcp'], bindings: [] },
      { name: 'relay-relay-1', running: true, line: 2, exposed: [], bindings: ['0.0.0.0:4000->4000/tcp', '[::]:4000->4000/tcp'] },
    ]);
    expect(ps.containers[1].bindings[1]).toMatchObject({ hostIp: '::', hostPort: 4000 });
    const one = parseDockerPsJsonLines(fx('docker-ps-format-json.jsonl'), 'ps.json').containers;
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ id: '97913facb416', name: 'ywttewpqpl1743019901', status: 'Up 24 hours', running: true });
    expect(one[0].bindings.map((b) => b.text)).toEqual(['0.0.0.0:2222->22/tcp', '[::]:2222->22/tcp']);
  });

  it('a docker-ps name holding JSON lines is read as JSON; the table is still the table; an exited line does not run', () => {
    const fmt = (p: string) => FLAT_RULES.find((r) => r.re.test(p))?.format;
    expect(fmt('docker-ps.json')).toBe('docker-ps');
    const viaName = formatById('docker-ps')!.parse(fx('docker-ps-format-json.jsonl'), 'docker-ps.json', { relPath: 'docker-ps.json' });
    expect(viaName.containers).toHaveLength(1);
    const exited = fx('docker-ps-format-json.jsonl').replace('"State":"running","Status":"Up 24 hours"', '"State":"exited","Status":"Exited (0) 2 hours ago"');
    expect(parseDockerPsJsonLines(exited, 'x').containers[0].running).toBe(false);
    // not JSON lines of docker ps: a docker network inspect, a log line of JSON
    expect(sniffDockerPsJsonLines('[\n  {\n    "Name": "bridge",\n    "Id": "abc"')).toBe(false);
    expect(sniffDockerPsJsonLines('{"level":"info","msg":"ID Names Ports Status"}')).toBe(false);
  });

  it("sos's per-container inspect path is read as one; its image and volume inspects are not", () => {
    const fmt = (p: string) => SOSREPORT_RULES.find((r) => r.re.test(p))?.format;
    expect(fmt('sos_commands/docker/containers/docker_inspect_web')).toBe('docker-container-inspect');
    expect(fmt('sos_commands/docker/images/docker_inspect_nginx')).toBeUndefined();
    expect(fmt('sos_commands/docker/volumes/docker_volume_inspect_data')).toBeUndefined();
  });
});
