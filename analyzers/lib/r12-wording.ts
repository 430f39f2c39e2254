/**
 * Wording the log-signatures analyzer gives three findings where the lines around them say more
 * (review R12, /tmp/rv12):
 *
 * - badRuleCheck: `Bad rule (does a matching rule exist in that chain?)` printed for a -C check (a
 *   pasted check command just above it, or the message quoting -C), not a delete: iptables-nft
 *   1.8.0-1.8.2's -C cannot find a rule with a comment or mark match (kubernetes/kubernetes#82361), so
 *   kubelet appends KUBE-FIREWALL's DROP at every sync. Hands over to iptables.rule-duplicated's wording.
 * - legacyRestoreSkew: kube-proxy's `iptables-restore v1.6.0: Couldn't load target 'KUBE-MARK-DROP'`:
 *   an iptables older than 1.8 knows only the legacy back end, so on a host whose iptables is nf_tables
 *   (Debian 10, RHEL 8) kubelet's KUBE-MARK-DROP is in the other back end (kubernetes/kubernetes#71305,
 *   kubernetes/kops#7379). Never "create the chain with the host's iptables" then.
 * - vxlanChecksum: the VXLAN device of the port the bad checksums went to, its ethtool line and how to
 *   make it last (projectcalico/calico#3145, flannel-io/flannel#1279).
 * H38 (reviews R14 case 01, R15 case 07):
 * - vxlanChecksum also reads the receiving kernel's `UDP: bad checksum. From a:p to b:8472` (the drop itself), the
 *   device the bundle's ip -d link shows on the port, and a workaround typed in a pasted session
 *   (offloadWorkarounds: `# ethtool -K flannel.1 tx-checksum-ip-generic off`, its Actual changes, a lookup that
 *   answered after it): applied at line N, the failures before it history; beforeWorkaround says so on them.
 * - firewalldZoneConflict: dockerd's `ZONE_CONFLICT: 'docker0' already bound to ...` (docker/for-linux#1163): the
 *   zone the line names in the command, a user network's refusal (dockerd up) said as such.
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch } from '../../src/logs/index.js';
import type { Evidence } from '../../src/report/schema.js';
import { installedPackage, packageEvidence } from './package-versions.js';
import { liveViews } from './node-view.js';

/** `1.8.2` -> [1, 8, 2] */
function parts(v: string): number[] {
  return v.split(/[.-]/).map((p) => Number.parseInt(p, 10)).filter((n) => Number.isFinite(n));
}

function below(v: string, min: number[]): boolean {
  const p = parts(v);
  for (let i = 0; i < min.length; i++) {
    const a = p[i] ?? 0;
    if (a !== min[i]) return a < min[i];
  }
  return false;
}

const CHECK_IN_LINE = /(?:^|[\s'"])(?:-C|--check)\s/;

/**
 * log.iptables-bad-rule: where the line answers a check (a pasted -C command on the line above, in
 * the same file, or the message quoting -C), say so, and name kubernetes#82361 where the version allows.
 * `checks` are the matches of the quiet log.iptables-check-command.
 */
export function badRuleCheck(draft: FindingDraft, matches: LogMatch[], checkLines: LogMatch[], artifacts: NodeArtifacts): void {
  // H54: log.iptables-check-command also gives the rules listed beside a check (fact `listed`): what the check is compared with
  const checks = checkLines.filter((c) => !c.facts.listed);
  const listings = checkLines.filter((c) => c.facts.listed);
  const found: { bad: LogMatch; check?: LogMatch }[] = [];
  for (const m of matches) {
    // the command right above it: iptables answers on the next line (R20: a -C that succeeded, then a -D whose Bad rule it was)
    const check = checks.find((c) => c.file === m.file && c.line === m.line - 1);
    if (check || CHECK_IN_LINE.test(m.excerpt)) found.push({ bad: m, check });
  }
  // every line a check's answer: a mixed set (deletes too) keeps the general wording
  if (found.length === 0 || found.length < matches.length) return;
  const cmds = found.flatMap((f) => (f.check ? [f.check] : []));
  if (checkFindsNothing(draft, cmds, listings, artifacts)) return;
  const nft = cmds.some((c) => /-nft$/.test(c.facts.tool ?? ''));
  const commentOrMark = cmds.some((c) => c.facts.comment || c.facts.mark) || found.some((f) => /--comment|-m (?:conn)?mark\b/.test(f.bad.excerpt));
  const pkg = installedPackage(artifacts, ['iptables']);
  const evidence: Evidence[] = cmds.slice(0, 3).map((c) => ({ file: c.file, line: c.line, excerpt: c.excerpt, note: 'the check whose answer the Bad rule line is' }));
  const where = cmds.length > 0 ? ` (${cmds.slice(0, 3).map((c) => `${c.file}:${c.line}`).join(', ')})` : '';
  let versionSays = '';
  // without a version, the bug is a candidate only for a rule with a comment or mark match (its precondition)
  let bug: 'yes' | 'no' | 'maybe' | 'plain' = commentOrMark ? 'maybe' : 'plain';
  let which: ReturnType<typeof checkBugOf>;
  if (pkg) {
    evidence.push(packageEvidence(pkg, 'the installed iptables package'));
    which = checkBugOf(pkg.upstream);
    if (which) {
      bug = 'yes';
      versionSays =
        which === '1.8.10'
          ? ` This node's iptables package is ${pkg.version} (${pkg.ref.file}:${pkg.ref.line}): ${BUG_1810}.`
          : ` This node's iptables package is ${pkg.version} (${pkg.ref.file}:${pkg.ref.line}): 1.8.0 to 1.8.2, the versions with that bug.`;
    } else {
      bug = 'no';
      versionSays = ` This node's iptables package is ${pkg.version} (${pkg.ref.file}:${pkg.ref.line}), neither 1.8.0 to 1.8.2 nor 1.8.10: its -C finds such rules, so the rule really was not there as checked (unless the component brings its own iptables, as kube-router and k3s do).`;
    }
  }
  const bugText =
    which === '1.8.10'
      ? 'iptables 1.8.10 has a -C bug of its own (kube-router#1676), so a component that checks before it appends adds another copy at every sync'
      : 'iptables-nft 1.8.0 to 1.8.2 (Debian 10 ships 1.8.2) cannot find a rule that has a comment or mark match with -C (kubernetes#82361, fixed in iptables 1.8.3), so a component that checks before it appends (kubelet with its KUBE-FIREWALL DROP rule) adds another copy at every sync' +
        (bug === 'maybe' ? "; iptables 1.8.10 has another (kube-router#1676: kube-router 2.x's images, fixed in 1.8.11)" : '');
  if (bug === 'plain') {
    // Docker, firewalld's passthrough and kubelet check before they add: no rule yet is their normal start
    draft.title = 'An iptables check (-C) found no matching rule';
    draft.message =
      draft.message.slice(0, draft.message.indexOf(': ') + 2) +
      `iptables printed this for a check (-C)${where}, not a delete: the check found no rule matching the one given. Components check before they add a rule (Docker, firewalld's passthrough, kubelet), so at their start this is normal; it matters only if the same rule then appears many times (a check that cannot find what is there).`;
    draft.evidence.push(...evidence.filter((e) => !draft.evidence.some((d) => d.file === e.file && d.line === e.line)));
    draft.facts = { ...draft.facts, answersCheck: true };
    draft.remedy = { summary: 'Nothing to fix for the check itself. If rules repeat, see which and the iptables version.', commands: ['iptables -S | sort | uniq -cd | head; iptables -V   # repeated rules, and whether this is iptables-nft 1.8.0-1.8.2'] };
    return;
  }
  draft.title =
    bug === 'no'
      ? 'An iptables check (-C) found no matching rule'
      : `An iptables check (-C) did not find a rule (${which === '1.8.10' ? 'iptables 1.8.10' : which ? 'iptables-nft 1.8.0-1.8.2' : 'iptables-nft 1.8.0-1.8.2 or 1.8.10'} -C bug?)`;
  draft.message =
    draft.message.slice(0, draft.message.indexOf(': ') + 2) +
    `iptables printed this for a check (-C)${where}, not a delete: the check found no rule matching the one given.` +
    (bug === 'no'
      ? versionSays
      : ` If that rule is in the chain (appended just before, or listed by iptables -S), the check itself is wrong: ${bugText}.${versionSays}${
          bug === 'maybe' ? ` The bundle does not say the iptables version${nft ? ' (the command is iptables-nft)' : ''}: iptables -V tells.` : ''
        }${commentOrMark ? ' The checked rule has a comment or mark match.' : ''}`);
  if (bug === 'yes') draft.severity = 'warning';
  draft.evidence.push(...evidence.filter((e) => !draft.evidence.some((d) => d.file === e.file && d.line === e.line)));
  draft.facts = { ...draft.facts, answersCheck: true, ...(pkg ? { iptablesPackage: pkg.version } : {}) };
  draft.remedy =
    bug === 'no'
      ? { summary: 'Compare the checked rule with iptables -S of its chain: the rule as written (its matches, their order, the comment) differs from the one in the chain, or the chain does not hold it.', commands: ['iptables -S   # the chain the check names: is the rule there, written the same way?'] }
      : {
          summary:
            which === '1.8.10'
              ? "Upgrade iptables to 1.8.11 or later (or back to 1.8.9), in the component's image too (kube-router, k3s bring their own); then remove the extra copies (iptables.rule-duplicated gives the loop that stops at one copy once iptables-save is in the bundle)."
              : `Upgrade iptables to 1.8.3 or later (Debian 10: from buster-backports), or put the node on the legacy back end${which ? '' : "; where iptables -V says 1.8.10 (the host's or the component's own), 1.8.11 or later"}; then remove the extra copies (iptables.rule-duplicated gives the loop that stops at one copy once iptables-save is in the bundle). Kubernetes 1.17 and later no longer re-add this rule at every sync.`,
          commands: [
            'iptables -V; dpkg -l iptables 2>/dev/null || rpm -q iptables-nft iptables   # 1.8.0-1.8.2 or 1.8.10 (nf_tables): a -C bug',
            'iptables -S KUBE-FIREWALL | sort | uniq -c | sort -rn | head   # how many copies of the DROP rule the bug left',
            '# or switch to the legacy back end (then reboot, or the rules already in nf_tables stay):',
            'update-alternatives --set iptables /usr/sbin/iptables-legacy',
            'update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy',
          ],
          caution: 'Switching back ends leaves the rules already written in nf_tables in place until the node reboots; drain it first.',
        };
}

/**
 * log.iptables-couldnt-load-match on a KUBE- chain said by an iptables-restore older than 1.8 (legacy
 * only), or 1.8 without its back end in the line: run after missingChainTarget.
 * - the live rules show the host on the legacy back end only: missingChainTarget's reading stands;
 * - they show nf_tables (kubelet's chain there): the back ends are split, said alone;
 * - the bundle does not say: both readings, the split first, and a remedy that looks before it creates
 *   anything (the chain is created only where the host's iptables is legacy).
 */
export function legacyRestoreSkew(draft: FindingDraft, matches: LogMatch[], artifacts: NodeArtifacts): void {
  const chains = matches.map((m) => m.facts.module).filter((c): c is string => !!c && /^KUBE-/.test(c));
  if (chains.length === 0 || chains.length < matches.length) return;
  const old = matches.filter((m) => m.facts.version && /restore/.test(m.facts.tool ?? '') && (below(m.facts.version, [1, 8]) || !m.facts.backend));
  if (old.length < matches.length) return;
  const views = liveViews(artifacts).filter((v) => v.backend !== 'unknown');
  if (views.length > 0 && views.every((v) => v.backend === 'legacy')) return;
  const nft = views.find((v) => v.backend === 'nf_tables');
  const versions = [...new Set(old.map((m) => m.facts.version))];
  const legacyOnly = versions.every((v) => below(v, [1, 8]));
  const chainList = [...new Set(chains)].join(', ');
  const v6 = matches.some((m) => /ip6tables/.test(m.excerpt) || m.facts.tool?.startsWith('ip6tables'));
  const tool = v6 ? 'ip6tables' : 'iptables';
  const pkg = installedPackage(artifacts, ['iptables', 'iptables-nft']);
  const hostSays = nft
    ? ` This node's rules (${[...nft.files.values()][0] ?? 'the dump'}) are in nf_tables: that is where kubelet wrote ${chainList}.`
    : pkg
      ? ` This node's iptables package is ${pkg.version} (${pkg.ref.file}:${pkg.ref.line})${below(pkg.upstream, [1, 8]) ? ': legacy only too, so the back ends are not split here unless kubelet runs another iptables' : ': 1.8 or later, whose iptables is nf_tables on Debian 10 and later, RHEL 8 and later'}.`
      : '';
  const split =
    `the restore that fails is iptables-restore v${versions.join(', v')}${legacyOnly ? ', which knows only the legacy back end' : ' without its back end in the line'}: kube-proxy's own iptables, inside its container. kube-proxy's rules jump to ${chainList}, which kubelet creates with the host's iptables: on a host whose iptables is 1.8 nf_tables (Debian 10 and later, RHEL 8 and later) that chain is in nf_tables, which kube-proxy's ${legacyOnly ? 'legacy ' : ''}iptables does not see, so every sync fails and Services and NodePorts are not programmed (kubernetes#71305, kubernetes/kops#7379). Creating the chain with the host's iptables would put it in nf_tables again.`;
  const head = draft.message.slice(0, draft.message.indexOf(': ') + 2);
  draft.title = `kube-proxy's iptables ${versions.join(', ')} cannot see ${chainList}${nft ? ": kubelet wrote it in nf_tables" : legacyOnly ? ': back ends split, or the chain was never made' : ''}`;
  if (nft) draft.message = `${head}${split}${hostSays}`;
  else {
    // missingChainTarget's reading, less its "not a back-end mismatch"
    const missing = draft.message.slice(head.length).replace(/\s*Not a back-end or version mismatch\.?/, '');
    draft.message = `${head}${split}${hostSays} Or, where the host's iptables is legacy too: ${missing.charAt(0).toLowerCase()}${missing.slice(1)} The host's iptables -V and the chain in each back end tell which.`;
  }
  draft.facts = { ...draft.facts, restoreVersions: versions, legacyOnly, hostBackend: nft ? 'nf_tables' : 'unknown' };
  if (pkg) draft.evidence.push(packageEvidence(pkg, "the host's iptables package"));
  draft.remedy = {
    summary:
      "Look before creating anything: the host's iptables -V, and the chain in the legacy and the nf_tables back end. Where the host is nf_tables and kube-proxy's iptables is older than 1.8, put the host's iptables (and ip6tables) on the legacy back end and reboot the node, or run a kube-proxy whose image picks the host's back end (Kubernetes 1.17 and later). Only where the host's iptables is legacy and its nat table lacks the chain, create it as kubelet makes it.",
    commands: [
      `${tool} -V   # the host's: (nf_tables) means kubelet writes where kube-proxy's legacy iptables does not look`,
      `${tool}-legacy-save -t nat 2>/dev/null | grep -c KUBE-MARK-DROP   # the legacy back end (kube-proxy's)`,
      `${tool}-nft-save -t nat 2>/dev/null | grep -c KUBE-MARK-DROP   # the nf_tables back end (kubelet's, on an nf_tables host)`,
      '# where iptables -V says nf_tables and the chain is only in nf_tables:',
      'update-alternatives --set iptables /usr/sbin/iptables-legacy',
      'update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy',
      '# where iptables -V says legacy and the legacy nat table lacks the chain (does nothing on an nf_tables host):',
      `${tool} -V | grep -q legacy && { ${tool} -t nat -L KUBE-MARK-DROP -n >/dev/null 2>&1 || ${tool} -t nat -N KUBE-MARK-DROP; }`,
      `${tool} -V | grep -q legacy && { ${tool} -t nat -C KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000 2>/dev/null || ${tool} -t nat -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000; }`,
    ],
    caution: 'Switching back ends leaves the rules already written in nf_tables in place until the node reboots; drain it and reboot.',
  };
}

/** The tunnel device of each port (the CNI's own name for it) and who else uses the port. */
const TUNNEL_DEVICES: Record<string, { device?: string; who: string; kind: 'vxlan' | 'geneve' }> = {
  '4789': { device: 'vxlan.calico', kind: 'vxlan', who: "Calico's VXLAN device (Docker's overlay and other VXLAN users take 4789 too: ip -d link show type vxlan names the device)" },
  '8472': { device: 'flannel.1', kind: 'vxlan', who: "flannel's VXLAN device (Cilium's cilium_vxlan uses 8472 too)" },
  // no one name: Cilium's cilium_geneve, Open vSwitch's genev_sys_6081
  '6081': { kind: 'geneve', who: "Geneve (Cilium's cilium_geneve, OVN's genev_sys_6081: ip -d link show type geneve names the device)" },
};

/** How to keep TX checksum offload off on a device that its agent creates again. */
function persistCommands(device: string): string[] {
  if (device === 'vxlan.calico')
    return [
      `kubectl patch felixconfiguration default --type merge -p '{"spec":{"featureDetectOverride":"ChecksumOffloadBroken=true"}}'   # Calico: Felix keeps it off (replaces any other featureDetectOverride; Calico 3.25 and later default to it, projectcalico/calico#6842)`,
    ];
  const file = device === 'flannel.1' ? '90-flannel.rules' : `90-${device.replace(/[^\w.-]/g, '_')}-tx-csum-off.rules`;
  return [
    `printf '%s\\n' 'SUBSYSTEM=="net", ACTION=="add|change|move", ENV{INTERFACE}=="${device}", RUN+="/usr/sbin/ethtool -K ${device} tx-checksum-ip-generic off"' > /etc/udev/rules.d/${file}   # ${device === 'flannel.1' ? "flannel's troubleshooting guide: " : ''}again whenever ${device} is created`,
  ];
}

/**
 * A typed `ethtool -K <device> tx-checksum-ip-generic off` (log.offload-workaround-typed), whether ethtool then
 * printed TX checksumming off (log.offload-workaround-output within the next 12 lines of the same file) and a
 * lookup answered after it (log.dns-lookup-answered).
 */
export interface OffloadWorkaround {
  typed: LogMatch;
  applied?: LogMatch;
  answered?: LogMatch;
}

export function offloadWorkarounds(typed: LogMatch[], output: LogMatch[], answers: LogMatch[]): OffloadWorkaround[] {
  return typed.map((t) => {
    const next = typed.find((o) => o.file === t.file && o.line > t.line)?.line ?? Number.POSITIVE_INFINITY;
    const applied = output.find((o) => o.file === t.file && o.line > t.line && o.line <= t.line + 12 && o.line < next);
    const answered = answers.find((a) => a.file === t.file && a.line > (applied ?? t).line);
    return { typed: t, ...(applied ? { applied } : {}), ...(answered ? { answered } : {}) };
  });
}

/** The workaround's line, said as a place: `ethtool-K-flannel.1.txt:3` */
const at = (m: LogMatch) => `${m.file}:${m.line}`;

/** The VXLAN interfaces the bundle's `ip -d link` / `ip -d addr` shows, by destination port. */
function bundleDevices(artifacts: NodeArtifacts | undefined): Map<string, { name: string; ref: string }[]> {
  const out = new Map<string, { name: string; ref: string }[]>();
  for (const l of artifacts?.ipAddr ?? [])
    for (const i of l.interfaces) {
      if (i.kind !== 'vxlan' || i.vxlan?.port === undefined) continue;
      const port = String(i.vxlan.port);
      const list = out.get(port) ?? out.set(port, []).get(port)!;
      if (!list.some((d) => d.name === i.name)) list.push({ name: i.name, ref: `${i.ref.file}:${i.ref.line}` });
    }
  return out;
}

/** The node's own addresses (ip addr), without their prefixes. */
function ownAddresses(artifacts: NodeArtifacts | undefined): Set<string> {
  const out = new Set<string>();
  for (const l of artifacts?.ipAddr ?? []) for (const i of l.interfaces) for (const a of i.addresses) out.add(a.address);
  return out;
}

/** tcpdump's outer packet of a bad-checksum line: `10.0.0.4.41311 > 10.0.0.5.8472: [bad udp cksum ...` */
const TCPDUMP_FLOW = /(\S+)\.([\w-]{1,32}) > (\S+)\.(4789|8472|vxlan): \[bad udp cksum/;

/**
 * Every bad checksum tcpdump printed is on a packet this node sends (its source one of the node's own addresses,
 * none addressed to it), each outer flow seen once (no resent SYN) and no kernel line: the capture ran on the
 * sender, where tcpdump sees the packet before checksum offload fills the checksum in ("bad udp cksum" is routine
 * there). Worded as an info, the check on the receiving side its remedy. True when it rewrote the draft.
 */
function senderSideOnly(draft: FindingDraft, matches: LogMatch[], artifacts: NodeArtifacts | undefined, ports: string[]): boolean {
  const own = ownAddresses(artifacts);
  if (own.size === 0 || matches.length === 0) return false;
  const flows = matches.map((m) => TCPDUMP_FLOW.exec(m.excerpt));
  if (flows.some((f) => !f)) return false;
  if (!flows.every((f) => own.has(f![1]) && !own.has(f![3]))) return false;
  const keys = flows.map((f) => `${f![1]}.${f![2]} > ${f![3]}`);
  if (new Set(keys).size !== keys.length) return false;
  const senders = [...new Set(flows.map((f) => f![1]))];
  const peers = [...new Set(flows.map((f) => f![3]))];
  const port = ports[0] ?? '8472';
  draft.severity = 'info';
  draft.title = 'VXLAN "bad udp cksum" on packets this node sends: a sender-side capture, not proof of a checksum fault';
  draft.message =
    `${matches.length} line${matches.length > 1 ? 's' : ''} (${at(matches[0])}${matches.length > 1 ? ' and more' : ''}): tcpdump printed a bad outer UDP checksum only on VXLAN packets leaving ${senders.join(', ')}, an address of this node (ip addr), for ${peers.join(', ')}. ` +
    `On the sending node tcpdump sees a packet before the NIC or the kernel's checksum offload fills the checksum in, so "bad udp cksum" there is routine and proves nothing. ` +
    `No kernel "UDP: bad checksum" line and no packet resent in the capture show a drop at the receiver. It is the checksum offload bug (projectcalico/calico#3145, flannel-io/flannel#1279) only if the receiving node's capture shows the same bad checksum or its kernel logs the drop.`;
  draft.remedy = {
    summary: `Nothing to change on this capture alone. To tell, capture on the receiving node (${peers.join(', ')}) and read its kernel log; turn TX checksum offload off on the VXLAN device only if the receiver shows the bad checksum.`,
    commands: [
      `tcpdump -vni any -c 20 udp port ${port} and src host ${senders[0]}   # on ${peers[0]}: "[bad udp cksum ... !]" there is the fault, "[udp sum ok]" is healthy`,
      `dmesg | grep -F 'UDP: bad checksum'   # on ${peers[0]}: the kernel's own drops`,
    ],
  };
  draft.facts = { ...draft.facts, senderSideCapture: true };
  return true;
}

export interface VxlanContext {
  /** the finding's own lines (log.vxlan-bad-udp-checksum) */
  matches?: LogMatch[];
  /** the typed workarounds of the node (offloadWorkarounds) */
  workarounds?: OffloadWorkaround[];
  artifacts?: NodeArtifacts;
}

/**
 * log.vxlan-bad-udp-checksum: the device of the port (the one the bundle's ip -d link shows on that port,
 * else the CNI's name for it), its ethtool line, how to keep it; the receiving kernel's own drops said as
 * such; a workaround typed in the bundle's session (flannel-io/flannel#1279) said with its line, the
 * failures before it history.
 */
export function vxlanChecksum(draft: FindingDraft, facts: Record<string, string[]>, ctx: VxlanContext = {}): void {
  const ports = [...new Set((facts.port ?? []).map((p) => (p === 'vxlan' ? '4789' : p)))].filter((p) => TUNNEL_DEVICES[p]);
  if (ports.length === 0) return;
  const shown = bundleDevices(ctx.artifacts);
  const devices: string[] = [];
  const said: string[] = [];
  const geneve = ports.filter((p) => TUNNEL_DEVICES[p].kind === 'geneve');
  for (const p of ports) {
    const t = TUNNEL_DEVICES[p];
    const onPort = shown.get(p) ?? [];
    if (onPort.length > 0) {
      devices.push(...onPort.map((d) => d.name));
      said.push(`${p}: ${onPort.map((d) => `${d.name} (${d.ref})`).join(', ')}, the VXLAN device${onPort.length > 1 ? 's' : ''} on that port here`);
    } else {
      if (t.device) devices.push(t.device);
      said.push(`${p}: ${t.who}`);
    }
  }
  draft.message += ` Port ${said.join('; ')}.`;
  if (geneve.length > 0) draft.message = draft.message.replace(/^([^:]*: )VXLAN packets/, '$1VXLAN or Geneve packets');
  const matches = ctx.matches ?? [];
  const kernel = matches.filter((m) => m.facts.kernel);
  if (kernel.length > 0 || facts.kernel) {
    const senders = [...new Set(kernel.map((m) => m.facts.src).filter(Boolean))];
    draft.title = `${geneve.length > 0 ? 'Tunnel' : 'VXLAN'} packets dropped on arrival for a bad UDP checksum (checksum offload bug)`;
    draft.message += ` ${kernel.length > 0 ? `${at(kernel[0])}${kernel.length > 1 ? ` and ${kernel.length - 1} more` : ''} ${kernel.length > 1 ? 'are' : 'is'}` : 'The kernel lines are'} this node's kernel dropping them on arrival (UDP: bad checksum): the packets did reach the node and were discarded, no capture artefact${senders.length > 0 ? `; the sender is ${senders.slice(0, 3).join(', ')}, whose outgoing device computes the checksum` : ''}. The known cause: kube-proxy marks the inner packet for masquerade and the mark stays on the VXLAN packet, which is NATed a second time, and a kernel bug then leaves its UDP checksum wrong (kubernetes/kubernetes#88986).`;
  }
  else if (senderSideOnly(draft, matches, ctx.artifacts, ports)) return;
  const fixed = (ctx.workarounds ?? []).filter((w) => w.applied && (!w.typed.facts.device || devices.length === 0 || devices.includes(w.typed.facts.device)));
  const typed = (ctx.workarounds ?? []).filter((w) => !fixed.includes(w));
  if (fixed.length > 0) {
    const w = fixed[fixed.length - 1];
    const dev = w.typed.facts.device ?? devices[0];
    draft.message += ` The workaround was applied at ${at(w.typed)} (ethtool -K ${dev} ${w.typed.facts.feature ?? 'tx-checksum-ip-generic'} off; ethtool printed TX checksumming off at ${at(w.applied!)})${w.answered ? ` and a lookup answered after it (${at(w.answered)})` : ''}: the failures logged before it are history, not the node's state now. It does not survive the device being created again (the CNI agent restarting, a reboot): make it persistent.`;
    draft.facts = { ...draft.facts, workaroundAppliedAt: at(w.typed), ...(w.answered ? { answeredAfterWorkaround: at(w.answered) } : {}) };
    if (draft.severity === 'critical') draft.severity = 'warning';
  } else if (typed.length > 0) {
    draft.message += ` The workaround is typed at ${at(typed[0].typed)}, without ethtool's report that TX checksumming went off: whether it ran there (and on every node) the lines do not say.`;
  }
  const geneveHint = geneve.length > 0 ? ['ip -d link show type geneve   # the Geneve device; then ethtool -K <that device> tx-checksum-ip-generic off'] : [];
  const lasting =
    kernel.length > 0 || facts.kernel
      ? ' Lasting fix: a kube-proxy and kubelet that unmark packets before masquerading them (kubernetes/kubernetes#92035: Kubernetes 1.19, cherry-picked to 1.17 and 1.18) or a kernel with the checksum fix (5.7 and later); until then keep offload off.'
      : '';
  draft.remedy = {
    summary: `${draft.remedy.summary} Run the ethtool line on every node.${fixed.length > 0 ? ' It was run here already (see above): what is left is making it last.' : ''}${lasting}`,
    commands: [
      ...draft.remedy.commands,
      ...[...new Set(devices)].map((d) => `ethtool -K ${d} tx-checksum-ip-generic off   # now; pasted again it changes nothing`),
      ...geneveHint,
      ...[...new Set(devices)].flatMap(persistCommands),
    ],
    ...(draft.remedy.caution ? { caution: draft.remedy.caution } : {}),
  };
}

/**
 * A connection failure (log.connection-timed-out and the like) all of whose lines come before a checksum
 * workaround that ethtool reported applied and a lookup answered after (the same file): history, said so
 * and info. For log-signatures to call with the node's workarounds.
 */
export function beforeWorkaround(draft: FindingDraft, matches: LogMatch[], workarounds: OffloadWorkaround[]): void {
  if (matches.length === 0) return;
  const w = workarounds.find((x) => x.applied && x.answered && matches.every((m) => m.file === x.typed.file && (m.endLine ?? m.line) < x.typed.line));
  if (!w) return;
  draft.severity = 'info';
  draft.title = `${draft.title} (before a workaround that fixed it)`;
  draft.message += ` These lines come before ${at(w.typed)}, where ethtool -K ${w.typed.facts.device ?? '<device>'} turned TX checksum offload off (${at(w.applied!)}), and a lookup answered after it (${at(w.answered!)}): history, not the node's state now. Make the workaround persistent (see the VXLAN checksum finding where the bundle has its lines).`;
  draft.facts = { ...draft.facts, beforeWorkaround: at(w.typed) };
  draft.remedy = {
    summary: `Nothing to trace for these lines: the lookup answered once TX checksum offload was off. Keep it off where the device is created again (the CNI agent restarting, a reboot).`,
    commands: w.typed.facts.device ? persistCommands(w.typed.facts.device) : [],
  };
}

/**
 * log.docker-firewalld-zone-conflict: the zone the line names (newer firewalld says it: `already bound to
 * 'trusted'`) in the command itself, and a user network's conflict (dockerd kept running) said as such.
 */
export function firewalldZoneConflict(draft: FindingDraft, matches: LogMatch[]): void {
  const named = matches.filter((m) => m.facts.zone && m.facts.iface && m.facts.zone !== 'docker');
  const pairs = [...new Map(named.map((m) => [`${m.facts.iface} ${m.facts.zone}`, m])).values()];
  if (pairs.length > 0) {
    draft.message += ` The line names the zone: ${pairs.map((m) => `${m.facts.iface} is in ${m.facts.zone}`).join(', ')}.`;
    const first = draft.remedy.commands.findIndex((c) => c.startsWith('zone=$('));
    const direct = pairs.map((m) => `firewall-cmd --permanent --zone=${m.facts.zone} --remove-interface=${m.facts.iface} && firewall-cmd --reload   # the zone the line names; pasted again firewalld answers NOT_ENABLED, which it counts as success`);
    draft.remedy.commands.splice(first < 0 ? draft.remedy.commands.length : first, 0, ...direct);
  }
  if (matches.every((m) => !m.facts.daemonStart)) {
    draft.title = 'A Docker network was not created: firewalld has its bridge in another zone (ZONE_CONFLICT)';
    draft.message += ' The lines are no failed start of dockerd: a network it was asked to create (docker network create, compose) was not, and dockerd kept running.';
  }
}

// ---- H54 (R18 04): a -C that does not find a rule the node lists -------------------------------------------------

/** Shell words of a command's rest, quotes removed; stops at the shell's `&&`, `||`, `;`, `|` and redirections. */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const w = m[1] ?? m[2] ?? m[3];
    if (m[3] !== undefined && /^(?:&&|\|\||;|\||\d?>[>&]?\S*|<)$/.test(w)) break;
    out.push(w);
  }
  return out;
}

const LONG: Record<string, string> = { '--source': '-s', '--src': '-s', '--destination': '-d', '--dst': '-d', '--protocol': '-p', '--in-interface': '-i', '--out-interface': '-o', '--jump': '-j', '--goto': '-g', '--match': '-m' };

/**
 * A rule spec as a comparable key, modulo quoting and the order iptables prints options in: its option groups (an
 * option and its arguments, `!` with it) sorted; `-s 10.0.0.1` as iptables prints it (`/32`), the implicit `-m tcp`
 * of `-p tcp --dport` left out, the command's own options (-t, -w, -W, -v, -n) left out.
 */
export function specKey(spec: string): string {
  const groups: string[][] = [];
  let neg = false;
  for (const w of words(spec)) {
    if (w === '!') {
      neg = true;
      continue;
    }
    if (/^--?[A-Za-z]/.test(w)) {
      groups.push([...(neg ? ['!'] : []), LONG[w] ?? w]);
      neg = false;
    } else if (groups.length > 0) groups[groups.length - 1].push(w);
  }
  const kept = groups
    .filter((g) => !/^(?:-t|--table|-w|--wait|-W|--wait-interval|-v|--verbose|-n|--numeric)$/.test(g[g[0] === '!' ? 1 : 0]))
    .filter((g) => !(g[0] === '-m' && /^(?:tcp|udp|icmp|icmpv6|sctp)$/.test(g[1] ?? '')))
    .map((g) => {
      const o = g[0] === '!' ? 1 : 0;
      if (/^-[sd]$/.test(g[o]) && g[o + 1]) g[o + 1] = g[o + 1].split(',').map((a) => (a.includes('/') ? a : a.includes(':') ? `${a}/128` : `${a}/32`)).join(',');
      if (g[o] === '-p' && g[o + 1]) g[o + 1] = g[o + 1].toLowerCase();
      return g.join(' ');
    });
  return kept.sort().join(' \u0001 ');
}

/** The chain and spec a check command names (`iptables -t filter -C CHAIN <spec>`), and its table. */
function checkedRule(excerpt: string): { chain: string; spec: string; table: string } | undefined {
  const m = /(?:^|\s)(?:-C|--check)\s{1,8}([A-Za-z0-9_][\w.-]{0,63})\s+(.*)$/.exec(excerpt);
  if (!m) return undefined;
  const t = /(?:^|\s)(?:-t|--table)[\s=]{1,4}(filter|nat|mangle|raw|security)\b/.exec(excerpt);
  return { chain: m[1], spec: m[2], table: t?.[1] ?? 'filter' };
}

/** The known -C bugs a version is one of: iptables-nft 1.8.0-1.8.2 (kubernetes#82361), 1.8.10 (kube-router#1676). */
function checkBugOf(v: string): '1.8.0-1.8.2' | '1.8.10' | undefined {
  const p = parts(v);
  if (p[0] !== 1 || p[1] !== 8) return undefined;
  if ((p[2] ?? 0) <= 2) return '1.8.0-1.8.2';
  return p[2] === 10 ? '1.8.10' : undefined;
}

const BUG_182 = 'iptables-nft 1.8.0 to 1.8.2 (Debian 10 ships 1.8.2): -C cannot find a rule with a comment or mark match (kubernetes#82361, fixed in 1.8.3)';
const BUG_1810 =
  "iptables 1.8.10 (nf_tables; Alpine 3.19 to 3.21, so kube-router 2.x images built on it, RHEL 9.4): -C misses rules it holds, seen on kube-router's comment-match rules (kube-router#1676: `-d <range> -m comment --comment ... -j RETURN`, and `-m comment -m addrtype -m multiport` node-port rules, not on every run), fixed in iptables 1.8.11 (kube-router#1789); kube-router went back to Alpine 3.18's iptables 1.8.9";

/**
 * Where the rule a failed -C names is listed on the node (a listing in the same file: `iptables-save | grep`, or the
 * node's live rules), the check itself is broken: say so, with the known versions (only the one the version shown
 * matches), and cite the copies of rules of that chain the node's iptables-save already holds. False where no
 * check's rule is listed (the caller's wording stands).
 */
function checkFindsNothing(draft: FindingDraft, cmds: LogMatch[], listings: LogMatch[], artifacts: NodeArtifacts): boolean {
  const live = (artifacts.iptables ?? []).filter((rs) => rs.origin === 'live' && rs.format !== 'list');
  const hits: { check: LogMatch; where: Evidence }[] = [];
  for (const c of cmds) {
    const rule = checkedRule(c.excerpt);
    if (!rule) continue;
    const key = specKey(rule.spec);
    if (key === '') continue;
    const listed = listings.find((l) => {
      const m = /(?:^|\s)-A\s+(\S+)\s+(.*)$/.exec(l.excerpt);
      return l.file === c.file && m && m[1] === rule.chain && specKey(m[2]) === key;
    });
    if (listed) {
      hits.push({ check: c, where: { file: listed.file, line: listed.line, excerpt: listed.excerpt, note: 'the rule the check did not find, listed' } });
      continue;
    }
    for (const rs of live) {
      const r = (rs.tables[rule.table]?.chains[rule.chain]?.rules ?? []).find((x) => {
        const spec = /^(?:-A|--append)\s+\S+\s+(.*)$/.exec(x.text.trim())?.[1];
        return spec !== undefined && specKey(spec) === key;
      });
      if (r) {
        hits.push({ check: c, where: { file: r.ref.file, line: r.ref.line, excerpt: r.text, note: "the rule the check did not find, in the node's rules" } });
        break;
      }
    }
  }
  if (hits.length === 0) return false;
  const chains = [...new Set(hits.map((h) => checkedRule(h.check.excerpt)!.chain))];
  // copies of one rule in the checked chains: what a component that checks before appending has already added
  const copies: Evidence[] = [];
  for (const rs of live)
    for (const t of Object.values(rs.tables))
      for (const ch of chains) {
        const byKey = new Map<string, { line: number; file: string; text: string }[]>();
        for (const r of t.chains[ch]?.rules ?? []) {
          const spec = /^(?:-A|--append)\s+\S+\s+(.*)$/.exec(r.text.trim())?.[1];
          if (spec === undefined) continue;
          const k = specKey(spec);
          (byKey.get(k) ?? byKey.set(k, []).get(k)!).push({ line: r.ref.line, file: r.ref.file, text: r.text });
        }
        for (const list of byKey.values()) if (list.length > 1) copies.push(...list.map((x, i) => ({ file: x.file, line: x.line, excerpt: x.text, note: `copy ${i + 1} of ${list.length} of one rule in ${ch}` })));
      }
  // the version the bundle shows: the installed package, the version a check line or the rules' dump prints
  const pkg = installedPackage(artifacts, ['iptables-nft', 'iptables']);
  const shown = pkg?.upstream ?? (artifacts.iptablesVersion ?? []).flat()[0]?.version ?? live.find((rs) => rs.version)?.version;
  const bug = shown ? checkBugOf(shown) : undefined;
  const versions = shown
    ? bug === '1.8.0-1.8.2'
      ? ` This node's iptables is ${shown}: ${BUG_182}.`
      : bug === '1.8.10'
        ? ` This node's iptables is ${shown}: ${BUG_1810}.`
        : ` This node's iptables is ${shown}, neither of the versions known for it (iptables-nft 1.8.0-1.8.2, kubernetes#82361; 1.8.10, kube-router#1676): where the component brings its own iptables (kube-router, k3s), its version is the one that checks.`
    : ` Known for ${BUG_182}; and ${BUG_1810}. iptables -V (on the host and in the component's image) tells which.`;
  const at = hits.map((h) => `${h.check.file}:${h.check.line} against ${h.where.file}:${h.where.line}`).join(', ');
  const seen = copies.length > 0 ? ` The node's rules already hold ${copies.length} copies of rules of ${chains.join(', ')} (${copies.slice(0, 6).map((e) => `${e.file}:${e.line}`).join(', ')}).` : '';
  draft.severity = 'warning';
  draft.title = "iptables' -C does not find a rule that exists: components that check before appending duplicate their rules";
  draft.message =
    draft.message.slice(0, draft.message.indexOf(': ') + 2) +
    `-C does not find a rule that exists (${at}): this iptables' check is broken, not the rules removed. Components that check before appending (kube-router, kubelet, kube-proxy, Docker) add another copy at every sync.${seen}${versions}`;
  const ev: Evidence[] = [
    ...hits.flatMap((h) => [{ file: h.check.file, line: h.check.line, excerpt: h.check.excerpt, note: 'the check' }, h.where]),
    ...copies.slice(0, 6),
  ];
  draft.evidence.push(...ev.filter((e, i) => !draft.evidence.some((d) => d.file === e.file && d.line === e.line) && ev.findIndex((x) => x.file === e.file && x.line === e.line) === i));
  draft.facts = { ...draft.facts, answersCheck: true, checkBroken: true, ...(shown ? { iptablesVersion: shown } : {}), ...(copies.length > 0 ? { duplicateCopies: copies.length } : {}) };
  const fix =
    bug === '1.8.0-1.8.2'
      ? 'Upgrade iptables to 1.8.3 or later (Debian 10: buster-backports) or put the node on the legacy back end'
      : bug === '1.8.10'
        ? 'Move the iptables that checks to 1.8.11 or later, or 1.8.9 (the component\'s image: kube-router, k3s\'s bundled iptables; the host\'s package)'
        : 'Move the iptables that checks off the broken versions: to 1.8.3 or later but not 1.8.10 (1.8.9, or 1.8.11 and later), in the component\'s image too';
  draft.remedy = {
    summary: `${fix}; then delete the extra copies down to one (iptables.rule-duplicated gives a loop that stops at one copy once iptables-save is in the bundle).`,
    commands: [
      'iptables -V; iptables-save -V   # and in the component\'s image: kubectl -n kube-system exec <kube-router pod> -- iptables -V',
      `iptables-save -t ${checkedRule(hits[0].check.excerpt)!.table} | grep -E '^-A (${chains.join('|')}) ' | sort | uniq -cd | sort -rn | head   # rules with more than one copy`,
    ],
  };
  return true;
}

/**
 * H60 (R20 D2b): a delete (-D / --delete) of a runtime's own bridge rule that is not there. Docker deletes its
 * inter-container DROP rule (`-D FORWARD -i docker0 -o docker0 -j DROP`, per network `-i br-<id> -o br-<id>`) every
 * time it sets up a bridge with inter-container traffic allowed (the default): at its start, after a firewalld reload,
 * and when a network is created, before it checks and adds its ACCEPT rules; libvirt deletes its virbr rules (and its
 * LIBVIRT_* chains' rules) before it adds them when a virtual network starts. Through firewalld's passthrough each
 * such delete of a rule that was never there is logged as `WARNING: COMMAND_FAILED: '... -D FORWARD -i docker0 -o
 * docker0 -j DROP' failed: iptables: Bad rule (does a matching rule exist in that chain?).` (moby/libnetwork#2622,
 * docker/for-linux#1104, minishift/minishift#2777 right after firewalld started, moby/moby#16137 for libvirt's
 * `--delete INPUT --in-interface virbr0 ...`). Routine cleanup, not someone removing the rules: worded so, info.
 * Deletes of other rules, and any -A / -I / -C line among them, keep the general wording (a mixed set too).
 */
const DELETE_ARG = /(?:^|[\s'"])(?:-[wnvx\d]{0,4}D|--delete)\s{1,8}(?<chain>[A-Za-z0-9_][\w.-]{0,63})/;
const DOCKER_BRIDGE = String.raw`(?:docker0|docker_gwbridge|br-[0-9a-f]{12})`;
/** Docker's inter-container rule: the same Docker bridge in and out, DROP (or ACCEPT when it flips the setting) */
const DOCKER_ICC = new RegExp(String.raw`(?:-i|--in-interface)\s{1,4}(?<bridge>${DOCKER_BRIDGE})\s{1,4}(?:-o|--out-interface)\s{1,4}\k<bridge>\s{1,4}(?:-j|--jump)\s{1,4}(?:DROP|ACCEPT)\b`);
/**
 * H68 (R23 13): Docker's start-up deletes of its jumps to the nat DOCKER chain in their older forms, before it adds
 * the current ones: `-t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER`, `-t nat -D OUTPUT -m addrtype
 * --dst-type LOCAL [! --dst 127.0.0.0/8] -j DOCKER`, and the bare `-t nat -D PREROUTING` / `-t nat -D OUTPUT` that
 * firewalld's passthrough logs (docker/for-linux#1104, docker/for-mac#1317, moby/moby#27114).
 */
const DOCKER_OLD_JUMP =
  /(?:-t|--table)\s{1,4}nat\s{1,4}(?:-[wnvx\d]{0,4}D|--delete)\s{1,8}(?:PREROUTING|OUTPUT)(?:\s{1,4}-m\s{1,4}addrtype\s{1,4}--dst-type\s{1,4}LOCAL(?:\s{1,4}!\s{1,4}(?:-d|--dst|--destination)\s{1,4}127\.0\.0\.0\/8)?\s{1,4}(?:-j|--jump)\s{1,4}DOCKER)?(?=['"]|:\s|\s*$)/;
/** libvirt's rules: its bridges, or its own chains (libvirt >= 5.1) */
const LIBVIRT_RULE = /(?:-[io]|--(?:in|out)-interface)\s{1,4}virbr\d{1,4}\b|(?:-[wnvx\d]{0,4}D|--delete)\s{1,8}LIBVIRT_(?:INP|OUT|FWI|FWO|FWX|PRT)\b/;

export function badRuleRoutineDelete(draft: FindingDraft, matches: readonly LogMatch[]): boolean {
  if (matches.length === 0) return false;
  const owners = new Set<string>();
  const jumps: LogMatch[] = [];
  for (const m of matches) {
    if (CHECK_IN_LINE.test(m.excerpt) || !DELETE_ARG.test(m.excerpt)) return false;
    if (DOCKER_ICC.test(m.excerpt)) owners.add('Docker');
    else if (DOCKER_OLD_JUMP.test(m.excerpt)) {
      owners.add('Docker');
      jumps.push(m);
    } else if (LIBVIRT_RULE.test(m.excerpt)) owners.add('libvirt');
    else return false;
  }
  const icc = matches.some((m) => DOCKER_ICC.test(m.excerpt));
  const who = [...owners].sort().join(' and ');
  const viaFirewalld = matches.some((m) => /COMMAND_FAILED/.test(m.excerpt));
  const bridges = [...new Set(matches.map((m) => DOCKER_ICC.exec(m.excerpt)?.groups?.bridge ?? /virbr\d{1,4}/.exec(m.excerpt)?.[0]).filter((b): b is string => !!b))];
  const what: string[] = [];
  if (icc)
    what.push(
      'Docker deletes its inter-container DROP rule of a bridge (-i BRIDGE -o BRIDGE -j DROP) every time it sets the bridge up with inter-container traffic allowed (the default): at its start, after a firewalld reload and when it creates a network, before it checks and adds its ACCEPT rules',
    );
  if (jumps.length > 0)
    what.push(
      "Docker deletes its jumps to the nat DOCKER chain in their older forms (nat PREROUTING and OUTPUT: -m addrtype --dst-type LOCAL -j DOCKER, and the bare form firewalld logs as -t nat -D PREROUTING / -D OUTPUT) at its start and after a firewalld reload, before it adds the current ones (docker/for-linux#1104, moby/moby#27114)",
    );
  if (owners.has('libvirt')) what.push('libvirt deletes the rules of its virtual network (virbr bridges, its LIBVIRT_ chains) before it adds them when the network starts');
  draft.severity = 'info';
  draft.title = `Routine cleanup: ${who} tried to delete a rule that was not there (harmless)`;
  draft.message =
    draft.message.slice(0, draft.message.indexOf(': ') + 2) +
    `${who} tried to delete ${jumps.length > 0 && matches.length > 1 ? 'rules' : 'a rule'} of ${bridges.length > 0 ? `${bridges.slice(0, 4).join(', ')}${jumps.length > 0 ? ' and its own nat jumps' : ''}` : 'its own'} that ${jumps.length > 0 && matches.length > 1 ? 'were' : 'was'} not there${viaFirewalld ? ", through firewalld's passthrough, which logs every failed command as COMMAND_FAILED" : ''}. ${what.join('; ')}. A rule that was never there cannot be deleted, so iptables answers Bad rule: this is routine cleanup (moby/libnetwork#2622), not a sign that someone removed ${who}'s rules.`;
  draft.facts = { ...draft.facts, routineDelete: true, owners: [...owners].sort(), ...(bridges.length > 0 ? { bridges } : {}) };
  draft.remedy = {
    summary: `Nothing to fix for these lines. Only if containers${owners.has('libvirt') ? ' or virtual machines' : ''} cannot be reached, check that ${who}'s rules are in place now.`,
    commands: [`iptables -S FORWARD | grep -E '${owners.has('Docker') ? 'docker0|br-' : ''}${owners.size > 1 ? '|' : ''}${owners.has('libvirt') ? 'virbr|LIBVIRT' : ''}'   # only if traffic fails: the bridge rules in place now`, ...(jumps.length > 0 ? ["iptables -t nat -S PREROUTING | grep -w DOCKER; iptables -t nat -S OUTPUT | grep -w DOCKER   # only if published ports fail: Docker's jumps in place now"] : [])],
  };
  return true;
}
