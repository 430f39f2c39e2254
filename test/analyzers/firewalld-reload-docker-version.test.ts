/**
 * After `firewall-cmd --reload`, a restart of docker only where its version needs one
 * (dockerOnFirewalldReload: Docker re-creates every rule on firewalld's reload from 28.3.3, from
 * 29.0 on a Swarm node; moby#50506, moby#50443): firewalld.container-interface-unzoned and
 * iptables.service-conflict's firewalld fix. Unknown version: the restart stays. docker info texts
 * are real (test/fixtures/docker-info: Debian's 20.10.24 in swarm, caprover#2377's 29.4.1).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parseFirewallCmdListAllZones } from '../../src/nft/firewalld.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseDockerInfo } from '../../src/parsers/docker-info.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const fx = (p: string) => readFileSync(projectPath(p), 'utf8');
const zones = () => parseFirewallCmdListAllZones(fx('test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones'), 'sos_commands/firewalld/firewall-cmd_--list-all-zones');
const ipA = () => parseInterfaces(fx('test/fixtures/iproute2/ip_a'), 'ip_a');
const BR = '9: br-5c2d5b9a3f0e: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default\n    link/ether 02:42:9a:1b:2c:3d brd ff:ff:ff:ff:ff:ff\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-5c2d5b9a3f0e\n       valid_lft forever preferred_lft forever\n';
const info = (p: string) => parseDockerInfo(fx(`test/fixtures/docker-info/${p}`), 'docker-info.txt', { relPath: 'docker-info.txt' });
const commands = (dockerDaemon?: ReturnType<typeof info>[]) =>
  runNode(unzoned, { firewalldZones: [zones()], ipAddr: [ipA(), parseInterfaces(BR, 'ip_a_extra')], ...(dockerDaemon ? { dockerDaemon } : {}) })[0].remedy;

describe('firewalld reload and Docker: restart only where the version needs it', () => {
  it('unknown version: the reload, then the restart', () => {
    const r = commands();
    expect(r.commands.slice(1)).toEqual(['firewall-cmd --reload', "systemctl restart docker   # firewalld reload removes Docker's rules"]);
  });

  it('Docker 29.4.1 (Swarm active): no restart, a check that its rules are back citing docker info', () => {
    const r = commands([info('caprover-2377-29.4.1-swarm.txt')]);
    expect(r.commands.some((c) => /restart docker/.test(c.split('#')[0]))).toBe(false);
    expect(r.commands.at(-1)).toMatch(/^iptables -S DOCKER-FORWARD .*# Docker 29\.4\.1 re-creates all its rules, Swarm's too, when firewalld reloads .*\(docker-info\.txt:19\)/);
    expect(r.caution).not.toMatch(/restarting docker/i);
  });

  it('Docker 20.10.24 on a Swarm node: the restart stays, saying why', () => {
    const r = commands([info('debian-20.10.24/docker-info-swarm.txt')]);
    expect(r.commands.at(-1)).toMatch(/^systemctl restart docker   # Docker 20\.10\.24\+dfsg1 on a Swarm node does not re-create Swarm's ingress rules/);
  });

  it("iptables.service-conflict's firewalld fix: reload and restart joined where the version is old or unknown, the reload alone on 29.4.1", () => {
    const units = parseSystemctlText('UNIT FILE                 STATE    VENDOR PRESET\ndocker.service            enabled  disabled\nfirewalld.service         enabled enabled\niptables.service          disabled disabled\nkubelet.service           enabled  disabled\n\n4 unit files listed.\n', 'sos_commands/systemd/systemctl_list-unit-files');
    const run = (dockerDaemon?: ReturnType<typeof info>[]) => runNode(serviceConflict, { services: [units], ipAddr: [ipA()], ...(dockerDaemon ? { dockerDaemon } : {}) })[0].remedy;
    expect(run().commands).toContain('firewall-cmd --reload && systemctl restart docker');
    const old = run([info('debian-20.10.24/docker-info-swarm.txt')]);
    expect(old.commands.find((c) => c.startsWith('firewall-cmd --reload'))).toMatch(/^firewall-cmd --reload && systemctl restart docker   # Docker 20\.10\.24\+dfsg1 on a Swarm node/);
    const d29 = run([info('caprover-2377-29.4.1-swarm.txt')]);
    expect(d29.commands).toContain('firewall-cmd --reload');
    expect(d29.commands.some((c) => /restart docker/.test(c.split('#')[0]))).toBe(false);
    expect(d29.summary).toMatch(/Docker 29\.4\.1 re-creates all its rules/);
  });
});
