/**
 * --redact ips against what a fuzzing review found: addresses glued to a label (`src:2001:db8::1`),
 * followed by a port or punctuation, with an IPv4 address in them (dotted or in hex), cut by an
 * excerpt's ellipsis; and a property test over random text seeded with addresses in all their
 * spellings and cut positions: no two original octets/hextets of the secret part survive,
 * redacting twice changes nothing, one address is one token whatever its spelling. Deterministic
 * (a seeded PRNG), and linear on near-matches.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/report/redact.js';

const red = () => new Redactor({ ips: true, hostnames: false });

describe('IPv6 where the old pattern would not look (review 9, 1)', () => {
  it('after a label, a dash, a JSON escape; before a port, a colon or `.word`', () => {
    const r = red();
    expect(r.text('inet6:fd00:dead:beef::1')).toBe('inet6:ipv6-1::1');
    expect(r.text('src:2001:db8:abcd::1')).toBe('src:ipv6-2::1');
    expect(r.text('x 2001:db8:abcd::1-2001:db8:abcd::9 range')).toBe('x ipv6-2::1-ipv6-2::9 range');
    expect(r.text('address 2001:db8:abcd::5: no route to host')).toBe('address ipv6-2::5: no route to host');
    // a full address and its port, no brackets: the longest address, the rest is the port
    expect(r.text('dial 2001:db8:abcd:1:2:3:4:5:8080 failed')).toBe('dial ipv6-2:1:2:3:4:5:8080 failed');
    expect(r.text('x 2001:db8:abcd::1.foo')).toBe('x ipv6-2::1.foo');
    expect(r.text('"log":"peer\\t2001:db8:abcd::1 up"')).toBe('"log":"peer\\tipv6-2::1 up"');
    // after an ellipsis it may be the tail of a longer address: cut
    expect(r.text('cut ...2001:db8:abcd::1 here')).toBe('cut ...ipv6-cut here');
  });

  it('still keeps times, MAC and InfiniBand addresses, the port of an IPv4 address, its own tokens', () => {
    const r = red();
    for (const keep of [
      'at 12:30:45 and 10:14:02.884310',
      'lladdr 02:42:ac:11:00:02 ok',
      'link/infiniband 80:00:02:08:fe:80:00:00:00:00:00:00:7c:fe:90:03:00:b8:a2:e1 brd',
      'src:ipv6-1::1 and inet6:ipv6-2:12::1/64 ipv6-1::a1.x1.113.9 ::ffff:10.x2.1.5 64:ff9b::a1.x1.113.9 ipv4-cut… …ipv6-cut',
    ])
      expect(r.text(keep), keep).toBe(keep);
    expect(r.text('dial 203.0.113.9:8080')).toBe('dial a1.x1.113.9:8080');
  });
});

describe('IPv6 with an IPv4 address in it (review 9, 2 and 3)', () => {
  it('a dotted IPv4 tail: the prefix is a token too', () => {
    const r = red();
    expect(r.text('embedded 2001:db8:abcd::203.0.113.9')).toBe('embedded ipv6-1::a1.x1.113.9');
    expect(r.text('embedded 2001:db8:abcd:1:2:3:203.0.113.9')).toBe('embedded ipv6-1:1:2:3:a1.x1.113.9');
  });

  it('IPv4-mapped and NAT64 in hex are that IPv4 address, with its token, whatever the spelling', () => {
    const r = red();
    expect(r.text('mapped ::ffff:cb00:7109 vs ::ffff:203.0.113.9 vs 0:0:0:0:0:FFFF:CB00:7109')).toBe('mapped ::ffff:a1.x1.113.9 vs ::ffff:a1.x1.113.9 vs ::ffff:a1.x1.113.9');
    expect(r.text('nat64 64:ff9b::cb00:7109 and 64:ff9b::203.0.113.9')).toBe('nat64 64:ff9b::a1.x1.113.9 and 64:ff9b::a1.x1.113.9');
    expect(r.text('from 203.0.113.9')).toBe('from a1.x1.113.9');
    expect(r.summary.ips).toBe(1);
    // the prefixes themselves say nothing about anyone
    expect(r.text('prefix 64:ff9b::/96 and ::ffff:0:0/96')).toBe('prefix 64:ff9b::/96 and ::ffff:0:0/96');
  });
});

describe('IPv4 where an excerpt was cut (review 9, 4)', () => {
  it('a whole address after `...`, a part of one touching an ellipsis', () => {
    const r = red();
    expect(r.text('cut ...203.0.113.9 here')).toBe('cut ...a1.x1.113.9 here');
    expect(r.text('cut ...10.244.1.5 here')).toBe('cut ...10.x2.1.5 here');
    expect(r.text('cut 203.0.113… here')).toBe('cut ipv4-cut… here');
    expect(r.text('cut …203.0.11 here')).toBe('cut …ipv4-cut here');
    expect(r.text('cut 203.0.113.... here')).toBe('cut ipv4-cut.... here');
  });

  it('versions and times stay, next to an ellipsis too', () => {
    const r = red();
    for (const keep of ['iptables v1.8.9 and 1.8.9 here', 'iptables v1.8…', 'Dec 02 00:26:10.41…', '…v20.10.24', 'x 1.203.0.113.9']) expect(r.text(keep), keep).toBe(keep);
  });
});

describe('an address at the end of the string (review 9, 5)', () => {
  it('is one token, not a token and a cut', () => {
    const r = red();
    expect(r.text('fe80::42:acff:fe11:2')).toBe('ipv6-1::42:acff:fe11:2');
    expect(r.text('addr fe80::42:acff:fe11:2')).toBe('addr ipv6-1::42:acff:fe11:2');
    expect(r.text('addr fe80::42:acff:fe11:2 up')).toBe('addr ipv6-1::42:acff:fe11:2 up');
    expect(r.text('64:ff9b::cb00:7109')).toBe('64:ff9b::a1.x1.113.9');
  });
});

/** mulberry32: a small seeded PRNG */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const KEPT_FIRST = new Set([0, 10, 100, 127, 169, 172, 192, 224, 255]);
const hex = (n: number) => n.toString(16);

describe('property: random text seeded with addresses', () => {
  it('leaves no two original octets or hextets of the secret part, is idempotent, one token per address', () => {
    const rnd = prng(9);
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)];
    const r = red();
    const WORDS = ['peer', 'log', 'dial tcp', 'x', 'via', 'route', 'err="', 'msg:'];
    const PRE = [' ', '...', '…', '-', ':', '\\t', 'src:', 'inet6:', '[', '(', '"', '=', ' peer '];
    const SUF = [' ', ':', ': err', '.', '.foo', ',', '…', '...', '', ')', '"', ' up', '/64', '-'];
    const tokensOf = (s: string, re: RegExp) => new Set([...s.matchAll(re)].map((m) => m[0]));
    const v6Token = new Map<string, string>();
    const v4Token = new Map<string, string>();
    let cases = 0;
    for (let i = 0; i < 400; i++) {
      // the address: IPv6 (random prefix, maybe zeros to compress), IPv4 alone or inside an IPv6 one
      const g = Array.from({ length: 8 }, () => 0x1000 + rnd(0xf000));
      if (rnd(2)) g[3] = g[4] = g[5] = g[6] = 0;
      let a = 11 + rnd(212);
      while (KEPT_FIRST.has(a)) a++;
      const q = [a, rnd(256), rnd(256), rnd(256)];
      const dq = q.join('.');
      const qhex = `${hex((q[0] << 8) | q[1])}:${hex((q[2] << 8) | q[3])}`;
      const compressed = g[3] === 0 ? `${g.slice(0, 3).map(hex).join(':')}::${hex(g[7])}` : g.map(hex).join(':');
      const kind = pick(['v6', 'v6', 'v4', 'v6v4'] as const);
      const spellings: Record<typeof kind, string[]> = {
        v6: [g.map(hex).join(':'), g.map(hex).join(':').toUpperCase(), g.map((x) => x.toString(16).padStart(4, '0')).join(':'), compressed, `${compressed}%eth0`],
        v4: [dq, `::ffff:${dq}`, `::ffff:${qhex}`, `0:0:0:0:0:FFFF:${qhex.toUpperCase()}`, `64:ff9b::${qhex}`, `64:ff9b::${dq}`],
        v6v4: [`${g.slice(0, 3).map(hex).join(':')}::${dq}`, `${g.slice(0, 6).map(hex).join(':')}:${dq}`],
      };
      let addr = pick(spellings[kind]);
      const cut = rnd(10) < 3;
      if (cut) {
        const k = 2 + rnd(addr.length - 3);
        addr = rnd(2) ? `${addr.slice(0, k)}${pick(['…', '...'])}` : `${pick(['…', '...'])}${addr.slice(k)}`;
      } else if (kind === 'v6' && !addr.includes('%') && rnd(4) === 0) {
        addr = rnd(2) ? `[${addr}]:8080` : g.map(hex).join(':') + ':8080';
      }
      const pre = pick(PRE);
      const suf = pick(SUF);
      const input = `${pick(WORDS)}${pre}${addr}${suf} ${pick(WORDS)} done`;
      // next to an ellipsis an address may be a part of a longer one: `ipv6-cut` by design
      const touchesCut = cut || /…|\.\.\./.test(pre + suf);
      const out = r.text(input);
      const lower = out.toLowerCase();
      cases++;
      // the secret part: the first 48 bits of IPv6, the first two octets of IPv4 (in any spelling)
      if (kind !== 'v4') for (let j = 0; j < 3; j++) expect(lower, `${input} -> ${out}`).not.toContain(`${hex(g[j])}:${hex(g[j + 1])}`);
      if (kind !== 'v6') {
        expect(out, `${input} -> ${out}`).not.toMatch(new RegExp(`(?<![\\w.])${q[0]}\\.${q[1]}(?!\\d)`));
        expect(out, `${input} -> ${out}`).not.toMatch(new RegExp(`(?<![\\w.])${q[1]}\\.${q[2]}(?!\\d)`));
        expect(lower, `${input} -> ${out}`).not.toContain(qhex);
      }
      expect(r.text(out), `not idempotent: ${input} -> ${out}`).toBe(out);
      // one token per address, whatever the spelling
      if (!touchesCut) {
        if (kind !== 'v4') {
          const t = tokensOf(out, /ipv6-\d+/g);
          expect(t.size, `${input} -> ${out}`).toBe(1);
          const key = g.slice(0, 3).join(':');
          const [tok] = t;
          expect(v6Token.get(key) ?? tok, `${input} -> ${out}`).toBe(tok);
          v6Token.set(key, tok);
        }
        if (kind !== 'v6') {
          const t = tokensOf(out, /(?<=\.)x\d+(?=\.)/g);
          expect(t.size, `${input} -> ${out}`).toBe(1);
          const [tok] = t;
          const key = `${q[0]}.${q[1]}`;
          expect(v4Token.get(key) ?? tok, `${input} -> ${out}`).toBe(tok);
          v4Token.set(key, tok);
          // the same token as the address alone
          expect(r.text(dq)).toContain(`.${tok}.`);
        }
      }
    }
    expect(cases).toBe(400);
  });

  // how fast is the bench's business, not a test's: these are inputs that made backtracking
  // patterns take minutes; here each is redacted, and redacting the result changes nothing
  it('redacts a megabyte of near-matches of each kind', () => {
    const r = red();
    for (const unit of ['1:2:3:4:5:6:7:', 'abcd:', '1.2.3.', '…1.2', 'deadbeef', '::ffff:1.', ':', '2001:db8:abcd::1.', '0a:']) {
      const once = r.text(unit.repeat(Math.ceil(1_000_000 / unit.length)));
      expect(r.text(once), unit).toBe(once);
    }
  });
});
