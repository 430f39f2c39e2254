/**
 * R6's W4 (its case 08, e2b-dev/infra#3508): a hand-made bundle's dmesg.txt with no timestamps and no known message
 * was "not recognised", so a bundle of it alone said "Nothing could be checked". Files named for the kernel's log
 * (dmesg*, kern.log*, journalctl -k) are read as the kernel's lines whatever they hold.
 */
import { describe, expect, it } from 'vitest';
import { logSourceOf } from '../../src/layouts/logs.js';
import { analyzeBundle } from '../../src/engine/analyze.js';
import { writeFolder } from '../helpers/archive.js';

describe("the kernel's log by its name", () => {
  it('dmesg*, kern.log*, journalctl -k are the kernel; look-alikes are not', () => {
    for (const p of ['dmesg.txt', 'node1/dmesg-T.log', 'dmesg', 'kern.log', 'kern.log.1', 'journalctl-k.txt', 'journalctl_-k', 'journalctl --dmesg.txt'])
      expect(logSourceOf(p), p).toEqual({ unit: 'kernel' });
    for (const p of ['dmesgfoo.txt', 'kernel.txt', 'journalctl-u-docker.txt']) expect(logSourceOf(p)?.unit, p).not.toBe('kernel');
  });

  it('a dmesg.txt with an untimed line nothing knows is read as a log, not "not recognised"', async () => {
    // a real kernel line (Android binder's debug message, quoted in public kernel bug threads), no timestamp
    const r = await analyzeBundle(writeFolder({ 'dmesg.txt': 'binder_dkms: 241495:242005 DecRefs 0 refcount change on invalid ref 29 ret -22\n' }, 'w4-dmesg'));
    const node = r.coverage.nodes[0];
    expect(node.artifacts.logs).toEqual(['dmesg.txt']);
    expect(JSON.stringify(r.coverage)).not.toContain('not recognised');
  });
});
