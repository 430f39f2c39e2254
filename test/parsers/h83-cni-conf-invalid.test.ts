/**
 * H83: a CNI conf the runtime cannot load is kept (loadCniConf: `invalid`, no plugins, its coverage line kept as a
 * warning of kind 'error'), and cniConfInUse follows the runtime: containerd stops at it (go-cni opts.go
 * loadFromConfDir returns `failed to load CNI config list file ...`), CRI-O / dockershim skip it (cri-o/ocicni
 * loadNetworks, kubelet getDefaultCNINetwork: `Error loading CNI config list file ...` then `continue`).
 *
 * Real files: flannel's cni-conf.json (kube-flannel.yml, test/fixtures/hairpin), Calico's and Podman's conflists
 * (test/fixtures/h83-cni/README.md); each broken with one real mistake.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cniConfInUse, cniConfOrder, loadCniConf, parseCniConf } from '../../src/parsers/cni-conf.js';
import { ParseError } from '../../src/model/source.js';
import { projectPath } from '../helpers/shared.js';

const FLANNEL = readFileSync(projectPath('test', 'fixtures', 'hairpin', 'kube-flannel-10-flannel.conflist'), 'utf8');
const CALICO = readFileSync(projectPath('test', 'fixtures', 'h83-cni', '10-calico.conflist'), 'utf8');
const PODMAN = readFileSync(projectPath('test', 'fixtures', 'h83-cni', '87-podman-bridge.conflist'), 'utf8');
const KUBE_ROUTER = readFileSync(projectPath('test', 'fixtures', 'hairpin', 'kube-router-10-kuberouter.conf'), 'utf8');

/** flannel's conflist with a `//` comment line after "cniVersion" (line 4), as an admin annotates it */
const FLANNEL_COMMENT = FLANNEL.replace('"cniVersion": "0.3.1",\n', '"cniVersion": "0.3.1",\n  // flannel\'s default, do not edit\n');
/** Calico's conflist with a trailing comma after the last plugin (line 24 `},`) */
const CALICO_TRAILING = CALICO.replace('"capabilities": {"portMappings": true}\n    }\n', '"capabilities": {"portMappings": true}\n    },\n');
/** Calico's conflist cut short while written, as in containerd/containerd#8662 ("unexpected end of JSON input") */
const CALICO_CUT = CALICO.slice(0, CALICO.indexOf('"capabilities"') + '"capabilities": {'.length);

describe('loadCniConf keeps a file the runtime cannot load', () => {
  it('a // comment: invalid at the comment line, no plugins, coverage kept as an error', () => {
    expect(() => parseCniConf(FLANNEL_COMMENT, 'etc/cni/net.d/10-flannel.conflist')).toThrow(ParseError);
    const c = loadCniConf(FLANNEL_COMMENT, 'etc/cni/net.d/10-flannel.conflist');
    expect(c.invalid?.kind).toBe('json');
    expect(c.invalid?.ref).toEqual({ file: 'etc/cni/net.d/10-flannel.conflist', line: 4 });
    expect(c.invalid?.excerpt).toBe("// flannel's default, do not edit");
    expect(c.invalid?.message).toMatch(/comment/);
    expect(c.plugins).toEqual([]);
    expect(c.format).toBe('conflist');
    expect(c.warnings).toEqual([expect.objectContaining({ file: 'etc/cni/net.d/10-flannel.conflist', line: 4, kind: 'error' })]);
  });

  it('a trailing comma: the comma\'s line', () => {
    const c = loadCniConf(CALICO_TRAILING, 'etc/cni/net.d/10-calico.conflist');
    expect(c.invalid?.ref.line).toBe(24);
    expect(c.invalid?.excerpt).toBe('},');
    expect(c.invalid?.message).toMatch(/a comma before "\]"/);
  });

  it('a file cut short (containerd#8662)', () => {
    const c = loadCniConf(CALICO_CUT, 'etc/cni/net.d/10-calico.conflist');
    expect(c.invalid?.kind).toBe('json');
    expect(c.invalid?.message).toMatch(/cut short|ends/);
  });

  it('a byte-order mark', () => {
    const c = loadCniConf(`\ufeff${FLANNEL}`, 'etc/cni/net.d/10-flannel.conflist');
    expect(c.invalid?.message).toMatch(/byte-order mark/);
    expect(c.invalid?.ref.line).toBe(1);
  });

  it('a conflist saved as .conf (cri-o#7231: missing \'type\') and a single-plugin conf saved as .conflist (no \'plugins\' key)', () => {
    const asConf = loadCniConf(PODMAN, 'etc/cni/net.d/87-podman-bridge.conf');
    expect(asConf.invalid?.kind).toBe('no-type');
    expect(asConf.invalid?.message).toMatch(/missing 'type'/);
    const asList = loadCniConf(KUBE_ROUTER, 'etc/cni/net.d/10-kuberouter.conflist');
    expect(asList.invalid?.kind).toBe('no-plugins');
    expect(asList.invalid?.message).toMatch(/no 'plugins' key/);
  });

  it('valid files read as parseCniConf reads them', () => {
    for (const [text, file] of [
      [FLANNEL, 'etc/cni/net.d/10-flannel.conflist'],
      [CALICO, 'etc/cni/net.d/10-calico.conflist'],
      [PODMAN, 'etc/cni/net.d/87-podman-bridge.conflist'],
      [KUBE_ROUTER, 'etc/cni/net.d/10-kuberouter.conf'],
    ] as const) {
      const c = loadCniConf(text, file);
      expect(c.invalid).toBeUndefined();
      expect(c).toEqual(parseCniConf(text, file));
    }
  });
});

describe('cniConfInUse follows the runtime for an invalid file', () => {
  const brokenFlannel = loadCniConf(FLANNEL_COMMENT, 'etc/cni/net.d/10-flannel.conflist');
  const podman = loadCniConf(PODMAN, 'etc/cni/net.d/87-podman-bridge.conflist');

  it('before a valid file: CRI-O / dockershim (and no runtime given) load the next; containerd none', () => {
    expect(cniConfInUse([podman, brokenFlannel])?.file).toBe('etc/cni/net.d/87-podman-bridge.conflist');
    expect(cniConfInUse([podman, brokenFlannel], 'crio')?.file).toBe('etc/cni/net.d/87-podman-bridge.conflist');
    expect(cniConfInUse([podman, brokenFlannel], 'containerd')).toBeUndefined();
  });

  it('after the file in use: every runtime keeps the first', () => {
    const calico = loadCniConf(CALICO, 'etc/cni/net.d/10-calico.conflist');
    const brokenPodman = loadCniConf(PODMAN.replace('"name": "podman",', '"name": "podman",,'), 'etc/cni/net.d/87-podman-bridge.conflist');
    expect(brokenPodman.invalid).toBeDefined();
    for (const r of [undefined, 'containerd', 'crio', 'dockershim'] as const) expect(cniConfInUse([brokenPodman, calico], r)?.file).toBe('etc/cni/net.d/10-calico.conflist');
  });

  it('a .bak beside the files is not read; the k3s agent directory wins over /etc/cni/net.d', () => {
    const bak = loadCniConf(CALICO, 'etc/cni/net.d/05-calico.conflist.bak');
    expect(cniConfOrder([bak, podman])?.files.map((c) => c.file)).toEqual(['etc/cni/net.d/87-podman-bridge.conflist']);
    const k3sBroken = loadCniConf(FLANNEL_COMMENT, 'var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
    expect(cniConfOrder([podman, k3sBroken])?.dir).toBe('var/lib/rancher/k3s/agent/etc/cni/net.d');
    expect(cniConfInUse([podman, k3sBroken], 'containerd')).toBeUndefined();
  });
});
