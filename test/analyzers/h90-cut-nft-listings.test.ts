/**
 * H90: no absence claimed from a cut-off `nft list ruleset` (a ticket paste, `| head`, sos's size limit) in the
 * analyzers that read nft listings directly. A cut listing still shows what it shows (a drop it lists is real); what
 * it does not show (the rest of the table left open at its end, and every table listed after it) is not known absent.
 * Helper: analyzers/lib/nft-cut.ts. Each analyzer: the listing whole fires, the same listing cut inside the table the
 * claim is about says "not checked" instead, and the listing cut after that table closed fires again where the claim
 * concerns that table alone.
 *
 * Listings: real nft output only. Reused fixtures: test/fixtures/nft/firewalld-real (firewalld 0.9 + its zones),
 * test/fixtures/k8s-flush/kube-proxy-nft-flushed.nft (nft 1.0.6), test/fixtures/h82-nft-engines (iptables-nft + netavark,
 * made with iptables-nft-restore and nft -f). New ones in test/fixtures/h90-cut: the nft binary's `nft list ruleset` in
 * the network namespace h90a (deleted after): firewalld-real's table and kube-proxy's flushed table loaded with
 * `nft -f`, each followed by a small table ip h90 loaded after it (so a cut can fall after the table that matters), and
 * Debian's stock forward chain (policy drop) with and without an accept for docker0.
 * A cut listing is the listing's first N lines, as `| head -n N` gives it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import serviceConflict from '../../analyzers/iptables-service-conflict.js';
import masqueradeMissing from '../../analyzers/iptables-docker-masquerade-missing.js';
import unzoned from '../../analyzers/firewalld-container-interface-unzoned.js';
import netavark from '../../analyzers/firewalld-netavark-port-forwards-lost.js';
import kubeChains from '../../analyzers/iptables-kube-chains-missing.js';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import otherEngine from '../../analyzers/docker-forward-drop-other-engine.js';
import forwardPolicyRouted from '../../analyzers/docker-forward-policy-drops-routed.js';
import { chainMaybeCut, nftCutNote, nftDropCutNote, tableMaybeCut } from '../../analyzers/lib/nft-cut.js';
import { loadBundle } from '../../src/engine/analyze.js';
import type { Analyzer, FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseFirewallCmdListAllZones, parseFirewallCmdPolicies } from '../../src/nft/firewalld.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parsePodmanPs } from '../../src/parsers/podman.js';
import { parseSystemctlText } from '../../src/parsers/services.js';
import { parsePsDockerd } from '../../src/parsers/dockerd-flags.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { parseIptablesList } from '../../src/netfilter/list-format.js';
import { writeFolder } from '../helpers/archive.js';
import { projectPath } from '../helpers/shared.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const read = (p: string) => readFileSync(projectPath(p), 'utf8');
/** `| head -n n` of a listing */
const head = (text: string, n: number) => text.split('\n').slice(0, n).join('\n') + '\n';
const NFT = 'nft_list_ruleset';
const nft = (text: string) => parseNftText(text, NFT);

/** One node analyzer on the artifacts, with its coverage notes. */
async function run(a: Analyzer, artifacts: NodeArtifacts): Promise<{ findings: FindingDraft[]; notes: string[] }> {
  if (a.scope !== 'node') throw new Error(`${a.id} is not a node analyzer`);
  const notes: string[] = [];
  const findings = await a.analyze({ node: 'node-1', artifacts: artifacts as never, options: { requiredPorts: [] }, partly: (m: string) => notes.push(m) });
  return { findings, notes };
}

const FW_REAL = read('test/fixtures/nft/firewalld-real/nft_list_ruleset');
const FW_THEN_H90 = read('test/fixtures/h90-cut/firewalld-then-h90.nft');

describe('analyzers/lib/nft-cut.ts: could table T / chain C be in the cut-off part?', () => {
  it('a whole listing: nothing is cut', () => {
    const rs = nft(FW_THEN_H90);
    expect(rs.truncated).toBeUndefined();
    expect(tableMaybeCut(rs, { name: 'firewalld' })).toBe(false);
    expect(nftCutNote([rs])).toBeUndefined();
  });

  it('cut inside table inet firewalld (line 300 of 747): that table, and any table not shown, may go on past the cut', () => {
    const rs = nft(head(FW_THEN_H90, 300));
    expect(rs.truncated?.table).toBe('inet firewalld');
    expect(tableMaybeCut(rs, { name: 'firewalld' })).toBe(true);
    expect(tableMaybeCut(rs, { family: 'inet', name: 'firewalld' })).toBe(true);
    expect(tableMaybeCut(rs, { name: 'netavark' })).toBe(true);
    expect(nftCutNote([rs], { name: 'firewalld' })).toMatch(/^nft_list_ruleset: the nft listing is cut off after line 300, inside table inet firewalld/);
  });

  it('cut inside table ip h90 (line 745): firewalld, listed before it and closed, is whole', () => {
    const rs = nft(head(FW_THEN_H90, 745));
    expect(rs.truncated?.table).toBe('ip h90');
    expect(tableMaybeCut(rs, { name: 'firewalld' })).toBe(false);
    expect(chainMaybeCut(rs, { family: 'inet', name: 'firewalld' }, 'filter_FORWARD')).toBe(false);
    expect(nftCutNote([rs], { name: 'firewalld' })).toBeUndefined();
    // a table it does not show may come after the cut
    expect(tableMaybeCut(rs, { name: 'netavark' })).toBe(true);
    // a claim about any table: cut
    expect(nftCutNote([rs])).toBeDefined();
  });

  it('chains of the open table: the last one listed may go on; one closed before it is whole; one not listed may follow', () => {
    const text = read('test/fixtures/h90-cut/debian-forward-docker-accept.nft');
    const cutInForward = nft(head(text, 9)); // after `iifname "eth1" oifname "eth0" accept`, before the docker0 accept
    expect(chainMaybeCut(cutInForward, { family: 'inet', name: 'filter' }, 'forward')).toBe(true);
    expect(chainMaybeCut(cutInForward, { family: 'inet', name: 'filter' }, 'input')).toBe(false);
    expect(chainMaybeCut(cutInForward, { family: 'inet', name: 'filter' }, 'output')).toBe(true);
    const cutInOutput = nft(head(text, 15));
    expect(chainMaybeCut(cutInOutput, { family: 'inet', name: 'filter' }, 'forward')).toBe(false);
  });

  it('a whole listing beside the cut one settles it', () => {
    expect(nftCutNote([nft(head(FW_REAL, 300)), parseNftText(FW_REAL, 'nft_-a_list_ruleset')], { name: 'firewalld' })).toBeUndefined();
  });

  it('a drop the listing shows, reached through chains shown whole, is real; a policy of a chain that may go on is not', () => {
    const text = read('test/fixtures/h90-cut/debian-forward-docker-accept.nft');
    const rs = nft(head(text, 9));
    const policy = { table: 'inet filter', chain: 'forward', num: 0, text: 'policy drop', file: NFT, nft: { family: 'inet', table: 'filter' } };
    expect(nftDropCutNote([rs], policy)).toMatch(/cut off after line 9, inside table inet filter/);
    expect(nftDropCutNote([nft(text)], policy)).toBeUndefined();
    const rule = { ...policy, num: 1, text: 'ct state invalid drop' };
    expect(nftDropCutNote([rs], rule)).toBeUndefined();
  });
});

describe('firewalld.container-interface-unzoned: the live zone dispatch looked for in a cut listing', () => {
  // firewalld 0.9's zones and its own nft table (no dispatch for a Docker network's bridge); the bridge from a public ip addr
  const zones = parseFirewallCmdListAllZones(read('test/fixtures/nft/firewalld-real/firewall-cmd_--list-all-zones'), 'sos_commands/firewalld/firewall-cmd_--list-all-zones');
  const BR = '9: br-5c2d5b9a3f0e: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default\n    link/ether 02:42:9a:1b:2c:3d brd ff:ff:ff:ff:ff:ff\n    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-5c2d5b9a3f0e\n       valid_lft forever preferred_lft forever\n';
  const base = (): NodeArtifacts => ({ firewalldZones: [zones], ipAddr: [parseInterfaces(read('test/fixtures/iproute2/ip_a'), 'ip_a'), parseInterfaces(BR, 'ip_a_extra')] });

  it('whole listing: firewalld dispatches no zone for br-5c2d5b9a3f0e: the warning', async () => {
    const { findings, notes } = await run(unzoned as Analyzer, { ...base(), nftables: [nft(FW_REAL)] });
    expect(findings.map((f) => f.facts?.bridge)).toEqual(['br-5c2d5b9a3f0e']);
    expect(notes).toEqual([]);
  });

  it('the same listing cut inside table inet firewalld: no finding, a coverage note naming the cut', async () => {
    const { findings, notes } = await run(unzoned as Analyzer, { ...base(), nftables: [nft(head(FW_REAL, 300))] });
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^br-5c2d5b9a3f0e: whether the running firewalld puts it in a zone was not checked: nft_list_ruleset: the nft listing is cut off after line 300, inside table inet firewalld/)]);
  });

  it('cut after table inet firewalld closed (inside the table listed after it): fires as whole', async () => {
    const { findings, notes } = await run(unzoned as Analyzer, { ...base(), nftables: [nft(head(FW_THEN_H90, 745))] });
    expect(findings.map((f) => f.facts?.bridge)).toEqual(['br-5c2d5b9a3f0e']);
    expect(notes).toEqual([]);
  });
});

describe('firewalld.netavark-port-forwards-lost: netavark\'s own nftables table looked for in a cut listing', () => {
  // firewalld 1.3.3's `firewall-cmd --info-policy=netavark_portfwd` after a reload, and a public `podman ps` paste
  // (the same text as test/analyzers/netavark-firewalld.test.ts)
  const INFO_AFTER = ['netavark_portfwd (active)', '  priority: -1', '  target: CONTINUE', '  ingress-zones: ANY', '  egress-zones: ANY', '  services: ', '  ports: ', '  protocols: ', '  masquerade: no', '  forward-ports: ', '  source-ports: ', '  icmp-blocks: ', '  rich rules: ', ''].join('\n');
  const PS_8000 = [
    '[root@localhost ~]# podman ps',
    'CONTAINER ID  IMAGE                           COMMAND               CREATED        STATUS            PORTS                 NAMES',
    'ec7ad63e1b0a  docker.io/library/nginx:latest  nginx -g daemon o...  4 seconds ago  Up 4 seconds ago  0.0.0.0:8000->80/tcp  qytang-nginx',
    '',
  ].join('\n');
  const base = (): NodeArtifacts => ({ firewalldPolicies: [parseFirewallCmdPolicies(INFO_AFTER, 'firewall-cmd_--info-policy_netavark_portfwd')], podmanPorts: [parsePodmanPs(PS_8000, 'podman_ps')] });

  it("whole listing without table inet netavark (firewalld's alone): the warning", async () => {
    const { findings, notes } = await run(netavark as Analyzer, { ...base(), nftables: [nft(FW_REAL)] });
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
    expect(notes).toEqual([]);
  });

  it('cut inside table inet firewalld: netavark\'s table may be listed after the cut: no finding, a note', async () => {
    const { findings, notes } = await run(netavark as Analyzer, { ...base(), nftables: [nft(head(FW_REAL, 300))] });
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/netavark .*cannot be told: nft_list_ruleset: the nft listing is cut off after line 300/)]);
  });

  it('cut after firewalld\'s table closed: still held (a table not shown may come after any cut: the mark cannot vouch for it)', async () => {
    const { findings, notes } = await run(netavark as Analyzer, { ...base(), nftables: [nft(head(FW_THEN_H90, 745))] });
    expect(findings).toEqual([]);
    expect(notes).toHaveLength(1);
  });
});

describe("iptables.kube-chains-missing: kube-proxy's nftables table in a cut listing", () => {
  const FLUSHED = read('test/fixtures/k8s-flush/kube-proxy-nft-flushed.nft');
  const THEN_H90 = read('test/fixtures/h90-cut/kube-proxy-flushed-then-h90.nft');
  const base = (): NodeArtifacts => ({
    iptables: [parseIptablesSave(read('test/fixtures/rv5/kp-nft-masq-missing/iptables-save.txt'), 'iptables-save.txt')],
    services: [parseSystemctlText('  kubelet.service loaded active running kubelet\n', 'units')],
  });

  it('whole listing, table ip kube-proxy flushed (its services chain empty): critical', async () => {
    const { findings } = await run(kubeChains as Analyzer, { ...base(), nftables: [nft(FLUSHED)] });
    expect(findings.map((f) => [f.severity, f.facts?.mode])).toEqual([['critical', 'nftables']]);
  });

  it('cut inside table ip kube-proxy (before its chains): no finding, a note', async () => {
    expect(FLUSHED.split('\n')[11]).toBe('table ip kube-proxy {');
    const { findings, notes } = await run(kubeChains as Analyzer, { ...base(), nftables: [nft(head(FLUSHED, 39))] });
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^kube-proxy's nftables table \(table ip kube-proxy\) was not checked: nft_list_ruleset: the nft listing is cut off after line 39, inside table ip kube-proxy/)]);
  });

  it('cut before table ip kube-proxy is listed (inside ip filter): no finding (nftables mode is read from that table here: not known)', async () => {
    const { findings } = await run(kubeChains as Analyzer, { ...base(), nftables: [nft(head(FLUSHED, 9))] });
    expect(findings).toEqual([]);
  });

  it("nftables mode on kube-proxy's command line, the listing cut before its table is listed: no \"table gone\", a note", async () => {
    // as test/analyzers/kube-chains-processes.test.ts: the listing once the table is deleted (the other tables unchanged) fires
    const RV5 = read('test/fixtures/rv5/kp-nft-masq-missing/nft_list_ruleset.txt');
    const gone = RV5.replace(/^table ip kube-proxy \{\n[\s\S]*?^\}\n/m, '');
    const HEADER = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND';
    const proxy = 'root        2345  0.2  0.7 1290112 29388 ?       Ssl  09:13   0:40 /usr/local/bin/kube-proxy --proxy-mode=nftables --cluster-cidr=10.244.0.0/16 --kubeconfig=/var/lib/kube-proxy/kubeconfig';
    const a = (listing: string): NodeArtifacts => ({
      iptables: [parseIptablesSave(read('test/fixtures/rv5/kp-nft-masq-missing/iptables-save.txt'), 'iptables-save.txt')],
      nftables: [nft(listing)],
      dockerDaemon: [parsePsDockerd([HEADER, proxy, ''].join('\n'), 'node/ps_auxwww')],
    });
    expect((await run(kubeChains as Analyzer, a(gone))).findings.map((f) => f.facts?.modeFrom)).toEqual(['process']);
    // the real listing (table ip kube-proxy at line 60) cut at line 20, inside table ip filter
    const { findings, notes } = await run(kubeChains as Analyzer, a(head(RV5, 20)));
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/table ip kube-proxy\) was not checked: nft_list_ruleset: the nft listing is cut off after line 20, inside table ip filter/)]);
  });

  it('cut after table ip kube-proxy closed (inside table ip h90 listed after it): critical as whole', async () => {
    expect(THEN_H90.split('\n')[124]).toBe('table ip h90 {');
    const { findings, notes } = await run(kubeChains as Analyzer, { ...base(), nftables: [nft(head(THEN_H90, 128))] });
    expect(findings.map((f) => [f.severity, f.facts?.mode])).toEqual([['critical', 'nftables']]);
    expect(notes).toEqual([]);
  });
});

let seq = 0;
/** a folder of command output, through the engine's loader: the artifacts the analyzer is handed */
async function bundle(files: Record<string, string>): Promise<NodeArtifacts> {
  const b = await loadBundle(writeFolder(files, `h90-${++seq}`));
  return b.nodes[0].artifacts as NodeArtifacts;
}

describe("iptables.forward-blocks-containers: a native nft forward chain's policy drop in a cut listing", () => {
  const H82 = 'test/fixtures/h82-nft-engines/docker-netavark-nft-published';
  const host = { 'ip_addr.txt': read(`${H82}/ip_addr.txt`), 'ip_route.txt': read(`${H82}/ip_route.txt`) };
  const DROP = read('test/fixtures/h90-cut/debian-forward-drop.nft');
  const ACCEPT = read('test/fixtures/h90-cut/debian-forward-docker-accept.nft');
  const THEN_H90 = read('test/fixtures/h90-cut/debian-forward-drop-then-h90.nft');
  const docker0 = (fs: FindingDraft[]) => fs.filter((f) => JSON.stringify(f.facts ?? {}).includes('docker0'));

  it("whole listing, Debian's forward chain (policy drop) accepting nothing from docker0: docker0's traffic is dropped", async () => {
    const { findings } = await run(forwardBlocks as Analyzer, await bundle({ ...host, 'nft_list_ruleset.txt': DROP }));
    expect(docker0(findings).length).toBeGreaterThan(0);
  });

  it('whole listing with `iifname "docker0" accept` in that chain: no finding for docker0', async () => {
    const { findings } = await run(forwardBlocks as Analyzer, await bundle({ ...host, 'nft_list_ruleset.txt': ACCEPT }));
    expect(docker0(findings)).toEqual([]);
  });

  it('that healthy listing cut inside the forward chain before the docker0 accept: no finding, a note', async () => {
    expect(ACCEPT.split('\n')[9].trim()).toBe('iifname "docker0" accept');
    const { findings, notes } = await run(forwardBlocks as Analyzer, await bundle({ ...host, 'nft_list_ruleset.txt': head(ACCEPT, 9) }));
    expect(docker0(findings)).toEqual([]);
    expect(notes.some((n) => /docker0/.test(n) && /cut off after line 9, inside table inet filter/.test(n))).toBe(true);
  });

  it('cut after table inet filter closed (inside table ip h90): the drop is reported as whole', async () => {
    const { findings } = await run(forwardBlocks as Analyzer, await bundle({ ...host, 'nft_list_ruleset.txt': head(THEN_H90, 19) }));
    expect(docker0(findings).length).toBeGreaterThan(0);
  });
});

describe("docker.forward-drop-other-engine: iptables-nft's filter FORWARD read from a cut listing", () => {
  // netavark's table loaded first (nft -f test/fixtures/h82-nft-engines/netavark-published.nft), then Docker's rules
  // (iptables-nft-restore of that case's iptables-save.txt): nft lists table inet netavark, then ip filter, then ip nat
  const D = 'test/fixtures/h82-nft-engines/docker-netavark-nft-published';
  const files = { 'ip_addr.txt': read(`${D}/ip_addr.txt`), 'ip_route.txt': read(`${D}/ip_route.txt`) };
  const LISTING = read('test/fixtures/h90-cut/netavark-then-docker.nft');

  it('whole listing (no iptables-save): critical', async () => {
    const { findings, notes } = await run(otherEngine as Analyzer, await bundle({ ...files, 'nft_list_ruleset.txt': LISTING }));
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
    expect(notes.filter((n) => /cut off/.test(n))).toEqual([]);
  });

  it('cut inside ip filter FORWARD (an accept for podman0 could follow): no finding, a note', async () => {
    expect(LISTING.split('\n')[66]).toMatch(/policy drop;/);
    const { findings, notes } = await run(otherEngine as Analyzer, await bundle({ ...files, 'nft_list_ruleset.txt': head(LISTING, 69) }));
    expect(findings).toEqual([]);
    expect(notes).toContainEqual(expect.stringMatching(/FORWARD policy DROP .* not decided: nft_list_ruleset.txt: the nft listing is cut off after line 69, inside table ip filter/));
  });

  it('cut after table ip filter closed (inside table ip nat): critical as whole', async () => {
    expect(LISTING.split('\n')[96]).toBe('}');
    const { findings } = await run(otherEngine as Analyzer, await bundle({ ...files, 'nft_list_ruleset.txt': head(LISTING, 100) }));
    expect(findings.map((f) => f.severity)).toEqual(['critical']);
  });
});

describe("iptables.service-conflict: firewalld's live zone binding looked for in a cut listing (R26 15, Docker 28.3.3)", () => {
  // test/fixtures/h81-fw-live-zone/r26-15: docker0 bound to the docker zone only by firewalld's own rule at line 99
  // (`iifname "docker0" jump filter_IN_docker`); h90-cut/r26-15-then-h90.nft: that listing loaded with nft -f, a table after it
  const FX = projectPath('test/fixtures/h81-fw-live-zone/r26-15');
  const SOS = 'sosreport-rhel9fw-2026-12-04-abcdef';
  const LISTING = 'sos_commands/firewall_tables/nft_-a_list_ruleset';
  const WHOLE = readFileSync(join(FX, SOS, LISTING), 'utf8');
  const THEN_H90 = read('test/fixtures/h90-cut/r26-15-then-h90.nft');
  const tree = (listing: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'h90-fw-'));
    dirs.push(dir);
    cpSync(FX, dir, { recursive: true });
    writeFileSync(join(dir, SOS, LISTING), listing);
    return dir;
  };
  const conflict = async (listing: string) => {
    const b = await loadBundle(tree(listing));
    return run(serviceConflict as Analyzer, b.nodes[0].artifacts as NodeArtifacts);
  };

  it('whole listing: docker0 is bound at runtime and Docker re-creates its rules: silent', async () => {
    expect((await conflict(WHOLE)).findings).toEqual([]);
  });

  it('cut inside table inet firewalld before the docker0 dispatch (line 99): no "not all zoned" info, a note', async () => {
    expect(WHOLE.split('\n')[98].trim()).toBe('iifname "docker0" jump filter_IN_docker # handle 34');
    const { findings, notes } = await conflict(head(WHOLE, 89));
    expect(findings).toEqual([]);
    expect(notes).toContainEqual(expect.stringMatching(/^whether firewalld binds docker0 to a zone at runtime was not checked: .*nft_-a_list_ruleset: the nft listing is cut off after line 89, inside table inet firewalld/));
  });

  it('cut after table inet firewalld closed (inside table ip h90): the binding at line 99 is read, silent as whole', async () => {
    const { findings, notes } = await conflict(head(THEN_H90, 150));
    expect(findings).toEqual([]);
    expect(notes.filter((n) => /cut off/.test(n))).toEqual([]);
  });

  it('without the bound docker0 (firing control): the same cut listing is no false all-clear either', async () => {
    // the listing cut before any firewalld rule: an info or warning would rest on a dispatch the cut hides
    const { findings } = await conflict(head(WHOLE, 70));
    expect(findings).toEqual([]);
  });
});

describe('iptables.docker-masquerade-missing: a masquerade looked for in the nft tables of a cut listing', () => {
  // the real legacy nat listing without its MASQUERADE row (as test/analyzers/masquerade-ip-masq.test.ts), docker0 from ip a
  const natWithoutMasq = () => read('test/fixtures/netfilter/legacy/iptables_-t_nat_-nvL').split('\n').filter((l) => !/MASQUERADE .*172\.17\.0\.0\/16/.test(l)).join('\n');
  const base = (): NodeArtifacts => ({ iptables: [parseIptablesList(natWithoutMasq(), 'sos_commands/firewall_tables/iptables_-t_nat_-nvL', { table: 'nat' })], ipAddr: [parseInterfaces(read('test/fixtures/iproute2/ip_a'), 'ip_a')] });
  // test/fixtures/nft/nftables-conf-masquerade: `ip saddr { 10.88.0.0/16, 172.17.0.0/16 } oifname != "docker0" masquerade` in chain masq (line 8)
  const MASQ = read('test/fixtures/nft/nftables-conf-masquerade/nft_list_ruleset');

  it('whole listing with no nat (Debian forward chain): critical; whole listing that masquerades 172.17.0.0/16: silent', async () => {
    const fires = await run(masqueradeMissing as Analyzer, { ...base(), nftables: [nft(read('test/fixtures/h90-cut/debian-forward-drop.nft'))] });
    expect(fires.findings.map((f) => [f.severity, f.facts?.subnet])).toEqual([['critical', '172.17.0.0/16']]);
    expect((await run(masqueradeMissing as Analyzer, { ...base(), nftables: [nft(MASQ)] })).findings).toEqual([]);
  });

  it('that masquerading listing cut inside chain masq before its rule: no finding, a note', async () => {
    const { findings, notes } = await run(masqueradeMissing as Analyzer, { ...base(), nftables: [nft(head(MASQ, 7))] });
    expect(findings).toEqual([]);
    expect(notes).toEqual([expect.stringMatching(/^the masquerade of 172\.17\.0\.0\/16 \(docker0\) was not judged: no rule shown masquerades it, but nft_list_ruleset: the nft listing is cut off after line 7, inside table ip nat/)]);
  });

  it('cut after the listed tables closed (inside table ip h90): still held: a masquerade in any table counts, and one listed after the cut is not shown', async () => {
    const { findings, notes } = await run(masqueradeMissing as Analyzer, { ...base(), nftables: [nft(head(read('test/fixtures/h90-cut/debian-forward-drop-then-h90.nft'), 19))] });
    expect(findings).toEqual([]);
    expect(notes).toHaveLength(1);
  });
});

describe("docker.forward-policy-drops-routed: ip6tables-nft's FORWARD read from a cut listing (openwrt/packages#24492's paste)", () => {
  // test/fixtures/h44/openwrt-24492: the pasted `nft list ruleset` (ip6 filter FORWARD policy drop, 308 packets)
  const PASTE = read('test/fixtures/h44/openwrt-24492/nft-list-ruleset.txt');
  const routed = async (listing: string) => run(forwardPolicyRouted as Analyzer, await bundle({ 'nft-list-ruleset.txt': listing }));

  it('the whole paste: the warning', async () => {
    expect((await routed(PASTE)).findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('cut inside FORWARD after its jump to DOCKER-USER (DOCKER-USER not shown): no finding, a note', async () => {
    const { findings, notes } = await routed(head(PASTE, 8));
    expect(findings).toEqual([]);
    expect(notes).toContainEqual(expect.stringMatching(/^IPv6: whether node-1's FORWARD policy DROP drops routed traffic was not decided: nft-list-ruleset.txt: the nft listing is cut off after line 8, inside table ip6 filter/));
  });

  it('cut later in table ip6 filter, FORWARD and DOCKER-USER closed before it (inside DOCKER-ISOLATION-STAGE-1): the warning as whole', async () => {
    const { findings, notes } = await routed(head(PASTE, 19));
    expect(findings.map((f) => f.severity)).toEqual(['warning']);
    expect(notes.filter((n) => /cut off/.test(n))).toEqual([]);
  });
});

