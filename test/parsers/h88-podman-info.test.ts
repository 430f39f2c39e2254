/**
 * H88: `podman info` (YAML and --format json), src/parsers/podman-info.ts. Real text only
 * (test/fixtures/h88-podman-info/SOURCES.md): GitLab Runner's documented job log (rootless, pasta, Podman 5.2.3),
 * containers/ramalama's documented `podman info --format json` (Podman 5.3.1, tabs and spaces mixed),
 * containers/netavark#1470's excerpt (reviewer R27 06), and podman 4.3.1's own output (YAML and JSON, root, CNI)
 * made here with Debian 12's package.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions, componentVersion, parsePodmanInfo, sniffPodmanInfo } from '../../src/parsers/podman-info.js';
import { SkipFile } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const fx = (f: string) => readFileSync(projectPath('test/fixtures/h88-podman-info', f), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('podman info YAML (GitLab Runner docs: rootless Podman 5.2.3 with pasta)', () => {
  const text = fx('gitlab-runner-rootless-pasta.txt');
  const info = parsePodmanInfo(text, 'sos_commands/podman/podman_info');

  it('is sniffed (under its `$ podman info` line)', () => {
    expect(sniffPodmanInfo(text.slice(0, 4096))).toBe(true);
  });

  it('reads the backend, the rootless network command, rootless and the version, each at its line', () => {
    expect(info.format).toBe('yaml');
    expect(info.networkBackend).toMatchObject({ value: 'netavark', ref: { file: 'sos_commands/podman/podman_info', line: lineOf(text, '  networkBackend: netavark') } });
    expect(info.rootlessNetworkCmd).toMatchObject({ value: 'pasta', ref: { line: lineOf(text, 'rootlessNetworkCmd: pasta') } });
    expect(info.rootless).toMatchObject({ rootless: true, ref: { line: lineOf(text, '    rootless: true') } });
    expect(info.version).toMatchObject({ value: '5.2.3', ref: { line: lineOf(text, '  Version: 5.2.3') } });
  });

  it('reads netavark and aardvark-dns from networkBackendInfo, not conmon\'s or the distribution\'s version lines', () => {
    expect(info.netavark?.package?.value).toBe('netavark-1.12.2-1.fc40.aarch64');
    expect(info.netavark?.version).toMatchObject({ value: 'netavark 1.12.2', ref: { line: lineOf(text, 'version: netavark 1.12.2') } });
    expect(info.aardvarkDns?.version?.value).toBe('aardvark-dns 1.12.2');
    expect(info.aardvarkDns?.package?.ref.line).toBe(lineOf(text, 'package: aardvark-dns-1.12.2'));
    expect(componentVersion(info.netavark)).toBe('1.12.2');
    expect(componentVersion(info.aardvarkDns)).toBe('1.12.2');
  });

  it('reads pasta\'s block-scalar version as its first line, and slirp4netns\'s empty strings as absent', () => {
    expect(info.pasta?.version).toMatchObject({ value: 'pasta 0^20240906.g6b38f07-1.fc40.aarch64-pasta', ref: { line: lineOf(text, '      pasta 0^20240906') } });
    expect(info.pasta?.package?.value).toBe('passt-0^20240906.g6b38f07-1.fc40.aarch64');
    expect(componentVersion(info.pasta)).toBe('0^20240906');
    expect(info.slirp4netns).toBeUndefined();
  });
});

describe('podman info --format json (containers/ramalama docs: Podman 5.3.1, tabs and spaces mixed)', () => {
  const text = fx('ramalama-podman-info.json');
  const info = parsePodmanInfo(text, 'podman-info.json');

  it('is sniffed and read with lines', () => {
    expect(sniffPodmanInfo(text.slice(0, 4096))).toBe(true);
    expect(info.format).toBe('json');
    expect(info.networkBackend).toMatchObject({ value: 'netavark', ref: { line: lineOf(text, '"networkBackend": "netavark"') } });
    expect(info.rootlessNetworkCmd?.value).toBe('pasta');
    expect(info.rootless).toMatchObject({ rootless: true, ref: { line: lineOf(text, '"rootless": true') } });
    expect(info.version).toMatchObject({ value: '5.3.1', ref: { line: lineOf(text, '"Version": "5.3.1"') } });
  });

  it('takes the dns block\'s package (deeper tabs) for aardvark-dns, and the backend\'s own for netavark', () => {
    expect(info.aardvarkDns?.package).toMatchObject({ value: 'aardvark-dns-1.13.1-1.fc41.x86_64', ref: { line: lineOf(text, '"package": "aardvark-dns-1.13.1') } });
    expect(info.netavark?.version?.value).toBe('netavark 1.13.1');
    expect(info.netavark?.package?.ref.line).toBe(lineOf(text, '"package": "netavark-1.13.1'));
    expect(componentVersion(info.slirp4netns)).toBe('1.3.1');
    expect(info.pasta?.version?.value).toBe('pasta 0^20241211.g09478d5-1.fc41.x86_64');
  });

  it('the same document on one line: values at line 1', () => {
    const one = JSON.stringify(JSON.parse(text));
    const i = parsePodmanInfo(one, 'one.json');
    expect(i.networkBackend).toMatchObject({ value: 'netavark', ref: { line: 1 } });
    expect(componentVersion(i.aardvarkDns)).toBe('1.13.1');
    expect(i.rootless?.rootless).toBe(true);
  });
});

describe('podman 4.3.1 as root (CNI backend), its own YAML and JSON', () => {
  for (const f of ['podman-4.3.1-root-cni.yaml', 'podman-4.3.1-root-cni.json']) {
    it(f, () => {
      const text = fx(f);
      expect(sniffPodmanInfo(text.slice(0, 4096))).toBe(true);
      const info = parsePodmanInfo(text, f);
      expect(info.networkBackend?.value).toBe('cni');
      expect(info.rootless?.rootless).toBe(false);
      expect(info.version?.value).toBe('4.3.1');
      expect(info.rootlessNetworkCmd).toBeUndefined();
      expect(info.netavark).toBeUndefined();
      expect(info.aardvarkDns).toBeUndefined();
    });
  }
});

describe("containers/netavark#1470's excerpt (R27 06): keys without their host: parent", () => {
  const text = fx('netavark-1470-excerpt.txt');
  it('is sniffed under `$ podman info` and read', () => {
    expect(sniffPodmanInfo(text)).toBe(true);
    const info = parsePodmanInfo(text, 'podman-info.txt');
    expect(info.networkBackend).toMatchObject({ value: 'netavark', ref: { line: 3 } });
    expect(info.rootless).toMatchObject({ rootless: true, ref: { line: 4 } });
    expect(info.rootlessNetworkCmd).toMatchObject({ value: 'pasta', ref: { line: 5 } });
  });
});

describe('not podman info', () => {
  it('docker info, a kubeadm YAML and a podman ps listing are not sniffed', () => {
    expect(sniffPodmanInfo('Client:\n Version:    24.0.7\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: 3\n')).toBe(false);
    expect(sniffPodmanInfo('apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/16\n')).toBe(false);
    expect(sniffPodmanInfo('$ podman ps\nCONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES\n')).toBe(false);
  });

  it('a file with none of its keys is skipped, binary data too', () => {
    expect(() => parsePodmanInfo('host:\n  arch: amd64\n', 'x')).toThrow(SkipFile);
    expect(() => parsePodmanInfo('\u0000\u0001\u0002', 'x')).toThrow(SkipFile);
    expect(() => parsePodmanInfo('{"host": ', 'x')).toThrow(SkipFile);
  });

  it('compareVersions orders numerically', () => {
    expect(compareVersions('1.9.0', '1.13.0')).toBeLessThan(0);
    expect(compareVersions('1.13.1', '1.13.1')).toBe(0);
  });
});
