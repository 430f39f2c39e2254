/**
 * `ufw status` in its three shapes, as the real ufw 0.36.2 printed them in a network namespace
 * (test/fixtures/ufw: ufw-status.txt, ufw-status-verbose.txt, ufw-status-numbered.txt: the same 17
 * rules: ports, a range, DENY, REJECT, LIMIT, a source-limited ALLOW with a comment, an interface,
 * the OpenSSH app profile, their (v6) twins, an ALLOW OUT on eth0 and an ALLOW FWD route rule), the
 * inactive state, `Default: reject (incoming)`, and moby/moby#4737's pasted `sudo ufw status verbose`
 * (ufw 0.3x of 2014, the prompt line above it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUfwStatus, sniffUfwStatus, ufwAllowsFromAnywhere, ufwAllowsFromSome } from '../../src/parsers/ufw-status.js';
import { FLAT_RULES, SOSREPORT_RULES } from '../../src/layouts/rules.js';
import { projectPath } from '../helpers/shared.js';

const formatFor = (layout: 'sosreport' | 'flat', path: string) => (layout === 'sosreport' ? SOSREPORT_RULES : FLAT_RULES).find((r) => r.re.test(path))?.format;
const fx = (name: string) => readFileSync(projectPath('test/fixtures/ufw', name), 'utf8');

/** moby/moby#4737 (phlegx, 2014-03-18), the issue's <pre> block as posted. */
const MOBY_4737 = `$ sudo ufw status verbose
Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing)
New profiles: skip

To                         Action      From
--                         ------      ----
22                         ALLOW IN    Anywhere
443/tcp                    ALLOW IN    Anywhere
80/tcp                     ALLOW IN    Anywhere
5666                       ALLOW IN    95.xx.xx.xx
4949                       ALLOW IN    95.xx.xx.xx
22                         ALLOW IN    Anywhere (v6)
443/tcp                    ALLOW IN    Anywhere (v6)
80/tcp                     ALLOW IN    Anywhere (v6)
`;

describe('ufw status, plain', () => {
  const s = parseUfwStatus(fx('ufw-status.txt'), 'ufw-status.txt');
  it('status, no defaults, every rule with its line', () => {
    expect(s.shape).toBe('plain');
    expect(s.status).toMatchObject({ value: 'active', ref: { line: 1 } });
    expect(s.defaults).toBeUndefined();
    expect(s.rules).toHaveLength(18);
    expect(s.warnings).toEqual([]);
    const lines = fx('ufw-status.txt').split('\n');
    for (const r of s.rules) expect(lines[r.ref.line - 1].trim()).toBe(r.excerpt);
  });
  it('IN shown as no direction; OUT and FWD; v6 twins; ranges; app profiles by name; comments; interfaces', () => {
    const [ssh, range, mysql, telnet, limit, nrpe, dns, app] = s.rules;
    expect(ssh).toMatchObject({ action: 'ALLOW', direction: 'IN', v6: false, to: { ports: [[22, 22]], proto: 'tcp' }, from: { text: 'Anywhere' } });
    expect(range.to).toMatchObject({ ports: [[6000, 6007]], proto: 'tcp' });
    expect(mysql).toMatchObject({ action: 'DENY', to: { ports: [[3306, 3306]] } });
    expect(mysql.to.proto).toBeUndefined();
    expect(telnet.action).toBe('REJECT');
    expect(limit.action).toBe('LIMIT');
    expect(nrpe).toMatchObject({ comment: 'nrpe', from: { address: '10.0.0.0/8' }, to: { ports: [[5666, 5666]], proto: 'tcp' } });
    expect(dns.to).toMatchObject({ ports: [[53, 53]], iface: 'docker0' });
    expect(app.to).toEqual({ text: 'OpenSSH', app: 'OpenSSH' });
    expect(s.rules.filter((r) => r.v6)).toHaveLength(8);
    expect(s.rules.find((r) => r.to.text === 'OpenSSH' && r.v6)).toBeDefined();
    expect(s.rules.find((r) => r.to.iface === 'docker0' && r.v6)?.to.ports).toEqual([[53, 53]]);
    const out = s.rules.filter((r) => r.direction === 'OUT');
    expect(out.map((r) => [r.from.iface, r.v6])).toEqual([
      ['eth0', false],
      ['eth0', true],
    ]);
    const fwd = s.rules.find((r) => r.direction === 'FWD')!;
    expect(fwd.to).toMatchObject({ address: '172.17.0.2', ports: [[80, 80]], proto: 'tcp' });
  });
});

describe('ufw status verbose', () => {
  const s = parseUfwStatus(fx('ufw-status-verbose.txt'), 'ufw-status-verbose.txt');
  it('the Logging, Default and New profiles lines', () => {
    expect(s.shape).toBe('verbose');
    expect(s.logging).toMatchObject({ value: 'on (low)', ref: { line: 2 } });
    expect(s.defaults).toMatchObject({ value: { incoming: 'deny', outgoing: 'allow', routed: 'disabled' }, ref: { line: 3 }, excerpt: 'Default: deny (incoming), allow (outgoing), disabled (routed)' });
    expect(s.newProfiles?.value).toBe('skip');
    expect(s.header).toEqual({ file: 'ufw-status-verbose.txt', line: 6 });
  });
  it('ALLOW IN; the app profile as its ports with its name, (OpenSSH (v6)) too', () => {
    expect(s.rules).toHaveLength(18);
    expect(s.rules.every((r) => r.direction !== undefined)).toBe(true);
    const apps = s.rules.filter((r) => r.to.app === 'OpenSSH');
    expect(apps.map((r) => [r.to.ports, r.to.proto, r.v6])).toEqual([
      [[[22, 22]], 'tcp', false],
      [[[22, 22]], 'tcp', true],
    ]);
  });
  it('Default: reject (incoming)', () => {
    expect(parseUfwStatus(fx('ufw-reject-status-verbose.txt'), 'v').defaults?.value.incoming).toBe('reject');
    expect(parseUfwStatus(fx('ufw-default-allow-status-verbose.txt'), 'v').defaults?.value.incoming).toBe('allow');
  });
  it("moby/moby#4737's paste: the prompt line is skipped, ufw 0.3x's Default line without (routed), masked sources", () => {
    const m = parseUfwStatus(MOBY_4737, 'ufw-status-verbose.txt');
    expect(m.status).toMatchObject({ value: 'active', ref: { line: 2 } });
    expect(m.defaults?.value).toEqual({ incoming: 'deny', outgoing: 'allow' });
    expect(m.rules).toHaveLength(8);
    expect(m.rules[3]).toMatchObject({ to: { ports: [[5666, 5666]] }, from: { app: '95.xx.xx.xx' } });
    expect(ufwAllowsFromAnywhere(m, 'tcp', 443, 4).map((r) => r.ref.line)).toEqual([10]);
    expect(ufwAllowsFromAnywhere(m, 'tcp', 15672, 4)).toEqual([]);
    // 5666 is allowed from one (masked) address only
    expect(ufwAllowsFromAnywhere(m, 'tcp', 5666, 4)).toEqual([]);
    expect(ufwAllowsFromSome(m, 'tcp', 5666, 4).map((r) => r.ref.line)).toEqual([12]);
    expect(ufwAllowsFromAnywhere(m, 'tcp', 443, 6).map((r) => r.ref.line)).toEqual([15]);
  });
});

describe('ufw status numbered', () => {
  const s = parseUfwStatus(fx('ufw-status-numbered.txt'), 'sos_commands/ufw/ufw_status_numbered');
  it('numbers, the (out) mark, the route rule', () => {
    expect(s.shape).toBe('numbered');
    expect(s.rules.map((r) => r.num)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect(s.rules[8]).toMatchObject({ num: 9, direction: 'OUT', from: { iface: 'eth0' }, to: { ports: [[25, 25]] } });
    expect(s.rules[7]).toMatchObject({ num: 8, direction: 'FWD', to: { address: '172.17.0.2' } });
    expect(s.rules[16]).toMatchObject({ num: 17, direction: 'OUT', v6: true });
    expect(s.warnings).toEqual([]);
  });
  it('which rules let a port in from anywhere, which from some sources only', () => {
    expect(ufwAllowsFromAnywhere(s, 'tcp', 6003, 4).map((r) => r.num)).toEqual([2]);
    expect(ufwAllowsFromAnywhere(s, 'tcp', 2222, 4).map((r) => r.num)).toEqual([5]);
    expect(ufwAllowsFromAnywhere(s, 'tcp', 3306, 4)).toEqual([]);
    expect(ufwAllowsFromAnywhere(s, 'tcp', 53, 4)).toEqual([]); // only on docker0
    expect(ufwAllowsFromAnywhere(s, 'tcp', 8080, 4)).toEqual([]);
    expect(ufwAllowsFromSome(s, 'tcp', 5666, 4).map((r) => r.num)).toEqual([6]);
    expect(ufwAllowsFromAnywhere(s, 'tcp', 22, 6).map((r) => r.num)).toEqual([11]);
  });
});

describe('logged rules and comments (ufw allow log / log-all / comment)', () => {
  it('(log) and (log-all) after From; a comment after Anywhere', () => {
    for (const f of ['ufw-log-status-verbose.txt', 'ufw-log-status-numbered.txt']) {
      const s = parseUfwStatus(fx(f), f);
      expect(s.warnings).toEqual([]);
      const logged = s.rules.find((r) => r.to.text === '9000/tcp' && !r.v6)!;
      expect(logged).toMatchObject({ log: 'log', from: { text: 'Anywhere' } });
      expect(ufwAllowsFromAnywhere(s, 'tcp', 9000, 4)).toEqual([logged]);
      expect(ufwAllowsFromAnywhere(s, 'tcp', 9100, 4)[0]).toMatchObject({ comment: 'node exporter', from: { text: 'Anywhere' } });
      expect(s.rules.find((r) => r.log === 'log-all')).toMatchObject({ from: { address: '10.1.0.0/16' } });
      expect(ufwAllowsFromAnywhere(s, 'tcp', 443, 6).map((r) => r.to.text)).toEqual(['80,443/tcp']);
    }
  });
});

describe('inactive, sniffing, layout names', () => {
  it('Status: inactive alone', () => {
    const s = parseUfwStatus(fx('ufw-inactive-status.txt'), 'x');
    expect(s.status?.value).toBe('inactive');
    expect(s.rules).toEqual([]);
  });
  it('not ufw: skipped', () => {
    expect(() => parseUfwStatus('Active: active (running)\n', 'x')).toThrow(/Status/);
  });
  it('the sniff takes each shape and leaves other "Status:" text alone', () => {
    for (const f of ['ufw-status.txt', 'ufw-status-verbose.txt', 'ufw-status-numbered.txt', 'ufw-inactive-status.txt']) expect(sniffUfwStatus(fx(f))).toBe(true);
    expect(sniffUfwStatus(MOBY_4737)).toBe(true);
    expect(sniffUfwStatus('Status: active\nUptime: 3 days\nConnections: 4\n')).toBe(false);
    expect(sniffUfwStatus(fx('ufw-docker29-iptables-save.txt'))).toBe(false);
  });
  it('protocol-only rules (ufw 0.36+ `proto esp`): the protocol on both sides, the address kept (real ufw 0.36.2 output, H100)', () => {
    const s = parseUfwStatus(readFileSync(projectPath('test/fixtures/h100-swarm-esp/ufw-esp-any-status.txt'), 'utf8'), 'ufw-status.txt');
    const esp = s.rules.filter((r) => r.from.proto === 'esp');
    expect(esp.map((r) => [r.to.text, r.to.proto, r.from.address ?? 'any', r.v6])).toEqual([
      ['Anywhere', 'esp', '10.0.0.0/24', false],
      ['Anywhere', 'esp', 'any', false],
      ['Anywhere', 'esp', 'any', true],
    ]);
    // not taken for an application profile's name
    expect(esp.every((r) => !r.to.app && !r.from.app)).toBe(true);
  });
  it("sos's ufw plugin's file and hand-made names", () => {
    expect(formatFor('sosreport', 'sos_commands/ufw/ufw_status_numbered')).toBe('ufw-status');
    expect(formatFor('flat', 'ufw-status-verbose.txt')).toBe('ufw-status');
    expect(formatFor('flat', 'case/ufw_status')).toBe('ufw-status');
    expect(formatFor('flat', 'sudo ufw status.txt')).toBe('ufw-status');
  });
});
