/**
 * The committed fixtures are what the installed nft and iptables-nft make today: the host-all
 * ruleset is loaded again in a throwaway namespace and both its listings are parsed and
 * compared with the fixtures' parse. Skips where namespaces cannot be made.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { comparable, rulesOf } from './compare.js';

const fx = (...p: string[]) => projectPath('test/fixtures/nft', ...p);

function hasNft(): boolean {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return canMakeNetns();
  } catch {
    return false;
  }
}

describe.skipIf(!hasNft())('live: the rulesets loaded again by the real binaries', () => {
  it('nft list ruleset and nft -j list ruleset parse to the committed fixtures, and agree with each other', () => {
    const ns = `bdnftlive${process.pid}`;
    const x = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    let text: string;
    let withHandles: string;
    let json: string;
    try {
      x(['iptables-nft-restore'], readFileSync(fx('iptables-nft.rules'), 'utf8'));
      x(['nft', '-f', fx('docker-bridges.nft')]);
      x(['nft', '-f', fx('firewalld-vmap.nft')]);
      text = x(['nft', 'list', 'ruleset']);
      withHandles = x(['nft', '-a', 'list', 'ruleset']);
      json = x(['nft', '-j', 'list', 'ruleset']);
    } finally {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
    const file = 'host-all/nft_list_ruleset';
    const liveText = parseNftText(text, file);
    expect(liveText).toEqual(parseNftText(readFileSync(fx('host-all', 'nft_list_ruleset'), 'utf8'), file));
    const jfile = 'host-all/nft_-j_list_ruleset';
    const liveJson = parseNftJson(json, jfile);
    expect(comparable(liveJson)).toEqual(comparable(parseNftJson(readFileSync(fx('host-all', 'nft_-j_list_ruleset'), 'utf8'), jfile)));
    const liveA = parseNftText(withHandles, 'a');
    expect(rulesOf(liveA)).toHaveLength(rulesOf(liveJson).length);
    for (const name of ['docker-bridges', 'firewalld']) {
      const pick = (rs: typeof liveText) => comparable({ ...rs, tables: rs.tables.filter((t) => t.name === name) });
      expect(pick(liveJson)).toEqual(pick(liveA));
      expect(pick(liveA)[0].chains.length).toBeGreaterThan(10);
    }
  });
});
