/**
 * daemon.json with a key of the wrong JSON type: read, its key recorded with its line and the error
 * dockerd prints, its setting left unset (src/parsers/docker-daemon.ts). Before, the schema rejected
 * the whole file ("unexpected daemon.json shape (Invalid input: expected boolean, received string)").
 *
 * Real text:
 * - DOCS_7351: the snippet of docker/docs#7351 (`"bridge": "none", "iptables": "false"`), which made
 *   dockerd print `unable to configure the Docker daemon with file /etc/docker/daemon.json: json: cannot
 *   unmarshal string into Go struct field Config.iptables of type bool`; its fix (`"iptables": false`)
 *   is the healthy file. https://github.com/docker/docs/issues/7351
 * - MOBY_44905: the daemon.json akerouanton fixed in moby/moby#44905 (quoted "true"s), for which the
 *   reporter got `json: cannot unmarshal string into Go struct field Config.ipv6 of type bool`: the
 *   first wrong key in the file is the one dockerd names. https://github.com/moby/moby/issues/44905
 * - docs#3545: `"mtu": "1500"` -> `json: cannot unmarshal string into Go value of type int` (Docker 17.06;
 *   newer Go names the field). https://github.com/docker/docs/pull/3545
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerDaemonJson } from '../../src/parsers/docker-daemon.js';
import { dockerdSettings } from '../../src/parsers/dockerd-flags.js';
import { projectPath } from '../helpers/shared.js';

const DOCS_7351 = readFileSync(projectPath('test/fixtures/daemon-config/docs-7351/etc/docker/daemon.json'), 'utf8');
const MOBY_44905 = `{
    "ipv6": "true",
    "fixed-cidr-v6": "fd00::/64",
    "ip6tables": "true",
    "experimental": "true"
}
`;

describe('daemon.json: a quoted boolean', () => {
  it('keeps the file, records "iptables": "false" with its line and dockerd\'s error (docs#7351)', () => {
    const d = parseDockerDaemonJson(DOCS_7351, 'etc/docker/daemon.json');
    expect(d.invalid).toEqual([
      {
        key: 'iptables',
        found: 'string',
        expected: 'bool',
        ref: { file: 'etc/docker/daemon.json', line: 3 },
        excerpt: '"iptables": "false"',
        message: 'json: cannot unmarshal string into Go struct field Config.iptables of type bool',
      },
    ]);
    // dockerd never takes the quoted "false": nothing may read it as iptables off
    expect(d.iptables).toBeUndefined();
    expect(dockerdSettings([d]).iptables).toBeUndefined();
    // the well-typed key beside it is still read
    expect(d.bridge).toEqual({ value: 'none', ref: { file: 'etc/docker/daemon.json', line: 2 } });
    expect(d.keys?.map((k) => [k.key, k.ref.line])).toEqual([
      ['bridge', 2],
      ['iptables', 3],
    ]);
  });

  it('the healthy file of the fix ("iptables": false) has nothing invalid and sets iptables off', () => {
    const d = parseDockerDaemonJson(DOCS_7351.replace('"false"', 'false'), 'daemon.json');
    expect(d.invalid).toBeUndefined();
    expect(d.iptables).toEqual({ value: false, ref: { file: 'daemon.json', line: 3 } });
  });

  it('several quoted booleans: all recorded in file order, the first the one dockerd names (moby#44905)', () => {
    const d = parseDockerDaemonJson(MOBY_44905, 'daemon.json');
    expect(d.invalid?.map((i) => [i.key, i.ref.line])).toEqual([
      ['ipv6', 2],
      ['ip6tables', 4],
      ['experimental', 5],
    ]);
    expect(d.invalid?.[0].message).toBe('json: cannot unmarshal string into Go struct field Config.ipv6 of type bool');
    expect(d.ipv6).toBeUndefined();
    expect(d.fixedCidrV6?.value).toBe('fd00::/64');
  });

  it('"mtu": "1500" (docs#3545) is a string where dockerd wants an int', () => {
    const d = parseDockerDaemonJson('{\n  "mtu": "1500"\n}\n', 'daemon.json');
    expect(d.invalid?.map((i) => [i.key, i.expected, i.found])).toEqual([['mtu', 'int', 'string']]);
    expect(d.mtu).toBeUndefined();
  });

  it('a key of a nested object is not taken for a top-level one', () => {
    const text = '{\n  "default-network-opts": {\n    "bridge": {\n      "com.docker.network.driver.mtu": "1450"\n    }\n  },\n  "iptables": true\n}\n';
    const d = parseDockerDaemonJson(text, 'daemon.json');
    expect(d.keys?.map((k) => k.key)).toEqual(['default-network-opts', 'iptables']);
    expect(d.invalid).toBeUndefined();
  });
});
