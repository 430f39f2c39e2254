/**
 * docker.bridge-netfilter-forward-drop for Docker >= 27.3 and "bridge": "none".
 *
 * What 27.3 changed (moby/moby#48492, 27.x backport #48511, in 27.3.0; userland-proxy from 27.4: #48676 / #48685):
 * br_netfilter is no longer loaded when dockerd starts, only when a bridge network is set up that needs it
 * (enable_icc=false, or userland-proxy=false), and only through the setting that is on: bridge_linux.go queues
 * setupIPv4BridgeNetFiltering only with iptables on and setupIPv6BridgeNetFiltering only with ip6tables on, and the
 * latter returns at once for a network without IPv6. So with "iptables": false, Docker >= 27.3 loads it only for a
 * network with IPv6. A daemon-wide "icc": false cannot be what loads it: dockerd refuses to start with
 * --iptables=false and --icc=false (daemon_unix.go, "ICC=false uses iptables to function").
 * "bridge": "none" (docker/docs#7351's snippet): no default bridge, nothing on docker0.
 *
 * Real text: moby/moby#48411's daemon.json and nft ruleset, the netns outputs of test/fixtures/docker-brnf (see its
 * SOURCE.txt), docker/docs#7351's daemon.json (test/fixtures/h1-daemon), Docker's documented `docker network
 * inspect` outputs of the corpus (read in place); real `docker version` (CLI 28.2.2) with the Engine's version
 * set, as the analyzer's own tests do.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import type { Finding } from '../../src/report/schema.js';
import { writeFolder } from '../helpers/archive.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const ID = 'docker.bridge-netfilter-forward-drop';
const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const brnf = (name: string) => fx('docker-brnf', name);
const dockerVersion = (v: string) => fx('docker-info/debian-20.10.24/docker-version-cli28.txt').replace(/^ {2}Version: +20\.10\.24\+dfsg1$/m, `  Version:          ${v}`);
const corpus = (...p: string[]) => readFileSync(corpusPath(...p), 'utf8');

const TICKET = { 'daemon.json': brnf('daemon.json'), 'nft-list-ruleset.txt': brnf('nft-list-ruleset.txt'), 'iptables-nvL.txt': brnf('iptables-nvL.txt') };
const HOST = { 'ip-addr.txt': brnf('ip-addr.txt'), 'ip-route.txt': brnf('ip-route.txt') };

let n = 0;
async function findings(files: Record<string, string>): Promise<Finding[]> {
  const report = await analyzeBundle(writeFolder(files, `brnf-icc-${++n}`));
  return report.findings.filter((f) => f.id === ID);
}

describe('"bridge": "none": no default bridge to assume', () => {
  it('the ticket\'s rules with docker/docs#7351\'s daemon.json ("bridge": "none", "iptables": false): hass only, no docker0', async () => {
    const before = await findings({ ...TICKET, 'sysctl.txt': brnf('sysctl-bridge.txt') });
    expect(before[0].facts?.bridges).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'docker0' })]));
    const [f, ...more] = await findings({ ...TICKET, 'daemon.json': fx('h1-daemon', 'docker-docs-7351.daemon.json'), 'sysctl.txt': brnf('sysctl-bridge.txt') });
    expect(more).toHaveLength(0);
    expect(f.severity).toBe('critical');
    expect(f.facts?.bridges).toEqual([{ name: 'hass', subnet: null, droppedBy: 'filter/FORWARD#0' }]);
    expect(f.message).not.toMatch(/docker0/);
  });
});

describe.skipIf(!hasCorpus)('Docker >= 27.3 with iptables off: br_netfilter only for a network with IPv6', () => {
  it('Docker 28, "userland-proxy": false, and docker network inspect shows no network with IPv6: Docker loads no br_netfilter, no finding', async () => {
    const daemon = brnf('daemon.json').replace('"iptables":false,', '"iptables":false,\n"userland-proxy":false,');
    const files = { ...TICKET, ...HOST, 'daemon.json': daemon, 'docker-version.txt': dockerVersion('28.0.1') };
    // without the networks: a warning (some network could have IPv6)
    expect((await findings(files)).map((f) => f.facts?.dockerLoadsBrNetfilter)).toEqual(['on-demand']);
    const nets = corpus('docker-network', 'docker-docs-inspect-user-defined-alpine-net-3-containers.json');
    expect(nets).toMatch(/"EnableIPv6": false/);
    expect(await findings({ ...files, 'docker-network-inspect.json': nets })).toEqual([]);
  });

  it('Docker 27.3.1 and a network with IPv6 and enable_icc=false: a warning naming the network; none without enable_icc=false', async () => {
    // Docker's API example of a bridge network (net01), with IPv6 and enable_icc=false as `docker network create --ipv6 -o com.docker.network.bridge.enable_icc=false` makes it
    const net01 = corpus('docker-network', 'moby-api-v1.24-network-inspect-net01-docker0-options.json');
    const v6 = net01
      .replace('"EnableIPv6": false', '"EnableIPv6": true')
      .replace('"Gateway": "172.19.0.1"\n      }', '"Gateway": "172.19.0.1"\n      },\n      {\n        "Subnet": "fd00:19::/64",\n        "Gateway": "fd00:19::1"\n      }');
    const iccOff = v6.replace('"com.docker.network.bridge.enable_icc": "true"', '"com.docker.network.bridge.enable_icc": "false"');
    expect(iccOff).toMatch(/"Subnet": "fd00:19::\/64"/);
    const files = { ...TICKET, ...HOST, 'docker-version.txt': dockerVersion('27.3.1') };
    const [f, ...more] = await findings({ ...files, 'docker-network-inspect.json': iccOff });
    expect(more).toHaveLength(0);
    expect(f.severity).toBe('warning');
    expect(f.facts?.dockerLoadsBrNetfilter).toBe('on-demand');
    expect(f.message).toMatch(/Docker 27\.3\.1 \(docker-version\.txt:12\) loads br_netfilter for its IPv6 network net01 with enable_icc=false \(docker-network-inspect\.json:\d+\), with ip6tables on/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'docker-network-inspect.json', excerpt: expect.stringMatching(/fd00:19::\/64/) }));
    expect(f.remedy.commands.some((c) => c.includes('upgrade Docker'))).toBe(false);
    expect(f.remedy.commands.some((c) => c.startsWith('# or: docker network net01 (IPv6, enable_icc=false)'))).toBe(true);
    // the same network with inter-container communication on (Docker's default): nothing loads br_netfilter
    expect(await findings({ ...files, 'docker-network-inspect.json': v6 })).toEqual([]);
    // and with "ip6tables": false the IPv6 step is never queued
    const ip6Off = brnf('daemon.json').replace('"iptables":false,', '"iptables":false,\n"ip6tables":false,');
    expect(await findings({ ...files, 'daemon.json': ip6Off, 'docker-network-inspect.json': iccOff })).toEqual([]);
  });

  it('a daemon-wide "icc": false is no way in (dockerd refuses it with iptables off): Docker 27.3.1, no sysctl, no finding', async () => {
    const daemon = brnf('daemon.json').replace('"iptables":false,', '"iptables":false,\n"icc":false,');
    expect(await findings({ ...TICKET, ...HOST, 'daemon.json': daemon, 'docker-version.txt': dockerVersion('27.3.1') })).toEqual([]);
  });
});
