/**
 * forward-blocks-containers and the reply of a masqueraded connection. The reply comes back
 * addressed to the node (the masquerade's address); conntrack puts the container's address back at
 * nat PREROUTING (-100). raw and mangle PREROUTING, where Docker 28+ drops direct access to
 * container addresses (`-d <container>/32 ! -i <bridge> -j DROP`), see the node's address, so a
 * healthy Docker host with a published port is not a finding. Fixtures: real iptables-nft-save and
 * nft listings of rules loaded in a namespace, with what curl through the namespaces gave
 * (test/fixtures/netfilter/docker-direct-access/kernel.txt).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import forwardBlocks from '../../analyzers/iptables-forward-blocks-containers.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import { parseIptablesSave } from '../../src/netfilter/save-format.js';
import { mergeRulesets, trace, type Packet } from '../../src/netfilter/trace.js';
import { parseNftJson } from '../../src/nft/parse-json.js';
import { parseNftText } from '../../src/nft/parse-text.js';
import { nftExtraChains } from '../../src/nft/trace.js';
import { parseDockerNetworks } from '../../src/parsers/docker-network-inspect.js';
import { traceBundle } from '../../src/engine/trace-bundle.js';
import { parseInterfaces } from '../../src/parsers/interfaces.js';
import { parseRoutes } from '../../src/parsers/ip-route.js';
import { canMakeNetns, projectPath } from '../helpers/shared.js';
import { runNode } from './helpers.js';

const DIR = 'test/fixtures/netfilter/docker-direct-access';
const fx = (f: string) => readFileSync(projectPath(DIR, f), 'utf8');
const base = (): NodeArtifacts => ({
  ipAddr: [parseInterfaces(fx('ip_addr'), 'ip_addr')],
  routes: [parseRoutes(fx('ip_route'), 'ip_route')],
  dockerNetworks: [parseDockerNetworks(fx('docker_network_inspect'), 'docker_network_inspect')],
});
const withSave = (save: string) => runNode(forwardBlocks, { ...base(), iptables: [parseIptablesSave(save, 'iptables-save')] });
const withNft = (text: string) => runNode(forwardBlocks, { ...base(), nftables: [parseNftText(text, 'nft_list_ruleset')] });

/** no remedy proposes what iptables refuses or what undoes Docker's protection */
function saneRemedy(commands: string[]) {
  for (const c of commands) {
    const cmd = c.replace(/^#.*?: /, '').replace(/\s+#.*$/, '');
    if (/PREROUTING|INPUT/.test(cmd)) expect(cmd, c).not.toMatch(/ -o /);
    expect(cmd, c).not.toMatch(/-D PREROUTING -d 172\.1[78]\.0\.2\/32 ! -i/);
    expect(cmd, c).not.toMatch(/docker-bridges/);
    if (/^nft .* pre /.test(cmd)) expect(cmd, c).not.toMatch(/oifname/);
  }
}

describe('iptables.forward-blocks-containers: the reply of a masqueraded connection', () => {
  it('a healthy Docker 28+ host with a published port (raw PREROUTING -d 172.18.0.2/32 ! -i br-… -j DROP) is silent: the kernel answers (curl 200)', () => {
    expect(withSave(fx('docker28-nat.iptables-save'))).toEqual([]);
  });

  it('a healthy Docker 29 nftables host ("DROP DIRECT ACCESS" in ip docker-bridges raw-PREROUTING) is silent, from the text and the JSON listing', () => {
    expect(withNft(fx('docker29-nat.nft'))).toEqual([]);
    expect(runNode(forwardBlocks, { ...base(), nftables: [parseNftJson(fx('docker29-nat.nft.json'), 'nft_-j_list_ruleset')] })).toEqual([]);
  });

  it("without the bridge's MASQUERADE the reply is addressed to the container and Docker's rule drops it (curl 000): found, and the remedy keeps Docker's rule", () => {
    const [f, ...rest] = withSave(fx('docker28-nomasq.iptables-save'));
    expect(rest).toEqual([]);
    expect(f.facts).toMatchObject({ bridge: 'br-0123456789ab', decidedBy: 'raw/PREROUTING#1', replyTo: '172.18.0.2' });
    expect(f.message).toMatch(/not masqueraded/);
    expect(f.message).toMatch(/Docker's protection/);
    expect(f.remedy.summary).toMatch(/Do not delete Docker's direct-access rule/);
    expect(f.remedy.commands.some((c) => /^iptables /.test(c))).toBe(false);
    saneRemedy(f.remedy.commands);
  });

  it('a mangle PREROUTING drop sees the node address (10.0.0.21): found; the remedy has no -o in PREROUTING and matches the reply by its original source', () => {
    const findings = withSave(fx('docker28-mangle-drop.iptables-save'));
    expect(findings.map((f) => f.facts.bridge)).toEqual(['docker0', 'br-0123456789ab']);
    const f = findings[1];
    expect(f.facts).toMatchObject({ decidedBy: 'mangle/PREROUTING#1', replyTo: '10.0.0.21' });
    expect(f.remedy.commands).toContain(
      "iptables -t mangle -C PREROUTING -i eth0 -m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc 172.18.0.0/16 -j ACCEPT 2>/dev/null || iptables -t mangle -I PREROUTING 1 -i eth0 -m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc 172.18.0.0/16 -j ACCEPT   # replies to the containers' connections (matched by the connection's original source: NAT has not restored it yet here)",
    );
    for (const x of findings) saneRemedy(x.remedy.commands);
  });

  it('a raw PREROUTING drop: found; the remedy uses no conntrack match (raw runs before conntrack)', () => {
    const findings = withSave(fx('docker28-raw-drop.iptables-save'));
    expect(findings.map((f) => f.facts.decidedBy)).toEqual(['raw/PREROUTING#2', 'raw/PREROUTING#2']);
    for (const f of findings) {
      saneRemedy(f.remedy.commands);
      expect(f.remedy.commands.filter((c) => c.startsWith('iptables -t raw')).map((c) => c.replace(/\s+#.*$/, '')).join('\n')).not.toMatch(/-m conntrack|--ctstate/);
    }
  });

  it('a native nftables chain at mangle priority: found; its remedy has no oifname before routing and no rule in Docker\'s table', () => {
    const findings = withNft(fx('docker29-nft-mangle-drop.nft'));
    expect(findings.map((f) => f.facts.decidedBy)).toEqual(['ip mine/pre#1', 'ip mine/pre#1']);
    for (const f of findings) saneRemedy(f.remedy.commands);
  });

  it.skipIf(!canMakeNetns())('the remedies, applied with the real iptables and nft, leave nothing to find (the kernel gave curl 200 after them; kernel.txt)', () => {
    const ns = `bdfr${process.pid}`;
    const run = (args: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...args], { input, encoding: 'utf8' });
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      for (const [file, nft] of [
        ['docker28-mangle-drop.iptables-save', false],
        ['docker28-raw-drop.iptables-save', false],
        ['docker29-nft-mangle-drop.nft', true],
      ] as const) {
        run(['nft', 'flush', 'ruleset']);
        if (nft) run(['nft', '-f', '-'], fx(file));
        else run(['iptables-nft-restore'], fx(file));
        const analyze = () => (nft ? withNft(run(['nft', 'list', 'ruleset'])) : withSave(run(['iptables-nft-save'])));
        const before = analyze();
        expect(before.length, file).toBe(2);
        const paste = () => {
          for (const f of before) for (const c of f.remedy.commands.filter((x) => /^(iptables|nft) /.test(x))) run(['sh', '-c', c.replace(/\s+#.*$/, '')]);
        };
        // the iptables inserts are guarded: -C in the same table and chain, with the spec the -I inserts
        const lines = before.flatMap((f) => f.remedy.commands.filter((x) => /^iptables /.test(x)).map((x) => x.replace(/\s+#.*$/, '')));
        if (!nft) expect(lines.length, file).toBeGreaterThan(0);
        for (const c of lines) expect(c).toMatch(/^iptables (-t \S+ )-C (\S+) (.+) 2>\/dev\/null \|\| iptables \1-I \2 (?:\d+ )?\3$/);
        paste();
        expect(analyze(), file).toEqual([]);
        if (nft) continue;
        // pasted twice (both bridges' blocks, then again): the guards hold, not one rule more
        const rulesOf = () => run(['iptables-nft-save']).replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '');
        const once = rulesOf();
        paste();
        expect(rulesOf(), file).toBe(once);
        // the alternative alone: delete the blocking rule by its spec
        run(['nft', 'flush', 'ruleset']);
        run(['iptables-nft-restore'], fx(file));
        const del = before[0].remedy.commands.find((c) => / -D /.test(c))!.replace(/^.*?: /, '');
        run(['sh', '-c', del]);
        expect(analyze(), `${file}: ${del}`).toEqual([]);
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('the tracer: a reply of a source-NATed connection', () => {
  const tables = mergeRulesets([parseIptablesSave(fx('docker28-nat.iptables-save'), 'iptables-save')]);
  const ctx = { localAddresses: ['10.0.0.21', '172.17.0.1', '172.18.0.1'] };
  const out: Packet = { src: '172.18.0.2', dst: '198.51.100.10', protocol: 'tcp', dport: 443, sport: 40000, inInterface: 'br-0123456789ab', outInterface: 'eth0', state: 'new', mark: 0 };
  const reply: Packet = { src: '198.51.100.10', dst: '10.0.0.21', protocol: 'tcp', sport: 443, dport: 40000, inInterface: 'eth0', outInterface: 'br-0123456789ab', state: 'established', mark: 0, unSnat: { dst: '172.18.0.2', dport: 40000 } };

  it('records the masquerade of the way out', () => {
    expect(trace(tables, 'forward', out, ctx).packet.snat).toEqual({ masquerade: true });
  });

  it("raw PREROUTING sees the node's address, FORWARD the container's: Docker's CT rule accepts it", () => {
    const r = trace(tables, 'forward', reply, ctx);
    expect(r.verdict).toEqual({ kind: 'ACCEPT' });
    expect(r.path).toBe('forward');
    expect(r.packet.dst).toBe('172.18.0.2');
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'DOCKER-CT', num: 2 });
    // without the NAT (the reply addressed to the container as it arrives) Docker's rule drops it, as the kernel does
    expect(trace(tables, 'forward', { ...reply, dst: '172.18.0.2', unSnat: undefined }, ctx).decidedBy).toMatchObject({ table: 'raw', chain: 'PREROUTING', num: 1 });
  });

  it('a native chain below -100 sees the NAT address, one above the container address (the order seen with nft counters)', () => {
    const nft = parseNftText(
      ['table ip probe {', '\tchain a {', '\t\ttype filter hook prerouting priority -101; policy accept;', '\t\tip daddr 10.0.0.21 drop', '\t}', '}'].join('\n'),
      'nft_list_ruleset',
    );
    expect(trace(tables, 'forward', reply, { ...ctx, extraChains: nftExtraChains([nft]) }).verdict).toEqual({ kind: 'DROP' });
    const later = parseNftText(
      ['table ip probe {', '\tchain a {', '\t\ttype filter hook prerouting priority -99; policy accept;', '\t\tip daddr 10.0.0.21 drop', '\t}', '}'].join('\n'),
      'nft_list_ruleset',
    );
    expect(trace(tables, 'forward', reply, { ...ctx, extraChains: nftExtraChains([later]) }).verdict).toEqual({ kind: 'ACCEPT' });
  });
});

describe("the tracer names what accepted: the accepting rule or a filter chain's policy, never a jump or a nat rule", () => {
  it('iptables: a published port to the node itself passes nat (a jump, a RETURN) and filter INPUT has no rule: the INPUT policy', () => {
    const tables = mergeRulesets([parseIptablesSave(fx('docker28-nat.iptables-save'), 'iptables-save')]);
    const r = trace(tables, 'input', { src: '172.18.0.3', dst: '172.18.0.1', protocol: 'tcp', dport: 5432, sport: 40000, inInterface: 'br-0123456789ab', state: 'new', mark: 0 }, { localAddresses: ['10.0.0.21', '172.18.0.1'] });
    expect(r.verdict).toEqual({ kind: 'ACCEPT' });
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'INPUT', num: 0, action: 'policy' });
  });

  it('iptables: a container\'s new connection: DOCKER-FORWARD\'s -i br-… -j ACCEPT, not the MASQUERADE after it', () => {
    const tables = mergeRulesets([parseIptablesSave(fx('docker28-nat.iptables-save'), 'iptables-save')]);
    const r = trace(tables, 'forward', { src: '172.18.0.2', dst: '198.51.100.10', protocol: 'tcp', dport: 443, sport: 40000, inInterface: 'br-0123456789ab', outInterface: 'eth0', state: 'new', mark: 0 }, { localAddresses: ['10.0.0.21'] });
    expect(r.decidedBy).toMatchObject({ table: 'filter', chain: 'DOCKER-FORWARD', num: 5 });
    expect(r.decidedBy?.text).toMatch(/-i br-0123456789ab -j ACCEPT$/);
  });

  it('nftables: Docker 29\'s vmap jump leads to the "OUTGOING" accept, which is named; the masquerade after it is not', () => {
    const nft = parseNftText(fx('docker29-nat.nft'), 'nft_list_ruleset');
    const r = trace(new Map(), 'forward', { src: '172.18.0.2', dst: '198.51.100.10', protocol: 'tcp', dport: 443, sport: 40000, inInterface: 'br-0123456789ab', outInterface: 'eth0', state: 'new', mark: 0 }, { localAddresses: ['10.0.0.21'], extraChains: nftExtraChains([nft]) });
    expect(r.verdict).toEqual({ kind: 'ACCEPT' });
    expect(r.decidedBy).toMatchObject({ table: 'ip docker-bridges', chain: 'filter-forward-out__br' });
    expect(r.decidedBy?.text).toMatch(/accept comment "OUTGOING"/);
  });
});

describe('`trace` on a bundle names what accepted', () => {
  it("firewalld's nftables table: filter_FWD_public_allow's oifname \"eth0\" accept, not nat_POST_public's jump (bundles/firewalld-blocks-postgres.tgz)", async () => {
    const t = await traceBundle(projectPath('bundles/firewalld-blocks-postgres.tgz'), { src: '172.18.0.2', dst: '198.51.100.10', dport: 443, protocol: 'tcp', state: 'new' });
    expect(t.verdict).toEqual({ kind: 'ACCEPT' });
    expect(t.decidedBy).toMatchObject({ table: 'inet firewalld', chain: 'filter_FWD_public_allow', num: 1 });
    expect(t.decidedBy?.text).toMatch(/oifname "eth0" accept/);
  });
});

describe('a policy drop of a native nftables chain cites the line the policy is written on', () => {
  it('Docker 29 with an inet filter forward chain of policy drop: the evidence is the `type filter hook forward …; policy drop;` line', () => {
    const text = fx('docker29-forward-drop.nft');
    const line = text.split('\n').findIndex((l) => /policy drop;/.test(l)) + 1;
    const [f] = withNft(text);
    expect(f.facts).toMatchObject({ decidedBy: 'inet filter/forward#0' });
    expect(f.evidence[0]).toMatchObject({ file: 'nft_list_ruleset', line });
    expect(text.split('\n')[line - 1]).toContain(f.evidence[0].excerpt);
  });
});
