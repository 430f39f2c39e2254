/**
 * `nft list ruleset` pasted without its `table ... {` lines: one chain or a few, as tickets show them
 * (tailscale/tailscale#12070: `chain ts-forward { ... }` alone). The text parser reads tables only, so
 * such a paste read as nothing. wrapNftChainFragment puts each chain in the table it belongs to,
 * when that can be told from its name or its content:
 *
 * - tailscale's chains (util/linuxfw: iptables_runner.go and nftables_runner.go, both modes write to
 *   the conventional tables): ts-input, ts-forward, ts-clamp in `filter`, ts-postrouting in `nat`;
 * - Docker's (DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-*, DOCKER-FORWARD, DOCKER-BRIDGE, DOCKER-CT,
 *   DOCKER-INGRESS) and kube-proxy's / flannel's / Calico's / netavark's / CNI's chains: `nat` when the chain
 *   rewrites addresses (dnat, snat, masquerade, redirect), or is a DOCKER chain that only returns (Docker's
 *   nat DOCKER with no published port); else `filter` (an empty DOCKER chain: `filter`, a guess);
 * - a base chain (`type nat hook postrouting ...`): the table of its type (`nat`, `filter`; `route`: `mangle`).
 *
 * The family is `ip6` when the rules match `ip6 ...` fields, else `ip`. A chain none of these tell is put
 * in a table named `a chain without its table`, so what the report says of it names the guess.
 *
 * The wrapping keeps every line where it was: the table header is written on the chain's own line
 * (`table ip filter { chain ts-forward {`), closing braces at line ends or after the last line, so
 * the parser's file:line evidence points at the pasted lines.
 */

/** The table a chain was put in, and why (for a parse warning). */
export interface FragmentTable {
  family: 'ip' | 'ip6';
  /** the table name written (`filter`, `nat`, `mangle`, or UNKNOWN_TABLE) */
  name: string;
  chain: string;
  /** 1-based line of the chain header in the text */
  line: number;
  /** why this table: `tailscale writes ts-forward in table filter` */
  reason: string;
}

export interface WrappedFragment {
  text: string;
  tables: FragmentTable[];
}

/** The table name given to a chain whose table cannot be told. */
export const UNKNOWN_TABLE = 'a chain without its table';

const CHAIN_HEADER = /^(\s*)chain\s+("[^"]+"|[A-Za-z0-9_.\-/]+)\s*\{\s*(?:#.*)?$/;
/** lines a paste may hold before its first chain: blank, comments (`# Warning: ...`), a shell prompt with the nft command */
const PREAMBLE = /^\s*(?:$|#|\$\s|\S*[$#]\s+(?:sudo\s+)?nft\b|(?:sudo\s+)?nft\b)/;
const NFT_STATEMENT = /\b(?:accept|drop|reject|jump|goto|return|counter|policy|masquerade|snat|dnat|redirect|meta|ct\s+state|iifname|oifname|ip6?\s+[sd]addr|type\s+(?:filter|nat|route)\s+hook)\b/;

/**
 * Whether the text (its first KiB are enough) is an nft chain listing without its table: the first
 * line that is not blank, a comment or a shell prompt is `chain NAME {`, and an nft statement or the
 * closing brace follows. iptables' `Chain INPUT (policy ACCEPT)` and anything with a `table` line are not.
 */
export function sniffNftChainFragment(head: string): boolean {
  const lines = head.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && i < 20 && !CHAIN_HEADER.test(lines[i]) && PREAMBLE.test(lines[i])) {
    if (/^\s*table\s/.test(lines[i])) return false;
    i++;
  }
  if (i >= lines.length || !CHAIN_HEADER.test(lines[i])) return false;
  if (/^table\s+(?:(?:ip|ip6|inet|bridge|arp|netdev)\s+)?\S+\s*\{/m.test(head)) return false;
  for (let j = i + 1; j < Math.min(lines.length, i + 12); j++) {
    const l = lines[j].trim();
    if (l === '') continue;
    return l === '}' || NFT_STATEMENT.test(l);
  }
  return false;
}

/**
 * The text with each table-less chain wrapped in its table (see the module comment), or undefined
 * when the text is not such a fragment (it has a `table` line, or no `chain NAME {` line first).
 * Line numbers are kept: nothing is inserted before or between the pasted lines.
 */
export function wrapNftChainFragment(text: string): WrappedFragment | undefined {
  if (!sniffNftChainFragment(text.slice(0, 4096))) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  // chains and their extent, by brace depth
  const chains: { start: number; end: number; name: string }[] = [];
  let depth = 0;
  let open: { start: number; name: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const code = stripComment(lines[i]);
    const m = depth === 0 ? CHAIN_HEADER.exec(lines[i]) : null;
    if (m) open = { start: i, name: m[2].replace(/^"|"$/g, '') };
    for (const c of code) {
      if (c === '{') depth++;
      else if (c === '}') depth = Math.max(0, depth - 1);
    }
    if (open && depth === 0) {
      chains.push({ ...open, end: i });
      open = undefined;
    }
  }
  // a chain still open at the end (a cut paste): it is wrapped too, and the parser says it is not closed
  if (open) chains.push({ ...open, end: lines.length - 1 });
  if (chains.length === 0) return undefined;

  const tables: FragmentTable[] = [];
  const out = [...lines];
  let current: string | undefined;
  for (const c of chains) {
    const body = lines.slice(c.start + 1, c.end + 1).map(stripComment).join('\n');
    const t = tableOf(c.name, body);
    const key = `${t.family} ${t.name}`;
    tables.push({ ...t, chain: c.name, line: c.start + 1 });
    if (key === current) continue;
    const quoted = /^[A-Za-z0-9_\-]+$/.test(t.name) ? t.name : JSON.stringify(t.name);
    out[c.start] = `${current ? '} ' : ''}table ${t.family} ${quoted} { ${lines[c.start].trimStart()}`;
    current = key;
  }
  // the last table's brace: only when the chains are closed (a cut paste keeps its "not closed" warning)
  if (!open) out.push('}');
  return { text: out.join(eol), tables };
}

function stripComment(line: string): string {
  // `#` outside double quotes starts a comment (`# handle 12`)
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') q = !q;
    else if (c === '#' && !q) return line.slice(0, i);
  }
  return line;
}

const NAT_VERB = /\b(?:dnat|snat|masquerade|redirect)\b/;

function tableOf(chain: string, body: string): Omit<FragmentTable, 'chain' | 'line'> {
  const family: 'ip' | 'ip6' = /\bip6\s+(?:saddr|daddr|nexthdr|dscp|hoplimit|flowlabel)\b|\bicmpv6\b/.test(body) && !/\bip\s+(?:saddr|daddr|protocol)\b/.test(body) ? 'ip6' : 'ip';
  const base = /\btype\s+(filter|nat|route)\s+hook\s+(\w+)/.exec(body);
  if (base) {
    const name = base[1] === 'route' ? 'mangle' : base[1];
    return { family, name, reason: `its base chain line says type ${base[1]} hook ${base[2]}` };
  }
  if (/^ts-(?:input|forward|clamp)$/.test(chain)) return { family, name: 'filter', reason: `tailscale writes ${chain} in table ${family} filter` };
  if (chain === 'ts-postrouting') return { family, name: 'nat', reason: `tailscale writes ${chain} in table ${family} nat` };
  if (/^(?:DOCKER(?:-[A-Z0-9-]+)?|KUBE-[A-Z0-9-]+|FLANNEL-[A-Z0-9-]+|cali-[A-Za-z0-9-]+|CNI-[A-Za-z0-9-]+|NETAVARK-[A-Za-z0-9-]+)$/.test(chain)) {
    // Docker's nat DOCKER chain with no published port holds only `iifname "docker0" return`; its filter DOCKER
    // chain never returns (accepts and drops only)
    const nat = NAT_VERB.test(body) || (chain === 'DOCKER' && /\breturn\b/.test(body) && !/\b(?:accept|drop|reject)\b/.test(body));
    return { family, name: nat ? 'nat' : 'filter', reason: `${chain} is ${nat ? 'a NAT chain (it rewrites addresses)' : 'a filter chain (it rewrites no address)'} of ${owner(chain)}` };
  }
  return { family, name: UNKNOWN_TABLE, reason: `nothing in the paste tells which table ${chain} is in` };
}

function owner(chain: string): string {
  if (chain.startsWith('DOCKER')) return 'Docker';
  if (chain.startsWith('KUBE-')) return 'kube-proxy';
  if (chain.startsWith('FLANNEL-')) return 'flannel';
  if (chain.startsWith('cali-')) return 'Calico';
  if (chain.startsWith('NETAVARK-')) return 'netavark';
  return 'a CNI plugin';
}
