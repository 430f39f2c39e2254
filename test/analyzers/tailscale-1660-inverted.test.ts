/**
 * tailscale 1.66.0's nftables mode wrote its stateful rule as `oifname != "tailscale0*" ct state ... drop`
 * (tailscale/tailscale#12066, #12067: "It catches all NAT'ed traffic going from my subnets to the internet";
 * fixed by #12068). The listing is real: test/fixtures/h87-tailscale/make-fixtures-1660.sh loads Docker's rules
 * and that rule in a namespace where a "container" on docker0 opened a connection to 198.51.100.20:443 out of eth0.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/tailscale-stateful-filter-drops-containers.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { FindingDraft } from '../../src/engine/analyzer.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dir = (d: string) => projectPath('test/fixtures/h87-tailscale', d);
const folder = (d: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir(d)).filter((f) => statSync(`${dir(d)}/${f}`).isFile()).map((f) => [f, readFileSync(`${dir(d)}/${f}`, 'utf8')]));

async function run(name: string, files: Record<string, string>): Promise<FindingDraft[]> {
  const b = await loadBundle(writeFolder(files, `ts1660-${name}`));
  expect(b.nodes).toHaveLength(1);
  if (analyzer.scope !== 'node') throw new Error('node analyzer expected');
  return analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: () => undefined });
}

describe("tailscale 1.66.0's inverted nftables rule", () => {
  it('critical: the rule drops connections out of every interface but tailscale0; the container bridge, the uplink and the count are named', async () => {
    const files = folder('nftables-mode-1660');
    const lines = files['nft_list_ruleset'].split('\n');
    expect(lines[50]).toMatch(/^\t\toifname != "tailscale0\*" ct state invalid,new,0x10,.* counter packets [1-9]\d* bytes \d+ drop$/);
    const findings = await run('1660', files);
    expect(findings).toHaveLength(1);
    const f = findings[0];
    expect(f.severity).toBe('critical');
    expect(f.title).toMatch(/1\.66\.0's nftables rule drops every connection forwarded out of any interface but tailscale0/);
    expect(f.evidence[0]).toMatchObject({ file: 'nft_list_ruleset', line: 51 });
    expect(f.facts).toMatchObject({ inverted: true, tun: 'tailscale0', uplink: 'eth0', bridges: ['docker0 172.17.0.0/16'] });
    expect(f.message).toContain('published ports');
    expect(f.message).toContain('#12067');
    expect(f.remedy.commands).toContain('tailscale set --stateful-filtering=false');
  });

  it('the fixed rule (1.66.1+: `oifname "tailscale0*"`) is not called inverted: the ordinary finding, connections to the tailnet', async () => {
    const findings = await run('fixed', folder('nftables-mode'));
    expect(findings).toHaveLength(1);
    expect(findings[0].facts).not.toHaveProperty('inverted');
    expect(findings[0].title).toBe("Tailscale's stateful filtering drops containers' connections to the tailnet");
  });

  it('the inverted rule on a host with no container bridge, no Docker rules and no drop counted: nothing', async () => {
    const files = folder('nftables-mode-1660');
    const ts = files['nft_list_ruleset'].split('\n');
    // tailscale's own table only: Docker's chains and docker0 gone, counters zeroed
    const text = ts.join('\n').replace(/counter packets \d+ bytes \d+/g, 'counter packets 0 bytes 0');
    const noDocker = text.replace(/\n\tchain DOCKER[\s\S]*?\n\t\}/g, '').split('\n').filter((l) => !/docker0|DOCKER/.test(l)).join('\n');
    const findings = await run('bare', { nft_list_ruleset: noDocker });
    expect(findings).toEqual([]);
    // the same listing with the rule's count kept: something forwarded was dropped, the finding stands without a bridge
    const counted = noDocker.replace(/(oifname != "tailscale0\*" ct state [^\n]*counter packets )0 bytes 0/, (_m, head: string) => `${head}2 bytes 120`);
    expect(counted).toContain('counter packets 2 bytes 120 drop');
    const again = await run('bare-counted', { nft_list_ruleset: counted });
    expect(again).toHaveLength(1);
    expect(again[0].severity).toBe('critical');
    expect(again[0].message).toContain('Everything forwarded through this host that does not go to the tailnet is dropped');
  });
});
