/**
 * A pasted dockerd command line read as dockerd's flags, on real text: moby/moby#32605's step 3
 * (`docker daemon --ip-forward=true --iptables=true --ipv6 --fixed-cidr-v6="2001:db8:1::/64"`,
 * test/fixtures/h25/moby-32605/), github.com/wido/docker-ipv6's README (`docker daemon --ipv6
 * --fixed-cidr-v6=2001:db8:100::/80`), the ExecStart= line of moby's contrib/init/systemd/docker.service;
 * and, as what it must not take, a ps listing (test/fixtures/r2-regressions/k3d-host), dockerd's journal
 * lines (corpus logs/moby-32349-...), moby's whole docker.service and the ticket's ping6 output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerdCmdline, shellWords, sniffDockerdCmdline } from '../../src/parsers/dockerd-cmdline.js';
import { dockerdSettings, parseDockerUnit, parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { corpusPath, hasCorpus, projectPath } from '../helpers/shared.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const MOBY = read('h25/moby-32605/dockerd-cmdline.txt');

describe('dockerd command line', () => {
  it("reads moby#32605's `docker daemon ... --fixed-cidr-v6=\"2001:db8:1::/64\"` as the flags, quotes removed, at line 1", () => {
    expect(sniffDockerdCmdline(MOBY)).toBe(true);
    const c = parseDockerdCmdline(MOBY, 'dockerd-cmdline.txt');
    expect(c.origin).toBe('unit');
    const s = dockerdSettings([c]);
    expect(s.ipv6?.value).toBe(true);
    expect(s.fixedCidrV6?.value).toBe('2001:db8:1::/64');
    expect(s.iptables?.value).toBe(true);
    expect(s.ipForward?.value).toBe(true);
    expect(s.ip6tables).toBeUndefined();
    expect(s.fixedCidrV6?.ref).toEqual({ file: 'dockerd-cmdline.txt', line: 1 });
    expect(s.commandLine?.text).toBe('docker daemon --ip-forward=true --iptables=true --ipv6 --fixed-cidr-v6=2001:db8:1::/64');
    expect(s.running).toBeUndefined();
  });

  it("reads wido/docker-ipv6's command and the ExecStart line of moby's docker.service", () => {
    const w = read('h25/wido-docker-daemon.txt');
    expect(sniffDockerdCmdline(w)).toBe(true);
    expect(dockerdSettings([parseDockerdCmdline(w, 'w')]).fixedCidrV6?.value).toBe('2001:db8:100::/80');
    const e = read('h25/moby-docker-service-execstart.txt');
    expect(sniffDockerdCmdline(e)).toBe(true);
    const s = dockerdSettings([parseDockerdCmdline(e, 'e')]);
    expect(s.commandLine?.text).toBe('/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock');
    expect(s.ipv6).toBeUndefined();
  });

  it("takes the prompt, sudo and `\\` continuations of a pasted line (the ticket's line behind `$ sudo`, split in two)", () => {
    const line = MOBY.trim();
    const pasted = `$ sudo ${line.replace(' --ipv6 ', ' \\\n    --ipv6 ')}\n`;
    expect(sniffDockerdCmdline(pasted)).toBe(true);
    const s = dockerdSettings([parseDockerdCmdline(pasted, 'p')]);
    expect(s.fixedCidrV6?.value).toBe('2001:db8:1::/64');
    expect(s.ipv6?.ref.line).toBe(1);
    expect(sniffDockerdCmdline(`# the daemon is started so:\n${line}\n`)).toBe(true);
    expect(sniffDockerdCmdline(`# ${line}\n`)).toBe(true);
  });

  it('a flag of the running process (ps) wins over the pasted line; daemon.json loses to it', () => {
    const ps = parsePsDockerd(read('r2-regressions/k3d-host/dev01/ps_auxwww.txt'), 'ps');
    const pasted = parseDockerdCmdline(MOBY, 'p');
    expect(dockerdSettings([ps, pasted]).commandLine?.from).toBe('process');
    const json = parseDockerDaemonJson('{\n  "ipv6": false\n}\n', 'daemon.json');
    expect(dockerdSettings([json, pasted]).ipv6?.value).toBe(true);
    // a real docker.service in the bundle outranks a hand-made pasted line
    const unit = parseDockerUnit(read('r2-regressions/cutA/web-01/etc/systemd/system/docker.service.d/override.conf'), 'o', 'etc/systemd/system/docker.service.d/override.conf');
    expect(dockerdSettings([unit, pasted]).iptables?.value).toBe(false);
  });

  it('is strict: a ps listing, the whole unit, a script line, prose and ping output are not it', () => {
    expect(sniffDockerdCmdline(read('r2-regressions/k3d-host/dev01/ps_auxwww.txt'))).toBe(false);
    expect(sniffDockerdCmdline(read('r2-regressions/cutA/web-01/etc/systemd/system/docker.service.d/override.conf'))).toBe(false);
    expect(sniffDockerdCmdline(read('h25/moby-32605/container-ping6.txt'))).toBe(false);
    expect(sniffDockerdCmdline(`${MOBY.trim()} &> /var/log/docker.log &\n`)).toBe(false);
    expect(sniffDockerdCmdline(`${MOBY}2001:db8:1::242:ac11:2\n`)).toBe(false);
    expect(sniffDockerdCmdline('docker ps -a\n')).toBe(false);
    expect(sniffDockerdCmdline('')).toBe(false);
  });

  it.skipIf(!hasCorpus)("is not dockerd's journal (corpus logs/moby-32349-dockerd-inject-PREROUTING-no-chain.log)", () => {
    expect(sniffDockerdCmdline(readFileSync(corpusPath('logs', 'moby-32349-dockerd-inject-PREROUTING-no-chain.log'), 'utf8').slice(0, 4096))).toBe(false);
  });

  it("reads moby#41622's `--fixed-cidr-v6 fd00:dead:beef::/48` (value after a space) and the bare `--ip6tables`", () => {
    const s = dockerdSettings([parseDockerdCmdline(read('h25/moby-41622-dockerd.txt'), 'c')]);
    expect(s.fixedCidrV6?.value).toBe('fd00:dead:beef::/48');
    expect(s.ip6tables?.value).toBe(true);
  });

  it('splits words as the shell does', () => {
    expect(shellWords(`dockerd --fixed-cidr-v6="2001:db8:1::/64" --label 'a b' x\\ y`)).toEqual(['dockerd', '--fixed-cidr-v6=2001:db8:1::/64', '--label', 'a b', 'x y']);
  });
});
