/**
 * docker ps / docker ps -a / docker container ls -a text output (src/parsers/docker-ps.ts) on real
 * listings quoted verbatim in public GitHub files (test/fixtures/h2-docker-ps/README.md names each):
 * Docker < 28's `:::8080` IPv6 wildcard, Docker 28+'s `[::]:8080`, 127.0.0.1 bindings, exposed-only
 * ports (`5432/tcp`, `7473-7474/tcp`), published ranges, Exited rows of `docker container ls -a`, a
 * row cut short (no NAMES), and a listing pasted with its column spacing lost. Plus the wiring: sos's
 * docker plugin file names, a flat bundle's docker-ps.txt, and podman ps kept apart by its command line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerPs, reachableBindings, sniffDockerPs } from '../../src/parsers/docker-ps.js';
import { sniffPodmanPs } from '../../src/parsers/podman.js';
import { sniffableFormats } from '../../src/parsers/registry.js';
import { FLAT_RULES, INSIGHTS_RULES, SOSREPORT_RULES } from '../../src/layouts/rules.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h2-docker-ps', name), 'utf8');
const rows = (name: string) => parseDockerPs(fx(name), name).containers;

describe('parseDockerPs', () => {
  it('Docker < 28: 0.0.0.0 and ::: bindings, 127.0.0.1 ones, exposed ports, each row with its line', () => {
    const cs = rows('docker-ps-1panel.txt');
    expect(cs.map((c) => [c.id, c.name, c.running, c.ref.line])).toEqual([
      ['ca8b765e61d8', '1Panel-postgresql-YlDc', true, 4],
      ['75108bdd78c6', '1Panel-redis-fBQo', true, 5],
      ['d68336a2b033', '1Panel-mysql-hUMf', true, 6],
      ['6aabd9f04777', 'gitea', true, 7],
      ['5786dda5dc4d', 'postgres', true, 8],
      ['e45dd897e830', 'gitbook', true, 9],
    ]);
    const gitea = cs[3];
    expect(gitea.status).toBe('Up 3 hours');
    expect(gitea.image).toBe('gitea/gitea:1.20.3');
    expect(gitea.bindings.map((b) => [b.hostIp, b.hostPort, b.hostPortEnd, b.containerPort, b.protocol])).toEqual([
      ['0.0.0.0', 3000, 3000, '3000', 'tcp'],
      ['::', 3000, 3000, '3000', 'tcp'],
      ['0.0.0.0', 222, 222, '22', 'tcp'],
      ['::', 222, 222, '22', 'tcp'],
    ]);
    expect(cs[2].bindings.map((b) => b.text)).toEqual(['127.0.0.1:3306->3306/tcp']);
    expect(cs[2].exposed).toEqual(['33060/tcp']);
    expect(cs[4].bindings).toEqual([]);
    expect(cs[4].exposed).toEqual(['5432/tcp']);
    expect(parseDockerPs(fx('docker-ps-1panel.txt'), 'x').warnings).toEqual([]);
  });

  it("Docker 28+: [::]:8081 is the address ::; a row cut short before NAMES is kept, nameless", () => {
    const cs = rows('docker-ps-docker28-brackets.txt');
    expect(cs).toHaveLength(7);
    expect(cs[2].bindings.map((b) => `${b.hostIp} ${b.hostPort}->${b.containerPort}/${b.protocol}`)).toEqual(['0.0.0.0 8081->8081/tcp', ':: 8081->8081/tcp', '0.0.0.0 8088->8088/tcp', ':: 8088->8088/tcp']);
    expect(cs[2].status).toBe('Up 4 minutes (healthy)');
    expect(cs[6]).toMatchObject({ id: '664e8a228aa3', running: true, bindings: [], exposed: [] });
    expect(cs[6].name).toBeUndefined();
  });

  it('ranges: 0.0.0.0:10000-10001->10000-10001/tcp, exposed 7473-7474/tcp', () => {
    const cs = rows('docker-ps-ranges.txt');
    expect(cs[1].bindings).toEqual([{ hostIp: '0.0.0.0', hostPort: 10000, hostPortEnd: 10001, containerPort: '10000-10001', protocol: 'tcp', text: '0.0.0.0:10000-10001->10000-10001/tcp' }]);
    expect(cs[1].exposed).toEqual(['7473-7474/tcp', '7687/tcp']);
  });

  it('docker container ls -a: Exited rows are not running', () => {
    const cs = rows('docker-container-ls-a.txt');
    expect(cs.map((c) => [c.name, c.status, c.running])).toEqual([
      ['lucid_neumann', 'Up 2 minutes', true],
      ['agitated_jang', 'Exited (0) 2 minutes ago', false],
      ['trusting_bartik', 'Exited (0) 5 minutes ago', false],
    ]);
  });

  it('docker ps --all --no-trunc -s (insights-core sample): 64-digit ids, NAMES before SIZE, an Exited row', () => {
    const cs = rows('docker-ps-no-trunc-size.txt');
    expect(cs.map((c) => [c.id.length, c.name, c.status, c.running, c.bindings.map((b) => b.text)])).toEqual([
      [64, 'angry_saha', 'Up 37 seconds', true, ['0.0.0.0:8080->80/tcp']],
      [64, 'tender_rosalind', 'Exited (137) 18 hours ago', false, []],
    ]);
    expect(sniffDockerPs(fx('docker-ps-no-trunc-size.txt'))).toBe(true);
  });

  it('a listing pasted with its spacing lost: the bindings and status are still found', () => {
    const [c] = rows('docker-ps-unaligned.txt');
    expect(c.running).toBe(true);
    expect(c.status).toBe('Up 5 minutes');
    expect(c.bindings.map((b) => [b.hostIp, b.hostPort, b.containerPort])).toEqual([
      ['0.0.0.0', 3344, '80'],
      ['::', 3344, '80'],
    ]);
    expect(c.name).toBe('nginx01');
  });

  it('reachableBindings: running containers, not 127.0.0.1 / ::1', () => {
    const r = reachableBindings([parseDockerPs(fx('docker-ps-1panel.txt'), 'a'), parseDockerPs(fx('docker-ps-loopback.txt'), 'b'), parseDockerPs(fx('docker-container-ls-a.txt'), 'c')]);
    expect(r.map((x) => `${x.container.name} ${x.family} ${x.binding.text}`)).toEqual([
      'gitea 4 0.0.0.0:3000->3000/tcp',
      'gitea 6 :::3000->3000/tcp',
      'gitea 4 0.0.0.0:222->22/tcp',
      'gitea 6 :::222->22/tcp',
      'gitbook 4 0.0.0.0:4000->4000/tcp',
      'gitbook 6 :::4000->4000/tcp',
    ]);
    expect(reachableBindings([parseDockerPs(fx('docker-ps-loopback.txt'), 'b')])).toEqual([]);
  });

  it('a file without the header is not docker ps output', () => {
    expect(() => parseDockerPs('Status: active\n', 'x')).toThrow(/no docker ps header/);
  });
});

describe('sniffing and layouts', () => {
  it('docker ps is sniffed; podman ps (the same header under a podman command line) is not, and goes to podman-ps', () => {
    const text = fx('docker-ps-1panel.txt');
    expect(sniffDockerPs(text)).toBe(true);
    expect(sniffDockerPs(fx('docker-container-ls-a.txt'))).toBe(true);
    const podman = text.replace('$ docker ps #查看容器列表\n\n', '$ podman ps\n');
    expect(sniffDockerPs(podman)).toBe(false);
    expect(sniffPodmanPs(podman)).toBe(true);
    // a listing further down a transcript (after ufw status) leaves the file to what it starts with
    const ufw = readFileSync(projectPath('test/fixtures/ufw/ufw-status-verbose.txt'), 'utf8');
    expect(sniffDockerPs(`${ufw}\n${text}`)).toBe(false);
    const first = (head: string) => sniffableFormats().find((f) => f.sniff!(head))?.id;
    expect(first(`${ufw}\n${text}`)).toBe('ufw-status');
    expect(first(text)).toBe('docker-ps');
    expect(first(podman)).toBe('podman-ps');
  });

  it("sos's docker plugin outputs, insights' docker ps, and the names people give them", () => {
    const fmt = (rules: { re: RegExp; format: string }[], p: string) => rules.find((r) => r.re.test(p))?.format;
    for (const p of ['sos_commands/docker/docker_ps', 'sos_commands/docker/docker_ps_-a', 'sos_commands/docker/docker_ps_-as', 'sos_commands/docker/docker.io_ps']) expect(fmt(SOSREPORT_RULES, p), p).toBe('docker-ps');
    expect(fmt(SOSREPORT_RULES, 'sos_commands/docker/docker_info')).toBe('docker-info');
    expect(fmt(INSIGHTS_RULES, 'insights_commands/docker_ps_--all_--no-trunc')).toBe('docker-ps');
    for (const p of ['ticket/docker-ps.txt', 'docker_ps_-a', 'node1/docker container ls.txt']) expect(fmt(FLAT_RULES, p), p).toBe('docker-ps');
    for (const p of ['docker-info.txt', 'docker-psql.log', 'podman-ps.txt']) expect(fmt(FLAT_RULES, p), p).not.toBe('docker-ps');
  });
});
