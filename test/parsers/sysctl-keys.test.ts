/** sysctl keys of interfaces with a dot in their name: `sysctl -a` writes the dot as '/', /proc paths keep it; both name one key. */
import { describe, expect, it } from 'vitest';
import { normalizeSysctlKey, parseSysctlText } from '../../src/parsers/sysctl.js';

describe('normalizeSysctlKey', () => {
  it.each([
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward'],
    ['/proc/sys/net/ipv4/ip_forward', 'net.ipv4.ip_forward'],
    ['net/ipv4/ip_forward', 'net.ipv4.ip_forward'],
    // sysctl -a: the interface flannel.1 (and a VLAN eth0.100) with its dot written as '/'
    ['net.ipv4.conf.flannel/1.forwarding', 'net.ipv4.conf.flannel/1.forwarding'],
    ['net.ipv4.conf.eth0/100.rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    // the /proc path of the same key
    ['/proc/sys/net/ipv4/conf/flannel.1/forwarding', 'net.ipv4.conf.flannel/1.forwarding'],
    ['net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
  ])('%s -> %s', (raw, key) => {
    expect(normalizeSysctlKey(raw)).toBe(key);
  });

  it('pasted /proc/sys listings (for-loop `path : v`, `grep . path` -> `path:v`) give the key sysctl -a prints', () => {
    // sysctl -a on this machine, for a veth named veth0.10: net.ipv4.conf.veth0/10.forwarding = 0 (test/fixtures/proc-sys)
    const loop = parseSysctlText('/proc/sys/net/ipv4/conf/veth0.10/forwarding : 0\n/proc/sys/net/ipv4/conf/all/forwarding : 0\n', 'paste.txt');
    const grep = parseSysctlText('/proc/sys/net/ipv4/conf/flannel.1/rp_filter:2\n/proc/sys/net/ipv4/conf/all/rp_filter:0\n', 'paste.txt');
    expect([...loop.values.keys()]).toEqual(['net.ipv4.conf.veth0/10.forwarding', 'net.ipv4.conf.all.forwarding']);
    expect([...grep.values.keys()]).toEqual(['net.ipv4.conf.flannel/1.rp_filter', 'net.ipv4.conf.all.rp_filter']);
  });

  it('sysctl -a and troubleshoot /proc lines give the same key', () => {
    const a = parseSysctlText('net.ipv4.conf.flannel/1.forwarding = 1\n', 'sysctl-a');
    const b = parseSysctlText('/proc/sys/net/ipv4/conf/flannel.1/forwarding = 1\n', 'sysctl/node-1');
    expect([...a.values.keys()]).toEqual([...b.values.keys()]);
  });
});
