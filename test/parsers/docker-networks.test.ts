/**
 * `docker network inspect` (src/parsers/docker-network-inspect.ts) on every file of the corpus's
 * docker-network folder, alone and concatenated the way some bundles store them.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError, SkipFile } from '../../src/model/source.js';
import { parseDockerNetworks, sniffDockerNetworks, type DockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { corpusPath, hasCorpus, readCorpus } from '../helpers/shared.js';

const inspect = (f: string) => parseDockerNetworks(readCorpus('docker-network', f), f);
const NETWORK_FILES = [
  'docker-docs-inspect-bridge-alpine3-alpine4.json',
  'docker-docs-inspect-user-defined-alpine-net-3-containers.json',
  'dockercli-docs-inspect-default-bridge.json',
  'dockercli-docs-inspect-overlay-verbose-services.json',
  'dockercli-docs-inspect-swarm-ingress-overlay.json',
  'moby-api-v1.24-network-inspect-net01-docker0-options.json',
  'moby-api-v1.24-networks-list-bridge-none-host.json',
];

/** The report quotes these lines as evidence: the network's line must show its Id, a subnet's line the subnet. */
function expectRefsPointAtTheirLines(parsed: DockerNetworks, text: string): void {
  const all = text.split('\n');
  for (const n of parsed.networks) {
    expect(all[n.ref.line - 1], n.name).toContain(n.id);
    for (const s of n.subnets) {
      expect(all[s.ref.line - 1], `${n.name} ${s.subnet}`).toContain(`"${s.subnet}"`);
      expect(s.excerpt).toBe(all[s.ref.line - 1].trim());
    }
  }
}

describe.skipIf(!hasCorpus)('docker network inspect files of the corpus', () => {
  it('the folder holds the seven network files and two container inspects', () => {
    expect(readdirSync(corpusPath('docker-network')).filter((f) => !f.startsWith('spring-boot-')).sort()).toEqual(NETWORK_FILES);
  });

  it('each network: name, driver, host bridge, subnets with their lines, containers', () => {
    const table = NETWORK_FILES.flatMap((f) => {
      const parsed = inspect(f);
      expectRefsPointAtTheirLines(parsed, readCorpus('docker-network', f));
      expect(sniffDockerNetworks(readCorpus('docker-network', f).slice(0, 4096)), f).toBe(true);
      return parsed.networks.map((n) => [n.name, n.driver, n.scope, n.bridgeName, n.ref.line, n.subnets.map((s) => [s.subnet, s.gateway, s.ref.line]), n.containers.length]);
    });
    expect(table).toEqual([
      ['bridge', 'bridge', 'local', 'docker0', 4, [['172.17.0.0/16', '172.17.0.1', 14]], 2],
      ['alpine-net', 'bridge', 'local', 'br-e9261a8c9a19', 4, [['172.18.0.0/16', '172.18.0.1', 14]], 3],
      ['bridge', 'bridge', 'local', 'docker0', 4, [['172.17.42.1/16', '172.17.42.1', 12]], 2],
      ['ov1', 'overlay', 'swarm', undefined, 4, [['10.0.0.0/24', '10.0.0.1', 14]], 1],
      ['ingress', 'overlay', 'swarm', undefined, 4, [['10.255.0.0/16', '10.255.0.1', 14]], 1],
      // the v1.24 API example: a network named net01 whose options claim the docker0 bridge
      ['net01', 'bridge', 'local', 'docker0', 3, [['172.19.0.0/16', '172.19.0.1', 11]], 1],
      ['bridge', 'bridge', 'local', 'docker0', 4, [['172.17.0.0/16', undefined, 13]], 1],
      ['none', 'null', 'local', undefined, 36, [], 0],
      ['host', 'host', 'local', undefined, 50, [], 0],
    ]);
  });

  it('user-defined alpine-net: bridge br- plus the first 12 characters of the Id; containers with addresses and MACs', () => {
    const n = inspect('docker-docs-inspect-user-defined-alpine-net-3-containers.json').networks[0];
    expect(n.id.slice(0, 12)).toBe('e9261a8c9a19');
    expect(n.options).toEqual({});
    expect(n.internal).toBe(false);
    expect(n.containers.map((c) => [c.name, c.ipv4, c.ipv6]).sort()).toEqual([
      ['alpine1', '172.18.0.2/16', undefined],
      ['alpine2', '172.18.0.3/16', undefined],
      ['alpine4', '172.18.0.4/16', undefined],
    ]);
    expect(n.containers.every((c) => /^02:42:ac:12:00:0\d$/.test(c.mac ?? ''))).toBe(true);
  });

  it('the docker/cli docs bridge: the IPAM subnet 172.17.42.1/16 as written, while a container holds 172.17.0.1', () => {
    const n = inspect('dockercli-docs-inspect-default-bridge.json').networks[0];
    expect(n.options['com.docker.network.bridge.name']).toBe('docker0');
    expect(n.containers.map((c) => c.ipv4).sort()).toEqual(['172.17.0.1/16', '172.17.0.2/16']);
  });

  it('alpine4 sits on both the default bridge and alpine-net (same container id in both files)', () => {
    const bridge = inspect('docker-docs-inspect-bridge-alpine3-alpine4.json').networks[0];
    const user = inspect('docker-docs-inspect-user-defined-alpine-net-3-containers.json').networks[0];
    const a4 = (n: typeof bridge) => n.containers.find((c) => c.name === 'alpine4');
    expect(a4(bridge)!.id).toBe(a4(user)!.id);
    expect([a4(bridge)!.ipv4, a4(user)!.ipv4]).toEqual(['172.17.0.3/16', '172.18.0.4/16']);
  });

  it('all seven files concatenated in one file: nine networks, every line still right', () => {
    const texts = NETWORK_FILES.map((f) => readCorpus('docker-network', f));
    const text = texts.join('\n');
    const parsed = parseDockerNetworks(text, 'docker_network_inspect_all');
    expect(parsed.networks.map((n) => n.name)).toEqual(['bridge', 'alpine-net', 'bridge', 'ov1', 'ingress', 'net01', 'bridge', 'none', 'host']);
    expectRefsPointAtTheirLines(parsed, text);
    // the first file, the blank line the join leaves after its final newline, then the Id on line 4 of the second
    expect(parsed.networks[1].ref.line).toBe(texts[0].trimEnd().split('\n').length + 1 + 4);
  });
});

describe('what is not a network list', () => {
  it('`docker network inspect` of a missing network: the error text and an empty array are skipped', () => {
    expect(() => parseDockerNetworks('[]\nError: No such network: flannel\n', 'docker_network_inspect_flannel')).toThrow(SkipFile);
    expect(() => parseDockerNetworks('', 'empty')).toThrow(SkipFile);
  });

  it('broken JSON is a parse error at the line where its document starts', () => {
    const bad = '[\n  {"Name": "a", "IPAM": {}}\n]\n[\n  {"Name": "b", oops}\n]\n';
    expect(() => parseDockerNetworks(bad, 'bad')).toThrow(ParseError);
    try {
      parseDockerNetworks(bad, 'bad');
    } catch (err) {
      expect((err as ParseError).line).toBe(4);
    }
  });

  it('sniff refuses subnet.env, ip addr and a flannel net-conf.json', () => {
    for (const t of ['FLANNEL_NETWORK=10.244.0.0/16\n', '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n', '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n']) {
      expect(sniffDockerNetworks(t)).toBe(false);
    }
  });

  // `docker inspect <container>` has a top-level Name ("/redis-docker-redis-1") and Driver (the
  // storage driver, "btrfs"): the loose zod shape takes it for a network named after the container.
  it.skipIf(!hasCorpus)('a container inspect is not read as a network', () => {
    for (const f of ['spring-boot-container-inspect-compose-network-192.168.32.0-20.json', 'spring-boot-container-inspect-network-mode-host.json']) {
      let names: string[] = [];
      try {
        names = inspect(f).networks.map((n) => n.name);
      } catch (err) {
        if (!(err instanceof SkipFile)) throw err;
      }
      expect(names).not.toContain('/redis-docker-redis-1');
    }
  });

  // Each JSON document's line is found by re-splitting the text from its start, and a network
  // without Id is looked up by `"Name": "x"` with one exact spacing, scanning to the end of the file
  // when compact JSON does not match: 8,000 one-line networks (100 KB) take seconds, 40,000 minutes.
  it('many small documents in one file parse in linear time', () => {
    const text = '{"Name":"x","Driver":"bridge","Scope":"local"}\n'.repeat(8000);
    // line numbers come from a binary search over newline offsets: no rescan per document (speed is for the bench)
    expect(parseDockerNetworks(text, "many").networks.map((n) => n.ref.line).slice(-2)).toEqual([7999, 8000]);
  });
});
