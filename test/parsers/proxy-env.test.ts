/**
 * The proxy environment reader on real text:
 * - vmware-tanzu/cluster-api-provider-bringyourownhost#561: containerd's http-proxy.conf drop-in (NO_PROXY with blanks)
 * - rancher/rke2#4924: /etc/default/rke2-server with CONTAINERD_HTTP_PROXY / CONTAINERD_NO_PROXY
 * - k3s-io/k3s#5642: /etc/systemd/system/k3s.service.env, a quoted CONTAINERD_NO_PROXY
 * - docs.docker.com (as quoted in gist nanusdad/cb0adc76b594363184e7067aeef26787): `systemctl show --property=Environment docker`
 * - kubernetes/kubernetes#48792: /etc/systemd/system.conf.d/01-proxy-environment.conf, DefaultEnvironment=
 * - kubernetes/kubernetes#130029: /etc/environment, both cases
 * - a gist's docker.service.d drop-in with two assignments on one line (blog.csdn.net/anqun4942/article/details/101125422)
 * Go's NO_PROXY rules: golang.org/x/net/http/httpproxy (config.init, useProxy, domainMatch).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noProxyCovers, noProxyCoversRange, noProxyEntries, parseProxyEnv, systemdWords, unitOfPath } from '../../src/parsers/proxy-env.js';
import { parseCidr } from '../../src/parsers/cidr.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath(`test/fixtures/runtime-proxy/${name}`), 'utf8');

describe('parseProxyEnv', () => {
  it('byoh#561: a containerd drop-in, each value at its line, NO_PROXY split as Go splits it', () => {
    const f = parseProxyEnv(fx('byoh-561-containerd-http-proxy.conf'), 'b/http-proxy.conf', 'etc/systemd/system/containerd.service.d/http-proxy.conf');
    expect(f.source).toBe('drop-in');
    expect(f.units).toHaveLength(1);
    const u = f.units[0];
    expect(u.unit).toBe('containerd');
    expect(u.httpProxy).toMatchObject({ value: 'http://PROXY_IP_ADDR:PORT', ref: { file: 'b/http-proxy.conf', line: 2 } });
    expect(u.httpsProxy?.ref.line).toBe(3);
    expect(u.noProxy?.entries.map((e) => e.text)).toEqual(['localhost', '127.0.0.0/8', '::1']);
    expect(u.noProxy?.entries[0].ref).toEqual({ file: 'b/http-proxy.conf', line: 4 });
  });

  it('two assignments on one Environment= line', () => {
    const f = parseProxyEnv(fx('docker-gist-multi-assignment-http-proxy.conf'), 'd.conf', 'etc/systemd/system/docker.service.d/http-proxy.conf');
    const u = f.units[0];
    expect(u.unit).toBe('docker');
    expect(u.httpProxy?.value).toBe('http://ip:port/');
    expect(u.httpsProxy).toBeUndefined();
    expect(u.noProxy?.entries).toHaveLength(6);
    expect(u.noProxy?.ref.line).toBe(2);
  });

  it("rke2#4924: CONTAINERD_* are containerd's, run by rke2-server", () => {
    const f = parseProxyEnv(fx('rke2-4924-default-rke2-server'), 'rke2-server', 'etc/default/rke2-server');
    expect(f.source).toBe('env-file');
    expect(f.units).toHaveLength(1);
    expect(f.units[0]).toMatchObject({ unit: 'containerd', embeddedIn: 'rke2-server', httpsProxy: { name: 'CONTAINERD_HTTPS_PROXY', key: 'HTTPS_PROXY', value: 'http://registry-proxy:3128', ref: { line: 2 } } });
    expect(f.units[0].noProxy?.entries.map((e) => e.text)).toEqual(['.my-domain']);
  });

  it('k3s#5642: k3s.service.env, quoted value', () => {
    const f = parseProxyEnv(fx('k3s-5642-k3s.service.env'), 'k3s.service.env', 'etc/systemd/system/k3s.service.env');
    expect(f.units[0]).toMatchObject({ unit: 'containerd', embeddedIn: 'k3s' });
    expect(f.units[0].noProxy?.entries.map((e) => e.text)).toEqual(['.docker.io']);
  });

  it('systemctl show -p Environment docker: one line, the unit from the file name', () => {
    const f = parseProxyEnv(fx('docker-docs-systemctl-show-environment-docker.txt'), 'systemctl-show-environment-docker.txt');
    expect(f.source).toBe('systemctl-show');
    expect(f.units[0]).toMatchObject({ unit: 'docker', httpProxy: { value: 'http://proxy.example.com:3128' }, httpsProxy: { value: 'https://proxy.example.com:3129' } });
    expect(f.units[0].noProxy?.entries.map((e) => e.text)).toEqual(['localhost', '127.0.0.1', 'docker-registry.example.com', '.corp']);
  });

  it('systemctl show -p Id,Environment of two units: the Id= line names each block', () => {
    const text = ['Id=containerd.service', 'Environment=HTTPS_PROXY=http://proxy:3128 NO_PROXY=10.96.0.0/12', '', 'Id=kubelet.service', 'Environment=', ''].join('\n');
    const f = parseProxyEnv(text, 'systemctl_show.txt');
    expect(f.units.map((u) => u.unit)).toEqual(['containerd']);
    expect(f.units[0].noProxy?.ref.line).toBe(2);
  });

  it("kubernetes#48792: the manager's DefaultEnvironment= is every unit's", () => {
    const f = parseProxyEnv(fx('kubernetes-48792-01-proxy-environment.conf'), 'p.conf', 'etc/systemd/system.conf.d/01-proxy-environment.conf');
    expect(f.source).toBe('systemd-manager');
    expect(f.units[0]).toMatchObject({ unit: 'systemd-default', httpProxy: { name: 'http_proxy', value: 'http://proxy-server.localdomain:3128' } });
  });

  it('kubernetes#130029: /etc/environment, the upper-case NO_PROXY is the one Go reads', () => {
    const f = parseProxyEnv(fx('kubernetes-130029-etc-environment'), 'environment', 'etc/environment');
    expect(f.units[0].unit).toBe('global');
    expect(f.units[0].noProxy).toMatchObject({ name: 'NO_PROXY', ref: { line: 6 } });
    expect(f.units[0].noProxy?.entries.map((e) => e.text)).toContain('localhost');
    expect(f.units[0].variables).toHaveLength(6);
  });

  it('skips a unit without proxy variables', () => {
    expect(() => parseProxyEnv('[Service]\nExecStart=/usr/bin/containerd\n', 'c', 'usr/lib/systemd/system/containerd.service')).toThrow(SkipFile);
  });
});

describe('systemdWords and unitOfPath', () => {
  it("undoes systemd's quoting", () => {
    expect(systemdWords('"HTTP_PROXY=http://p:1" NO_PROXY="a, b" X=y\\ z')).toEqual(['HTTP_PROXY=http://p:1', 'NO_PROXY=a, b', 'X=y z']);
  });
  it('names units by path', () => {
    expect(unitOfPath('etc/systemd/system/kubelet.service.d/10-kubeadm.conf')?.unit).toBe('kubelet');
    expect(unitOfPath('etc/sysconfig/crio')?.unit).toBe('crio');
    expect(unitOfPath('etc/default/rke2-agent')?.unit).toBe('rke2-agent');
    expect(unitOfPath('etc/resolv.conf')).toBeUndefined();
  });
});

describe("noProxyCovers: Go's httpproxy rules", () => {
  const e = (s: string) => noProxyEntries(s, { file: 'f', line: 1 });
  it('CIDR, IP, IP:port, domains with and without a dot, *.domain, *', () => {
    expect(noProxyCovers(e('10.96.0.0/12'), '10.96.0.1')).toMatchObject({ text: '10.96.0.0/12' });
    expect(noProxyCovers(e('10.96.0.1'), '10.96.0.1')).toBeDefined();
    expect(noProxyCovers(e('10.96.0.1:443'), '10.96.0.1', '443')).toBeDefined();
    expect(noProxyCovers(e('10.96.0.1:6443'), '10.96.0.1', '443')).toBeUndefined();
    expect(noProxyCovers(e('svc'), 'svc')).toBeDefined();
    expect(noProxyCovers(e('svc'), 'kubernetes.default.svc')).toBeDefined();
    expect(noProxyCovers(e('.svc'), 'svc')).toBeUndefined();
    expect(noProxyCovers(e('.svc'), 'kubernetes.default.svc')).toBeDefined();
    expect(noProxyCovers(e('*.cluster.local'), 'a.cluster.local')).toBeDefined();
    expect(noProxyCovers(e('*'), '172.20.0.1')).toBeDefined();
    expect(noProxyCovers(e('localhost, 127.0.0.0/8, ::1'), '10.96.0.1')).toBeUndefined();
    expect(noProxyCovers(e(''), '127.0.0.1')).toBe('loopback');
    // no wildcard inside CIDR-less prefixes: 10.96.* is a domain entry, not a range
    expect(noProxyCovers(e('10.96.*'), '10.96.0.1')).toBeUndefined();
  });
  it('a whole range', () => {
    expect(noProxyCoversRange(e('10.0.0.0/8'), parseCidr('10.244.0.0/16')!)).toBeDefined();
    expect(noProxyCoversRange(e('10.244.0.0/24'), parseCidr('10.244.0.0/16')!)).toBeUndefined();
  });
});

describe('sniffProxyEnv', () => {
  it('takes systemctl show output that sets a proxy, not a unit file or other text', async () => {
    const { sniffProxyEnv } = await import('../../src/parsers/proxy-env.js');
    expect(sniffProxyEnv(fx('docker-docs-systemctl-show-environment-docker.txt'))).toBe(true);
    expect(sniffProxyEnv(fx('byoh-561-containerd-http-proxy.conf'))).toBe(false);
    expect(sniffProxyEnv('Environment=LANG=C\n')).toBe(false);
  });
});
