/**
 * ENETUNREACH for an IPv6 address on a host without an IPv6 route is what a dual-stack client prints before it
 * falls back to IPv4 (happy eyeballs: curl, wget): no failure when the IPv4 attempt then connects. The client's own next lines say what
 * happened (log.client-connect-step, quiet): an IPv4 address tried or connected (curl `Connected to NAME (ADDR) port N`,
 * wget `|ADDR|:N... connected.`), or its final failure with no IPv4 address tried (curl `Failed to connect to ...`; curl 8's
 * `IPv4: (none)`): a destination with IPv6 only, which this host cannot reach (a real failure: warning).
 *
 * - IPv6 lines only, no IPv6 route, each followed by the client's IPv4 step (connected, or tried and not failed): info
 *   ("no IPv6 route; clients fell back to IPv4"). A fallback is claimed only where such a step is in the log.
 * - H79: the IPv4 attempt after it failed too (its timeout/refusal line, or curl's `Failed to connect`): warning, cites both.
 * - IPv6 lines only, one shown failing with no IPv4 to try: warning, worded so.
 * - H79: no step of the client after it (a Go `dial tcp [v6]:443` error, its final one: Go tries every address and sorts an
 *   unroutable IPv6 one after IPv4): warning, "the address is IPv6 and the host has no IPv6 route".
 * - IPv4 (or unknown) lines too: r14-wording's networkUnreachable words the IPv4 ones (warning, the default route); the
 *   IPv6 ones are named as the fallback they are.
 * - the host shows an IPv6 default route (or, without routes, a global IPv6 address): r14-wording's wording as before.
 */
import type { FindingDraft } from '../../src/engine/analyzer.js';
import type { NodeArtifacts } from '../../src/engine/artifacts.js';
import type { LogMatch } from '../../src/logs/index.js';
import type { Evidence } from '../../src/report/schema.js';
import { timeOf } from './logs.js';

type Words = (draft: FindingDraft, matches: readonly LogMatch[], artifacts: NodeArtifacts) => void;

/** how far (lines, same log) a client's next steps are read after its IPv6 failure */
const STEP_WINDOW = 40;
/** how far before it curl 8's `IPv4: (none)` is read */
const NONE_WINDOW = 8;

const isV6 = (host: string | undefined): boolean => !!host && host.replace(/^\[|\]$/g, '').includes(':');

export interface V6Outcome {
  line: LogMatch;
  /** the IPv4 step that shows the client went on over IPv4: connected, else an IPv4 address tried */
  fellBack?: LogMatch;
  connected: boolean;
  /** H79: the failure of that IPv4 attempt (its timeout/refusal line, else curl's final `Failed to connect`) */
  v4Failed?: LogMatch;
  /** the client's final failure with no IPv4 address tried since (or `IPv4: (none)` before it) */
  v6Only?: LogMatch;
}

/**
 * what the client did after each IPv6 ENETUNREACH line, from its next lines in the same log. `failures` (H79): the
 * connection failures of the logs (log.connection-timed-out / -refused / -failed), read for the IPv4 attempt's own failure.
 */
export function v6Outcomes(v6: readonly LogMatch[], steps: readonly LogMatch[], failures: readonly LogMatch[] = []): V6Outcome[] {
  return v6.map((m) => {
    const end = m.endLine ?? m.line;
    const none = steps.find((s) => s.file === m.file && s.facts.noIpv4 && s.line < m.line && m.line - s.line <= NONE_WINDOW);
    const after = steps.filter((s) => s.file === m.file && s.line > end && s.line - end <= STEP_WINDOW).sort((a, b) => a.line - b.line);
    // the first failure line of the IPv4 attempt: after it, before the client's next step (or the window's end)
    const failureOf = (tried: LogMatch, until: number) =>
      failures
        .filter((f) => f.file === m.file && f.line > tried.line && f.line <= until && !isV6(f.facts.host))
        .sort((a, b) => a.line - b.line)[0];
    let tried: LogMatch | undefined;
    for (const s of after) {
      if (s.facts.connected) return { line: m, fellBack: s, connected: true };
      if (s.facts.attempt) tried ??= s;
      if (s.facts.failed) return tried ? { line: m, fellBack: tried, connected: false, v4Failed: failureOf(tried, s.line) ?? s } : { line: m, connected: false, v6Only: s };
    }
    if (tried) {
      const f = failureOf(tried, end + STEP_WINDOW);
      return { line: m, fellBack: tried, connected: false, ...(f ? { v4Failed: f } : {}) };
    }
    return { line: m, connected: false, ...(none ? { v6Only: none } : {}) };
  });
}

function ev(m: LogMatch, note: string): Evidence {
  return { file: m.file, line: m.line, excerpt: m.excerpt, ...timeOf(m), note };
}

/** does the host show an IPv6 path out: a default route in the main table, else (no routes) a global IPv6 address */
function v6Route(artifacts: NodeArtifacts): boolean {
  const tables = artifacts.routes ?? [];
  if (tables.length > 0)
    return tables.some((t) => t.routes.some((r) => r.destination === '::/0' && (!r.table || r.table === 'main') && r.type !== 'unreachable' && r.type !== 'blackhole' && r.type !== 'prohibit'));
  return (artifacts.ipAddr ?? []).some((l) => l.interfaces.some((i) => i.addresses.some((a) => a.family === 6 && a.scope === 'global')));
}

export function networkUnreachableFallback(draft: FindingDraft, matches: readonly LogMatch[], steps: readonly LogMatch[], artifacts: NodeArtifacts, words: Words, failures: readonly LogMatch[] = []): void {
  const v6 = matches.filter((m) => isV6(m.facts.host));
  if (v6.length === 0 || v6Route(artifacts)) {
    words(draft, matches, artifacts);
    return;
  }
  const rest = matches.filter((m) => !isV6(m.facts.host));
  const outcomes = v6Outcomes(v6, steps, failures);
  const fell = outcomes.filter((o) => o.fellBack);
  // H79 (R26 12): the IPv4 attempt after the IPv6 one failed too; (R26 13) no IPv4 step of the client follows at all
  const v4Failed = outcomes.filter((o) => o.v4Failed && !o.connected);
  const unknown = outcomes.filter((o) => !o.fellBack && !o.v6Only);
  const only = outcomes.filter((o) => o.v6Only);
  const peers = [...new Set(v6.map((m) => m.facts.host!.replace(/^\[|\]$/g, '')))];
  const haveRoutes = (artifacts.routes ?? []).length > 0;
  const noRoute = haveRoutes ? 'the routes in the bundle have no IPv6 default route' : (artifacts.ipAddr ?? []).length > 0 ? 'the bundle shows no IPv6 address or route' : 'the bundle shows no IPv6 route';
  const fellSentence =
    fell.length > 0
      ? ` The client went on over IPv4: ${fell
          .slice(0, 3)
          .map((o) => `${o.fellBack!.file}:${o.fellBack!.line} ${o.connected ? `connected to ${o.fellBack!.facts.connected}` : `tried ${o.fellBack!.facts.attempt}`}${o.v4Failed && !o.connected ? `, which failed (${o.v4Failed.file}:${o.v4Failed.line}: ${o.v4Failed.excerpt.trim()})` : ''}`)
          .join('; ')}.`
      : '';
  for (const o of fell.slice(0, 3)) {
    draft.evidence.push(ev(o.fellBack!, o.connected ? 'the same client connected over IPv4 after it' : 'the same client tried IPv4 after it'));
    if (o.v4Failed && !o.connected) draft.evidence.push(ev(o.v4Failed, 'that IPv4 attempt failed too'));
  }
  draft.facts = {
    ...draft.facts,
    ipv6Peers: peers,
    ipv6FellBack: fell.length - v4Failed.length,
    ...(only.length > 0 ? { ipv6OnlyFailed: only.length } : {}),
    ...(v4Failed.length > 0 ? { ipv4AfterFailed: v4Failed.length } : {}),
    ...(unknown.length > 0 ? { ipv6NoIpv4Step: unknown.length } : {}),
  };

  if (rest.length > 0) {
    // the IPv4 (or unnamed) failures are the finding; the IPv6 ones are the dual-stack fallback
    words(draft, rest, artifacts);
    draft.message += ` The IPv6 address${peers.length > 1 ? 'es' : ''} ${peers.slice(0, 3).join(', ')} fail${peers.length > 1 ? '' : 's'} the same way because ${noRoute}: a dual-stack client tries IPv6 and goes on to IPv4, so ${peers.length > 1 ? 'those lines' : 'that line'} alone are no fault; the IPv4 failures are what matters.${fellSentence}`;
    return;
  }
  const v6Commands = ['ip -6 route show default; ip -6 addr show scope global   # no output: no IPv6 path out', ...peers.slice(0, 2).map((p) => `ip -6 route get ${p}   # "Network is unreachable": no IPv6 route covers it`)];
  if (v4Failed.length > 0) {
    // the client went on to IPv4 and that failed as well: the connection failed, and the IPv4 failure says why
    const o = v4Failed[0];
    draft.severity = 'warning';
    draft.title = 'No IPv6 route, and the IPv4 attempt after it failed too';
    draft.message += ` Every address here is IPv6 (${peers.slice(0, 3).join(', ')}) and ${noRoute}: the client tried IPv6 first and got this error at once, then tried IPv4 (${o.fellBack!.file}:${o.fellBack!.line}: ${o.fellBack!.facts.attempt}), and that attempt failed too (${o.v4Failed!.file}:${o.v4Failed!.line}: ${o.v4Failed!.excerpt.trim()}). The connection failed: the IPv4 failure is the one to follow; the missing IPv6 route only took away the other way.`;
    draft.remedy = {
      summary: `Find why the IPv4 attempt failed (its own line: a timeout is a DROP rule, a missing route or a peer that is down; a refusal is nothing listening or a REJECT rule). Giving the host IPv6 (an address and a default route) would give the client a second way.`,
      commands: [`ip route get ${o.fellBack!.facts.attempt}   # the route the IPv4 attempt takes`, v6Commands[0]],
    };
    return;
  }
  if (only.length > 0) {
    // the client had nothing but IPv6 to try, and failed: the destination is unreachable from this host
    const o = only[0];
    draft.severity = 'warning';
    draft.title = 'Network is unreachable: an IPv6-only destination on a host without IPv6';
    draft.message += ` Every address here is IPv6 (${peers.slice(0, 3).join(', ')}) and ${noRoute}. The client had no IPv4 address to fall back to and failed (${o.v6Only!.file}:${o.v6Only!.line}: ${o.v6Only!.excerpt.trim()}): the name has IPv6 addresses only, or the client was told to use IPv6 (curl -6).`;
    draft.evidence.push(ev(o.v6Only!, o.v6Only!.facts.noIpv4 ? 'the name has no IPv4 address' : 'the client failed with no IPv4 address tried'));
    draft.remedy = {
      summary: 'Give the host IPv6 (an address and a default route) to reach this destination, or use an address of it the host can reach over IPv4 (an IPv4 name, a proxy or mirror).',
      commands: v6Commands,
    };
    return;
  }
  if (unknown.length > 0) {
    // H79 (R26 13): no step of the client shows an IPv4 attempt. A Go program's `dial tcp [v6]:443: connect: network is
    // unreachable` is its final error: Go's dialer returns one only after every address failed, and its RFC 6724 sort
    // puts an IPv6 address the host cannot route after the IPv4 ones, so an error naming it is no fallback.
    const o = unknown[0];
    draft.severity = 'warning';
    draft.title = 'Network is unreachable: the address is IPv6 and the host has no IPv6 route';
    draft.message += ` Every address here is IPv6 (${peers.slice(0, 3).join(', ')}) and ${noRoute}. No IPv4 attempt of the same client follows ${unknown.length > 1 ? 'these lines' : `the line (${o.line.file}:${o.line.line})`} in the log: the connection failed${/\bdial (?:tcp|udp)6? /.test(o.line.excerpt) ? ` (a Go program's "dial tcp" error is its final one: Go tries every address of the name and sorts an IPv6 address the host cannot route after the IPv4 ones)` : ''}. The name has IPv6 addresses only, or its IPv4 addresses failed too.${fellSentence}`;
    draft.remedy = {
      summary: 'Give the host IPv6 (an address and a default route) to reach this destination, or use an address of it the host can reach over IPv4 (an IPv4 name, a proxy or mirror); if the name has IPv4 addresses too, find why those failed.',
      commands: v6Commands,
    };
    return;
  }
  draft.severity = 'info';
  draft.title = 'No IPv6 route: clients fell back to IPv4';
  draft.message += ` Every address here is IPv6 (${peers.slice(0, 3).join(', ')}) and ${noRoute}: a dual-stack client tried IPv6 first, got this error at once, and went on to IPv4.${fellSentence} Not a fault of the host's network.`;
  draft.remedy = {
    summary: 'Nothing to fix where the connection then went over IPv4. To stop the IPv6 attempts, give the host IPv6 (an address and a default route) or make clients prefer IPv4 (precedence ::ffff:0:0/96 100 in /etc/gai.conf).',
    commands: ['ip -6 route show default; ip -6 addr show scope global   # no output: no IPv6 path out'],
  };
  draft.facts = { ...draft.facts, ipv6Only: true };
}
