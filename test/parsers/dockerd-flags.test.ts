import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerdArgs, dockerdSettings, parseDockerEnvFile, parseDockerUnit, parseDockerdFlags, parsePsDockerd, sniffDockerUnit, sniffPs } from '../../src/parsers/dockerd-flags.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const host = (...p: string[]) => readFileSync(projectPath('test/fixtures/hosts/docker-iptables-false-cmdline/web-01', ...p), 'utf8');

/** `ps -ef` as procps prints it; the grep of whoever collected it is in the listing too. */
const PS_EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 Nov20 ?        00:00:09 /sbin/init
root         812       1  0 Nov20 ?        00:01:02 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --ip-masq=false --bip 10.200.5.1/24
root        1408     812  0 Nov20 ?        00:00:00 /usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80
admin      20412   20399  0 10:12 pts/0    00:00:00 grep --color=auto dockerd --iptables=false
`;

/** CentOS 7's docker 1.13 unit (docker-1.13.1 package) and its options file. */
const RHEL_UNIT = `[Unit]
Description=Docker Application Container Engine
Documentation=http://docs.docker.com
After=network.target rhel-push-plugin.socket registries.service
Wants=docker-storage-setup.service
Requires=docker-cleanup.timer

[Service]
Type=notify
NotifyAccess=main
EnvironmentFile=-/run/containers/registries.conf
EnvironmentFile=-/etc/sysconfig/docker
EnvironmentFile=-/etc/sysconfig/docker-storage
EnvironmentFile=-/etc/sysconfig/docker-network
Environment=GOTRACEBACK=crash
Environment=DOCKER_HTTP_HOST_COMPAT=1
Environment=PATH=/usr/libexec/docker:/usr/bin:/usr/sbin
ExecStart=/usr/bin/dockerd-current \\
          --add-runtime docker-runc=/usr/libexec/docker/docker-runc-current \\
          --default-runtime=docker-runc \\
          --exec-opt native.cgroupdriver=systemd \\
          --userland-proxy-path=/usr/libexec/docker/docker-proxy-current \\
          --init-path=/usr/libexec/docker/docker-init-current \\
          --seccomp-profile=/etc/docker/seccomp.json \\
          $OPTIONS \\
          $DOCKER_STORAGE_OPTIONS \\
          $DOCKER_NETWORK_OPTIONS \\
          $ADD_REGISTRY \\
          $BLOCK_REGISTRY \\
          $INSECURE_REGISTRY \\
          $REGISTRIES
ExecReload=/bin/kill -s HUP $MAINPID
LimitNOFILE=1048576
LimitNPROC=1048576
LimitCORE=infinity
TimeoutStartSec=0
Restart=on-abnormal
KillMode=process

[Install]
WantedBy=multi-user.target
`;
const RHEL_SYSCONFIG = `# /etc/sysconfig/docker

# Modify these options if you want to change the way the docker daemon runs
OPTIONS='--selinux-enabled --log-driver=journald --signature-verification=false --iptables=false'
if [ -z "\${DOCKER_CERT_PATH}" ]; then
    DOCKER_CERT_PATH=/etc/docker
fi
`;

describe('dockerd command lines', () => {
  it('takes the flags Go parses: bool flags only with =, value flags with = or a space', () => {
    expect(parseDockerdFlags(dockerdArgs('/usr/bin/dockerd -H fd:// --iptables=false --ip-forward=0 --bip 10.1.0.1/24 --userland-proxy')!)).toEqual([
      { key: 'iptables', value: false, text: '--iptables=false' },
      { key: 'ipForward', value: false, text: '--ip-forward=0' },
      { key: 'bip', value: '10.1.0.1/24', text: '--bip 10.1.0.1/24' },
      { key: 'userlandProxy', value: true, text: '--userland-proxy' },
    ]);
    expect(dockerdArgs('/usr/bin/dockerd-current --selinux-enabled')).toEqual(['--selinux-enabled']);
    expect(dockerdArgs('/usr/bin/docker daemon --iptables=false')).toEqual(['--iptables=false']);
    expect(dockerdArgs('grep --color=auto dockerd')).toBeUndefined();
    expect(dockerdArgs('/usr/bin/containerd')).toBeUndefined();
  });

  it('reads the IPv6 flags (names with digits) and daemon.json\'s IPv6 keys; the command line wins', () => {
    expect(parseDockerdFlags(dockerdArgs('/usr/bin/dockerd --ipv6 --ip6tables=false --fixed-cidr-v6 fd00:dead:beef::/64 --experimental')!)).toEqual([
      { key: 'ipv6', value: true, text: '--ipv6' },
      { key: 'ip6tables', value: false, text: '--ip6tables=false' },
      { key: 'fixedCidrV6', value: 'fd00:dead:beef::/64', text: '--fixed-cidr-v6 fd00:dead:beef::/64' },
      { key: 'experimental', value: true, text: '--experimental' },
    ]);
    const json = parseDockerDaemonJson('{\n  "ipv6": true,\n  "fixed-cidr-v6": "fd00:1::/64",\n  "ip6tables": true\n}\n', 'etc/docker/daemon.json');
    const fromJson = dockerdSettings([json]);
    expect(fromJson.ip6tables).toMatchObject({ value: true, from: 'daemon.json', ref: { file: 'etc/docker/daemon.json', line: 4 }, excerpt: '"ip6tables": true' });
    expect(fromJson.fixedCidrV6).toMatchObject({ value: 'fd00:1::/64', ref: { line: 3 } });
    const ps = parsePsDockerd('USER PID COMMAND\nroot 812 /usr/bin/dockerd -H fd:// --ip6tables=false\n', 'ps_auxwww');
    expect(dockerdSettings([json, ps]).ip6tables).toMatchObject({ value: false, from: 'process' });
  });
});

describe('ps output', () => {
  it('the reviewer\'s ps auxwww: dockerd with --iptables=false, cited at its line', () => {
    const text = host('ps_auxwww.txt');
    expect(sniffPs(text)).toBe(true);
    const c = parsePsDockerd(text, 'ps_auxwww.txt');
    expect(c).toMatchObject({ origin: 'process', iptables: { value: false, ref: { file: 'ps_auxwww.txt', line: 2 } } });
    expect(c.processes?.[0].pid).toBe(812);
  });

  it('ps -ef: the command column by the header, not a grep that names dockerd', () => {
    const c = parsePsDockerd(PS_EF, 'ps_-ef');
    expect(c.processes?.map((p) => p.ref.line)).toEqual([3]);
    expect(c.iptables).toBeUndefined();
    expect(c.ipMasq).toEqual({ value: false, ref: { file: 'ps_-ef', line: 3 } });
    expect(c.bip?.value).toBe('10.200.5.1/24');
  });

  it('a listing without dockerd says it is not running; `ps -e` (names only) says nothing of the flags', () => {
    const none = parsePsDockerd(PS_EF.split('\n').filter((l) => !l.includes('dockerd -H')).join('\n'), 'ps');
    expect(none.processes).toEqual([]);
    expect(dockerdSettings([none]).running).toBe(false);
    const names = '    PID TTY          TIME CMD\n      1 ?        00:00:09 systemd\n    812 ?        00:01:02 dockerd\n';
    const n = parsePsDockerd(names, 'ps_-e');
    expect(n.processes?.[0].argsShown).toBe(false);
    const unit = parseDockerUnit(host('etc/systemd/system/docker.service.d/override.conf'), 'override.conf', 'etc/systemd/system/docker.service.d/override.conf');
    // running, but its flags come from the unit
    expect(dockerdSettings([n, unit])).toMatchObject({ running: true, iptables: { value: false, from: 'unit' } });
  });

  it('ps auxf: the tree drawn before the command', () => {
    const c = parsePsDockerd('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot         800  0.0  0.1  12345  6789 ?        Ss   09:12   0:00 /sbin/init\nroot         812  0.4  2.1 2043312 86412 ?       Ssl  09:12   1:02  \\_ /usr/bin/dockerd -H fd:// --iptables=false\n', 'ps_auxfwww');
    expect(c.iptables?.value).toBe(false);
  });

  it('is not taken for other tables with a PID column', () => {
    expect(sniffPs('COMMAND     PID USER   FD   TYPE DEVICE SIZE/OFF NODE NAME\n')).toBe(false);
    expect(sniffPs('State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n')).toBe(false);
    expect(() => parsePsDockerd('no header here\n', 'x')).toThrow(SkipFile);
  });
});

describe('docker.service, drop-ins and options files', () => {
  it('a drop-in that clears ExecStart and sets its own replaces the packaged command line', () => {
    const main = parseDockerUnit('[Service]\nType=notify\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n', 'lib/systemd/system/docker.service', 'lib/systemd/system/docker.service');
    const override = parseDockerUnit(host('etc/systemd/system/docker.service.d/override.conf'), 'web-01/etc/systemd/system/docker.service.d/override.conf', 'etc/systemd/system/docker.service.d/override.conf');
    expect(sniffDockerUnit(host('etc/systemd/system/docker.service.d/override.conf'))).toBe(true);
    expect(dockerdSettings([main, override]).running).toBeUndefined();
    expect(dockerdSettings([main, override])).toMatchObject({
      commandLine: { from: 'unit', ref: { file: 'web-01/etc/systemd/system/docker.service.d/override.conf', line: 3 } },
      iptables: { value: false, from: 'unit' },
    });
    expect(dockerdSettings([main]).iptables).toBeUndefined();
  });

  it('RHEL: $OPTIONS from /etc/sysconfig/docker, cited where OPTIONS is set', () => {
    const unit = parseDockerUnit(RHEL_UNIT, 'usr/lib/systemd/system/docker.service', 'usr/lib/systemd/system/docker.service');
    const env = parseDockerEnvFile(RHEL_SYSCONFIG, 'etc/sysconfig/docker', 'etc/sysconfig/docker');
    const s = dockerdSettings([unit, env]);
    expect(s.iptables).toMatchObject({ value: false, from: 'env-file', ref: { file: 'etc/sysconfig/docker', line: 4 } });
    expect(s.commandLine?.text).toMatch(/^\/usr\/bin\/dockerd-current .*--iptables=false/);
    // the same options file, not read by any unit of the bundle: not applied
    const other = parseDockerUnit('[Service]\nExecStart=/usr/bin/dockerd -H fd://\n', 'lib/systemd/system/docker.service', 'lib/systemd/system/docker.service');
    expect(dockerdSettings([other, env]).iptables).toBeUndefined();
  });

  it('the running process wins over the unit files; a unit flag it lacks is pending', () => {
    const ps = parsePsDockerd(PS_EF, 'ps_-ef');
    const override = parseDockerUnit(host('etc/systemd/system/docker.service.d/override.conf'), 'override.conf', 'etc/systemd/system/docker.service.d/override.conf');
    const s = dockerdSettings([ps, override]);
    expect(s.iptables).toBeUndefined();
    expect(s.pending.map((p) => p.flag)).toEqual(['--iptables=false']);
    // daemon.json's key applies when the command line does not set the flag
    const json = parseDockerDaemonJson('{\n  "iptables": false\n}\n', 'etc/docker/daemon.json');
    expect(dockerdSettings([ps, json]).iptables).toMatchObject({ value: false, from: 'daemon.json', ref: { line: 2 } });
  });
});

describe('hostile ps output and unit files (reviewer rv9)', () => {
  it('a dockerd line over 64 KiB (thousands of --label flags) is still dockerd, with its flags', () => {
    const labels = Array.from({ length: 7000 }, (_, i) => `--label k${i}=v${i}`).join(' ');
    const ps = parsePsDockerd(`USER PID COMMAND\nroot 812 /usr/bin/dockerd -H fd:// ${labels} --iptables=false\n`, 'ps_auxwww');
    expect(ps.processes).toHaveLength(1);
    expect(dockerdSettings([ps])).toMatchObject({ running: true, iptables: { value: false, from: 'process' } });
  });

  it('a line of repeated "PID " is no header (and is rejected without backtracking)', () => {
    expect(sniffPs('PID '.repeat(20000))).toBe(false);
    expect(() => parsePsDockerd(`${'PID '.repeat(20000)}\nroot 1 /sbin/init\n`, 'ps_auxwww')).toThrow(SkipFile);
    expect(sniffPs('    PID COMMAND\n      1 /sbin/init')).toBe(true);
  });

  it('an ExecStart repeating a large variable is expanded within bounds: the flag is still read', () => {
    const big = 'x'.repeat(64 * 1024);
    const unit = parseDockerUnit(`[Service]\nEnvironment="A=${big}"\nExecStart=\nExecStart=/usr/bin/dockerd --iptables=false ${'${A}'.repeat(10000)}\n`, 'etc/systemd/system/docker.service.d/override.conf');
    const s = dockerdSettings([unit]);
    expect(s.iptables).toMatchObject({ value: false, from: 'unit' });
    expect(s.commandLine!.text.length).toBeLessThan(400 * 1024);
  });
});

