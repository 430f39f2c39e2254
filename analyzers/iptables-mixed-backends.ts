/**
 * iptables.mixed-backends: rules live in both the legacy (x_tables) and the nf_tables back end,
 * so each component sees only half of them (microk8s#2180; k3s#3117).
 */
import { defineAnalyzer } from '../src/engine/analyzer.js';
import type { Evidence } from '../src/report/schema.js';
import { ruleCount, type Chain, type Ruleset } from '../src/netfilter/rules.js';
import { logEvidence } from './lib/logs.js';
import { policyConflict } from '../src/netfilter/backends.js';
import { FRAGMENT_NOTE } from '../src/netfilter/list-format.js';
import { DOCKER_RESTART_KINDS, dockerRestartOf, restartDocker } from './lib/node-services.js';
import { IMAGE_NO_TABLE } from './lib/r14-wording.js';
import { hasKubernetes } from './lib/node-view.js';
import type { NodeArtifacts } from '../src/engine/artifacts.js';
import type { FindingDraft } from '../src/engine/analyzer.js';

export default defineAnalyzer({
  id: 'iptables.mixed-backends',
  title: 'iptables rules in both legacy and nf_tables',
  description: 'The legacy-tables warning, rules in both back ends, or iptables -V back ends that differ.',
  scope: 'node',
  requires: [],
  // iptables -V alone (a ticket's paste): the host's back end, against the images' (their versions, their log lines)
  requiresOneOf: ['iptables', 'iptablesVersion'],
  optional: ['iptables', 'iptablesVersion', 'logs', 'nftables', 'kubeNodes', 'flannelSubnetEnv', 'services', ...DOCKER_RESTART_KINDS],
  analyze({ node, artifacts }) {
    // no rules in the bundle (an iptables -V paste): two versions' back ends do not show rules in both; only the images' check
    if ((artifacts.iptables ?? []).length === 0) {
      const images = imagesOnLegacy(node, artifacts);
      return images ? [images] : [];
    }
    const evidence: Evidence[] = [];
    const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
    // the warning pasted above a grep of a listing (`iptables -t raw -nvL | grep 2181`): legacy tables exist, but
    // whether they hold rules anything relies on a few grepped rows cannot tell; alone it makes no finding
    const fragmentWarnings: Evidence[] = [];
    for (const rs of live)
      if (rs.legacyTablesPresent)
        (rs.truncated?.note === FRAGMENT_NOTE ? fragmentWarnings : evidence).push({ file: rs.legacyTablesPresent.file, line: rs.legacyTablesPresent.line, excerpt: '# Warning: iptables-legacy tables present', note: 'the nf_tables view says legacy tables hold rules too' });
    for (const n of artifacts.nftables ?? [])
      if (n.legacyTablesPresent)
        evidence.push({ file: n.legacyTablesPresent.file, line: n.legacyTablesPresent.line, excerpt: '# Warning: iptables-legacy tables present', note: 'nft lists the nf_tables rules and warns of legacy ones' });
    const withRules = live.filter((rs) => ruleCount(rs) > 0);
    const backends = new Map<string, string>();
    for (const rs of withRules) if (rs.backend !== 'unknown' && !backends.has(rs.backend)) backends.set(rs.backend, rs.file);
    if (backends.size > 1)
      for (const [b, file] of backends) evidence.push({ file, line: 1, excerpt: `${ruleCount(withRules.find((r) => r.file === file)!)} rules in the ${b} back end`, note: 'rules exist in this back end' });
    const versions = (artifacts.iptablesVersion ?? []).flat().filter((v) => v.backend !== 'unknown');
    const vb = new Set(versions.map((v) => v.backend));
    if (vb.size > 1) for (const v of versions) evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `${v.tool} uses ${v.backend}` });
    // the binary on the host says one back end, the dumps were written by the other
    // the same built-in chain with two policies in one snapshot: two back ends' tables (one file's
    // back end known from its header, command line or name, the other's not, or known otherwise)
    for (const c of policyConflicts(live)) {
      const name = (rs: Ruleset) => (rs.backend === 'unknown' ? 'not named' : rs.backend);
      evidence.push({ file: c.a.ref.file, line: c.a.ref.line, excerpt: policyLine(c.ra, c.a), note: `${c.table} ${c.chain} policy ${c.a.policy} (back end ${name(c.ra)})` });
      evidence.push({
        file: c.b.ref.file,
        line: c.b.ref.line,
        excerpt: policyLine(c.rb, c.b),
        note: `the same chain with policy ${c.b.policy} (back end ${name(c.rb)}): one back end has one policy per chain, so these are the tables of two back ends${ruleCount(c.ra) + ruleCount(c.rb) === 0 ? ' (neither listing shows rules: a listing with iptables-legacy creates the legacy tables too, so check which back end holds the rules with iptables-legacy-save and iptables-nft-save)' : ''}`,
      });
    }
    if (vb.size === 1 && backends.size === 1 && !backends.has([...vb][0])) {
      const v = versions[0];
      evidence.push({ file: v.ref.file, line: v.ref.line, excerpt: v.excerpt, note: `iptables -V says ${v.backend}` });
      const [[b, file]] = [...backends];
      evidence.push({ file, line: 1, excerpt: `rules written with the ${b} back end`, note: 'but the live rules are in the other back end' });
    }
    if (evidence.length === 0) {
      const images = imagesOnLegacy(node, artifacts);
      return images ? [images] : [];
    }
    evidence.push(...fragmentWarnings);
    evidence.push(...logEvidence(artifacts.logs, ['log.iptables-legacy-tables-present', 'log.nf-tables-chain-missing', 'log.nf-tables-incompatible', 'log.iptables-table-unavailable', 'log.iptables-restore-failed'], 4));
    const rewrite = 'each writes its rules again, now in nf_tables (kube-proxy and CNI pods pick their back end themselves: restart them too)';
    // dockerd under docker.service: one command for both, as ever; rootless, the snap or another unit: its own line
    const dockerRestart = dockerRestartOf(artifacts);
    const restart = dockerRestart.how === 'docker.service' ? [`systemctl restart docker kubelet   # ${rewrite}`] : [...restartDocker({ dockerRestart }, rewrite), `systemctl restart kubelet   # ${rewrite}`];
    return [
      {
        severity: 'critical',
        title: 'iptables rules in both legacy and nf_tables',
        message: `${node} has iptables rules in both back ends (x_tables "legacy" and nf_tables). Each tool sees only the rules of its own back end, so Docker, kube-proxy and the CNI plugin each miss the others' rules, and both sets apply to traffic.`,
        impact: 'Rules believed removed still apply, rules believed present are not seen; services and pod traffic break unpredictably.',
        evidence,
        remedy: {
          summary:
            'Pick one back end (the host distribution default, usually nf_tables) and make every component use it; once each has written its rules there, empty the other back end: every table, policies to ACCEPT first, then flush and delete its chains. Flushing alone leaves a FORWARD policy DROP behind, which then drops all forwarded traffic. A component that can only write legacy (an old release that bundles its own iptables-legacy) needs the other way round: the host tools on legacy (update-alternatives --set iptables /usr/sbin/iptables-legacy), and nf_tables emptied the same way.',
          commands: [
            'update-alternatives --display iptables; iptables-legacy-save | grep -c "^-A"; iptables-nft-save | grep -c "^-A"   # which back end holds what',
            'update-alternatives --set iptables /usr/sbin/iptables-nft; update-alternatives --set ip6tables /usr/sbin/ip6tables-nft   # Debian/Ubuntu: the host tools on nf_tables',
            ...restart,
            'iptables-nft -t nat -S DOCKER | head -n 3; iptables-nft -t nat -S KUBE-SERVICES | head -n 3   # check each writer has moved before emptying legacy: Docker\'s chain, and kube-proxy\'s where it runs ("No chain" = not yet in nf_tables); Docker\'s rules alone do not show kube-proxy has moved',
            '[ -e /root/iptables-legacy.rules ] || iptables-legacy-save > /root/iptables-legacy.rules; [ -e /root/ip6tables-legacy.rules ] || ip6tables-legacy-save > /root/ip6tables-legacy.rules   # a copy, kept from the first run: iptables-legacy-restore < /root/iptables-legacy.rules puts it back',
            "for t in $(cat /proc/net/ip_tables_names); do for c in $(iptables-legacy -t $t -S | awk '$1 == \"-P\" {print $2}'); do iptables-legacy -t $t -P $c ACCEPT; done; done   # policies first",
            'for t in $(cat /proc/net/ip_tables_names); do iptables-legacy -t $t -F; iptables-legacy -t $t -X; done',
            "for t in $(cat /proc/net/ip6_tables_names); do for c in $(ip6tables-legacy -t $t -S | awk '$1 == \"-P\" {print $2}'); do ip6tables-legacy -t $t -P $c ACCEPT; done; ip6tables-legacy -t $t -F; ip6tables-legacy -t $t -X; done",
          ],
          caution:
            "Empty the legacy tables only after the components that wrote them (Docker, kube-proxy, the CNI plugin) have written their rules into nf_tables: until then their MASQUERADE and FORWARD accepts are only in legacy, and removing them cuts container traffic. Set the policies to ACCEPT before flushing: between a flush and the policy reset, a legacy FORWARD policy DROP drops every forwarded packet. The empty legacy tables stay registered (they accept everything) until the iptable_* modules are unloaded or the host reboots. Restarting docker restarts every container.",
        },
      },
    ];
  },
});

/**
 * Pairs of live rule files of one family whose back ends differ (at least one of them known: two
 * files of unnamed back end with different policies may be a listing before and after a change)
 * and that give one built-in chain two policies (backends.ts policyConflict): proof that they are
 * two back ends' tables. Two listings of one back end (sos's `iptables -vnxL` and `iptables -t
 * filter -nvL`) agree and raise nothing. The file of known back end first.
 */
function policyConflicts(live: Ruleset[]): { table: string; chain: string; ra: Ruleset; rb: Ruleset; a: Chain; b: Chain }[] {
  const out: { table: string; chain: string; ra: Ruleset; rb: Ruleset; a: Chain; b: Chain }[] = [];
  for (let i = 0; i < live.length; i++)
    for (let j = i + 1; j < live.length; j++) {
      const [ra, rb] = knownFirst(live[i], live[j]);
      if (ra.backend === rb.backend) continue;
      const c = policyConflict(ra, rb);
      if (c) out.push({ ...c, ra, rb });
    }
  return out;
}

function knownFirst(x: Ruleset, y: Ruleset): [Ruleset, Ruleset] {
  return x.backend === 'unknown' ? [y, x] : [x, y];
}

/** The chain's policy as its file's format prints it (the quoted line then matches it). */
function policyLine(rs: Ruleset, c: Chain): string {
  if (rs.format === 'list') return `Chain ${c.name} (policy ${c.policy}${c.policyCounters ? '…' : ''})`;
  if (rs.format === 'save') return `:${c.name} ${c.policy}`;
  if (rs.format === 'spec') return `-P ${c.name} ${c.policy}`;
  return `${c.name} policy ${c.policy}`;
}

/**
 * A log line of a writer of the host's own rules from its image (kube-proxy, a CNI's node daemon: host network), by
 * its file, pod, container or unit, with the chains it writes. H68 (R23 46): an application pod's own iptables (a
 * wireguard pod's `iptables v1.8.7 (legacy)`) writes its pod's network namespace, not the host's: no split back ends.
 */
const HOST_WRITERS: { name: string; re: RegExp; chains: RegExp }[] = [
  { name: 'kube-proxy', re: /kube-proxy/i, chains: /^KUBE-(?:SERVICES|NODEPORTS|POSTROUTING|FORWARD)$/ },
  { name: 'flannel', re: /flannel/i, chains: /^FLANNEL-/ },
  { name: 'Calico', re: /calico|canal/i, chains: /^cali-/ },
  { name: 'Cilium', re: /cilium/i, chains: /^CILIUM_/ },
  { name: 'Weave Net', re: /weave/i, chains: /^WEAVE(?:-|$)/ },
  { name: 'kube-router', re: /kube-router/i, chains: /^KUBE-ROUTER-/ },
  { name: 'Antrea', re: /antrea/i, chains: /^ANTREA-/ },
];
function hostWriterOf(m: { file: string; unit?: string; pod?: string; container?: string }): (typeof HOST_WRITERS)[number] | undefined {
  const who = `${m.file} ${m.unit ?? ''} ${m.pod ?? ''} ${m.container ?? ''}`;
  return HOST_WRITERS.find((w) => w.re.test(who));
}
/**
 * legacy iptables of an image that cannot find a table at all: the image writes nothing, no rules are split; the
 * log's own finding (log.signatures: "…'s legacy iptables finds no nat table", r14-wording.ts imageLegacy, which takes
 * these same lines: can't initialize / Table does not exist / iptables-restore's unable to initialize table) says it.
 */
const NO_TABLE = IMAGE_NO_TABLE;

/**
 * The host's iptables on nf_tables while the images that write rules on it (kube-proxy, flannel) carry legacy
 * iptables: their rules and the host's land in two back ends (kubernetes#71305; raspberry-pi-dramble#156, Debian
 * Buster, iptables v1.8.2 (nf_tables), kubeadm + flannel of 2019). kube-proxy's images before Kubernetes 1.17 and
 * flannel's before v0.13 carry legacy iptables only (later ones ship iptables-wrapper, which picks the host's).
 * A warning where the bundle shows such an image: a Node object's kubeletVersion below 1.17 (kubeadm runs the
 * kube-proxy of its own release), or a container's log line naming its iptables "(legacy)" (one that finds no
 * table at all is log.signatures'); information where Kubernetes or flannel is shown with no version of theirs
 * (every Debian 10 host is on nf_tables: that alone is no fault); nothing where the live nf_tables rules hold
 * kube-proxy's or flannel's chains (they write nf_tables) or the host shows legacy itself.
 */
/** log findings of a pod network that does not come up: what a split between the host's and the images' back ends gives */
const NETWORK_FAILING = new Set(['log.cni-setup-failed', 'log.flannel-subnet-env', 'log.flannel-iptables-failed', 'log.iptables-table-unavailable', 'log.iptables-restore-failed']);

function imagesOnLegacy(node: string, artifacts: NodeArtifacts): FindingDraft | undefined {
  // every outcome needs a container's legacy line, a Node object's version or the pod network failing: without
  // any, nothing to read in the rules (a 130,000-rule kube-proxy dump is not walked for nothing)
  const matches = (artifacts.logs ?? []).flatMap((l) => l.matches);
  if (!matches.some((m) => m.facts.backend === 'legacy' || NETWORK_FAILING.has(m.signature)) && (artifacts.kubeNodes ?? []).length === 0) return undefined;
  const versions = (artifacts.iptablesVersion ?? []).flat();
  // the host's default iptables (not an explicit iptables-legacy / iptables-nft binary)
  const plain = versions.filter((v) => !/-(?:legacy|nft)/.test(v.tool));
  if (plain.some((v) => v.backend === 'legacy')) return undefined;
  const live = (artifacts.iptables ?? []).filter((r) => r.origin === 'live');
  if (live.some((r) => r.backend === 'legacy' && ruleCount(r) > 0)) return undefined;
  const hostV = plain.find((v) => v.backend === 'nf_tables');
  const hostRules = live.find((r) => r.backend === 'nf_tables' && ruleCount(r) > 0);
  if (!hostV && !hostRules) return undefined;
  const host: Evidence = hostV
    ? { file: hostV.ref.file, line: hostV.ref.line, excerpt: hostV.excerpt, note: "the host's iptables writes nf_tables" }
    : { file: hostRules!.file, line: 1, excerpt: `${ruleCount(hostRules!)} rules in the nf_tables back end`, note: "the host's live rules are in nf_tables" };
  // kube-proxy's or flannel's chains already in the nf_tables rules: those writers use the host's back end
  const chainsIn = (re: RegExp) => live.some((r) => r.backend === 'nf_tables' && Object.values(r.tables).some((t) => Object.keys(t?.chains ?? {}).some((c) => re.test(c))));
  const kubeNft = chainsIn(/^KUBE-(?:SERVICES|NODEPORTS|POSTROUTING|FORWARD)$/);
  const flannelNft = chainsIn(/^FLANNEL-/);
  // a container's own iptables, by its log line: `iptables v1.8.3 (legacy): ...`
  // only host-network writers (H68, R23 46), and not one whose chains the nf_tables rules hold already (it writes there)
  const legacyLines = matches.filter((m) => {
    if (m.facts.backend !== 'legacy' || NO_TABLE.test(m.excerpt)) return false;
    const w = hostWriterOf(m);
    return w !== undefined && !chainsIn(w.chains);
  });
  // one line per log (a multi-line error's continuation repeats the version)
  const lineEvidence: Evidence[] = [...new Map(legacyLines.map((m) => [m.file, { file: m.file, line: m.line, excerpt: m.excerpt, note: `legacy iptables${m.facts.version ? ` ${m.facts.version}` : ''} in a container: its rules go to the legacy back end` }])).values()].slice(0, 3);
  // Kubernetes' version from the Node objects (kubeadm's kube-proxy is of the kubelet's release); k3s / RKE2 bundle their own iptables
  const nodes = (artifacts.kubeNodes ?? []).flatMap((l) => l.nodes).filter((n) => n.kubeletVersion && !/\+(?:k3s|rke2)/.test(n.kubeletVersion));
  const old = kubeNft ? [] : nodes.filter((n) => {
    const m = /^v?(\d+)\.(\d+)\./.exec(n.kubeletVersion!);
    return m !== null && Number(m[1]) === 1 && Number(m[2]) < 17;
  });
  const oldEvidence: Evidence[] = old.slice(0, 3).map((n) => ({ file: n.ref.file, line: n.ref.line, excerpt: `Node ${n.name}: kubeletVersion ${n.kubeletVersion}`, note: "before Kubernetes 1.17: kube-proxy's image carries legacy iptables only" }));
  const flannelShown =
    matches.some((m) => /^log\.flannel-/.test(m.signature)) || (artifacts.flannelSubnetEnv ?? []).length > 0 || live.some((r) => Object.values(r.tables).some((t) => Object.keys(t?.chains ?? {}).some((c) => /^FLANNEL-/.test(c))));
  const kube = hasKubernetes(artifacts) ?? (nodes.length > 0 ? { file: nodes[0].ref.file, line: nodes[0].ref.line, excerpt: `Node ${nodes[0].name}` } : undefined);
  const proof = [...lineEvidence, ...oldEvidence];
  // the log lines this finding does not explain stay findings of their own (correlate.ts: a finding absorbs the log
  // findings that support it, as evidence): a flannel ensure failure, a legacy iptables finding no table, ...
  const cited = new Set(lineEvidence.map((e) => `${e.file}:${e.line}`));
  const logSymptomMismatch = [...new Set(matches.map((m) => `${m.file}:${m.line}`).filter((k) => !cited.has(k)))];
  const newer = nodes.length > 0 && old.length === 0;
  if (proof.length === 0) {
    // no version of the images: said only where Kubernetes' kube-proxy or flannel is shown, not known to write nf_tables, nor of a release that picks
    const unknownKube = kube && !kubeNft && !newer;
    const unknownFlannel = flannelShown && !flannelNft;
    if (!unknownKube && !unknownFlannel) return undefined;
    // and only where the node shows the failure such a split gives (CNI set-up failing, flannel writing no subnet.env
    // or no rules): a healthy nf_tables node with a recent cluster is the usual case, and an info there is noise
    const failing = matches.filter((m) => NETWORK_FAILING.has(m.signature));
    if (failing.length === 0) return undefined;
    const who = [unknownKube ? 'kube-proxy' : '', unknownFlannel ? 'flannel' : ''].filter(Boolean).join(' and ');
    const shown: Evidence[] = [
      ...(unknownKube && kube ? [{ ...kube, note: kube.note ?? 'Kubernetes runs here' }] : []),
      ...(unknownFlannel ? matches.filter((m) => /^log\.flannel-/.test(m.signature)).slice(0, 1).map((m) => ({ file: m.file, line: m.line, excerpt: m.excerpt, note: 'flannel runs (or should run) on this node' })) : []),
    ];
    return {
      severity: 'info',
      title: "The host's iptables is nf_tables: check that kube-proxy's and flannel's images write the same back end",
      message:
        `${node}'s iptables writes nf_tables (${host.excerpt}, ${host.file}${host.line ? `:${host.line}` : ''}), and ${who} ${who.includes(' and ') ? 'write' : 'writes'} rules on it from ${who.includes(' and ') ? 'their' : 'its'} own image${who.includes(' and ') ? 's' : ''}. ` +
        "Images of kube-proxy before Kubernetes 1.17 and of flannel before v0.13 carry legacy iptables only: on such a release their rules go to the legacy back end and the host's to nf_tables, and each side misses the other's (kubernetes#71305; on Debian 10 with kubeadm and flannel, raspberry-pi-dramble#156). " +
        `The pod network fails here (${failing[0].file}:${failing[0].line}), which such a split gives; the bundle shows no version of the images and no legacy rules, so the split is not proven: newer images pick the host's back end themselves.`,
      impact: 'None if the images are recent; with older ones, Service and pod traffic breaks (pods stuck without network, flannel never writing subnet.env).',
      evidence: [
        host,
        ...shown,
        ...(shown.some((e) => e.file === failing[0].file && e.line === failing[0].line)
          ? []
          : [{ file: failing[0].file, line: failing[0].line, excerpt: failing[0].excerpt, note: 'the pod network failing: what a split between the back ends gives, among other causes' }]),
      ],
      facts: { hostBackend: 'nf_tables', imagesBackend: 'unknown', logSymptomMismatch },
      remedy: {
        summary: 'Check the releases in use and whether the legacy back end holds rules; only if it does (or the releases are older than Kubernetes 1.17 / flannel v0.13), see the fix of iptables.mixed-backends.',
        commands: [
          'kubectl version; kubectl get nodes -o wide   # Kubernetes before 1.17: kube-proxy writes legacy',
          "kubectl get ds -A -o jsonpath='{..image}' | tr ' ' '\\n' | grep -Ei 'flannel|kube-proxy'   # flannel before v0.13: legacy",
          'iptables-legacy-save 2>/dev/null | grep -c "^-A"; iptables-nft-save | grep -c "^-A"   # rules in each back end',
        ],
      },
    };
  }
  const writers = [...(oldEvidence.length ? ['kube-proxy'] : []), ...(lineEvidence.length ? [...new Set(legacyLines.map((m) => hostWriterOf(m)?.name ?? 'a container'))] : [])];
  const who = [...new Set(writers)].join(' and ');
  return {
    severity: 'warning',
    title: "The host's iptables is nf_tables, the images' is legacy: rules in two back ends",
    message:
      `${node}'s iptables writes nf_tables (${host.excerpt}, ${host.file}${host.line ? `:${host.line}` : ''}), but ${who} ${who.includes(' and ') ? 'write' : 'writes'} with legacy iptables from ${who.includes(' and ') ? 'their images' : 'its image'}: ` +
      [
        ...(oldEvidence.length ? [`the cluster runs Kubernetes ${[...new Set(old.map((n) => n.kubeletVersion))].join(', ')} (${oldEvidence[0].file}), whose kube-proxy image carries legacy iptables only (iptables-wrapper, which picks the host's back end, came with 1.17)`] : []),
        ...(lineEvidence.length ? [`the log names its iptables "(legacy)" (${lineEvidence.map((e) => `${e.file}:${e.line}`).join(', ')})`] : []),
      ].join('; ') +
      ". Their rules and the host's land in two back ends, and each side misses the other's: Service NAT, pod masquerade and forward accepts apply only in part (kubernetes#71305; raspberry-pi-dramble#156 on Debian 10 with kubeadm and flannel).",
    impact: 'Service and pod traffic breaks in ways each tool cannot see: rules believed present are in the other back end; pods may get no network (flannel never writing subnet.env).',
    evidence: [host, ...proof],
    facts: { hostBackend: 'nf_tables', imagesBackend: 'legacy', writers: [...new Set(writers)], logSymptomMismatch },
    remedy: {
      summary:
        'Make the host use the images\' back end on every node, then reboot (the nf_tables rules stay until then); or upgrade to releases whose images pick the host\'s back end (Kubernetes 1.17 and later, flannel v0.13 and later).',
      commands: [
        'update-alternatives --set iptables /usr/sbin/iptables-legacy; update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy; update-alternatives --set arptables /usr/sbin/arptables-legacy; update-alternatives --set ebtables /usr/sbin/ebtables-legacy   # Debian/Ubuntu, on every node',
        'reboot   # one node at a time: clears the rules left in nf_tables; Docker, kubelet and the pods write theirs again in legacy',
        'iptables -V; iptables-save | grep -c "^-A"   # after the reboot: (legacy), and the rules are there',
      ],
      caution:
        'Drain each node before its reboot (kubectl drain <node> --ignore-daemonsets). Where the host must stay on nf_tables (RHEL/CentOS 8 and later have no legacy iptables), upgrade the images instead.',
    },
  };
}
