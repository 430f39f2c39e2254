/**
 * One temporary directory per test run. Tests make their scratch folders with os.tmpdir() (and
 * the CLIs they spawn inherit TMPDIR); pointing it at a fresh folder that the teardown removes
 * keeps a run from leaving thousands of bd-test-* folders behind in /tmp. A run that is killed
 * leaves this one folder (bd-vitest-*) and nothing else.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'bd-vitest-'));
  // like /tmp itself: tests that run the CLI as another user (nobody) reach their folders through it
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
