/** bundle-doctor trace: the verdict, the path and every rule met, with file and line. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectPath } from '../helpers/shared.js';

const BIN = projectPath('dist/src/bin.js');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: projectPath(), stdio: 'ignore' });
});

describe('bundle-doctor trace', () => {
  it('a container to the host port 5432 on the flushed Docker host: rejected by INPUT rule 5, with its file and line', () => {
    const r = run(['trace', projectPath('bundles/docker-chains-flushed.tgz'), '--src', '172.17.0.2', '--dst', '10.0.0.21:5432/tcp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^node docker-host-01: 172\.17\.0\.2 -> 10\.0\.0\.21:5432\/tcp \(new\)$/m);
    expect(r.stdout).toMatch(/^verdict: REJECT \(icmp-host-prohibited\) by filter\/INPUT rule 5 \(sosreport-docker-host-01-[^)]*iptables_-t_filter_-nvL:7\)$/m);
    expect(r.stdout).toMatch(/^inferred: in-interface docker0 \(the network of 172\.17\.0\.2\)$/m);
  });

  it('JSON: a published port is DNATed to the container and forwarded (the path changes after PREROUTING)', () => {
    const r = run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', '10.0.1.50', '--dst', '10.0.1.13:8080', '--format', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.path).toBe('forward');
    expect(t.packet).toMatchObject({ dst: '172.17.0.2', dport: 80, dnat: true, outInterface: 'docker0' });
    expect(t.verdict.kind).toBe('ACCEPT');
    expect(t.steps.some((s: { chain: string; action: string }) => s.chain === 'DOCKER' && s.action === 'dnat')).toBe(true);
  });

  it('usage errors and a node that does not exist', () => {
    expect(run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', '10.0.1.50']).stderr).toMatch(/needs --src IP and --dst/);
    expect(run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', 'x', '--dst', '10.0.1.13:80']).code).toBe(2);
    const r = run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', '10.0.1.50', '--dst', '10.0.1.13:80', '--node', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/no node named nope \(nodes: k8s-node-3\)$/);
  });

  it('impossible addresses and ports are usage errors: exit 2, one line, nothing traced', () => {
    const bundle = projectPath('bundles/docker-chains-flushed.tgz');
    const cases: [string, string, RegExp][] = [
      ['300.1.1.1', '10.0.0.21:5432/tcp', /--src must be an IPv4 address .*'300\.1\.1\.1'/],
      ['172.17.0.2', '999.0.0.21:5432/tcp', /--dst: 999\.0\.0\.21 is not an IPv4 address/],
      ['172.17.0.2', '10.0.0.256', /--dst: 10\.0\.0\.256 is not an IPv4 address/],
      ['172.17.0.2', '10.0.0.21:99999/tcp', /--dst: port 99999 is not 1-65535/],
      ['172.17.0.2', '10.0.0.21:0/udp', /--dst: port 0 is not 1-65535/],
      ['172.17.0.2', '10.0.0.21:80/icmp', /--dst: icmp has no ports/],
      // one packet is of one family: an IPv6 source with an IPv4 destination (or the other way) is said so
      ['fd00::2', '10.0.0.21:5432/tcp', /--src fd00::2 is IPv6 but --dst 10\.0\.0\.21 is IPv4/],
      ['172.17.0.2', '[fd00:dead:beef::2]:5432/tcp', /--src 172\.17\.0\.2 is IPv4 but --dst fd00:dead:beef::2 is IPv6/],
      ['172.17.0.2', 'fd00::2', /--src 172\.17\.0\.2 is IPv4 but --dst fd00::2 is IPv6/],
    ];
    for (const [src, dst, why] of cases) {
      const r = run(['trace', bundle, '--src', src, '--dst', dst]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(why);
      expect(lines.slice(1)).toEqual(["Try 'bundle-doctor --help'."]);
    }
    // the edges are fine
    expect(run(['trace', bundle, '--src', '0.0.0.0', '--dst', '255.255.255.255:65535/udp']).code).toBe(0);
    expect(run(['trace', bundle, '--src', '172.17.0.2', '--dst', '10.0.0.21:1/tcp']).code).toBe(0);
  });
});

describe('bundle-doctor trace: load-balanced services', () => {
  it('-m statistic is a branch: each endpoint of the kube-dns service is reported as possible', () => {
    const r = run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', '10.244.1.5', '--dst', '10.96.0.10:53/tcp', '--format', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.alternatives.map((a: { dst: string; dport: number; verdict: { kind: string } }) => `${a.dst}:${a.dport} ${a.verdict.kind}`).sort()).toEqual(['10.244.1.2:53 ACCEPT', '10.244.2.3:53 ACCEPT']);
    const text = run(['trace', projectPath('bundles/healthy-docker-k8s.tgz'), '--src', '10.244.1.5', '--dst', '10.96.0.10:53/tcp']).stdout;
    expect(text).toMatch(/^load-balanced: 2 branches \(-m statistic\), each possible:$/m);
  });
});

describe('trace with rules in both back ends (legacy and nf_tables, both run in the kernel)', () => {
  it('walks both FORWARD chains: the legacy policy DROP decides, the nf_tables accept does not hide it', async () => {
    const { traceBundle } = await import('../../src/engine/trace-bundle.js');
    const drop = await traceBundle(projectPath('test/fixtures/backends/mixed-legacy-drop'), { src: '172.17.0.2', dst: '198.51.100.10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(drop.verdict.kind).toBe('DROP');
    expect(drop.decidedBy).toMatchObject({ file: 'iptables-legacy-save', chain: 'FORWARD', num: 0 });
    expect(new Set(drop.steps.map((s) => s.file))).toEqual(new Set(['iptables-save', 'iptables-legacy-save']));
    // healthy: the accepting rule is Docker's, in the nf_tables rules (the legacy tables hold kube-proxy's)
    const ok = await traceBundle(projectPath('test/fixtures/backends/mixed-healthy'), { src: '172.17.0.2', dst: '198.51.100.10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(ok.verdict.kind).toBe('ACCEPT');
    expect(ok.decidedBy).toMatchObject({ file: 'iptables-save', chain: 'DOCKER-FORWARD' });
  });
});

describe('trace of a reply to a container (Docker 28 direct-access rule; fixtures made and checked in the kernel)', () => {
  it('a masqueraded connection: the reply comes back to the node address and passes raw; without masquerade raw drops it', async () => {
    const { readFileSync } = await import('node:fs');
    const { writeFolder } = await import('../helpers/archive.js');
    const { traceBundle } = await import('../../src/engine/trace-bundle.js');
    const fx = (f: string) => readFileSync(projectPath('test/fixtures/netfilter/docker-direct-access', f), 'utf8');
    const base = { ip_addr: fx('ip_addr'), ip_route: fx('ip_route'), docker_network_inspect: fx('docker_network_inspect') };
    const req = { src: '198.51.100.10', dst: '172.18.0.2', dport: 40000, protocol: 'tcp', state: 'established' as const };
    const ok = await traceBundle(writeFolder({ ...base, 'iptables-save': fx('docker28-nat.iptables-save') }, 'nat'), req);
    expect(ok.verdict.kind).toBe('ACCEPT');
    expect(ok.inferred.join('\n')).toMatch(/arrives addressed to 10\.0\.0\.21 \(the address of eth0\)/);
    // the header names what was asked, the container; the NAT address is in the inferred line
    expect(ok.request.dst).toBe('172.18.0.2');
    // kernel.txt: curl 200 with the MASQUERADE, and the raw rule's counter at 0
    expect(ok.steps.some((s) => s.table === 'raw' && s.action !== 'policy' && s.num > 0)).toBe(false);
    const drop = await traceBundle(writeFolder({ ...base, 'iptables-save': fx('docker28-nomasq.iptables-save') }, 'nomasq'), req);
    expect(drop.verdict.kind).toBe('DROP');
    expect(drop.decidedBy).toMatchObject({ table: 'raw', chain: 'PREROUTING', num: 1 });
  });
});

describe('bundle-doctor trace --to-node', () => {
  // containers/netavark#742's host as its thread shows it: iptables-save alone (INPUT DROP), no ip addr
  it('without ip addr the destination is assumed forwarded and said so; --to-node walks INPUT, where the policy drops it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bd-trace-to-node-'));
    try {
      writeFileSync(join(dir, 'iptables-save.txt'), readFileSync(projectPath('test/fixtures/container-dns/netavark742-iptables-save.txt'), 'utf8'));
      const args = ['trace', dir, '--src', '10.89.0.2', '--dst', '10.89.0.1:53/udp', '--in', 'podman1'];
      const guessed = run(args);
      expect(guessed.code).toBe(0);
      expect(guessed.stdout).toMatch(/^assumed: node addresses unknown \(no ip addr\): assumed forwarded, .*pass --to-node if 10\.89\.0\.1 is the node's/m);
      expect(guessed.stdout).toMatch(/^verdict: ACCEPT/m);
      const told = run([...args, '--to-node']);
      expect(told.code).toBe(0);
      expect(told.stdout).toMatch(/^verdict: DROP by filter\/INPUT policy/m);
      expect(told.stdout).toMatch(/^inferred: .*10\.89\.0\.1 taken as the node's address \(as asked\)/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
