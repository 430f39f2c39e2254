#!/usr/bin/env node
import v8 from 'node:v8';

// A small young generation: analysis streams data through short-lived objects, and V8's default
// (up to 48 MB kept resident) doubled the peak memory on big logs. Set before anything allocates.
v8.setFlagsFromString('--max-semi-space-size=8');

const { main } = await import('./cli.js');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bundle-doctor: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
