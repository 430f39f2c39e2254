/**
 * ipvsadm listings, verbatim from public threads (test/fixtures/ipvs/README.md; ipvsadm could not run
 * where these tests were written: no ip_vs module):
 * - opsnull-251-ipvsadm-L-n.txt: `ipvsadm -L -n` of a kube-proxy IPVS node
 *   (https://github.com/opsnull/follow-me-install-kubernetes-cluster/issues/251), `persistent 10800`;
 * - kubernetes-95149-ipvsadm-Ln-empty.txt: `ipvsadm -Ln` with services and no real servers, shortened
 *   with `...` (https://github.com/kubernetes/kubernetes/issues/95149);
 * - kube-router-160-ipvsadm-ln-stats.txt: `ipvsadm -ln --stats` (https://github.com/cloudnativelabs/kube-router/pull/160);
 * - community-692-persistent-conn.txt: `ipvsadm -L -n --persistent-conn` (https://github.com/kubernetes/community/pull/692);
 * - kube-router-415-ipvsadm-names.txt: `ipvsadm -L` without -n, ports as names, no header
 *   (https://github.com/cloudnativelabs/kube-router/issues/415);
 * - keepalived-1138-ipvsadm-L-c-n.txt: `ipvsadm -L -c -n`, connection entries (https://github.com/acassen/keepalived/issues/1138).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { endpointText, parseEndpoint, parseIpvsadm, sniffIpvsadm } from '../../src/parsers/ipvsadm.js';
import { projectPath } from '../helpers/shared.js';

const fx = (name: string) => readFileSync(projectPath('test/fixtures/ipvs', name), 'utf8');

describe('ipvsadm -Ln', () => {
  it('reads services with scheduler and persistence, and their real servers with forward method, weight and connections', () => {
    const l = parseIpvsadm(fx('opsnull-251-ipvsadm-L-n.txt'), 'sos_commands/ipvs/ipvsadm_-Ln');
    expect(l.format).toBe('list');
    expect(l.version).toBe('1.2.1');
    expect(l.warnings).toEqual([]);
    expect(l.services).toHaveLength(7);
    const api = l.services.find((s) => s.host === '10.254.0.1')!;
    expect(api).toMatchObject({ protocol: 'TCP', port: 443, scheduler: 'rr', persistent: 10800, flags: [], ref: { file: 'sos_commands/ipvs/ipvsadm_-Ln', line: 13 } });
    expect(api.realServers).toHaveLength(2);
    expect(api.realServers[0]).toMatchObject({ host: '172.16.16.81', port: 6443, forward: 'Masq', weight: 1, activeConns: 0, inactiveConns: 0, ref: { line: 14 } });
    expect(l.services[0].realServers.map((r) => endpointText(r))).toEqual(['10.253.7.7:80', '10.253.35.7:80', '10.253.56.7:80', '10.253.102.4:80']);
    expect(l.services.at(-1)!.realServers).toHaveLength(3);
    expect(l.elided).toBe(false);
  });

  it('keeps services without real servers, and marks the listing shortened by hand (`...`)', () => {
    const l = parseIpvsadm(fx('kubernetes-95149-ipvsadm-Ln-empty.txt'), 'ipvsadm.txt');
    expect(l.elided).toBe(true);
    expect(l.services).toHaveLength(16);
    expect(l.services.filter((s) => s.realServers.length === 0)).toHaveLength(15);
    const kubernetes = l.services.find((s) => endpointText(s) === '10.96.0.1:443')!;
    expect(kubernetes.realServers[0]).toMatchObject({ host: '192.168.51.11', port: 6443, activeConns: 7 });
    // the service listed just before `...` may have had real servers cut away
    expect(l.services.find((s) => s.ref.line === 19)).toMatchObject({ port: 6125, cutAfter: true });
    expect(l.services.at(-1)).toMatchObject({ protocol: 'UDP', host: '10.96.0.10', port: 53, ref: { line: 21 } });
    expect(l.services.at(-1)!.cutAfter).toBeUndefined();
  });

  it('--stats: the Prot line names the columns of both services and real servers (K/M scaled)', () => {
    const l = parseIpvsadm(fx('kube-router-160-ipvsadm-ln-stats.txt'), 'sos_commands/ipvs/ipvsadm_-Ln_--stats');
    expect(l.format).toBe('stats');
    expect(l.services).toHaveLength(3);
    expect(l.services[2]).toMatchObject({ host: '10.3.0.42', port: 80, columns: { Conns: 14209, InPkts: 111769, OutPkts: 74613, InBytes: 7207174, OutBytes: 8334358 } });
    expect(l.services[2].scheduler).toBeUndefined();
    expect(l.services[2].realServers).toHaveLength(8);
    expect(l.services[2].realServers[3]).toMatchObject({ host: '10.2.1.25', port: 80, columns: { Conns: 3, InPkts: 18, OutPkts: 12, InBytes: 1161, OutBytes: 1341 } });
    expect(l.services[2].realServers[3].forward).toBeUndefined();
  });

  it('--persistent-conn: weight and connection columns without a forward method', () => {
    const l = parseIpvsadm(fx('community-692-persistent-conn.txt'), 'ipvsadm_-Ln_--persistent-conn');
    expect(l.format).toBe('persistent-conn');
    expect(l.services[0]).toMatchObject({ host: '10.11.12.13', port: 6379, scheduler: 'wlc', persistent: 60 });
    expect(l.services[0].realServers[0]).toMatchObject({ host: '10.192.0.1', port: 32768, weight: 1, activeConns: 1, inactiveConns: 0, columns: { PersistConn: 1 } });
    expect(l.services[0].realServers[0].forward).toBeUndefined();
  });

  it('without -n: ports printed as service names, no header lines', () => {
    const l = parseIpvsadm(fx('kube-router-415-ipvsadm-names.txt'), 'ipvsadm.txt');
    expect(l.services).toHaveLength(4);
    expect(l.services[1]).toMatchObject({ host: '100.64.134.163', portName: 'postgresql', scheduler: 'rr' });
    expect(l.services[1].port).toBeUndefined();
    expect(l.services[1].realServers[0]).toMatchObject({ host: '100.98.126.28', portName: 'postgresql', forward: 'Masq' });
    expect(l.services[0].realServers[0]).toMatchObject({ port: 3000 });
  });

  it('endpoints: IPv6 in brackets; not an endpoint', () => {
    expect(parseEndpoint('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443 });
    expect(endpointText({ host: '2001:db8::1', port: 443 })).toBe('[2001:db8::1]:443');
    expect(parseEndpoint('10.0.0.1')).toBeUndefined();
  });

  it('is no ipvsadm output: other files are skipped, and sniffed apart', () => {
    expect(() => parseIpvsadm(readFileSync(projectPath('test/fixtures/ipvs/iptables-save.masq-all.txt'), 'utf8'), 'x')).toThrow(SkipFile);
    // `ipvsadm -L -c -n` (sos' ipvsadm_-Ln_--connection): `TCP 133:35 ...` is a connection, not a service
    expect(() => parseIpvsadm(fx('keepalived-1138-ipvsadm-L-c-n.txt'), 'x')).toThrow(SkipFile);
    expect(sniffIpvsadm(fx('opsnull-251-ipvsadm-L-n.txt'))).toBe(true);
    expect(sniffIpvsadm(fx('kube-router-160-ipvsadm-ln-stats.txt'))).toBe(true);
    expect(sniffIpvsadm(fx('iptables-save.masq-all.txt'))).toBe(false);
    expect(sniffIpvsadm(fx('ipset_list.txt'))).toBe(false);
  });
});
