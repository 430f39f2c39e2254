/**
 * nftables.service and the container rules, with the real binaries in network namespaces:
 * - `nft flush ruleset` deletes iptables-nft's tables (Docker's chains) and Docker 29's
 *   ip docker-bridges, and leaves iptables-legacy's rules (x_tables) alone: what the finding claims;
 * - the remedy the finding prints, pasted twice (paths moved under a temporary folder; `systemctl`
 *   left out: no systemd here), is harmless, and afterwards what the unit runs (its drop-in's stop
 *   action, its reload and start loading the edited file) leaves Docker's rules in place and still
 *   resets the host's own table.
 * Skipped where namespaces cannot be made or nft / iptables-legacy are missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseNftablesConfig } from '../../src/nft/config.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const has = (bin: string) => {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const usable = canMakeNetns() && has('nft') && has('iptables-legacy') && has('iptables-nft');

const fx = (...p: string[]) => readFileSync(projectPath('test/fixtures', ...p), 'utf8');
const own = (name: string) => fx('service-conflict-nftables', name);
const DOCKER28 = () => fx('ipv6/docker28.iptables-restore');

function withNetns<T>(tag: string, fn: (sh: (cmd: string, input?: string) => string) => T): T {
  const ns = `bdh1${tag}${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    return fn((cmd, input) => execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', input }));
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

const ruleCount = (save: string) => save.split('\n').filter((l) => l.startsWith('-A ')).length;

describe.skipIf(!usable)('nft flush ruleset and the iptables back ends (real binaries)', () => {
  it("deletes iptables-nft's tables and ip docker-bridges, leaves iptables-legacy's rules", () => {
    withNetns('flush', (sh) => {
      sh('iptables-nft-restore', DOCKER28());
      sh('iptables-legacy-restore', DOCKER28());
      sh('nft -f -', fx('nft/docker-bridges.nft'));
      const before = { nft: ruleCount(sh('iptables-nft-save')), legacy: ruleCount(sh('iptables-legacy-save')) };
      expect(before.nft).toBeGreaterThan(10);
      expect(before.legacy).toBe(before.nft);
      expect(sh('nft list tables')).toMatch(/table ip docker-bridges/);
      sh('nft flush ruleset');
      expect(ruleCount(sh('iptables-nft-save'))).toBe(0);
      expect(sh('nft list tables')).toBe('');
      expect(ruleCount(sh('iptables-legacy-save'))).toBe(before.legacy);
      expect(sh('iptables-legacy -t nat -S DOCKER')).toMatch(/-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80/);
    });
  });
});

/** The remedy's commands for a node, with the host's paths moved under `root` and systemd left out. */
function pasteable(commands: string[], root: string): string[] {
  return commands
    .filter((c) => !c.startsWith('#'))
    .map((c) =>
      c
        .replace(/ \/etc\//g, ` ${root}/etc/`)
        .replace(/'ExecReload=\/usr\/sbin\/nft -f \/etc\//g, `'ExecReload=/usr/sbin/nft -f ${root}/etc/`)
        .replace(/^systemctl daemon-reload\b.*$/, 'true')
        .replace(/systemctl restart docker/, 'echo DOCKER-RESTARTED'),
    );
}

/** ExecStop= / ExecReload= of the drop-in the remedy wrote: the last assignment of each (an empty one resets). */
function dropIn(path: string): Record<'ExecStop' | 'ExecReload', string | undefined> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const last = (key: string) => lines.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1)).pop() || undefined;
  return { ExecStop: last('ExecStop'), ExecReload: last('ExecReload') };
}

const units = () => parseSystemctlText(own('systemctl_list-units.txt'), 'systemctl_list-units');

describe.skipIf(!usable)("the remedy, pasted twice, then the unit's actions (real binaries)", () => {
  it("Debian: the edited /etc/nftables.conf and the drop-in's stop leave Docker's rules; the host's table is still reset", () => {
    const root = mkdtempSync(join(tmpdir(), 'bdh1-deb-'));
    try {
      mkdirSync(join(root, 'etc'), { recursive: true });
      writeFileSync(join(root, 'etc/nftables.conf'), own('debian-nftables.conf'));
      withNetns('deb', (sh) => {
        // at boot: the service's start, then Docker's rules (iptables-nft)
        sh(`nft -f ${root}/etc/nftables.conf`);
        sh('iptables-nft-restore', DOCKER28());
        const docker = ruleCount(sh('iptables-nft-save'));
        const node: NodeArtifacts = {
          services: [units()],
          iptables: [parseIptablesSave(sh('iptables-nft-save'), 'iptables-save')],
          nftablesConfig: [parseNftablesConfig(readFileSync(join(root, 'etc/nftables.conf'), 'utf8'), 'etc/nftables.conf')],
        };
        const [f] = runNode(serviceConflict, node).filter((x) => x.facts?.unit === 'nftables.service');
        const cmds = pasteable(f.remedy.commands, root);
        for (let run = 0; run < 2; run++) for (const c of cmds) expect(sh(c)).not.toMatch(/DOCKER-RESTARTED/);
        expect(readFileSync(join(root, 'etc/nftables.conf'), 'utf8')).toMatch(/^table inet filter\ndelete table inet filter\n\ntable inet filter \{/m);
        expect(readFileSync(join(root, 'etc/nftables.conf'), 'utf8')).not.toMatch(/flush ruleset/);
        // nothing live changed by the paste
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        // the unit's actions now: reload and start load the file (Debian's ExecReload / ExecStart), stop runs the drop-in's
        const unit = dropIn(join(root, 'etc/systemd/system/nftables.service.d/keep-container-rules.conf'));
        expect(unit.ExecStop).toBe("/usr/sbin/nft 'add table inet filter; delete table inet filter'");
        sh('nft add rule inet filter input tcp dport 22 accept');
        for (let i = 0; i < 2; i++) sh(`nft -f ${root}/etc/nftables.conf`);
        expect(sh('nft list chain inet filter input')).not.toMatch(/dport 22/);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        for (let i = 0; i < 2; i++) sh(unit.ExecStop!);
        expect(sh('nft list tables')).not.toMatch(/inet filter/);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        sh(`nft -f ${root}/etc/nftables.conf`);
        expect(sh('nft list tables')).toMatch(/table inet filter/);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        // the Docker check runs the restart only where Docker's chains are gone
        sh('nft flush ruleset');
        expect(sh(cmds[cmds.length - 1])).toMatch(/DOCKER-RESTARTED/);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("RHEL: main.nft edited, the drop-in's reload and stop leave Docker's rules", () => {
    const root = mkdtempSync(join(tmpdir(), 'bdh1-rhel-'));
    try {
      mkdirSync(join(root, 'etc/sysconfig'), { recursive: true });
      mkdirSync(join(root, 'etc/nftables'), { recursive: true });
      const sysconfig = own('rhel-sysconfig-nftables.conf').replace('#include "/etc/nftables/main.nft"', 'include "/etc/nftables/main.nft"');
      // the copy includes the copy of main.nft
      writeFileSync(join(root, 'etc/sysconfig/nftables.conf'), sysconfig.replace('"/etc/nftables/main.nft"', `"${root}/etc/nftables/main.nft"`));
      writeFileSync(join(root, 'etc/nftables/main.nft'), own('rhel-main.nft'));
      withNetns('rhel', (sh) => {
        sh(`nft -f ${root}/etc/sysconfig/nftables.conf`);
        sh('iptables-nft-restore', DOCKER28());
        const docker = ruleCount(sh('iptables-nft-save'));
        const node: NodeArtifacts = {
          services: [units()],
          iptables: [parseIptablesSave(sh('iptables-nft-save'), 'iptables-save')],
          nftablesConfig: [parseNftablesConfig(sysconfig, 'etc/sysconfig/nftables.conf'), parseNftablesConfig(own('rhel-main.nft'), 'etc/nftables/main.nft')],
        };
        const [f] = runNode(serviceConflict, node).filter((x) => x.facts?.unit === 'nftables.service');
        const cmds = pasteable(f.remedy.commands, root);
        for (let run = 0; run < 2; run++) for (const c of cmds) expect(sh(c)).not.toMatch(/DOCKER-RESTARTED/);
        expect(readFileSync(join(root, 'etc/nftables/main.nft'), 'utf8')).not.toMatch(/^flush ruleset/m);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        const unit = dropIn(join(root, 'etc/systemd/system/nftables.service.d/keep-container-rules.conf'));
        expect(unit.ExecReload).toBe(`/usr/sbin/nft -f ${root}/etc/sysconfig/nftables.conf`);
        for (let i = 0; i < 2; i++) sh(unit.ExecReload!);
        expect(sh('nft list tables')).toMatch(/table inet nftables_svc/);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
        for (let i = 0; i < 2; i++) sh(unit.ExecStop!);
        expect(sh('nft list tables')).not.toMatch(/nftables_svc/);
        expect(ruleCount(sh('iptables-nft-save'))).toBe(docker);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
