/**
 * Rootless Docker: dockerd runs as a user inside RootlessKit's network namespace, so the host's
 * iptables rules, bridges and forwarding switch are not Docker's. The listings are real `ps`
 * output of processes showing RootlessKit's and dockerd's command lines, as a user and as root.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerdSettings, parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';

const read = (name: string) => readFileSync(projectPath(`test/fixtures/rootless/${name}`), 'utf8');

describe('rootless dockerd in a process listing', () => {
  it('a dockerd run by a user beside RootlessKit is rootless', () => {
    const c = parsePsDockerd(read('ps-rootless.txt'), 'ps.txt');
    expect(c.processes).toMatchObject([{ user: 'nobody', rootless: true, commandLine: 'dockerd' }]);
    const s = dockerdSettings([c]);
    expect(s.running).toBe(true);
    expect(s.rootless).toMatchObject({ user: 'nobody', ref: { file: 'ps.txt', line: 3 } });
  });

  it("root's dockerd beside a user's: the host's daemon is root's, its flags read", () => {
    const c = parsePsDockerd(read('ps-both.txt'), 'ps.txt');
    expect(c.processes?.map((p) => [p.user, p.rootless])).toEqual([
      ['nobody', true],
      ['root', false],
    ]);
    const s = dockerdSettings([c]);
    expect(s.rootless).toBeUndefined();
    expect(s.commandLine?.text).toMatch(/^\/usr\/bin\/dockerd -H fd:\/\//);
  });

  it('without a user column, two dockerd beside RootlessKit say nothing of which is whose', () => {
    const c = parsePsDockerd(read('ps-eo-rootless-both.txt'), 'ps.txt');
    expect(c.processes).toHaveLength(2);
    expect(dockerdSettings([c]).rootless).toBeUndefined();
    // one dockerd beside RootlessKit is RootlessKit's
    const one = read('ps-eo-rootless-both.txt').split('\n').filter((l) => !l.includes('/usr/bin/dockerd -H')).join('\n');
    expect(dockerdSettings([parsePsDockerd(one, 'ps.txt')]).rootless).toBeDefined();
  });

  it('root running dockerd is not rootless', () => {
    const c = parsePsDockerd('USER PID COMMAND\nroot 812 /usr/bin/dockerd -H fd://\n', 'ps');
    expect(c.processes?.[0].rootless).toBe(false);
    expect(dockerdSettings([c]).rootless).toBeUndefined();
  });
});
