/**
 * iptables.service-conflict names the unit it found and the file that unit restores:
 * netfilter-persistent /etc/iptables/rules.v4 and rules.v6, ip6tables.service
 * /etc/sysconfig/ip6tables, iptables.service /etc/sysconfig/iptables; the commands use that unit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const ipA = () => parseInterfaces(fx('iproute2/ip_a'), 'ip-a.txt');

/** `systemctl list-unit-files` of an Ubuntu Docker host with iptables-persistent installed. */
const units = (states: Record<string, string>) =>
  parseSystemctlText(
    'UNIT FILE                              STATE           VENDOR PRESET\n' +
      'containerd.service                     enabled         enabled      \n' +
      'docker.service                         enabled         enabled      \n' +
      Object.entries(states).map(([u, s]) => `${u.padEnd(39)}${s.padEnd(16)}enabled      \n`).join('') +
      'ssh.service                            enabled         enabled      \n' +
      'docker.socket                          enabled         enabled      \n\n' +
      `${4 + Object.keys(states).length} unit files listed.\n`,
    'systemctl-list-unit-files.txt',
  );

const node = (states: Record<string, string>, extra: Partial<NodeArtifacts> = {}): NodeArtifacts => ({ services: [units(states)], ipAddr: [ipA()], ...extra });

describe('iptables.service-conflict names the unit found and its saved file', () => {
  it('netfilter-persistent: /etc/iptables/rules.v4 and rules.v6, commands on netfilter-persistent.service', () => {
    const [f] = runNode(serviceConflict, node({ 'netfilter-persistent.service': 'enabled' }));
    expect(f.message).toMatch(/^netfilter-persistent\.service is enabled/);
    expect(f.message).toMatch(/restores \/etc\/iptables\/rules\.v4 and \/etc\/iptables\/rules\.v6/);
    expect(f.message).not.toMatch(/sysconfig/);
    expect(f.remedy.summary).not.toMatch(/iptables\.service/);
    expect(f.remedy.commands.slice(0, 2)).toEqual(['systemctl disable netfilter-persistent.service   # not --now: stopping it runs its stop action now', 'systemctl mask netfilter-persistent.service']);
    expect(f.facts).toMatchObject({ unit: 'netfilter-persistent.service', restores: ['/etc/iptables/rules.v4', '/etc/iptables/rules.v6'] });
  });

  it('ip6tables.service: /etc/sysconfig/ip6tables', () => {
    const [f] = runNode(serviceConflict, node({ 'ip6tables.service': 'enabled' }));
    expect(f.message).toMatch(/^ip6tables\.service is enabled/);
    expect(f.message).toMatch(/restores \/etc\/sysconfig\/ip6tables;/);
    expect(f.remedy.commands[0]).toBe('systemctl disable ip6tables.service   # not --now: stopping it runs its stop action now');
  });

  it('iptables.service: /etc/sysconfig/iptables as before', () => {
    const [f] = runNode(serviceConflict, node({ 'iptables.service': 'enabled' }));
    expect(f.message).toMatch(/restores \/etc\/sysconfig\/iptables;/);
    expect(f.remedy.commands[0]).toBe('systemctl disable iptables.service   # not --now: stopping it runs its stop action now');
  });

  it('the saved file of each unit counts for that unit only', () => {
    const withDocker = fx('netfilter/legacy/iptables-save');
    const rulesV4 = parseIptablesSave(withDocker, 'etc/iptables/rules.v4', { origin: 'saved-config' });
    const [nfp] = runNode(serviceConflict, node({ 'netfilter-persistent.service': 'enabled' }, { iptables: [rulesV4] }));
    expect(nfp.facts?.savedContainerRules).toBeGreaterThan(0);
    expect(nfp.evidence.some((e) => e.file === 'etc/iptables/rules.v4')).toBe(true);
    const [ipt] = runNode(serviceConflict, node({ 'iptables.service': 'enabled' }, { iptables: [rulesV4] }));
    expect(ipt.facts?.savedContainerRules).toBe(0);
    expect(ipt.evidence.some((e) => e.file === 'etc/iptables/rules.v4')).toBe(false);
  });

  it('disabled units and a host without Docker or kubelet are silent', () => {
    expect(runNode(serviceConflict, node({ 'netfilter-persistent.service': 'disabled', 'ip6tables.service': 'disabled' }))).toEqual([]);
    expect(runNode(serviceConflict, { services: [parseSystemctlText('UNIT FILE                              STATE           VENDOR PRESET\nnetfilter-persistent.service           enabled         enabled      \n\n1 unit files listed.\n', 'u')] })).toEqual([]);
  });
});
