/**
 * R12 case 03 (containers/podman#8048, https://github.com/containers/podman/issues/8048): the fix of
 * firewalld.netavark-port-forwards-lost ran `systemctl enable --now netavark-firewalld-reload.service`
 * whatever the netavark version. The unit and its `netavark firewalld-reload` subcommand come with
 * netavark 1.9 (containers/netavark releases, v1.9.0: "add firewalld-reload subcommand"). Where the
 * package list shows an older netavark the block must not run a unit that does not exist.
 *
 * dpkg-l-netavark.txt: `dpkg -l netavark` on this machine after `apt-get install netavark` (Debian 12,
 * netavark 1.4.0-3); `dpkg -L netavark` lists no systemd unit and `/usr/lib/podman/netavark --help`
 * lists no firewalld-reload subcommand. The policy listing is the real firewalld 1.3.3's
 * `firewall-cmd --info-policy=netavark_portfwd` after a reload, and the `podman ps` a public paste,
 * both as in test/analyzers/netavark-firewalld.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import analyzer from '../../analyzers/firewalld-netavark-port-forwards-lost.js';
import { parseFirewallCmdPolicies } from '../../src/nft/firewalld.js';
import { parsePodmanPs } from '../../src/parsers/podman.js';
import { parseDpkgL } from '../../src/parsers/packages.js';
import { projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const INFO_AFTER = [
  'netavark_portfwd (active)',
  '  priority: -1',
  '  target: CONTINUE',
  '  ingress-zones: ANY',
  '  egress-zones: ANY',
  '  services: ',
  '  ports: ',
  '  protocols: ',
  '  masquerade: no',
  '  forward-ports: ',
  '  source-ports: ',
  '  icmp-blocks: ',
  '  rich rules: ',
  '',
].join('\n');
const PS_8000 = [
  '[root@localhost ~]# podman ps',
  'CONTAINER ID  IMAGE                           COMMAND               CREATED        STATUS            PORTS                 NAMES',
  'ec7ad63e1b0a  docker.io/library/nginx:latest  nginx -g daemon o...  4 seconds ago  Up 4 seconds ago  0.0.0.0:8000->80/tcp  qytang-nginx',
  '',
].join('\n');
const DPKG = readFileSync(projectPath('test/fixtures/podman-cni-reload/dpkg-l-netavark.txt'), 'utf8');

const base = () => ({
  firewalldPolicies: [parseFirewallCmdPolicies(INFO_AFTER, 'firewall-cmd_--info-policy_netavark_portfwd')],
  podmanPorts: [parsePodmanPs(PS_8000, 'podman_ps')],
});

describe('firewalld.netavark-port-forwards-lost: the reload unit only where netavark has it', () => {
  it('netavark 1.4.0 installed: no systemctl enable of a unit it does not ship; says to upgrade or reload by hand', () => {
    const [f] = runNode(analyzer, { ...base(), packages: [parseDpkgL(DPKG, 'sos_commands/dpkg/dpkg_-l')] });
    expect(f).toBeDefined();
    expect(f.remedy.commands.some((c) => /^systemctl enable/.test(c))).toBe(false);
    expect(f.remedy.commands).toContain('podman network reload --all');
    expect(f.remedy.commands).toContain(
      '# netavark 1.4.0 has no netavark-firewalld-reload.service (netavark 1.9 and later): upgrade netavark, or run podman network reload --all after each firewall-cmd --reload',
    );
    expect(f.remedy.summary).toMatch(/netavark 1\.4\.0 cannot re-add them by itself/);
    expect(f.evidence).toContainEqual(expect.objectContaining({ file: 'sos_commands/dpkg/dpkg_-l', line: 6, note: 'netavark 1.4.0: older than 1.9, no netavark-firewalld-reload.service' }));
  });

  it('no package list: the unit line stays, with its version condition', () => {
    const [f] = runNode(analyzer, base());
    expect(f.remedy.commands).toContain(
      'systemctl enable --now netavark-firewalld-reload.service   # netavark >= 1.9; older: upgrade netavark, or run podman network reload --all after each firewall-cmd --reload',
    );
    expect(f.evidence.some((e) => /dpkg/.test(e.file))).toBe(false);
  });
});
