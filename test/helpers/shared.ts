/**
 * Where the shared data sits, and skips for when it does not: tests read ../shared in
 * place and must skip cleanly where it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = resolve(projectRoot, '..', 'shared');
export const corpusDir = join(sharedDir, 'corpus');
export const seedsDir = join(sharedDir, 'seeds');
export const hasCorpus = existsSync(join(corpusDir, 'SOURCES.md'));
export const hasSeeds = existsSync(seedsDir);

export function corpusPath(...parts: string[]): string {
  return join(corpusDir, ...parts);
}

export function readCorpus(...parts: string[]): string {
  return readFileSync(corpusPath(...parts), 'utf8');
}

/** Files of the project itself (fixtures under test/fixtures, bundles/...). */
export function projectPath(...parts: string[]): string {
  return join(projectRoot, ...parts);
}

let netnsProbe: boolean | undefined;
/** True when this process can create a network namespace and run iptables in it (root, iproute2, iptables). */
export function canMakeNetns(): boolean {
  if (netnsProbe !== undefined) return netnsProbe;
  const name = `bdprobe${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
    try {
      execFileSync('ip', ['netns', 'exec', name, 'iptables-save'], { stdio: 'ignore' });
      netnsProbe = true;
    } finally {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
  } catch {
    netnsProbe = false;
  }
  return netnsProbe;
}
