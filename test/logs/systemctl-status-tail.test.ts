/**
 * The journal's last lines `systemctl status` prints under a unit, read as log lines (src/parsers/services.ts keeps
 * them, src/engine/logs.ts scans them at their own lines), and counted once where the node's journal holds them too.
 * Real text (test/fixtures/systemctl-status-tail/README.md):
 *
 * - https://github.com/moby/moby/issues/24155: `systemctl status docker` of Docker 1.11.2 failing at start with
 *   `Error starting daemon: Error initializing network controller` (the paste lost its `● docker.service` line);
 * - https://github.com/KaOSx/apps/issues/76: a healthy docker.service, active (running), with dockerd's info lines;
 * - canonical/hotsos' sos fixture (systemctl_status_--all): sos' ASCII `*` header and its "journal has been rotated"
 *   warning, which is no journal line.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { tmpDir } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const DIR = projectPath('test/fixtures/systemctl-status-tail');
const MOBY = readFileSync(`${DIR}/moby-24155/systemctl-status-docker.txt`, 'utf8');
const HEALTHY = readFileSync(`${DIR}/kaosx-76-healthy/systemctl-status-docker.txt`, 'utf8');
const CONTROLLER = 'log.docker-network-controller-failed';

/** hotsos' sos systemctl_status_--all: one block as sos saved it (LANG=C: `*`, not `●`) */
const HOTSOS_BLOCK = `* dev-vda1.device - /dev/vda1
   Follow: unit currently follows state of sys-devices-pci0000:00-0000:00:05.0-virtio2-block-vda-vda1.device
     Loaded: loaded
     Active: active (plugged) since Fri 2022-02-11 18:58:11 UTC; 25min ago
     Device: /sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vda/vda1

Warning: journal has been rotated since unit was started, output may be incomplete.
`;

/** the moby#24155 block as sos saves it: the header line systemctl prints first (sos' ASCII form), then the paste */
const SOS_DOCKER_BLOCK = `* docker.service - Docker Application Container Engine\n${MOBY}`;
/** its journal lines, as the node's journal holds them */
const JOURNAL_LINES = MOBY.split('\n').filter((l) => l.startsWith('Jun 30 '));

function sosFolder(files: Record<string, string>): string {
  const dir = join(tmpDir(), 'sosreport-w-2016-06-30-abcdef');
  for (const [p, data] of Object.entries({ hostname: 'w\n', ...files })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), data);
  }
  return dir;
}

describe('the journal tail of systemctl status, parsed', () => {
  it("keeps each journal line with its unit and its line; a paste without its header takes the unit Loaded: names", () => {
    const list = parseSystemctlText(MOBY, 'status.txt');
    expect(list.services).toMatchObject([{ unit: 'docker.service', enabled: 'enabled', active: 'failed', ref: { line: 4 } }]);
    expect(list.journal?.map((j) => [j.unit, j.line])).toEqual([9, 10, 11, 12, 13].map((n) => ['docker.service', n]));
    expect(list.journal?.[4].text).toContain('level=fatal msg="Error starting daemon: Error initializing network controller');
  });

  it('reads no property, CGroup row, command line or sos warning as a journal line', () => {
    const healthy = parseSystemctlText(HEALTHY, 'status.txt');
    expect(healthy.journal?.map((j) => j.line)).toEqual([14, 15, 16, 17]);
    const sos = parseSystemctlText(`${HOTSOS_BLOCK}\n${SOS_DOCKER_BLOCK}`, 'systemctl_status_--all');
    expect(sos.services.map((s) => [s.unit, s.active])).toContainEqual(['docker.service', 'failed']);
    expect(sos.journal?.map((j) => [j.unit, j.line])).toEqual([18, 19, 20, 21, 22].map((n) => ['docker.service', n]));
    // a block after docker's (sos prints them in a row): its lines are its own, not docker's
    const next = parseSystemctlText(`${SOS_DOCKER_BLOCK}\n${HOTSOS_BLOCK}\n${JOURNAL_LINES[0].replace(' w docker[5517]:', ' w systemd-udevd[381]:')}\n`, 'systemctl_status_--all');
    expect(next.journal?.map((j) => j.unit)).toEqual([...Array(5).fill('docker.service'), 'dev-vda1.device']);
  });
});

describe('a hand-made bundle: systemctl status docker pasted', () => {
  it("moby#24155: dockerd's failure in the status tail is a finding at the paste's own line, critical as docker.service failed", async () => {
    const report = await analyzeBundle(`${DIR}/moby-24155`);
    const f = report.findings.find((x) => x.id === CONTROLLER);
    expect(f, JSON.stringify(report.findings.map((x) => x.id))).toBeDefined();
    expect(f!.severity).toBe('critical');
    expect(f!.facts).toMatchObject({ count: 1 });
    expect(f!.evidence[0]).toMatchObject({ file: 'systemctl-status-docker.txt', line: 13 });
    expect(f!.evidence[0].excerpt).toContain('Error initializing network controller');
    // the unit's state the status shows is the reason it is critical
    expect(f!.message).toContain('not running');
  });

  it('KaOSx/apps#76: a healthy docker.service (active (running)) and its info lines give no finding', async () => {
    const report = await analyzeBundle(`${DIR}/kaosx-76-healthy`);
    expect(report.findings.filter((f) => f.id.startsWith('log.'))).toEqual([]);
    expect(report.findings.filter((f) => f.severity === 'critical')).toEqual([]);
  });
});

describe('a sosreport: the status tail and the journal hold the same line', () => {
  it('counts it once, citing the journal', async () => {
    const dir = sosFolder({
      'sos_commands/systemd/systemctl_status_--all': `${HOTSOS_BLOCK}\n${SOS_DOCKER_BLOCK}`,
      'sos_commands/logs/journalctl_--no-pager': JOURNAL_LINES.join('\n') + '\n',
    });
    const report = await analyzeBundle(dir);
    const f = report.findings.find((x) => x.id === CONTROLLER);
    expect(f).toBeDefined();
    expect(f!.facts).toMatchObject({ count: 1 });
    expect(f!.message).toMatch(/^1 line in 1 log /);
    expect(f!.evidence.filter((e) => e.excerpt.includes('Error initializing network controller'))).toEqual([
      expect.objectContaining({ file: 'sos_commands/logs/journalctl_--no-pager', line: 5 }),
    ]);
  });

  it('without the journal, the status tail alone gives the finding at its line in systemctl_status_--all', async () => {
    const dir = sosFolder({ 'sos_commands/systemd/systemctl_status_--all': `${HOTSOS_BLOCK}\n${SOS_DOCKER_BLOCK}` });
    const report = await analyzeBundle(dir);
    const f = report.findings.find((x) => x.id === CONTROLLER);
    expect(f?.facts).toMatchObject({ count: 1 });
    expect(f?.evidence[0]).toMatchObject({ file: 'sos_commands/systemd/systemctl_status_--all', line: 22 });
  });

  it('a `journalctl -o short-iso` journal (zoned times) holds the same line: counted once, citing the journal', async () => {
    // the same journal lines as journalctl -o short-iso prints them on a node eight hours east of UTC: the status
    // tail's zoneless `Jun 30 07:42:55` is that journal's `2016-06-30T07:42:55+0800` (23:42:55 UTC the day before)
    const iso = JOURNAL_LINES.map((l) => l.replace(/^Jun 30 (\d\d:\d\d:\d\d) /, '2016-06-30T$1+0800 '));
    expect(iso[4]).toMatch(/^2016-06-30T07:42:55\+0800 \S+ (?:docker|dockerd)\[\d+\]: /);
    const dir = sosFolder({
      'sos_commands/systemd/systemctl_status_--all': `${HOTSOS_BLOCK}\n${SOS_DOCKER_BLOCK}`,
      'sos_commands/logs/journalctl_--no-pager': iso.join('\n') + '\n',
    });
    const report = await analyzeBundle(dir);
    const f = report.findings.find((x) => x.id === CONTROLLER);
    expect(f!.facts).toMatchObject({ count: 1 });
    expect(f!.evidence.filter((e) => e.excerpt.includes('Error initializing network controller'))).toEqual([
      expect.objectContaining({ file: 'sos_commands/logs/journalctl_--no-pager', line: 5 }),
    ]);
  });

  it('a journal holding another failure (another second) leaves the status line counted: two lines', async () => {
    // the same failure a second later: a second start that failed the same way
    const later = JOURNAL_LINES[4].replace('Jun 30 07:42:55', 'Jun 30 07:42:56');
    const dir = sosFolder({
      'sos_commands/systemd/systemctl_status_--all': `${HOTSOS_BLOCK}\n${SOS_DOCKER_BLOCK}`,
      'sos_commands/logs/journalctl_--no-pager': later + '\n',
    });
    const report = await analyzeBundle(dir);
    const f = report.findings.find((x) => x.id === CONTROLLER);
    expect(f?.facts).toMatchObject({ count: 2 });
    expect(new Set(f?.evidence.map((e) => e.file))).toEqual(new Set(['sos_commands/logs/journalctl_--no-pager', 'sos_commands/systemd/systemctl_status_--all']));
  });
});
