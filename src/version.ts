/** The package version, read once from package.json so there is one place to bump it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bundle-doctor' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up (src/ when run from source, dist/src/ when built)
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const VERSION = findVersion();
