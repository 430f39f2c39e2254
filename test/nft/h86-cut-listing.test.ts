/**
 * A text `nft list ruleset` that ends with a table still open is cut (a paste, head, a size limit): the parser marks
 * the NftRuleset `truncated` (where, which table), and the iptables view made from it is marked too, so absence checks
 * hold back. Fixtures: test/fixtures/h86-podman-cut (verbatim paste of podman#26814, cut inside table ip nat) and
 * test/fixtures/h86-netns (real nft 1.0.6 output, whole; see its README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../src/nft/parse-text.js';
import { iptablesFromNft } from '../../src/nft/to-iptables.js';
import { projectPath } from '../helpers/shared.js';

const read = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const CUT = read('h86-podman-cut', 'nft-list-ruleset.txt');
const WHOLE = read('h86-netns', 'whole-nojump.nft');

describe('a cut nft listing is marked truncated', () => {
  it("podman#26814's paste (ends inside table ip nat): cut after its last line, in ip nat; the iptables view says so", () => {
    const nft = parseNftText(CUT, 'nft-list-ruleset.txt');
    const last = CUT.split('\n').filter((l) => l.trim() !== '').length;
    expect(nft.truncated).toMatchObject({ line: last, table: 'ip nat' });
    expect(nft.truncated!.note).toMatch(new RegExp(`cut off after line ${last}, inside table ip nat`));
    const v4 = iptablesFromNft(nft);
    expect(v4.map((r) => r.family)).toEqual(['ipv4']);
    expect(v4[0].tables.nat.chains.DOCKER.rules).toHaveLength(2);
    expect(v4[0].truncated?.note).toBe(nft.truncated!.note);
  });

  it('a whole listing (every table closed) is not marked, nor is its iptables view', () => {
    const nft = parseNftText(WHOLE, 'nft.txt');
    expect(nft.truncated).toBeUndefined();
    expect(iptablesFromNft(nft).every((r) => r.truncated === undefined)).toBe(true);
  });

  it('the same listing cut inside its second table: ip filter named, line counted from the file start', () => {
    const lines = WHOLE.split('\n');
    const at = lines.findIndex((l) => /^\s*chain DOCKER-CT \{/.test(l));
    const nft = parseNftText(lines.slice(0, at + 1).join('\n') + '\n', 'nft.txt');
    expect(nft.truncated).toMatchObject({ line: at + 1, table: 'ip filter' });
    // both derived views carry the mark: tables listed after the cut (of any family) may be missing whole
    expect(iptablesFromNft(nft).every((r) => r.truncated !== undefined)).toBe(true);
  });

  it('cut right after a closing brace of a table: nothing open, so nothing to tell (not marked)', () => {
    const lines = WHOLE.split('\n');
    const end = lines.findIndex((l) => l === '}');
    expect(parseNftText(lines.slice(0, end + 1).join('\n'), 'nft.txt').truncated).toBeUndefined();
  });
});
