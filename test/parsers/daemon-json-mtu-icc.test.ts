/**
 * dockerd's "mtu" / --mtu, "icc" / --icc and "bridge" / -b, --bridge, read from daemon.json, the process list and
 * docker.service (dockerdSettings), and the MTU of net-tools < 2.0 / BusyBox ifconfig (`MTU:1500  Metric:1`).
 * Real text (test/fixtures/h1-daemon/SOURCE.md): moby/moby#37937's daemon.json ("mtu": 1400), docker/docs#7351's
 * corrected snippet ("bridge": "none", "iptables": false), moby/moby#26382's ps line (--mtu=8960) and
 * `ifconfig docker0`, the docker.service of BU-NU-CLOUD-SP16/Container-Safety-Determination#4 (--mtu=1420), the
 * command lines of moby/moby#48171 (`--ip6tables=false --icc=false`) and moby/moby#1260 (`-b none`), and BusyBox
 * 1.35's ifconfig of a namespace built like a Docker host (make-fixtures.sh).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { dockerdArgs, dockerdSettings, parseDockerUnit, parseDockerdFlags, parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const read = (f: string) => readFileSync(projectPath('test/fixtures/h1-daemon', f), 'utf8');

describe('daemon.json: "mtu", "icc", "bridge"', () => {
  it('moby#37937\'s daemon.json: "mtu": 1400 on its line, and dockerdSettings cites it', () => {
    const d = parseDockerDaemonJson(read('moby-37937.daemon.json'), 'daemon.json');
    expect(d.mtu).toEqual({ value: 1400, ref: { file: 'daemon.json', line: 3 } });
    expect(d.bip?.value).toBe('172.17.0.200/24');
    expect(d.icc).toBeUndefined();
    expect(d.bridge).toBeUndefined();
    expect(dockerdSettings([d]).mtu).toMatchObject({ value: 1400, from: 'daemon.json', ref: { line: 3 }, excerpt: '"mtu": 1400', note: 'daemon.json' });
  });

  it('docker/docs#7351: "bridge": "none" beside "iptables": false', () => {
    const d = parseDockerDaemonJson(read('docker-docs-7351.daemon.json'), 'daemon.json');
    expect(d.bridge).toEqual({ value: 'none', ref: { file: 'daemon.json', line: 2 } });
    expect(d.iptables).toEqual({ value: false, ref: { file: 'daemon.json', line: 3 } });
    expect(dockerdSettings([d]).bridge).toMatchObject({ value: 'none', from: 'daemon.json', excerpt: '"bridge": "none"' });
  });

  it('"icc": false; the top-level "bridge", not the one of "default-network-opts"; a value of the wrong type is not taken (the other keys still are)', () => {
    // moby#48171's settings as daemon.json keys, and Docker's documented default-network-opts (docs: dockerd, "default-network-opts")
    const text = '{\n  "default-network-opts": {"bridge": {"com.docker.network.driver.mtu": "1400"}},\n  "ip6tables": false,\n  "icc": false,\n  "bridge": "br0"\n}\n';
    const d = parseDockerDaemonJson(text, 'daemon.json');
    expect(d.icc).toEqual({ value: false, ref: { file: 'daemon.json', line: 4 } });
    expect(d.bridge).toEqual({ value: 'br0', ref: { file: 'daemon.json', line: 5 } });
    expect(d.mtu).toBeUndefined();
    // dockerd refuses "mtu": "1400" (a string); the parser keeps the file's other settings
    const wrong = parseDockerDaemonJson('{\n  "iptables": false,\n  "mtu": "1400"\n}\n', 'daemon.json');
    expect(wrong.mtu).toBeUndefined();
    expect(wrong.iptables?.value).toBe(false);
  });
});

describe("dockerd's command line: --mtu, --icc, -b / --bridge", () => {
  it("moby#26382's ps line: the running dockerd's --mtu=8960", () => {
    const ps = parsePsDockerd(read('moby-26382.ps-ax.txt'), 'ps_ax');
    expect(ps.processes).toHaveLength(1);
    expect(ps.mtu).toEqual({ value: 8960, ref: { file: 'ps_ax', line: 2 } });
    const s = dockerdSettings([ps]);
    expect(s.mtu).toMatchObject({ value: 8960, from: 'process', note: "the running dockerd's command line (ps)" });
    // a flag of the running process wins over daemon.json's key
    expect(dockerdSettings([parseDockerDaemonJson(read('moby-37937.daemon.json'), 'daemon.json'), ps]).mtu).toMatchObject({ value: 8960, from: 'process' });
  });

  it("Container-Safety-Determination#4's docker.service: ExecStart's --mtu=1420 (docker daemon, Docker 1.10)", () => {
    const unit = parseDockerUnit(read('container-safety-4.docker.service'), 'docker.service', 'etc/systemd/system/docker.service');
    expect(dockerdSettings([unit]).mtu).toMatchObject({ value: 1420, from: 'unit', ref: { line: 2 } });
  });

  it("moby#48171's `dockerd --ip6tables=false --icc=false`, moby#1260's `-b none`, --bridge=none; --mtu with a space; a value that is no number sets nothing", () => {
    expect(parseDockerdFlags(dockerdArgs('dockerd --ip6tables=false --icc=false') ?? [])).toEqual([
      { key: 'ip6tables', value: false, text: '--ip6tables=false' },
      { key: 'icc', value: false, text: '--icc=false' },
    ]);
    // `docker -b none -d` (Docker 0.5): the flags after the executable
    expect(parseDockerdFlags('-b none -d'.split(' '))).toEqual([{ key: 'bridge', value: 'none', text: '-b none' }]);
    expect(parseDockerdFlags(['--bridge=none', '--mtu', '1450', '--mtu=auto'])).toEqual([
      { key: 'bridge', value: 'none', text: '--bridge=none' },
      { key: 'mtu', value: 1450, text: '--mtu 1450' },
    ]);
  });
});

describe('ifconfig of net-tools < 2.0 and BusyBox: flags and MTU on their own line', () => {
  it("BusyBox 1.35's ifconfig of a Docker host: eth0 1400, docker0 and its veth 1500, RUNNING", () => {
    const l = parseInterfaces(read('netns-docker-1400.busybox-ifconfig.txt'), 'ifconfig');
    expect(l.format).toBe('ifconfig');
    const by = new Map(l.interfaces.map((i) => [i.name, i]));
    expect(by.get('eth0')).toMatchObject({ mtu: 1400, flags: ['UP', 'BROADCAST', 'RUNNING', 'MULTICAST'], ref: { line: 10 } });
    expect(by.get('docker0')).toMatchObject({ mtu: 1500, flags: ['UP', 'BROADCAST', 'RUNNING', 'MULTICAST'] });
    expect(by.get('veth5d6e7f8')).toMatchObject({ mtu: 1500 });
    // lo is down in the namespace: LOOPBACK alone
    expect(by.get('lo')).toMatchObject({ mtu: 65536, flags: ['LOOPBACK'] });
    expect(by.get('eth0')?.addresses.map((a) => a.cidr)).toEqual(['192.0.2.10/24', 'fe80::88c2:1eff:fe7e:9619/64']);
  });

  it("moby#26382's `ifconfig docker0`: no RUNNING (no container), MTU 1500", () => {
    const [d] = parseInterfaces(read('moby-26382.ifconfig-docker0.txt'), 'ifconfig').interfaces;
    expect(d).toMatchObject({ name: 'docker0', mtu: 1500, flags: ['UP', 'BROADCAST', 'MULTICAST'], mac: '02:42:6e:28:e1:7a' });
  });

  it.skipIf(!hasCorpus)('net-tools 2.x (the corpus\' CentOS 7.7 ifconfig) is read as before', () => {
    const l = parseInterfaces(readFileSync(corpusPath('ip-addr', 'jc-centos77-docker0-ifconfig.txt'), 'utf8'), 'ifconfig');
    expect(l.interfaces.find((i) => i.name === 'docker0')).toMatchObject({ mtu: 1500, flags: ['UP', 'BROADCAST', 'MULTICAST'] });
  });
});
