/**
 * k3s' flags from an install line, config.yaml, k3s.service's ExecStart and a pasted command line,
 * and `uname -a` / `uname -r`. Text, verbatim (test/fixtures/h42/SOURCES.md):
 * - k3s-4683-*: https://github.com/k3s-io/k3s/issues/4683 (install line, k3s -v, uname -a)
 * - k3s-8822-k3s.service: https://github.com/k3s-io/k3s/issues/8822 (`cat /etc/systemd/system/k3s.service`)
 * - k3s-3578-execstart.txt: https://github.com/k3s-io/k3s/issues/3578 (an ExecStart line)
 * - k3s-5621-command.txt: https://github.com/k3s-io/k3s/issues/5621 (`./k3s server ...` after a prompt)
 * - k3s-4980-config.yaml: https://github.com/k3s-io/k3s/issues/4980; k3s-5468-config.yaml: https://github.com/k3s-io/k3s/issues/5468
 * - k3s-7096-install.txt: https://github.com/k3s-io/k3s/issues/7096 (the install script run directly)
 * - yadom-install-exec.txt: https://blog.yadom.in/archives/k3s-ipv6-configuration.html (`export INSTALL_K3S_EXEC=...`)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { k3sBool, k3sConfigFlags, k3sInstallVersion, k3sSetting, parseK3sFlags, sniffK3sConfigYaml, sniffK3sFlags } from '../../src/parsers/k3s-flags.js';
import { compareKernel, parseUname, sniffUname } from '../../src/parsers/uname.js';
import { SkipFile } from '../../src/model/source.js';
import { formatById } from '../../src/parsers/registry.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h42', name), 'utf8');
const names = (f: ReturnType<typeof parseK3sFlags>) => f.flags.map((x) => [x.name, x.value, x.ref.line]);

describe('parseK3sFlags', () => {
  it('k3s#4683 install line: curl | INSTALL_K3S_CHANNEL=v1.22 sh -s - with the flags on continuation lines, each at its own line', () => {
    const f = parseK3sFlags(fx('k3s-4683-install.txt'), 'k3s-install.txt');
    expect(f.origin).toBe('install');
    expect(f.role).toBe('server');
    expect(names(f)).toEqual([
      ['disable-network-policy', 'true', 2],
      ['node-ip', '172.30.80.172,2001:XXX:XXX:80::172', 3],
      ['cluster-cidr', '10.42.0.0/16,fc15:1::/56', 4],
      ['service-cidr', '10.43.0.0/16,fc15:2::/112', 5],
    ]);
    expect(f.installEnv?.map((e) => [e.name, e.value])).toEqual([['INSTALL_K3S_CHANNEL', 'v1.22']]);
    expect(f.flags[2].excerpt).toBe('--cluster-cidr="10.42.0.0/16,fc15:1::/56" \\');
    expect(k3sSetting([f], 'flannel-ipv6-masq')).toBeUndefined();
  });

  it('k3s#8822 k3s.service: ExecStart over continuation lines, quoted words, a value on the next line', () => {
    const f = parseK3sFlags(fx('k3s-8822-k3s.service'), 'etc/systemd/system/k3s.service');
    expect(f.origin).toBe('unit');
    expect(f.role).toBe('server');
    expect(names(f)).toEqual([
      ['write-kubeconfig-mode', '644', 31],
      ['tls-san', '***', 33],
      ['node-external-ip', '***', 35],
      ['system-default-registry', 'registry.cn-hangzhou.aliyuncs.com', 37],
      ['kubelet-arg', 'image-gc-high-threshold=70', 39],
      ['kubelet-arg', 'image-gc-low-threshold=60', 40],
    ]);
    expect(k3sSetting([f], 'cluster-cidr')).toBeUndefined();
  });

  it('k3s#3578 ExecStart on one line: --flag value pairs, flannel-backend=none', () => {
    const f = parseK3sFlags(fx('k3s-3578-execstart.txt'), 'k3s-execstart.txt');
    expect(f.origin).toBe('unit');
    expect(k3sSetting([f], 'flannel-backend')?.value).toBe('none');
    expect(k3sSetting([f], 'cluster-cidr')?.value).toBe('fd00:db8:0:0:0:0:1::/112');
    expect(k3sBool(k3sSetting([f], 'disable-network-policy'))).toBe(true);
    // --disable-agent takes no value here: the next word is a flag
    expect(k3sSetting([f], 'disable-agent')?.value).toBe('true');
  });

  it('k3s#5621 command after a prompt: ./k3s server --flannel-ipv6-masq (boolean, no value)', () => {
    const f = parseK3sFlags(fx('k3s-5621-command.txt'), 'k3s-command.txt');
    expect(f.origin).toBe('command');
    expect(f.role).toBe('server');
    expect(k3sBool(k3sSetting([f], 'flannel-ipv6-masq'))).toBe(true);
    expect(k3sSetting([f], 'flannel-ipv6-masq')?.ref.line).toBe(5);
    expect(k3sSetting([f], 'cluster-cidr')?.value).toBe('2001:cafe:42:0::/56');
  });

  it('config.yaml (k3s#4980, k3s#5468): every top-level key, quotes removed', () => {
    const a = parseK3sFlags(fx('k3s-4980-config.yaml'), 'etc/rancher/k3s/config.yaml');
    expect(a.origin).toBe('config');
    expect(names(a).slice(0, 3)).toEqual([
      ['write-kubeconfig-mode', '644', 1],
      ['token', 'test', 2],
      ['cluster-cidr', '10.42.0.0/16,2001:cafe:42:0::/56', 3],
    ]);
    const b = parseK3sFlags(fx('k3s-5468-config.yaml'), 'etc/rancher/k3s/config.yaml');
    expect(k3sBool(k3sSetting([b], 'flannel-ipv6-masq'))).toBe(true);
    expect(sniffK3sConfigYaml(fx('k3s-5468-config.yaml'))).toBe(true);
    expect(sniffK3sConfigYaml('apiVersion: v1\nkind: ConfigMap\ndata:\n  cluster-cidr: x\n')).toBe(false);
  });

  it('config.yaml lists and the command line over the file', () => {
    const conf = parseK3sFlags('cluster-cidr:\n  - 10.42.0.0/16\n  - fd42::/56\nflannel-ipv6-masq: false\n', 'etc/rancher/k3s/config.yaml');
    expect(names(conf)).toEqual([
      ['cluster-cidr', '10.42.0.0/16', 2],
      ['cluster-cidr', 'fd42::/56', 3],
      ['flannel-ipv6-masq', 'false', 4],
    ]);
    const unit = parseK3sFlags("ExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--flannel-ipv6-masq' \\\n", 'etc/systemd/system/k3s.service');
    expect(k3sSetting([unit, conf], 'flannel-ipv6-masq')).toMatchObject({ value: 'true', origin: 'unit' });
    expect(k3sSetting([conf], 'flannel-ipv6-masq')).toMatchObject({ value: 'false', origin: 'config' });
  });

  it('k3s#7096: the install script run directly, INSTALL_K3S_VERSION and INSTALL_K3S_EXEC=server', () => {
    const f = parseK3sFlags(fx('k3s-7096-install.txt'), 'install.txt');
    expect(f.origin).toBe('install');
    expect(f.role).toBe('server');
    expect(f.flags).toEqual([]);
    expect(k3sInstallVersion([f])?.value).toBe('v1.26.2+k3s1');
  });

  it('exported INSTALL_K3S_EXEC (blog.yadom.in): its flags, --flannel-ipv6-masq among them', () => {
    const f = parseK3sFlags(fx('yadom-install-exec.txt'), 'notes.txt');
    expect(f.origin).toBe('install');
    expect(f.flags.map((x) => [x.name, x.value])).toEqual([
      ['cluster-cidr', '10.42.0.0/16,fd00::/64'],
      ['service-cidr', '10.43.0.0/16,fd01::/112'],
      ['flannel-ipv6-masq', 'true'],
    ]);
  });

  it('a ps row of k3s with its flags shown; an agent install line (K3S_URL)', () => {
    const ps = parseK3sFlags('root       901  9.8 12.1 1298512 493112 ?     Ssl  10:02   5:12 /usr/local/bin/k3s server --cluster-cidr=10.42.0.0/16,fd42::/56\n', 'ps.txt');
    expect(ps).toMatchObject({ origin: 'command', role: 'server' });
    expect(k3sSetting([ps], 'cluster-cidr')?.value).toBe('10.42.0.0/16,fd42::/56');
    const agent = parseK3sFlags('curl -sfL https://get.k3s.io | K3S_URL=https://myserver:6443 K3S_TOKEN=mynodetoken sh -\n', 'agent.txt');
    expect(agent.role).toBe('agent');
  });

  it('sniffK3sFlags: install lines, k3s ExecStart, k3s command lines; not config.yaml, k3s -v, uname, docker.service', () => {
    for (const f of ['k3s-4683-install.txt', 'k3s-8822-k3s.service', 'k3s-3578-execstart.txt', 'k3s-5621-command.txt', 'yadom-install-exec.txt']) expect([f, sniffK3sFlags(fx(f))]).toEqual([f, true]);
    for (const f of ['k3s-4980-config.yaml', 'k3s-5468-config.yaml', 'k3s-4683-version.txt', 'k3s-4683-uname-a.txt']) expect([f, sniffK3sFlags(fx(f))]).toEqual([f, false]);
    expect(sniffK3sFlags('[Service]\nExecStart=/usr/bin/dockerd -H fd://\n')).toBe(false);
  });

  it('k3sConfigFlags: the flags of a config.yaml, undefined for text without any', () => {
    expect(k3sConfigFlags(fx('k3s-5468-config.yaml'), 'etc/rancher/k3s/config.yaml')?.flags.map((x) => x.name)).toEqual(['write-kubeconfig-mode', 'node-ip', 'disable-network-policy', 'flannel-ipv6-masq']);
    expect(k3sConfigFlags('# nothing\n', 'etc/rancher/k3s/config.yaml')).toBeUndefined();
  });

  it('other text is skipped', () => {
    expect(() => parseK3sFlags(fx('k3s-4683-uname-a.txt'), 'uname.txt')).toThrow(SkipFile);
    expect(() => parseK3sFlags('ExecStart=/usr/bin/dockerd -H fd://\n', 'docker.service')).toThrow(SkipFile);
  });
});

describe('parseUname', () => {
  it('k3s#4683 uname -a (RockyLinux 8.5): release, node name, machine, OS', () => {
    const u = parseUname(fx('k3s-4683-uname-a.txt'), 'uname-a.txt');
    expect(u).toMatchObject({ release: '4.18.0-348.2.1.el8_5.x86_64', major: 4, minor: 18, patch: 0, nodename: 'me-k3sv6', machine: 'x86_64', os: 'GNU/Linux', version: '#1 SMP Mon Nov 15 20:49:28 UTC 2021', ref: { line: 1 } });
    expect(sniffUname(fx('k3s-4683-uname-a.txt'))).toBe(true);
  });

  it('the corpus: insights-core-cluster-hosts-4x-rhel75-openshift-node-archives.tar.gz host_01/insights_commands/uname_-a (RHEL 7.5)', () => {
    const u = parseUname('Linux devbox1 3.10.0-862.3.3.el7.x86_64 #1 SMP Wed Jun 13 05:44:23 EDT 2018 x86_64 x86_64 x86_64 GNU/Linux\n', 'insights_commands/uname_-a');
    expect(u).toMatchObject({ release: '3.10.0-862.3.3.el7.x86_64', major: 3, minor: 10, patch: 0, nodename: 'devbox1', machine: 'x86_64' });
  });

  it('uname -r and uname -a of this machine (real output), a prompt line above', () => {
    const u = parseUname('$ uname -r\n6.18.44-fc-v1045\n', 'uname_-r');
    expect(u).toMatchObject({ release: '6.18.44-fc-v1045', major: 6, minor: 18, patch: 44, ref: { line: 2 } });
    expect(parseUname('Linux vm 6.18.44-fc-v1045 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux\n', 'uname_-a')).toMatchObject({ release: '6.18.44-fc-v1045', nodename: 'vm', machine: 'x86_64', version: '#1 SMP PREEMPT_DYNAMIC @0' });
    expect(u.nodename).toBeUndefined();
    expect(compareKernel(u, { major: 3, minor: 7, patch: 0 })).toBeGreaterThan(0);
    expect(sniffUname('6.18.44-fc-v1045\n')).toBe(false);
  });

  it('not uname output: skipped', () => {
    expect(() => parseUname(fx('k3s-4683-version.txt'), 'k3s-version.txt')).toThrow(SkipFile);
  });
});

describe("k3s-config: RKE2's config.yaml is told by its folder or file name, not by 'rke2' anywhere in the path", () => {
  const text = readFileSync(projectPath('test/fixtures/h105-rancher-collector/k3s-node-a1-2026-12-04_13_52_01/k3s/config.yaml'), 'utf8');
  const parse = (file: string) => formatById('k3s-config').parse(text, file, {} as never) as { k3sFlags?: unknown };
  it("k3s's, also on a host whose name starts with rke2", () => {
    expect(parse('etc/rancher/k3s/config.yaml').k3sFlags).toBeDefined();
    expect(parse('rke2-node-a1-2026-12-04_13_52_01/k3s/config.yaml').k3sFlags).toBeDefined();
  });
  it("RKE2's: not read as k3s flags", () => {
    expect(parse('etc/rancher/rke2/config.yaml').k3sFlags).toBeUndefined();
    expect(parse('node-b2-2026-12-04_13_52_01/rke2/config.yaml').k3sFlags).toBeUndefined();
    expect(parse('case/rke2-config.yaml').k3sFlags).toBeUndefined();
  });
});
