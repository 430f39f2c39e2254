/**
 * Every parser, fed arbitrary text (fast-check): it returns data or throws ParseError/SkipFile,
 * nothing else, and never hangs (each run is bounded by the test's timeout and inputs are capped).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { allFormats } from '../../src/parsers/registry.js';
import { scanLogText } from '../../src/logs/index.js';
import { Redactor } from '../../src/report/redact.js';

/** Text that looks like the formats: their keywords mixed with noise, so parsers get past their first checks. */
const KEYWORDS = [
  '*filter\n', '*nat\n', ':INPUT ACCEPT [0:0]\n', '-A INPUT ', '-m ', 'conntrack ', '--ctstate ', 'NEW', ' -j ', 'DROP', 'COMMIT\n', '"', "'", '\\', '!', ' -p tcp ', '--dport ', '80', '\n',
  'Chain FORWARD (policy DROP 0 packets, 0 bytes)\n', ' pkts bytes target     prot opt in     out     source               destination\n', '0     0 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0   ', 'ctstate RELATED', '/* c */', 'tcp dpt:', 'MARK or 0x', '[goto]',
  '1: lo: <LOOPBACK,UP> mtu 65536 state UNKNOWN\n', '    inet 10.0.0.1/24 scope global eth0\n', 'inet6 ::1/128', '2: eth0    inet 10.1.2.3/16 brd 10.1.255.255 scope global eth0\\ ', 'flags=4099<UP>  mtu 1500\n', 'netmask 255.255.0.0',
  'FLANNEL_NETWORK=10.244.0.0/16\n', 'FLANNEL_SUBNET=', '{', '}', '[', ']', '"IPAM": {"Config": [{"Subnet": "', '"Name": "x", ', '"Network": "10.1.0.0/16", "Backend": {"Type": "vxlan"}',
  'net.ipv4.ip_forward = ', '/proc/sys/net/ipv4/ip_forward = 1\n', 'UNIT FILE   STATE\n', 'docker.service enabled\n', 'LISTEN 0 128 0.0.0.0:5432 0.0.0.0:*\n', 'default via 10.0.0.1 dev eth0\n', 'iptables v1.8.7 (nf_tables)\n',
];
const textish = fc.array(fc.oneof(fc.constantFrom(...KEYWORDS), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 })), { maxLength: 60 }).map((a) => a.join(''));

describe('parsers never throw anything but ParseError / SkipFile', () => {
  for (const format of allFormats()) {
    it(`${format.id}`, () => {
      fc.assert(
        fc.property(textish, (text) => {
          try {
            const out = format.parse(text, 'fuzz', { relPath: 'proc/sys/net/ipv4/ip_forward', hint: { table: 'nat' } });
            expect(out).toBeDefined();
          } catch (err) {
            if (!(err instanceof ParseError) && !(err instanceof SkipFile)) throw err;
          }
          if (format.sniff) expect(typeof format.sniff(text.slice(0, 4096))).toBe('boolean');
        }),
        { numRuns: 300 },
      );
    });
  }

  it('the log scanner reads anything: counts every line, never throws', () => {
    fc.assert(
      fc.property(textish, (text) => {
        const r = scanLogText(text, 'fuzz.log');
        expect(r.lines).toBe(text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
      }),
      { numRuns: 300 },
    );
  });

  it('redaction never throws and is idempotent on its own output', () => {
    fc.assert(
      fc.property(textish, (text) => {
        const r = new Redactor({ ips: true, hostnames: true });
        const once = r.text(text);
        expect(r.text(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
