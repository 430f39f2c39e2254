/**
 * network.mtu-mismatch with dockerd's configured MTU ("mtu" in daemon.json, --mtu on its command line) and with
 * the ifconfig of net-tools < 2.0 / BusyBox. Real text (test/fixtures/h1-daemon/SOURCE.md): moby/moby#37937's
 * daemon.json ("mtu": 1400), moby/moby#26382's ps line (dockerd --mtu=8960, docker0 idle at 1500), and the output
 * of the real binaries (BusyBox 1.35 ifconfig, iproute2) in namespaces built like a Docker host on an OpenStack
 * instance (eth0 1400; make-fixtures.sh).
 *
 * Fires: old-format ifconfig (docker0's veth 1500 over eth0 1400); "mtu" above the uplink (the fix lowers it, not
 * "add"); "mtu" that fits while the veths are still 1500 (the fix recreates the containers, restarting docker
 * first only when docker0 does not show the configured MTU); an idle docker0 with --mtu above the uplink (info).
 * Healthy, must not fire: the containers recreated at 1400; an idle docker0 with "mtu" equal to the uplink's. An idle
 * docker0 with nothing configured (Docker's 1500 over eth0 1400) is info: the containers started next get 1500.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer, { CLAMP_COMMAND } from '../../analyzers/network-mtu-mismatch.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const read = (f: string) => readFileSync(projectPath('test/fixtures/h1-daemon', f), 'utf8');
const ipAddr = (f: string) => parseInterfaces(read(f), f);
const route = () => parseRoutes(read('netns-1400.ip-route.txt'), 'ip-route.txt');
const daemon37937 = () => parseDockerDaemonJson(read('moby-37937.daemon.json'), 'daemon.json');
const run = (a: NodeArtifacts) => runNode(analyzer, a);

describe('old ifconfig (net-tools < 2.0, BusyBox): the MTU is read', () => {
  it("fires on BusyBox's ifconfig: docker0's veth at 1500 over eth0 1400, the default route by eth0", () => {
    const f = run({ ipAddr: [ipAddr('netns-docker-1400.busybox-ifconfig.txt')], routes: [route()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts).toMatchObject({ bridge: 'docker0', containerMtu: 1500, uplink: ['eth0'], uplinkMtu: 1400, uplinkFrom: 'route' });
    // ifconfig names no bridge port (no `master`): docker0 itself, RUNNING with a veth in the listing, stands for its containers
    expect(f[0].evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['ip-route.txt:1', 'netns-docker-1400.busybox-ifconfig.txt:10', 'netns-docker-1400.busybox-ifconfig.txt:1']);
    expect(f[0].remedy.commands).toContain('# /etc/docker/daemon.json: add "mtu": 1400 (the default bridge docker0 only)');
  });

  it('healthy: the container recreated with MTU 1400 (BusyBox ifconfig); docker0 idle with nothing configured is info only (the next containers get 1500)', () => {
    expect(run({ ipAddr: [ipAddr('netns-docker-1400-fixed.busybox-ifconfig.txt')], routes: [route()] })).toEqual([]);
    // Docker's default 1500 on an idle bridge over eth0 1400: nothing is lost now, but the containers started next get 1500
    // (h99: actions-runner-controller#385, moby#49398): info, never a warning without a sign the bridge is used
    const idle = run({ ipAddr: [ipAddr('netns-idle-docker0-1400.busybox-ifconfig.txt')], routes: [route()] });
    expect(idle.map((x) => [x.severity, x.facts?.bridge, x.facts?.idle, x.facts?.configKnown])).toEqual([['info', 'docker0', true, false]]);
  });
});

describe('dockerd\'s configured MTU ("mtu", --mtu)', () => {
  it('"mtu": 1400 (moby#37937) over an uplink of 1300: the fix lowers the setting, cited on its line, not "add"', () => {
    const f = run({ ipAddr: [ipAddr('netns-uplink-1300-veth-1400.ip-link.txt')], routes: [route()], dockerDaemon: [daemon37937()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].facts).toMatchObject({ containerMtu: 1400, uplinkMtu: 1300, configuredMtu: 1400, configuredFrom: 'daemon.json' });
    expect(f[0].message).toMatch(/dockerd is configured to give the default bridge MTU 1400 \(daemon\.json:3\): that setting is too large for the uplink, not missing/);
    expect(f[0].evidence).toContainEqual(expect.objectContaining({ file: 'daemon.json', line: 3, excerpt: '"mtu": 1400' }));
    expect(f[0].remedy.commands[0]).toBe('# /etc/docker/daemon.json (daemon.json:3): lower "mtu" from 1400 to 1300 (the default bridge docker0 only)');
    expect(f[0].remedy.commands.some((c) => c.includes('add "mtu"'))).toBe(false);
    expect(f[0].remedy.summary).toMatch(/^Lower dockerd's MTU for the default bridge from 1400 to the uplink's \(1300\)/);
  });

  it('"mtu": 1400 already set, docker0 at 1400, the old container\'s veth still 1500: recreate the containers, no restart, no "add"', () => {
    const f = run({ ipAddr: [ipAddr('netns-docker0-1400-old-veth-1500.ip-link.txt')], routes: [route()], dockerDaemon: [daemon37937()] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toMatch(/dockerd is already configured with MTU 1400 for the default bridge \(daemon\.json:3\), which fits: docker0 has it \(MTU 1400\), so these containers were created before it took effect/);
    const cmds = f[0].remedy.commands;
    expect(cmds[0]).toMatch(/^docker ps --filter network=bridge +# the containers on the default bridge: recreate each/);
    expect(cmds.some((c) => /add "mtu"|lower "mtu"|systemctl restart docker/.test(c))).toBe(false);
    expect(cmds).toContain(CLAMP_COMMAND);
  });

  it('"mtu": 1400 set but docker0 and the veth still 1500: dockerd not restarted since: restart docker, then recreate', () => {
    const f = run({ ipAddr: [ipAddr('netns-docker-1400-veth-1500.ip-link.txt')], routes: [route()], dockerDaemon: [daemon37937()] });
    expect(f).toHaveLength(1);
    expect(f[0].message).toMatch(/docker0 shows MTU 1500, so dockerd has not been restarted since it was set/);
    expect(f[0].remedy.commands.slice(0, 2)).toEqual(['systemctl restart docker   # dockerd reads its MTU (1400) when it starts', expect.stringMatching(/^docker ps --filter network=bridge/)]);
  });

  it("docker0 idle, dockerd running with --mtu=8960 (moby#26382's ps) over eth0 1400: info, nothing lost yet", () => {
    const ps = parsePsDockerd(read('moby-26382.ps-ax.txt'), 'ps_ax');
    const f = run({ ipAddr: [ipAddr('netns-idle-docker0-1400.busybox-ifconfig.txt')], routes: [route()], dockerDaemon: [ps] });
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].title).toMatch(/no container on docker0 yet/);
    expect(f[0].facts).toMatchObject({ bridge: 'docker0', idle: true, configuredMtu: 8960, configuredFrom: 'process', uplinkMtu: 1400 });
    expect(f[0].evidence).toContainEqual(expect.objectContaining({ file: 'ps_ax', line: 2 }));
    expect(f[0].remedy.commands[0]).toBe("# ps_ax:2 (the running dockerd's command line (ps)): lower --mtu=8960 to --mtu=1400");
  });

  it('healthy: docker0 idle with "mtu": 1400 over eth0 1400; "bridge": "none" leaves no docker0 of Docker\'s', () => {
    expect(run({ ipAddr: [ipAddr('netns-idle-docker0-1400.busybox-ifconfig.txt')], routes: [route()], dockerDaemon: [daemon37937()] })).toEqual([]);
    const ps = parsePsDockerd(read('moby-26382.ps-ax.txt').replace('--mtu=8960', '--mtu=8960 -b none'), 'ps_ax');
    expect(run({ ipAddr: [ipAddr('netns-idle-docker0-1400.busybox-ifconfig.txt')], routes: [route()], dockerDaemon: [ps] })).toEqual([]);
  });
});
