/**
 * "No chain/target/match by that name" after a delete, flush or check is the cleanup firewalld and
 * Docker do at every start (info); the same words after flannel's or kube-proxy's check of a rule it
 * keeps (its ensure loop runs `iptables -C`) mean that rule or its chain is gone (warning), and
 * support the diagnoses of flushed rules. Lines: the k3s-flushed bundle of reviewer report rvC
 * (flannel in k3s 1.28, klog), flanneld 0.2x (flannel-io/flannel pkg/trafficmngr/iptables:
 * "Failed to ensure iptables rules: error checking rule existence: failed to check rule existence:
 * running [...]"), kube-proxy's EnsureRule (kubernetes pkg/util/iptables: "error checking rule: %v: %s",
 * logged as "Failed to ensure chain jumps").
 */
import { describe, expect, it } from 'vitest';
import { scanLogText, type LogScanResult } from '../../src/logs/scanner.js';
import { signatureById } from '../../src/logs/signatures.js';
import { CORRELATION_RULES } from '../../src/engine/correlate.js';

const ids = (r: LogScanResult) => r.matches.map((m) => `${m.line}:${m.signature}`);

const K3S_FLANNEL_CHECK =
  'Dec 01 10:02:44 k3s-node1 k3s[812]: E1201 10:02:44.118201     812 iptables.go:320] Failed to ensure iptables rules: error checking rule existence: failed to check rule existence: running [/usr/sbin/iptables -t nat -C FLANNEL-POSTRTG -m comment --comment flanneld masq -j RETURN --wait]: exit status 1: iptables: No chain/target/match by that name.';
const FLANNELD_CHECK =
  'Mar 21 20:30:17 node1 flanneld[2112]: E0321 20:30:17.950715    2112 iptables.go:304] Failed to ensure iptables rules: error checking rule existence: failed to check rule existence: running [/usr/sbin/iptables -t nat -C POSTROUTING -m comment --comment flanneld masq -j FLANNEL-POSTRTG --wait]: exit status 2: iptables v1.8.4 (legacy): Couldn\'t load target `FLANNEL-POSTRTG\':No such file or directory';
const KUBE_PROXY_ENSURE =
  'E1201 10:02:45.221904       1 proxier.go:1497] "Failed to ensure chain jumps" err="error checking rule: exit status 2: iptables v1.8.9 (nf_tables): Couldn\'t load target `KUBE-SERVICES\':No such file or directory\\n\\nTry `iptables -h\' or \'iptables --help\' for more information.\\n" table="nat" srcChain="PREROUTING" dstChain="KUBE-SERVICES"';
const KUBE_PROXY_APPEND =
  'E1201 10:02:45.221904       1 proxier.go:1497] "Failed to ensure chain jumps" err="error appending rule: exit status 1: iptables: No chain/target/match by that name.\\n" table="filter" srcChain="FORWARD" dstChain="KUBE-FORWARD"';

describe("a component's failing check of its own rules is not a cleanup", () => {
  it("k3s's flannel checking FLANNEL-POSTRTG (-C, No chain): log.iptables-no-chain and log.flannel-iptables-failed, not harmless", () => {
    const r = scanLogText(K3S_FLANNEL_CHECK, 'k3s-node1/journalctl-u-k3s.log', { year: 2026 });
    expect(ids(r).sort()).toEqual(['1:log.flannel-iptables-failed', '1:log.iptables-no-chain']);
    expect(r.matches.find((m) => m.signature === 'log.iptables-no-chain')?.facts).toMatchObject({ table: 'nat', chain: 'FLANNEL-POSTRTG' });
    expect(r.counts['log.iptables-cleanup-harmless']).toBeUndefined();
  });

  it("flanneld checking its jump to FLANNEL-POSTRTG (Couldn't load target): log.iptables-couldnt-load-match, not harmless", () => {
    const r = scanLogText(FLANNELD_CHECK, 'var/log/messages', { year: 2026 });
    expect(ids(r).sort()).toEqual(['1:log.flannel-iptables-failed', '1:log.iptables-couldnt-load-match']);
    expect(r.counts['log.iptables-cleanup-harmless']).toBeUndefined();
  });

  it("kube-proxy's EnsureRule failing to check (-C) or add (-I) its jump: warnings, not harmless", () => {
    const r = scanLogText([KUBE_PROXY_ENSURE, KUBE_PROXY_APPEND].join('\n'), 'cluster-resources/pods/logs/kube-system/kube-proxy-x2k9p/kube-proxy.log', {
      year: 2026,
      source: { namespace: 'kube-system', pod: 'kube-proxy-x2k9p', container: 'kube-proxy' },
    });
    expect(ids(r)).toEqual(['1:log.iptables-couldnt-load-match', '2:log.iptables-no-chain']);
    expect(r.counts['log.iptables-cleanup-harmless']).toBeUndefined();
  });

  it('their log findings fold into the diagnoses of the missing rules', () => {
    const roots = (id: string) => CORRELATION_RULES.filter((c) => c.absorbs.includes(id)).map((c) => c.root);
    expect(roots('log.iptables-no-chain')).toEqual(expect.arrayContaining(['iptables.kube-chains-missing', 'flannel.masquerade-missing', 'iptables.docker-chain-missing']));
    expect(roots('log.flannel-iptables-failed')).toEqual(expect.arrayContaining(['flannel.masquerade-missing', 'iptables.kube-chains-missing']));
    expect(signatureById('log.iptables-cleanup-harmless')?.severity).toBe('info');
  });
});

describe('real cleanups stay info', () => {
  it('firewalld deleting, removing and listing Docker chains not there yet at start (-D, -X, -nL)', () => {
    const r = scanLogText(
      [
        "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j DOCKER' failed: iptables: No chain/target/match by that name.",
        "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t filter -X DOCKER' failed: iptables: No chain/target/match by that name.",
        "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t filter -F DOCKER-ISOLATION' failed: iptables: No chain/target/match by that name.",
        "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t nat -nL DOCKER' failed: iptables: No chain/target/match by that name.",
      ].join('\n'),
      'var/log/messages',
      { year: 2026 },
    );
    expect(ids(r)).toEqual(['1:log.iptables-cleanup-harmless', '2:log.iptables-cleanup-harmless', '3:log.iptables-cleanup-harmless', '4:log.iptables-cleanup-harmless']);
  });

  it("a check (-C) that no component's ensure loop reports stays the cleanup it was", () => {
    const r = scanLogText(
      "Nov 19 07:00:12 k8s-node-3 firewalld[5324]: WARNING: COMMAND_FAILED: '/usr/sbin/iptables -w10 -t filter -C FORWARD -j DOCKER-ISOLATION' failed: iptables: No chain/target/match by that name.",
      'var/log/messages',
      { year: 2026 },
    );
    expect(ids(r)).toEqual(['1:log.iptables-cleanup-harmless']);
  });
});
