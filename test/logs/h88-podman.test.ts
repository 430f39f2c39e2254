/**
 * H88: aardvark-dns failing to start (src/logs/signatures-podman.ts), through the catalog as signatures.ts wires it
 * (or, before that, with PODMAN_SIGNATURES appended here). Real lines only, each with its source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanLogText } from '../../src/logs/scanner.js';
import { SIGNATURES, type LogSignature } from '../../src/logs/signatures.js';
import { PODMAN_SIGNATURES } from '../../src/logs/signatures-podman.js';
import { projectPath } from '../helpers/shared.js';

const BIND = 'log.aardvark-dns-bind-failed';
const START = 'log.aardvark-dns-start-failed';
const CATALOG: readonly LogSignature[] = SIGNATURES.some((s) => s.id === BIND) ? SIGNATURES : [...SIGNATURES, ...PODMAN_SIGNATURES];
const scan = (text: string, file = 'h88.log') => scanLogText(text.endsWith('\n') ? text : `${text}\n`, file, { catalog: CATALOG }).matches;
const ours = (text: string) => scan(text).filter((m) => m.signature === BIND || m.signature === START);

describe('aardvark-dns could not bind (containers/aardvark-dns#725)', () => {
  it("podman --log-level=debug's ExitCode msg line: the bind failure, with address, port and errno; not also the generic entry", () => {
    const text = readFileSync(projectPath('test/fixtures/h88-aardvark-725/podman-run-debug.log'), 'utf8');
    const m = ours(text);
    expect(m).toHaveLength(1);
    expect(m[0].signature).toBe(BIND);
    expect(m[0].line).toBe(text.split('\n').findIndex((l) => l.includes('ExitCode msg')) + 1);
    expect(m[0].facts).toMatchObject({ protocol: 'udp', address: '[2001:db8::1]', port: '53', errno: '99', reason: 'cannot assign requested address' });
  });

  it("the issue's title (aardvark-dns's own wording, capitalised)", () => {
    const m = ours('Error starting server failed to bind udp listener on [2001:db8::1]:53: IO error: Cannot assign requested address (os error 99)');
    expect(m.map((x) => x.signature)).toEqual([BIND]);
    expect(m[0].facts).toMatchObject({ address: '[2001:db8::1]', port: '53', errno: '99', reason: 'Cannot assign requested address' });
  });
});

describe('aardvark-dns failed to start for another reason (podman-container-tools/podman#24451)', () => {
  it("netavark's line: the generic entry", () => {
    // https://github.com/podman-container-tools/podman/issues/24451
    const m = ours('[nextcloud] | Error: unable to start container 54802cb6ebb3efeee8b4b1d8563d237d25d26f84223ed3bf8a63fdf7adaa8bc2: netavark: IO error: Error while applying dns entries: IO error: aardvark-dns failed to start: Error from child process');
    expect(m.map((x) => x.signature)).toEqual([START]);
    expect(m[0].facts.reason).toBe('Error from child process');
  });
});

describe('lines that are not an aardvark-dns start failure', () => {
  it("a running aardvark-dns's own lines (containers/aardvark-dns#151), and the rest of #725's debug log", () => {
    // https://github.com/containers/aardvark-dns/issues/151
    expect(ours('Aug 01 08:57:28 VPS1 aardvark-dns[524]: Failed while parsing message: unexpected end of input reached')).toEqual([]);
    expect(ours('Aug 01 08:57:28 VPS1 aardvark-dns[524]: None received while parsing dns message, this is not expected server will ignore this message')).toEqual([]);
    // https://github.com/containers/aardvark-dns/issues/725
    expect(ours('DEBU[0000] Network is already cleaned up, skipping...')).toEqual([]);
    expect(ours('[DEBUG netavark::firewall::nft] Removing 1 isolation rules for network')).toEqual([]);
  });

  it("other DNS servers' bind failures on port 53 are not aardvark-dns's", () => {
    // https://github.com/hassio-addons/app-adguard-home/issues/408
    expect(ours('2023/04/02 21:37:03.729407 [fatal] couldn\'t start forwarding DNS server: listening to udp socket: listen udp [::1]:53: bind: cannot assign requested address')).toEqual([]);
    // https://github.com/PowerDNS/pdns/issues/10931
    expect(ours('Fatal error: binding socket to 0.0.0.0:53: Address already in use')).toEqual([]);
  });
});
