import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import { parseFirewallCmdListAllZones } from '../../src/nft/firewalld.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const zones = () => parseFirewallCmdListAllZones(readFileSync(projectPath('test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones'), 'utf8'), 'sos_commands/firewalld/firewall-cmd_--list-all-zones');
const ipA = () => parseInterfaces(readFileSync(projectPath('test/fixtures/iproute2/ip_a'), 'utf8'), 'ip_a');
const BR = '9: br-5c2d5b9a3f0e: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default\n    link/ether 02:42:9a:1b:2c:3d brd ff:ff:ff:ff:ff:ff\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-5c2d5b9a3f0e\n       valid_lft forever preferred_lft forever\n';

describe('firewalld.container-interface-unzoned (zones from the real firewalld)', () => {
  it('docker0 in the docker zone and cni0 in trusted (seed 004) are fine; a Docker network bridge no zone names falls into public and is flagged', () => {
    const findings = runNode(unzoned, { firewalldZones: [zones()], ipAddr: [ipA(), parseInterfaces(BR, 'ip_a_extra')] });
    expect(findings.map((f) => f.facts?.bridge)).toEqual(['br-5c2d5b9a3f0e']);
    expect(findings[0].facts).toMatchObject({ zone: 'public', target: 'default', via: 'default' });
    expect(findings[0].evidence[1]).toMatchObject({ file: 'sos_commands/firewalld/firewall-cmd_--list-all-zones', line: 106 });
    expect(findings[0].remedy.commands[0]).toBe('firewall-cmd --permanent --zone=trusted --add-interface=br-5c2d5b9a3f0e');
  });

  it('is silent when every container bridge is in an open zone, and when firewalld is disabled', () => {
    expect(runNode(unzoned, { firewalldZones: [zones()], ipAddr: [ipA()] })).toEqual([]);
    const off = parseSystemctlText('UNIT FILE          STATE    VENDOR PRESET\nfirewalld.service  disabled enabled\n', 'units');
    expect(runNode(unzoned, { firewalldZones: [zones()], ipAddr: [ipA(), parseInterfaces(BR, 'x')], services: [off] })).toEqual([]);
  });
});
