/**
 * Lines that share a literal with a signature but are another situation, on the wording real
 * tools print (reviewer report rv7): whom a failed connection was to, a host port already taken,
 * firewalld's and kube-proxy's cleanup at start, iptables waiting for its lock.
 */
import { describe, expect, it } from 'vitest';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { signatureById } from '../../src/logs/signatures.js';

const ids = (r: LogScanResult) => r.matches.map((m) => `${m.line}:${m.signature}`);
const only = (r: LogScanResult, id: string) => r.matches.filter((m) => m.signature === id);

describe('the peer of a failed connection', () => {
  it("Go's resolver timing out: the DNS server on 53/udp, not the local socket 10.0.2.15:44243", () => {
    const line =
      'Nov 20 10:16:10 docker-host-01 dockerd[1022]: time="2026-11-20T10:16:10.164238521Z" level=error msg="Handler for POST /v1.41/images/create returned error: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: read udp 10.0.2.15:44243->10.0.2.3:53: i/o timeout"';
    const [m] = only(scanLogText(line, 'var/log/messages'), 'log.connection-timed-out');
    expect(m.facts).toMatchObject({ lookup: 'registry-1.docker.io', host: '10.0.2.3', port: '53', protocol: 'udp' });
    expect(m.unit).toBe('dockerd');
  });

  it('a socket pair local->peer: the right side', () => {
    const [m] = only(scanLogText('E1120 10:00:00.000000       1 reflector.go:138] Get "https://10.96.0.1:443/api/v1/nodes": read tcp 10.244.1.5:51234->10.96.0.1:443: i/o timeout', 'x.log'), 'log.connection-timed-out');
    expect(m.facts).toMatchObject({ host: '10.96.0.1', port: '443', protocol: 'tcp', source: '10.244.1.5' });
  });

  it('a plain dial keeps its peer (no lookup, no pair)', () => {
    const [m] = only(scanLogText('dial tcp 10.244.1.15:8081: connect: connection refused', 'x.log'), 'log.connection-refused');
    expect(m.facts).toEqual({ host: '10.244.1.15', port: '8081' });
  });
});

describe('Docker cannot publish a port: the host port is taken, or its chains are gone', () => {
  const conflict = [
    'Nov 20 09:12:40 k8s-node-3 dockerd[912]: time="2026-11-20T09:12:40.118000000Z" level=error msg="Handler for POST /v1.41/containers/66f846a87dfd/start returned error: driver failed programming external connectivity on endpoint nestjs-class-db-1 (66f846a87dfdd62fd18869360453f74141a3d26fa5700691b3f864ef5e4576c3): Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use"',
    'Nov 20 09:13:02 k8s-node-3 dockerd[912]: time="2026-11-20T09:13:02.500000000Z" level=error msg="Handler for POST /v1.41/containers/6a82e5e994ba/start returned error: driver failed programming external connectivity on endpoint edgeHub (6a82e5e994bab5187939049684fb64efe07606d2bb8a4cc5655b2a9bad5f8c80): Error starting userland proxy: Bind for 0.0.0.0:443 failed: port is already allocated"',
  ].join('\n');

  it('address already in use / port is already allocated: log.docker-port-conflict with the port, not a flushed chain', () => {
    const r = scanLogText(conflict, 'journalctl_--no-pager_--unit_docker');
    expect(ids(r)).toEqual(['1:log.docker-port-conflict', '2:log.docker-port-conflict']);
    expect(r.matches.map((m) => [m.facts.endpoint, m.facts.address, m.facts.port])).toEqual([
      ['nestjs-class-db-1', '0.0.0.0', '5432'],
      ['edgeHub', '0.0.0.0', '443'],
    ]);
    const sig = signatureById('log.docker-port-conflict')!;
    // never folded into iptables.docker-chain-missing, and no docker restart advised
    expect(sig.supports).toEqual([]);
    expect(sig.advice).not.toMatch(/restart(?:ing)? docker (?:recreates|to)/i);
    expect(sig.commands?.[0]).toBe("ss -ltnp 'sport = :{port}'   # the process that holds the port");
  });

  it('the iptables wording stays log.docker-port-programming-failed (with log.iptables-no-chain)', () => {
    const r = scanLogText(
      'Nov 20 10:15:02 h1 dockerd[1234]: time="2026-11-20T10:15:02Z" level=error msg="Handler for POST /containers/x/start returned error: driver failed programming external connectivity on endpoint happy_ptolemy (9cedc114be35): iptables failed: iptables --wait -t filter -A DOCKER ! -i docker0 -o docker0 -p tcp -d 172.17.0.2 --dport 3000 -j ACCEPT: iptables: No chain/target/match by that name.\\n (exit status 1)"',
      'journalctl_--no-pager_--unit_docker',
    );
    expect(ids(r)).toEqual(['1:log.iptables-no-chain', '1:log.docker-port-programming-failed']);
    expect(r.matches[1].facts).toMatchObject({ endpoint: 'happy_ptolemy', chain: 'DOCKER', port: '3000' });
  });
});

describe("firewalld's cleanup at Docker start (moby/libnetwork#2622)", () => {
  const healthy = [
    "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables: No chain/target/match by that name.",
    "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t filter -X DOCKER' failed: iptables: No chain/target/match by that name.",
    "Nov 19 07:00:12 k8s-node-3 firewalld[1690]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables v1.8.5 (legacy): Couldn't load target `DOCKER':No such file or directory",
    "Nov 19 07:00:12 k8s-node-3 firewalld[1690]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -nL DOCKER' failed: iptables: No chain/target/match by that name.",
  ].join('\n');

  it('deletes, removals and listings of what is not there are info, naming the missing chain (DOCKER, not OUTPUT)', () => {
    const r = scanLogText(healthy, 'var/log/messages', { year: 2026 });
    expect(ids(r)).toEqual(['1:log.iptables-cleanup-harmless', '2:log.iptables-cleanup-harmless', '3:log.iptables-cleanup-harmless', '4:log.iptables-cleanup-harmless']);
    expect(r.matches.map((m) => [m.facts.table, m.facts.chain])).toEqual([
      ['nat', 'DOCKER'],
      ['filter', 'DOCKER'],
      ['nat', 'DOCKER'],
      ['nat', 'DOCKER'],
    ]);
    const sig = signatureById('log.iptables-cleanup-harmless')!;
    expect(sig.severity).toBe('info');
    expect(sig.supports).toEqual([]);
  });

  it('adding a rule to a missing chain, or jumping to one, is still the warning', () => {
    const r = scanLogText(
      [
        "Sep 01 12:16:10 PC4 firewalld[11649]: 2017-09-01 12:16:10 ERROR: COMMAND_FAILED: '/sbin/iptables -w2 -t nat -A DOCKER -p tcp -d 0/0 --dport 2003 -j DNAT --to-destination 172.17.0.5:22 ! -i docker0' failed: iptables: No chain/target/match by that name.",
        "Nov 19 07:00:12 n1 firewalld[1690]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -I PREROUTING -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables v1.8.5 (legacy): Couldn't load target `DOCKER':No such file or directory",
      ].join('\n'),
      'var/log/messages',
      { year: 2026 },
    );
    expect(ids(r)).toEqual(['1:log.iptables-no-chain', '2:log.iptables-couldnt-load-match']);
    expect(r.matches[0].facts).toMatchObject({ table: 'nat', chain: 'DOCKER' });
  });
});

describe('the xtables lock: waiting with -w is not failing', () => {
  it('"; still ... time ahead" and "; waiting (1s) for it to exit" do not count (kubernetes#85771)', () => {
    const r = scanLogText(
      [
        'Nov 19 07:01:05 k8s-node-3 kube-proxy[1201]: Another app is currently holding the xtables lock; still 4s 910000us time ahead to have a chance to grab the lock...',
        'Nov 19 07:01:05 k8s-node-3 kube-proxy[1201]: Another app is currently holding the xtables lock; still 4s 810000us time ahead to have a chance to grab the lock...',
        'Nov 19 07:01:06 k8s-node-3 firewalld[5324]: Another app is currently holding the xtables lock; waiting (1s) for it to exit...',
      ].join('\n'),
      'var/log/messages',
    );
    expect(r.counts['log.xtables-lock']).toBeUndefined();
  });

  it('giving up without -w, or after the -w time, is the warning, each line once', () => {
    const r = scanLogText(
      [
        'Dec 28 21:08:53 gke-node configure-helper.sh[994]: Another app is currently holding the xtables lock. Perhaps you want to use the -w option?',
        'Dec 28 21:09:03 gke-node kube-proxy[1201]: Another app is currently holding the xtables lock. Stopped waiting after 5s.',
      ].join('\n'),
      'var/log/messages',
    );
    expect(ids(r)).toEqual(['1:log.xtables-lock', '2:log.xtables-lock']);
    expect(r.counts['log.xtables-lock']).toBe(2);
    expect(r.matches[1].facts.waited).toBe('5s');
  });
});

describe("kube-proxy's cleanup of the chains of other proxy modes", () => {
  const cleanup = [
    'E0525 03:56:52.107691       1 cleanup.go:89] "Failed to execute iptables-restore" err=<',
    '        exit status 4: ip6tables-restore v1.8.9 (nf_tables):',
    '        line 10: CHAIN_DEL failed (Device or resource busy): chain KUBE-MARK-MASQ',
    ' > table="nat"',
    'I0525 03:56:52.754214       1 server_linux.go:254] "Using nftables Proxier"',
  ].join('\n');

  it('CHAIN_DEL busy during cleanup.go is info, naming the chain and line 10; no back-end mismatch', () => {
    const r = scanLogText(cleanup, 'cluster-resources/pods/logs/kube-system/kube-proxy-t978q/kube-proxy.log', { year: 2026, source: { namespace: 'kube-system', pod: 'kube-proxy-t978q', container: 'kube-proxy' } });
    expect(ids(r)).toEqual(['1:log.iptables-cleanup-harmless', '5:log.kube-proxy-mode']);
    expect(r.matches[0]).toMatchObject({ endLine: 4, facts: { chain: 'KUBE-MARK-MASQ', line: '10', tool: 'ip6tables-restore', backend: 'nf_tables' } });
    expect(r.counts['log.iptables-restore-failed']).toBeUndefined();
  });

  it('a failing sync restore (proxier.go) is still log.iptables-restore-failed, with its line', () => {
    const sync = [
      'E0525 03:56:52.107691       1 proxier.go:1565] "Failed to execute iptables-restore" err=<',
      '        exit status 4: ip6tables-restore v1.8.9 (nf_tables):',
      '        line 10: CHAIN_DEL failed (Device or resource busy): chain KUBE-SVC-ABCDEF',
      ' > ipFamily="IPv6"',
    ].join('\n');
    const r = scanLogText(sync, 'kube-proxy.log', { year: 2026 });
    expect(ids(r)).toEqual(['1:log.iptables-restore-failed']);
    expect(r.matches[0].facts).toMatchObject({ line: '10', exitStatus: '4' });
  });
});

describe('a chain missing for ip6tables', () => {
  it("dockerd's `iptables failed: ip6tables ...`: the ip6tables fact, so the advice can point at the IPv6 chains", () => {
    // the wording of dockerd (libnetwork) when its IPv6 NAT chain is gone (reviewer rv4's v6-flushed-log)
    const v6 =
      'Nov 20 10:02:11 dualhost-01 dockerd[1022]: time="2026-11-20T10:02:11.120000000Z" level=error msg="Handler for POST /v1.45/containers/web/start returned error: driver failed programming external connectivity on endpoint web (0f1e): (iptables failed: ip6tables --wait -t nat -A DOCKER -p tcp -d ::/0 --dport 8080 -j DNAT --to-destination [fd00:dead:beef::2]:80 ! -i docker0: ip6tables: No chain/target/match by that name.\n (exit status 1))"';
    const [m] = only(scanLogText(v6, 'var/log/messages'), 'log.iptables-no-chain');
    expect(m.facts).toMatchObject({ ip6tool: 'ip6tables', table: 'nat', chain: 'DOCKER' });
    const v4 = v6.replaceAll('ip6tables', 'iptables');
    expect(only(scanLogText(v4, 'var/log/messages'), 'log.iptables-no-chain')[0].facts.ip6tool).toBeUndefined();
    expect(signatureById('log.iptables-no-chain')?.commands).toEqual(['{ip6tool} -S; {ip6tool} -t nat -S   # the failing command was ip6tables: look at the IPv6 chains']);
  });
});
