/**
 * `docker network inspect`'s `"EnableIPv6"` and its bridge options (enable_icc, enable_ip_masquerade,
 * host_binding_ipv4, driver.mtu) kept with their own lines (src/parsers/docker-network-inspect.ts).
 *
 * Real text:
 * - IPV6_ONLY: verbatim from docker/cli#2899 (thaJeztah, 2025-04-24: `docker network create
 *   --driver=bridge --subnet="2001:DB8::1:1:0/112" ... --ipv6 --ipv4=false mySubnet`, then
 *   `docker network inspect mySubnet`), https://github.com/docker/cli/issues/2899
 * - the corpus's docker-docs-inspect-bridge-alpine3-alpine4.json (the default bridge, EnableIPv6 false)
 *   and moby-api-v1.24-networks-list-bridge-none-host.json (three networks in one array).
 */
import { describe, expect, it } from 'vitest';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { hasCorpus, readCorpus } from '../helpers/shared.js';

const IPV6_ONLY = `[
    {
        "Name": "mySubnet",
        "Id": "3c8dbd10c6f1db2f3b21b4e39df49d81dbd3b97b7ca7a6221256b76a962ceae7",
        "Created": "2025-04-24T21:31:26.089247959Z",
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv4": false,
        "EnableIPv6": true,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [
                {
                    "Subnet": "2001:DB8::1:1:0/112",
                    "Gateway": "2001:DB8::1:1:1"
                }
            ]
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {
            "Network": ""
        },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {
            "com.docker.network.enable_ipv4": "true",
            "com.docker.network.enable_ipv6": "false"
        },
        "Labels": {}
    }
]
`;

describe('docker network inspect: EnableIPv6', () => {
  it('keeps EnableIPv6 true with its own line (docker/cli#2899)', () => {
    const [n] = parseDockerNetworks(IPV6_ONLY, 'net.json').networks;
    expect(n.enableIPv6).toEqual({ value: true, ref: { file: 'net.json', line: 9 }, excerpt: '"EnableIPv6": true,' });
    // the options keep their lines too
    expect(n.optionRefs['com.docker.network.enable_ipv6']).toEqual({ ref: { file: 'net.json', line: 30 }, excerpt: '"com.docker.network.enable_ipv6": "false"' });
  });

  it('leaves enableIPv6 out where the output does not say (Docker before 1.10)', () => {
    const [n] = parseDockerNetworks(IPV6_ONLY.replace('        "EnableIPv6": true,\n', ''), 'net.json').networks;
    expect(n.enableIPv6).toBeUndefined();
  });
});

describe.skipIf(!hasCorpus)('docker network inspect: options with their lines (corpus)', () => {
  it('the default bridge: EnableIPv6 false and every com.docker.network option on its line', () => {
    const f = 'docker-docs-inspect-bridge-alpine3-alpine4.json';
    const text = readCorpus('docker-network', f);
    const all = text.split('\n');
    const [n] = parseDockerNetworks(text, f).networks;
    expect(n.enableIPv6?.value).toBe(false);
    expect(all[n.enableIPv6!.ref.line - 1]).toContain('"EnableIPv6": false');
    for (const k of ['com.docker.network.bridge.enable_icc', 'com.docker.network.bridge.enable_ip_masquerade', 'com.docker.network.bridge.host_binding_ipv4', 'com.docker.network.driver.mtu']) {
      const r = n.optionRefs[k];
      expect(r, k).toBeDefined();
      expect(all[r.ref.line - 1]).toContain(`"${k}": "${n.options[k]}"`);
      expect(r.excerpt).toBe(all[r.ref.line - 1].trim());
    }
    expect(n.options['com.docker.network.driver.mtu']).toBe('1500');
  });

  it('several networks in one array: each takes its own EnableIPv6 and option lines, not the next one\'s', () => {
    const f = 'moby-api-v1.24-networks-list-bridge-none-host.json';
    const text = readCorpus('docker-network', f);
    const all = text.split('\n');
    const nets = parseDockerNetworks(text, f).networks;
    expect(nets.length).toBeGreaterThan(1);
    const lines = new Set<number>();
    for (const n of nets) {
      if (n.enableIPv6) {
        expect(all[n.enableIPv6.ref.line - 1]).toContain('"EnableIPv6"');
        // after its own Id, before the next network's
        expect(n.enableIPv6.ref.line).toBeGreaterThan(n.ref.line);
        lines.add(n.enableIPv6.ref.line);
      }
      for (const [k, r] of Object.entries(n.optionRefs)) {
        expect(all[r.ref.line - 1], `${n.name} ${k}`).toContain(`"${k}"`);
        expect(r.ref.line).toBeGreaterThan(n.ref.line);
      }
    }
    // no two networks share one EnableIPv6 line
    expect(lines.size).toBe(nets.filter((n) => n.enableIPv6).length);
  });
});
