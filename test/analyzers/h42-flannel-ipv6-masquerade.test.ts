/**
 * flannel.ipv6-masquerade-missing: k3s with a unique local IPv6 cluster-cidr and flannel, without
 * flannel-ipv6-masq. Text, verbatim (test/fixtures/h42/SOURCES.md):
 * - fires: https://github.com/k3s-io/k3s/issues/4683 — the install line
 *   `--cluster-cidr="10.42.0.0/16,fc15:1::/56"`, `k3s version v1.22.4+k3s1 (bec170bc)`, uname -a (RockyLinux 8.5);
 * - healthy: k3s#5621 (`./k3s server --flannel-ipv6-masq ... --cluster-cidr=2001:cafe:42:0::/56`),
 *   k3s#4980 (config.yaml, global 2001:cafe:42:0::/56), k3s#8822 (k3s.service, IPv4 only),
 *   k3s#3578 (ExecStart, ULA but --flannel-backend=none), blog.yadom.in (INSTALL_K3S_EXEC with
 *   --flannel-ipv6-masq and fd00::/64);
 * - ip6tables-save of a network namespace on this machine (ip6tables v1.8.9 nf_tables) holding the
 *   masquerade rules k3s PR #4952 describes (https://github.com/k3s-io/k3s/pull/4952), for fc15:1::/56,
 *   and the same nat table without them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import analyzer, { flannelIpv6MasqFindings, hasIpv6MasqFlag, SET_IPV6_MASQ, type Ipv6MasqInputs } from '../../analyzers/flannel-ipv6-masquerade-missing.js';
import { k3sConfigFlags, parseK3sFlags } from '../../src/parsers/k3s-flags.js';
import { parseK3sVersion, k3sVersionOf } from '../../src/parsers/k3s-version.js';
import { parseUname } from '../../src/parsers/uname.js';
import { parseK3sConfig } from '../../src/parsers/kube-cluster-config.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/h42', name), 'utf8');
const flags = (name: string, file = name) => parseK3sFlags(fx(name), file);
const run = (a: Ipv6MasqInputs, node = 'me-k3sv6') => flannelIpv6MasqFindings(node, a);

const case4683 = (): Ipv6MasqInputs => ({
  k3sFlags: [flags('k3s-4683-install.txt', 'k3s-install.txt')],
  k3sVersion: [parseK3sVersion(fx('k3s-4683-version.txt'), 'k3s-version.txt')],
  uname: [parseUname(fx('k3s-4683-uname-a.txt'), 'uname-a.txt')],
});

describe('flannel.ipv6-masquerade-missing on k3s#4683', () => {
  it('fires: a warning naming the ULA range, the install line, and k3s v1.22.4 lacking PR #4952', () => {
    const [f, ...rest] = run(case4683());
    expect(rest).toEqual([]);
    expect(f.id ?? analyzer.id).toBe('flannel.ipv6-masquerade-missing');
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/^k3s on me-k3sv6 gives its pods IPv6 addresses from fc15:1::\/56 \(cluster-cidr, k3s-install\.txt:4\), a unique local range/);
    expect(f.message).toContain('k3s v1.22.4+k3s1 could not do it anyway (the option came with PR #4952, in v1.22.6+k3s1)');
    expect(f.message).toContain('no ip6tables nat rules to confirm it');
    expect(f.message).toContain('The bundle has no /etc/rancher/k3s/config.yaml');
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['k3s-install.txt', 4],
      ['k3s-install.txt', 0],
      ['k3s-version.txt', 1],
      ['uname-a.txt', 1],
    ]);
    expect(f.evidence[0].excerpt).toBe('--cluster-cidr="10.42.0.0/16,fc15:1::/56" \\');
    expect(f.evidence[2].note).toMatch(/predates PR #4952/);
    expect(f.facts).toMatchObject({ ipv6ClusterCidr: ['fc15:1::/56'], flannelIpv6Masq: null, k3sVersion: 'v1.22.4+k3s1', flagAvailable: false, ip6tablesNatSeen: false });
    expect(f.remedy.commands[0]).toMatch(/^# first upgrade k3s on every node, servers first, to v1\.22\.6\+k3s1 or later/);
    expect(f.remedy.commands).toContain(SET_IPV6_MASQ);
    expect(f.remedy.commands).toContain("ip6tables -t nat -S | grep -F -- 'fc15:1::/56'   # check: a MASQUERADE for the pods' IPv6 range");
  });

  it('through the analyzer as the engine calls it: reads the k3sFlags kind', () => {
    expect(analyzer.requiresOneOf).toEqual(['k3sFlags', 'kubeClusterRanges']);
    expect(analyzer.optional).toEqual(expect.arrayContaining(['k3sVersion', 'iptables', 'uname', 'kubeClusterRanges', 'dockerDaemon', 'services']));
    const [f] = runNode(analyzer, case4683() as never, 'me-k3sv6');
    expect(f.facts).toMatchObject({ ipv6ClusterCidr: ['fc15:1::/56'] });
  });

  it('the same on a k3s that has the flag (v1.22.6-rc1, k3s#4980): no upgrade step', () => {
    const a = { ...case4683(), k3sVersion: [parseK3sVersion(fx('k3s-4980-version.txt'), 'k3s-version.txt')] };
    const [f] = run(a);
    expect(f.facts).toMatchObject({ flagAvailable: true });
    expect(f.remedy.commands[0]).toBe(SET_IPV6_MASQ);
    expect(f.message).not.toContain('could not do it anyway');
  });

  it("ip6tables nat without a MASQUERADE for the range: confirmed in the message and evidence", () => {
    const rs = parseIptablesSave(fx('ip6tables-save-nat-nomasq.txt'), 'ip6tables-save');
    expect(rs.family).toBe('ipv6');
    const [f] = run({ ...case4683(), iptables: [rs] });
    expect(f.message).toContain("The bundle's ip6tables nat table confirms it: no MASQUERADE for fc15:1::/56.");
    expect(f.facts).toMatchObject({ ip6tablesNatSeen: true });
    expect(f.evidence.some((e) => e.file === 'ip6tables-save' && e.line === 2)).toBe(true);
  });
});

describe('flannel.ipv6-masquerade-missing: healthy', () => {
  it('ip6tables already masquerades the IPv6 cluster-cidr (PR #4952 rules): quiet', () => {
    expect(run({ ...case4683(), iptables: [parseIptablesSave(fx('ip6tables-save-masq.txt'), 'ip6tables-save')] })).toEqual([]);
  });

  it('ip6tables masquerades every source leaving the uplink (`-o eth0 -j MASQUERADE`, by hand): quiet', () => {
    expect(run({ ...case4683(), iptables: [parseIptablesSave(fx('ip6tables-save-uplink-masq.txt'), 'ip6tables-save')] })).toEqual([]);
  });

  it('flannel-ipv6-masq set: on the command line (k3s#5621), in config.yaml over an install line, in INSTALL_K3S_EXEC', () => {
    expect(run({ k3sFlags: [flags('k3s-5621-command.txt')] })).toEqual([]);
    const conf = parseK3sFlags('flannel-ipv6-masq: true\n', 'etc/rancher/k3s/config.yaml');
    expect(run({ ...case4683(), k3sFlags: [flags('k3s-4683-install.txt'), conf] })).toEqual([]);
    expect(run({ k3sFlags: [flags('yadom-install-exec.txt')] })).toEqual([]);
  });

  it('a global IPv6 pod prefix (k3s#4980 config.yaml, 2001:cafe:42:0::/56) without the flag: quiet', () => {
    const file = 'etc/rancher/k3s/config.yaml';
    expect(run({ k3sFlags: [flags('k3s-4980-config.yaml', file)], kubeClusterRanges: [parseK3sConfig(fx('k3s-4980-config.yaml'), file)], k3sVersion: [parseK3sVersion(fx('k3s-4980-version.txt'), 'v')] })).toEqual([]);
  });

  it('IPv4-only cluster (k3s#8822 k3s.service; k3s#7096 install line): quiet', () => {
    expect(run({ k3sFlags: [flags('k3s-8822-k3s.service', 'etc/systemd/system/k3s.service')] })).toEqual([]);
    expect(run({ k3sFlags: [flags('k3s-7096-install.txt')] })).toEqual([]);
  });

  it('flannel-backend=none (k3s#3578: another CNI, ULA range): quiet', () => {
    expect(run({ k3sFlags: [flags('k3s-3578-execstart.txt')] })).toEqual([]);
  });

  it("a k3s config.yaml the bundle read for its ranges only (its other keys unseen): quiet rather than guess", () => {
    const file = 'etc/rancher/k3s/config.yaml';
    const text = 'cluster-cidr: 10.42.0.0/16,fd42::/56\nflannel-ipv6-masq: true\n';
    expect(run({ ...case4683(), kubeClusterRanges: [parseK3sConfig(text, file)] })).toEqual([]);
    // the same file read as k3s flags too: its flannel-ipv6-masq is seen (quiet), and without it the check fires
    expect(run({ k3sFlags: [parseK3sFlags(text, file)], kubeClusterRanges: [parseK3sConfig(text, file)] })).toEqual([]);
    const noMasq = 'cluster-cidr: 10.42.0.0/16,fd42::/56\n';
    const [f] = run({ k3sFlags: [parseK3sFlags(noMasq, file)], kubeClusterRanges: [parseK3sConfig(noMasq, file)] });
    expect(f.evidence[0]).toMatchObject({ file, line: 1 });
    expect(f.message).not.toContain('The bundle has no /etc/rancher/k3s/config.yaml');
  });

  it('a ps listing whose k3s server shows --flannel-ipv6-masq (over an install line without it): quiet; without it: fires', () => {
    const head = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n';
    const row = (args: string) => `root         901  9.8 12.1 1298512 493112 ?     Ssl  10:02   5:12 /usr/local/bin/k3s server ${args}\n`;
    const ps = (args: string) => parsePsDockerd(head + row(args), 'ps_auxww');
    expect(run({ ...case4683(), dockerDaemon: [ps('--cluster-cidr=10.42.0.0/16,fc15:1::/56 --flannel-ipv6-masq')] })).toEqual([]);
    const [f] = run({ ...case4683(), dockerDaemon: [ps('--cluster-cidr=10.42.0.0/16,fd42::/56')] });
    expect(f.facts).toMatchObject({ ipv6ClusterCidr: ['fd42::/56'] });
    expect(f.evidence[0]).toMatchObject({ file: 'ps_auxww', line: 2 });
  });

  it('a config.yaml read for its ranges that carries its flags along (the k3s-config format, wired): read like k3sFlags', () => {
    const file = 'etc/rancher/k3s/config.yaml';
    const carry = (text: string) => ({ ...parseK3sConfig(text, file), k3sFlags: k3sConfigFlags(text, file) });
    expect(run({ kubeClusterRanges: [carry('cluster-cidr: 10.42.0.0/16,fd42::/56\nflannel-ipv6-masq: true\n')] })).toEqual([]);
    const [f] = run({ kubeClusterRanges: [carry('cluster-cidr: 10.42.0.0/16,fd42::/56\n')] });
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([[file, 1], [file, 0]]);
    expect(f.evidence[1].excerpt).toBe('no flannel-ipv6-masq among the k3s config.yaml keys');
  });

  it('an agent install line alone (K3S_URL): flannel options are the servers\'; quiet', () => {
    const agent = parseK3sFlags('curl -sfL https://get.k3s.io | K3S_URL=https://myserver:6443 K3S_TOKEN=mynodetoken sh -s - --node-ip=10.0.0.5,fd00::5\n', 'agent.txt');
    expect(run({ k3sFlags: [agent] })).toEqual([]);
  });
});

describe('k3s releases with --flannel-ipv6-masq', () => {
  it('v1.21.9, v1.22.6 (and their -rc1), v1.23.2 and 1.24+ have it; earlier patches do not', () => {
    const has = (v: string) => hasIpv6MasqFlag(k3sVersionOf(v)!);
    expect([has('v1.22.4+k3s1'), has('v1.22.5+k3s1'), has('v1.22.6-rc1+k3s1'), has('v1.22.6+k3s1'), has('v1.22.17+k3s1')]).toEqual([false, false, true, true, true]);
    expect([has('v1.21.8+k3s2'), has('v1.21.9+k3s1'), has('v1.20.15+k3s1')]).toEqual([false, true, false]);
    expect([has('v1.23.1+k3s1'), has('v1.23.2+k3s1'), has('v1.24.0+k3s1'), has('v1.30.4+k3s1')]).toEqual([false, true, true, true]);
  });
});

describe('the config.yaml command of the remedy (run with sh on copies)', () => {
  const runIn = (initial: string | undefined): string => {
    const dir = mkdtempSync(join(tmpdir(), 'h42-'));
    try {
      const cmd = SET_IPV6_MASQ.replaceAll('/etc/rancher/k3s', dir);
      if (initial !== undefined) writeFileSync(join(dir, 'config.yaml'), initial);
      execFileSync('sh', ['-c', cmd]);
      const once = readFileSync(join(dir, 'config.yaml'), 'utf8');
      execFileSync('sh', ['-c', cmd]);
      expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toBe(once); // idempotent
      return once;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('adds the key once, turns false into true, keeps the other keys, copes with a missing file and a last line without newline', () => {
    expect(runIn(undefined)).toBe('\nflannel-ipv6-masq: true\n');
    expect(runIn('write-kubeconfig-mode: 644\ncluster-cidr: 10.42.0.0/16,fd42::/56')).toBe('write-kubeconfig-mode: 644\ncluster-cidr: 10.42.0.0/16,fd42::/56\nflannel-ipv6-masq: true\n');
    expect(runIn('flannel-ipv6-masq: false\nnode-ip: 10.0.0.1\n')).toBe('flannel-ipv6-masq: true\nnode-ip: 10.0.0.1\n');
    expect(runIn('"flannel-ipv6-masq": "false"\n')).toBe('"flannel-ipv6-masq": true\n');
    // what the fixed file says, read back
    expect(parseK3sFlags(runIn('cluster-cidr: 10.42.0.0/16,fd42::/56\n'), 'etc/rancher/k3s/config.yaml').flags.at(-1)).toMatchObject({ name: 'flannel-ipv6-masq', value: 'true' });
  });
});
