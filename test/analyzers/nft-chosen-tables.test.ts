/**
 * R6's case 03 (containers/aardvark-dns#453): Podman's DNS to aardvark-dns dropped by Debian's `table inet filter`
 * input policy; the reporter pasted only `nft list table ip filter` and `nft list table ip nat`.
 * - Those listings of chosen tables: container-dns-blocked used to show ✅; now "ran in part" naming the tables seen
 *   and asking for nft list ruleset (a table not listed can hold a chain on the same hook).
 * - The whole ruleset (test/fixtures/nft-chosen-tables/README.md: made with the real iptables-nft and nft): critical,
 *   with the thread's fix (the reporter: "adding a rule to nftables to allow connections to 10.8.1.1:53 did the
 *   trick"). It was missed before: the trace stopped at Debian's `iif "lo" accept`, as the input interface (a bridge
 *   the bundle does not name) was unknown; a packet from a container's address never arrives on lo.
 * - After the finding's commands (run twice in the namespace): quiet.
 * - R6 W8: direct-routing-dropped says "without ip addr ... assumed" only where Docker's direct-access rules exist.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { chosenTablesListing } from '../../src/nft/model.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { matches, type Packet } from '../../src/netfilter/trace.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/nft-chosen-tables', f), 'utf8');
const DNS = 'iptables.container-dns-blocked';

async function run(files: Record<string, string>, name: string) {
  const r = await analyzeBundle(writeFolder(files, name), {});
  const cov = (id: string) => r.coverage.nodes[0].analyzers.find((a) => a.id === id);
  return { r, cov, found: r.findings.filter((f) => f.id === DNS) };
}

describe('nft listings of chosen tables, and a trace past iif "lo"', () => {
  it('a listing is of chosen tables by its command line or its name; nft list ruleset is not', () => {
    expect(parseNftText(fx('nft-list-table-ip-filter.txt'), 'x/listing.txt').chosenTables).toEqual({ file: 'x/listing.txt', line: 1 });
    const noCommand = fx('nft-list-table-ip-nat.txt').split('\n').slice(1).join('\n');
    expect(parseNftText(noCommand, 'bundle/nft-list-table-ip-nat.txt').chosenTables).toEqual({ file: 'bundle/nft-list-table-ip-nat.txt', line: 0 });
    expect(parseNftText(fx('nft-list-ruleset.txt'), 'nft-list-ruleset.txt').chosenTables).toBeUndefined();
    expect(chosenTablesListing('table ip filter {\n}\n', 'sos_commands/firewall_tables/nft_list_ruleset')).toBeUndefined();
    expect(chosenTablesListing('# nft -a list chain inet filter input\n', 'out.txt')).toEqual({ file: 'out.txt', line: 1 });
    expect(chosenTablesListing('', 'nft-list-tables.txt')).toBeUndefined();
  });

  it("the reporter's two tables: ran in part, naming them and asking for nft list ruleset (was ✅)", async () => {
    const { found, cov } = await run({ 'nft-list-table-ip-filter.txt': fx('nft-list-table-ip-filter.txt'), 'nft-list-table-ip-nat.txt': fx('nft-list-table-ip-nat.txt') }, 'r6-03-tables');
    expect(found).toEqual([]);
    expect(cov(DNS)?.reason).toMatch(/DNS from containers to 10\.8\.1\.1:53: only the nftables tables listed one by one were seen \(ip filter, ip nat, in nft-list-table-ip-filter\.txt, nft-list-table-ip-nat\.txt\).*collect nft list ruleset/);
    // no overlay, no port named: those checks do not claim a partial trace they did not make
    expect(cov('iptables.overlay-port-blocked')?.reason).toBeUndefined();
    expect(cov('iptables.port-blocked')?.reason).toBeUndefined();
    // W8: no Docker direct-access rule, so no note about the way routed traffic comes in
    expect(cov('iptables.direct-routing-dropped')?.reason).toBeUndefined();
  });

  it("the whole ruleset: critical at inet filter input's policy drop, with the nft insert the reporter needed", async () => {
    const { found, cov } = await run({ 'nft-list-ruleset.txt': fx('nft-list-ruleset.txt') }, 'r6-03-ruleset');
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f.severity).toBe('critical');
    expect(f.message).toContain('aardvark-dns on 10.8.1.1:53 are dropped by nftables inet filter chain input policy');
    const lines = fx('nft-list-ruleset.txt').split('\n');
    expect(lines[f.evidence[0].line - 1]).toContain('type filter hook input priority filter; policy drop;');
    expect(f.remedy.commands[0]).toBe("nft list chain inet filter input | grep -qF 'ip saddr 10.8.1.0/28 udp dport 53 accept' || nft insert rule inet filter input ip saddr 10.8.1.0/28 udp dport 53 accept");
    expect(cov(DNS)?.reason).toBeUndefined();
  });

  it('after the fix (the commands run twice in the namespace: one rule each): quiet, and a plain ✅', async () => {
    const { found, cov } = await run({ 'nft-list-ruleset.txt': fx('nft-list-ruleset-fixed.txt') }, 'r6-03-fixed');
    expect(found).toEqual([]);
    expect(cov(DNS)).toMatchObject({ status: 'ran' });
    expect(cov(DNS)?.reason).toBeUndefined();
  });

  it('iptables: -i lo does not match a packet from another address when the input interface is unknown; it may for a local one', () => {
    const rs = parseIptablesSave('*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n', 'r');
    const rule = rs.tables.filter!.chains.INPUT.rules[0];
    const p: Packet = { src: '10.8.1.2', dst: '10.8.1.1', protocol: 'udp', dport: 53, sport: 40000, state: 'new', mark: 0 };
    expect(matches(rule, p, { localAddresses: ['10.8.1.1'] })).toBe(false);
    expect(matches(rule, { ...p, src: '10.8.1.1' }, { localAddresses: ['10.8.1.1'] })).toBe('unknown');
    expect(matches(rule, p, { localAddresses: [] })).toBe('unknown');
  });
});
