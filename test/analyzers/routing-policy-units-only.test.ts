/**
 * routing.policy-rule-bypasses-pods without an `ip rule` listing: calico#4662's reporter pasted `ip r` (verbatim,
 * test/fixtures/ip-rule/calico-4662/ip-r.txt) but no rules. With nm-cloud-setup's units enabled in the unit
 * listing (the units RHEL's NetworkManager-cloud-setup package ships, in systemctl list-unit-files' format): a
 * warning asking for ip rule, with the documented fix. Without the units: no finding, and the coverage says the
 * rules were not checked. A node without pod routes: nothing to say.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/routing-policy-bypasses-pods.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';

const ipR = () => parseRoutes(readFileSync(projectPath('test/fixtures/ip-rule/calico-4662/ip-r.txt'), 'utf8'), 'ip-r.txt');
const units = (state: string) =>
  parseSystemctlText(['UNIT FILE                    STATE   VENDOR PRESET', `nm-cloud-setup.service       ${state} disabled`, `nm-cloud-setup.timer         ${state} disabled`, '', '2 unit files listed.'].join('\n'), 'systemctl_list-unit-files');

function run(artifacts: Record<string, unknown>) {
  const partly: string[] = [];
  const findings = analyzer.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (w) => partly.push(w) });
  return { findings, partly };
}

describe('routing.policy-rule-bypasses-pods with no ip rule listing', () => {
  it('nm-cloud-setup enabled beside a Calico pod route: a warning that asks for ip rule and gives the documented fix', () => {
    const { findings } = run({ routes: [ipR()], services: [units('enabled')] });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('warning');
    expect(f.message).toContain('nm-cloud-setup.service enabled, nm-cloud-setup.timer enabled');
    expect(f.message).toMatch(/192\.168\.234\.1\/32 dev calie56a59d32a1/);
    expect(f.evidence.map((e) => [e.file, e.line])).toEqual([
      ['systemctl_list-unit-files', 2],
      ['systemctl_list-unit-files', 3],
      ['ip-r.txt', f.evidence[2].line],
    ]);
    expect(f.remedy.commands).toContain('systemctl disable --now nm-cloud-setup.timer nm-cloud-setup.service');
  });

  it('nm-cloud-setup disabled: no finding, the coverage says ip rule was not checked', () => {
    const { findings, partly } = run({ routes: [ipR()], services: [units('disabled')] });
    expect(findings).toEqual([]);
    expect(partly.join()).toMatch(/no ip rule listing.*collect ip rule/);
  });

  it('no pod route: nothing to check, nothing said', () => {
    const plain = parseRoutes('default via 10.0.10.1 dev eth0 proto dhcp metric 100\n10.0.10.0/28 dev eth0 proto kernel scope link src 10.0.10.5 metric 100\n', 'ip-r.txt');
    expect(run({ routes: [plain], services: [units('enabled')] })).toEqual({ findings: [], partly: [] });
  });
});
