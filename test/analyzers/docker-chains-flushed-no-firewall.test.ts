/**
 * iptables.docker-chain-missing's fix when nothing in the bundle flushes rules (reviewer R25 c25,
 * test/fixtures/r25-flushed: Docker's rules flushed by hand with iptables -F, no firewall service, no logs): it must not
 * send the engineer to "stop the firewall service" the bundle does not show; with a firewall service shown it still does.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/iptables-docker-chain-missing.js';
import { loadBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/r25-flushed');
const files = (): Record<string, string> => Object.fromEntries(readdirSync(DIR).filter((f) => f.endsWith('.txt')).map((f) => [f, readFileSync(`${DIR}/${f}`, 'utf8')]));

async function run(f: Record<string, string>, name: string) {
  const b = await loadBundle(writeFolder(f, name));
  return analyzer.scope === 'node' ? analyzer.analyze({ node: 'node-1', artifacts: b.nodes[0].artifacts as never, options: { requiredPorts: [] }, partly: () => {} }) : [];
}

describe("Docker's chains flushed, and what flushed them", () => {
  it('no firewall service in the bundle: critical; the fix says to find what removed them, not to stop a firewall service', async () => {
    const found = await run(files(), 'r25-flushed');
    expect(found.map((f) => f.severity)).toEqual(['critical']);
    expect(found[0].remedy!.summary).toMatch(/find what removed them: the bundle shows no firewall service/);
    expect(found[0].remedy!.summary).not.toMatch(/stop the firewall service/);
  });

  it("RHEL's iptables.service saved rules beside them: the fix names the firewall service", async () => {
    const f = { ...files(), 'etc/sysconfig/iptables': '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p icmp -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT\n-A INPUT -j REJECT --reject-with icmp-host-prohibited\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n' };
    const found = await run(f, 'r25-flushed-iptables-services');
    expect(found.map((x) => x.severity)).toEqual(['critical']);
    expect(found[0].remedy!.summary).toMatch(/stop the firewall service from flushing them again/);
  });
});
