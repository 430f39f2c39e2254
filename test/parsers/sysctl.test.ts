import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile, ParseError } from '../../src/model/source.js';
import {
  effectiveConfig,
  normalizeSysctlKey,
  parseProcSysFile,
  parseSysctlConfig,
  parseSysctlJson,
  parseSysctlText,
  runtimeValue,
  sniffSysctlConfig,
  sniffSysctlText,
} from '../../src/parsers/sysctl.js';
import { hasCorpus, projectPath, readCorpus } from '../helpers/shared.js';

describe.skipIf(!hasCorpus)('sysctl on the corpus', () => {
  it('reads `sysctl -a` with the line of each key (ip_forward = 0 on jc ubuntu)', () => {
    const file = 'sysctl/jc-ubuntu1804-sysctl-a-ip-forward-0.txt';
    const s = parseSysctlText(readCorpus(file), file);
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '0', ref: { file, line: 396 }, excerpt: 'net.ipv4.ip_forward = 0' });
  });

  it('reads troubleshoot in-cluster lines keyed by /proc path', () => {
    const file = 'sysctl/troubleshoot-k3s-flannel-node-proc-sys.txt';
    const s = parseSysctlText(readCorpus(file), file);
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '1', ref: { line: 450 } });
    expect(s.values.get('net.bridge.bridge-nf-call-iptables')?.value).toBe('1');
    expect(s.values.get('net.ipv4.conf.all.accept_local')?.value).toBe('0');
  });

  it('reads bridge-nf-call-iptables = 0 on the centos docker host', () => {
    const file = 'sysctl/jc-centos77-docker-sysctl-a.txt';
    const s = parseSysctlText(readCorpus(file), file);
    expect(s.values.get('net.bridge.bridge-nf-call-iptables')).toMatchObject({ value: '0', ref: { line: 220 } });
    expect(sniffSysctlText(readCorpus(file).slice(0, 4096))).toBe(true);
  });

  it('reads a sysctl.d file with aligned values', () => {
    const file = 'sysctl/kubeadm-312-centos7-usr-lib-sysctl.d-00-system.conf-edited.conf';
    const c = parseSysctlConfig(readCorpus(file), file);
    expect(c.entries.find((e) => e.key === 'net.ipv4.ip_forward')).toMatchObject({ value: '1', ref: { line: 10 } });
  });
});

describe('sysctl forms', () => {
  it('normalises /proc paths and slash keys, keeping dots of interface names', () => {
    expect(normalizeSysctlKey('/proc/sys/net/ipv4/ip_forward')).toBe('net.ipv4.ip_forward');
    expect(normalizeSysctlKey('net/ipv4/conf/eth0.100/rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
    expect(normalizeSysctlKey('net.ipv4.ip_forward')).toBe('net.ipv4.ip_forward');
  });

  it('a /proc/sys file copied into a sosreport', () => {
    const s = parseProcSysFile('0\n', 'b/proc/sys/net/ipv4/ip_forward', 'proc/sys/net/ipv4/ip_forward');
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '0', ref: { line: 1 } });
  });

  it('troubleshoot sysctl.json, with the line of the key', () => {
    const text = '{\n  "net.ipv4.ip_forward": "0",\n  "net.bridge.bridge-nf-call-iptables": "1"\n}\n';
    const s = parseSysctlJson(text, 'host-collectors/system/sysctl.json');
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '0', ref: { line: 2 } });
    expect(() => parseSysctlJson('{not json', 'x.json')).toThrow(ParseError);
  });

  it('skips text that is not sysctl output', () => {
    expect(() => parseSysctlText('hello\nworld\n', 'x')).toThrow(SkipFile);
    expect(sniffSysctlText('Chain INPUT (policy ACCEPT)\n')).toBe(false);
  });

  it('ignores permission-denied noise and takes the value lines', () => {
    const s = parseSysctlText('sysctl: permission denied on key "fs.protected_hardlinks"\nnet.ipv4.ip_forward = 1\n', 'x');
    expect(runtimeValue([s], 'net.ipv4.ip_forward')[0].value).toBe('1');
  });

  it('effective configuration: sysctl.d by base name, /etc overriding /usr/lib, /etc/sysctl.conf last', () => {
    const usr = parseSysctlConfig('net.ipv4.ip_forward = 1\n', 'usr/lib/sysctl.d/50-default.conf');
    const etcSame = parseSysctlConfig('net.ipv4.ip_forward = 0\n', 'etc/sysctl.d/50-default.conf');
    const later = parseSysctlConfig('net.ipv4.ip_forward=1\n', 'etc/sysctl.d/99-k8s.conf');
    const conf = parseSysctlConfig('# comment\n; also comment\nnet.ipv4.ip_forward = 0\n', 'etc/sysctl.conf');
    expect(effectiveConfig([usr, etcSame], 'net.ipv4.ip_forward')?.ref.file).toBe('etc/sysctl.d/50-default.conf');
    expect(effectiveConfig([later, usr, etcSame], 'net.ipv4.ip_forward')?.value).toBe('1');
    expect(effectiveConfig([conf, later, usr], 'net.ipv4.ip_forward')).toMatchObject({ value: '0', ref: { file: 'etc/sysctl.conf', line: 3 } });
  });

  it("sysctl.d globs are kept (systemd's 50-default.conf, Cilium's override): they never equal an exact key", () => {
    const c = parseSysctlConfig('net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n-net.ipv4.conf.lxc*.rp_filter = 0\n', 'usr/lib/sysctl.d/50-default.conf');
    expect(c.entries.map((e) => [e.key, e.value, e.ref.line])).toEqual([
      ['net.ipv4.conf.*.rp_filter', '2', 1],
      ['net.ipv4.conf.lxc*.rp_filter', '0', 3],
    ]);
    expect(effectiveConfig([c], 'net.ipv4.conf.all.rp_filter')).toBeUndefined();
  });
});

/** The start of RHEL 6's stock /etc/sysctl.conf (initscripts): ip_forward = 0 among comments. */
const RHEL6_SYSCTL_CONF = readFileSync(projectPath('test/fixtures/sysctl/rhel6-etc-sysctl.conf'), 'utf8');

describe('telling sysctl output from a sysctl configuration file by content', () => {
  it('a configuration file is not runtime output, however many keys it sets: sysctl never prints comments', () => {
    expect(sniffSysctlText(RHEL6_SYSCTL_CONF)).toBe(false);
    expect(sniffSysctlConfig(RHEL6_SYSCTL_CONF)).toBe(true);
    // RHEL 7's header starts "# sysctl settings are defined through files in": a comment, not a prompt
    expect(sniffSysctlText('# sysctl settings are defined through files in\n# /usr/lib/sysctl.d/\nnet.ipv4.ip_forward = 0\nkernel.sysrq = 0\nvm.swappiness = 1\n')).toBe(false);
  });

  it.skipIf(!hasCorpus)('an edited /usr/lib/sysctl.d/00-system.conf (kubeadm #312) is configuration; real `sysctl -a` dumps are runtime', () => {
    const conf = readCorpus('sysctl/kubeadm-312-centos7-usr-lib-sysctl.d-00-system.conf-edited.conf');
    expect(sniffSysctlText(conf)).toBe(false);
    expect(sniffSysctlConfig(conf)).toBe(true);
    for (const f of ['jc-ubuntu1804-sysctl-a-ip-forward-0.txt', 'hotsos-charmed-k8s-flannel-node-sysctl-a.txt', 'troubleshoot-k3s-flannel-node-proc-sys.txt']) {
      expect(sniffSysctlText(readCorpus('sysctl', f).slice(0, 4096)), f).toBe(true);
    }
  });

  it('one or two value lines and nothing else are runtime output: what `sysctl net.ipv4.ip_forward` prints', () => {
    expect(sniffSysctlText('net.ipv4.ip_forward = 0\n')).toBe(true);
    expect(sniffSysctlText('net.ipv4.ip_forward = 0')).toBe(true);
    expect(sniffSysctlText('net.ipv4.ip_forward = 1\r\nnet.bridge.bridge-nf-call-iptables = 0\r\n')).toBe(true);
    expect(sniffSysctlText('/proc/sys/net/ipv4/ip_forward = 1\n')).toBe(true);
    // pasted with the prompt
    expect(sniffSysctlText('[root@node1 ~]# sysctl net.ipv4.ip_forward\nnet.ipv4.ip_forward = 0\n')).toBe(true);
    expect(sniffSysctlText('# sysctl -a | grep ip_forward\nnet.ipv4.ip_forward = 0\n')).toBe(true);
  });

  it('a value line among other text is not enough', () => {
    expect(sniffSysctlText('the customer says\nnet.ipv4.ip_forward = 0\n')).toBe(false);
    expect(sniffSysctlText('FLANNEL_NETWORK=10.244.0.0/16\n')).toBe(false);
    expect(sniffSysctlConfig('DefaultZone=public\nnet.ipv4.ip_forward = 1\n')).toBe(false);
  });

  it('sysctl.d syntax (a leading -, globs) and a head cut mid-line still read as configuration', () => {
    expect(sniffSysctlConfig('# k8s\n-net.ipv4.conf.*.rp_filter = 2\nnet.ipv4.ip_forward = 1\n')).toBe(true);
    expect(sniffSysctlConfig('# k8s\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.defa')).toBe(true);
    expect(sniffSysctlConfig('# only comments\n')).toBe(false);
  });
});
