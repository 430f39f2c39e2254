/**
 * iptables.port-blocked where firewalld's nftables table blocks the port (bundles/firewalld-blocks-postgres.tgz,
 * RHEL 9, docker0 in no zone): the alternative that opens the port names the zone by asking
 * firewalld (the bridge's zone, else the default zone), not a `<zone of the bridge>` placeholder
 * left for the engineer to fill (reviewer R1, D6).
 */
import { expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { projectPath } from '../helpers/shared.js';

it('the firewalld port alternative asks for the zone instead of leaving a placeholder', async () => {
  const r = await analyzeBundle(projectPath('bundles/firewalld-blocks-postgres.tgz'));
  const f = r.findings.find((x) => x.id === 'iptables.port-blocked')!;
  const text = f.remedy.commands.join('\n');
  expect(text).not.toMatch(/<zone/);
  expect(text).toMatch(/z=\$\(firewall-cmd --get-zone-of-interface=\S+ 2>\/dev\/null \|\| firewall-cmd --get-default-zone\); firewall-cmd --permanent --zone="\$z" --add-port=5432\/tcp/);
});
