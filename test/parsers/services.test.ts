import { describe, expect, it } from 'vitest';
import { SkipFile } from '../../src/model/source.js';
import { findService, isActive, isEnabled, parseSystemctlJson, parseSystemctlText, sniffSystemctl } from '../../src/parsers/services.js';

const UNIT_FILES = `UNIT FILE                                  STATE           VENDOR PRESET
docker.service                             enabled         disabled
firewalld.service                          disabled        enabled
iptables.service                           enabled         disabled
kubelet.service                            enabled         disabled

4 unit files listed.
`;

const UNITS = `  UNIT                         LOAD   ACTIVE SUB     DESCRIPTION
  docker.service               loaded active running Docker Application Container Engine
● iptables.service             loaded failed failed  IPv4 firewall with iptables
  kubelet.service              loaded active running kubelet: The Kubernetes Node Agent
`;

describe('systemctl', () => {
  it('list-unit-files: enabled state with its line', () => {
    const l = parseSystemctlText(UNIT_FILES, 'sos_commands/systemd/systemctl_list-unit-files');
    expect(isEnabled(findService([l], 'iptables'))).toMatchObject({ unit: 'iptables.service', ref: { line: 4 } });
    expect(isEnabled(findService([l], 'firewalld'))).toBeUndefined();
    expect(sniffSystemctl(UNIT_FILES)).toBe(true);
  });

  it('list-units: active state, including the ● marker of failed units', () => {
    const l = parseSystemctlText(UNITS, 'sos_commands/systemd/systemctl_list-units');
    expect(isActive(findService([l], 'docker'))?.ref.line).toBe(2);
    expect(findService([l], 'iptables.service')[0]).toMatchObject({ active: 'failed', sub: 'failed' });
    expect(isActive(findService([l], 'iptables'))).toBeUndefined();
  });

  it('troubleshoot systemctl_services.json', () => {
    const text = '[\n  {"Unit":"docker.service","Load":"loaded","Active":"active","Sub":"running"},\n  {"Unit":"firewalld.service","Load":"loaded","Active":"active","Sub":"running"}\n]';
    const l = parseSystemctlJson(text, 'host-collectors/system/systemctl_services.json');
    expect(isActive(findService([l], 'firewalld'))?.ref.line).toBe(3);
  });

  it('skips text with no unit lines', () => {
    expect(() => parseSystemctlText('nothing here', 'x')).toThrow(SkipFile);
  });
});
