/**
 * /proc/sys values pasted by hand, read by parseSysctlText and recognised by sniffProcSysListing:
 * - coreos/bugs#1205 (https://github.com/coreos/bugs/issues/1205), the description's paste verbatim
 *   (test/fixtures/proc-sys/coreos-1205-sysctl-forwarding.txt): `cat /proc/sys/net/ipv4/ip_forward` after a
 *   `core@… ~ $` prompt, the `for f in …/forwarding; do echo -n $f ": "; cat $f; done` loop, then `docker run` output;
 * - real output of the same commands in a network namespace on this machine (Debian 12, kernel's /proc/sys), with
 *   interfaces docker0, veth0/veth1 and a veth named veth0.10 (a dot in the name, as a VLAN's), forwarding 1 and 0
 *   (forwarding-on.txt, forwarding-off.txt), `grep . /proc/sys/net/ipv4/conf/*\/rp_filter` (grep-rp-filter.txt),
 *   `head /proc/sys/net/bridge/bridge-nf-call-*` (head-bridge-nf*.txt) and `sysctl -a | grep forwarding`
 *   (sysctl-a-forwarding-off.txt: the key sysctl itself prints for veth0.10 is net.ipv4.conf.veth0/10.forwarding).
 *   The prompt lines were written by the script that ran the commands; every other line is the commands' output;
 * - a public Spanish netfilter/conntrack guide's console block, verbatim (guide-sysctl-conntrack-then-cat.txt; the search
 *   tool's stored file 63353953310): `$ sysctl net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_count`, then a
 *   `cat` of nf_conntrack's hashsize (R11's probe p17).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { parseSysctlText, sniffProcSysListing, sniffSysctlText } from '../../src/parsers/sysctl.js';
import { projectPath } from '../helpers/shared.js';

const DIR = 'test/fixtures/proc-sys';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const read = (f: string) => parseSysctlText(fx(f), `${DIR}/${f}`);

describe('pasted /proc/sys listings', () => {
  it('coreos#1205: the cat after the prompt and the for-loop lines, each with its line', () => {
    const s = read('coreos-1205-sysctl-forwarding.txt');
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '1', ref: { line: 2 }, excerpt: 'core@coreos_production_qemu-1000-0-0- ~ $ cat /proc/sys/net/ipv4/ip_forward → 1' });
    expect(s.values.get('net.ipv4.conf.all.forwarding')).toMatchObject({ value: '1', ref: { line: 4 }, excerpt: '/proc/sys/net/ipv4/conf/all/forwarding : 1' });
    expect(s.values.get('net.ipv4.conf.docker0.forwarding')).toMatchObject({ value: '1', ref: { line: 6 } });
    expect(s.values.get('net.ipv4.conf.lo.forwarding')).toMatchObject({ value: '1', ref: { line: 8 } });
    expect([...s.values.keys()].filter((k) => k.startsWith('net.'))).toHaveLength(6);
  });

  it('an interface with a dot in its name gets the key sysctl -a prints for it (veth0/10), from both listings', () => {
    const listing = read('forwarding-off.txt');
    const dump = read('sysctl-a-forwarding-off.txt');
    expect(listing.values.get('net.ipv4.conf.veth0/10.forwarding')).toMatchObject({ value: '0', ref: { line: 9 } });
    expect(dump.values.get('net.ipv4.conf.veth0/10.forwarding')?.value).toBe('0');
    // the same keys and values as sysctl -a
    const pick = (m: Map<string, { value: string }>) => [...m.entries()].map(([k, v]) => `${k}=${v.value}`).sort();
    expect(pick(listing.values)).toEqual(pick(dump.values));
  });

  it('grep . /proc/sys/... (path:value) and head of several files (==> path <== then the value)', () => {
    const rp = read('grep-rp-filter.txt');
    expect(rp.values.get('net.ipv4.conf.all.rp_filter')).toMatchObject({ value: '1', ref: { line: 2 }, excerpt: '/proc/sys/net/ipv4/conf/all/rp_filter:1' });
    expect(rp.values.get('net.ipv4.conf.veth0.rp_filter')).toMatchObject({ value: '1', ref: { line: 8 } });
    expect(rp.values.get('net.ipv4.conf.peer/10.rp_filter')?.value).toBe('0');
    const br = read('head-bridge-nf-off.txt');
    expect(br.values.get('net.bridge.bridge-nf-call-iptables')).toMatchObject({ value: '0', ref: { line: 9 }, excerpt: '==> /proc/sys/net/bridge/bridge-nf-call-iptables <== → 0' });
    expect(br.values.get('net.bridge.bridge-nf-call-ip6tables')).toMatchObject({ value: '1', ref: { line: 6 } });
  });

  it('other prompts and `sysctl -n`; errors are not values', () => {
    const s = parseSysctlText('# cat /proc/sys/net/ipv4/ip_forward\n0\n$ sudo cat /proc/sys/net/bridge/bridge-nf-call-iptables\n1\n[root@n1 ~]# sysctl -n net.ipv4.conf.all.rp_filter\n2\n', 'paste.txt');
    expect(s.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '0', ref: { line: 2 } });
    expect(s.values.get('net.bridge.bridge-nf-call-iptables')).toMatchObject({ value: '1', ref: { line: 4 } });
    expect(s.values.get('net.ipv4.conf.all.rp_filter')).toMatchObject({ value: '2', ref: { line: 6 } });
    const err = parseSysctlText('# cat /proc/sys/net/bridge/bridge-nf-call-iptables\ncat: /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n# cat /proc/sys/net/ipv4/ip_forward\n1\n', 'paste.txt');
    expect(err.values.has('net.bridge.bridge-nf-call-iptables')).toBe(false);
    expect(err.values.get('net.ipv4.ip_forward')?.value).toBe('1');
    // a prompt right after a cat is the next command, not the value
    const next = parseSysctlText('$ cat /proc/sys/net/ipv4/ip_forward\nroot@h:~# for f in /proc/sys/net/ipv4/conf/*/forwarding; do echo $f; done\n/proc/sys/net/ipv4/conf/all/forwarding : 1\n', 'paste.txt');
    expect(next.values.has('net.ipv4.ip_forward')).toBe(false);
    expect(next.values.get('net.ipv4.conf.all.forwarding')?.ref.line).toBe(3);
    // a comment line before a sysctl value is not a prompt whose value follows
    const conf = parseSysctlText('# cat /proc/sys/net/ipv4/ip_forward\nnet.ipv4.ip_forward = 1\n', 'x');
    expect(conf.values.get('net.ipv4.ip_forward')).toMatchObject({ value: '1', excerpt: 'net.ipv4.ip_forward = 1' });
    expect(() => parseSysctlText('cat: /proc/sys/net/ipv4/ip_forward: No such file or directory\n', 'x')).toThrow(SkipFile);
  });
});

describe('sniffProcSysListing', () => {
  it("a `$ sysctl key key` paste that goes on with another command (a public conntrack guide's console block, R11 p17)", () => {
    const text = fx('guide-sysctl-conntrack-then-cat.txt');
    expect(sniffSysctlText(text)).toBe(false);
    expect(sniffProcSysListing(text)).toBe(true);
    const values = [...read('guide-sysctl-conntrack-then-cat.txt').values.values()];
    expect(values.map((v) => [v.key, v.value, v.ref.line])).toEqual([
      ['net.netfilter.nf_conntrack_max', '262144', 2],
      ['net.netfilter.nf_conntrack_count', '194883', 3],
    ]);
  });

  it('recognises every listing here, the coreos#1205 terminal paste among docker pull output included', () => {
    for (const f of ['coreos-1205-sysctl-forwarding.txt', 'forwarding-on.txt', 'forwarding-off.txt', 'grep-rp-filter.txt', 'head-bridge-nf.txt', 'head-bridge-nf-off.txt']) {
      expect(sniffProcSysListing(fx(f)), f).toBe(true);
      // the sysctl -a sniffer did not (why the case's file went unread)
      expect(sniffSysctlText(fx(f)), f).toBe(false);
    }
    expect(sniffProcSysListing('# cat /proc/sys/net/ipv4/ip_forward\n0\n')).toBe(true);
  });

  it('is not fooled by logs and error lines naming /proc/sys paths, nor by one value among other text', () => {
    expect(sniffProcSysListing('Dec 01 10:00:00 n1 kubelet[1]: open /proc/sys/net/ipv4/ip_forward: no such file or directory\nDec 01 10:00:01 n1 kubelet[1]: /proc/sys/net/bridge/bridge-nf-call-iptables not found\n')).toBe(false);
    expect(sniffProcSysListing('cat: /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\ncat: /proc/sys/net/bridge/bridge-nf-call-ip6tables: No such file or directory\n')).toBe(false);
    expect(sniffProcSysListing('the customer says\n/proc/sys/net/ipv4/ip_forward : 1\nand more\n')).toBe(false);
    expect(sniffProcSysListing('net.ipv4.ip_forward = 1\nnet.ipv4.conf.all.forwarding = 1\n')).toBe(false);
    expect(sniffProcSysListing('Chain INPUT (policy ACCEPT)\n')).toBe(false);
  });
});
