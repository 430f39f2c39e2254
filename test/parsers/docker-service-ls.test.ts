/**
 * `docker service ls`: the listing of moby/moby#49536 (https://github.com/moby/moby/issues/49536, the
 * reporter's description, verbatim: test/fixtures/h45/moby49536-docker-service-ls.txt). Its PORTS
 * `*:80->80/tcp` is a port published in ingress mode (the routing mesh); a cell without `*:` is host mode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { ingressServices, parseDockerServiceLs, parseServicePorts, sniffDockerServiceLs } from '../../src/parsers/docker-service-ls.js';
import { projectPath } from '../helpers/shared.js';

const TEXT = readFileSync(projectPath('test/fixtures/h45/moby49536-docker-service-ls.txt'), 'utf8');

describe('docker service ls', () => {
  it('reads moby#49536 listing: one replicated service with three ingress ports', () => {
    const l = parseDockerServiceLs(TEXT, 'docker-service-ls.txt');
    expect(l.warnings).toEqual([]);
    expect(l.services).toHaveLength(1);
    const s = l.services[0];
    expect(s).toMatchObject({ id: 'v2fcu0npc322', name: 'apache2_app', mode: 'replicated', replicas: '1/1', image: 'httpd:2.4', ref: { file: 'docker-service-ls.txt', line: 2 } });
    expect(s.ports.map((p) => [p.mode, p.publishedPort, p.targetPort, p.protocol])).toEqual([
      ['ingress', 80, '80', 'tcp'],
      ['ingress', 443, '443', 'tcp'],
      ['ingress', 8080, '8080', 'tcp'],
    ]);
    expect(ingressServices([l]).map((x) => x.name)).toEqual(['apache2_app']);
  });

  it('is sniffed by its header, under its command line, and not for docker ps', () => {
    expect(sniffDockerServiceLs(TEXT)).toBe(true);
    expect(sniffDockerServiceLs(`$ docker service ls\n${TEXT}`)).toBe(true);
    expect(sniffDockerServiceLs(`$ docker ps\n${TEXT}`)).toBe(false);
    expect(sniffDockerServiceLs('CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n')).toBe(false);
    expect(() => parseDockerServiceLs('hello\n', 'x.txt')).toThrow(SkipFile);
  });

  it('a port without `*:` is host mode, not the routing mesh', () => {
    const { ports, unknown } = parseServicePorts('8080->80/tcp, *:7000-7002->7000-7002/udp, junk');
    expect(ports.map((p) => [p.mode, p.publishedPort, p.publishedPortEnd])).toEqual([
      ['host', 8080, 8080],
      ['ingress', 7000, 7002],
    ]);
    expect(unknown).toEqual(['junk']);
    const hostOnly = TEXT.replace(/\*:/g, '');
    expect(ingressServices([parseDockerServiceLs(hostOnly, 'x.txt')])).toEqual([]);
  });
});
