/** The kernel ring buffer (`dmesg`) of a sosreport is a log: nf_conntrack reports a full table only there and in the journal. */
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { makeTarGz, writeTmp } from '../helpers/archive.js';

describe("a sosreport's kernel ring buffer", () => {
  // what `dmesg` prints on a node whose conntrack table overflowed (seconds since boot, no wall time)
  const dmesg = (full: boolean) =>
    [
      '[    0.000000] Linux version 5.14.0-362.8.1.el9_3.x86_64 (mockbuild@x86-vm-07.build.eng.bos.redhat.com)',
      '[    2.114321] bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this.',
      '[   12.004512] IPVS: Registered protocols (TCP, UDP, SCTP, AH, ESP)',
      ...(full ? ['[86231.117020] nf_conntrack: nf_conntrack: table full, dropping packet', '[86231.121993] nf_conntrack: nf_conntrack: table full, dropping packet'] : []),
      '[86302.665100] IPv6: ADDRCONF(NETDEV_CHANGE): cali3f0b5e2c9a1: link becomes ready',
      '',
    ].join('\n');

  it('sos_commands/kernel/dmesg is scanned: a full conntrack table is found at its lines', async () => {
    const report = await analyzeBundle(writeTmp('sos.tgz', await makeTarGz([
      { name: 'sosreport-n1/sos_commands/kernel/dmesg', content: dmesg(true) },
      { name: 'sosreport-n1/hostname', content: 'n1\n' },
    ])));
    const f = report.findings.find((x) => x.id === 'log.conntrack-table-full');
    expect(f?.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['sosreport-n1/sos_commands/kernel/dmesg:4', 'sosreport-n1/sos_commands/kernel/dmesg:5']);
  });

  it('a healthy ring buffer finds nothing', async () => {
    const report = await analyzeBundle(writeTmp('sos.tgz', await makeTarGz([
      { name: 'sosreport-n1/sos_commands/kernel/dmesg', content: dmesg(false) },
      { name: 'sosreport-n1/hostname', content: 'n1\n' },
    ])));
    expect(report.coverage.nodes[0].logs.map((l) => l.file)).toEqual(['sosreport-n1/sos_commands/kernel/dmesg']);
    expect(report.findings).toEqual([]);
  });

  it('dmesg -T (sos_commands/kernel/dmesg_-T) has wall times: the evidence carries them and the finding is on the timeline', async () => {
    const boot = Date.UTC(2026, 10, 19, 10, 0, 0);
    const wall = (line: string) => {
      const m = /^\[ *(\d+)\.\d+\] (.*)$/.exec(line);
      if (!m) return line;
      const d = new Date(boot + +m[1] * 1000);
      const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      const hms = d.toISOString().slice(11, 19);
      return `[${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} ${d.getUTCFullYear()}] ${m[2]}`;
    };
    const text = dmesg(true).split('\n').map(wall).join('\n');
    expect(text).toContain('[Fri Nov 20 09:57:11 2026] nf_conntrack: nf_conntrack: table full, dropping packet');
    const report = await analyzeBundle(writeTmp('sos.tgz', await makeTarGz([
      { name: 'sosreport-n1/sos_commands/kernel/dmesg_-T', content: text },
      { name: 'sosreport-n1/hostname', content: 'n1\n' },
    ])));
    const f = report.findings.find((x) => x.id === 'log.conntrack-table-full')!;
    expect(f.evidence.map((e) => `${e.file}:${e.line} ${e.time}`)).toEqual([
      'sosreport-n1/sos_commands/kernel/dmesg_-T:4 2026-11-20T09:57:11.000Z',
      'sosreport-n1/sos_commands/kernel/dmesg_-T:5 2026-11-20T09:57:11.000Z',
    ]);
    expect(report.timeline?.some((e) => e.finding === 'log.conntrack-table-full')).toBe(true);
  });
});
