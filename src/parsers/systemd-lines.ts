/** What systemd's unit-file reader does to lines, shared by the readers of units and drop-ins (dockerd-flags.ts, proxy-env.ts). */

/** systemd joins a line ending in a backslash with the next: the joined text and the line it starts on. */
export function joinContinuations(all: string[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let cur: { text: string; line: number } | undefined;
  for (let i = 0; i < all.length; i++) {
    const l = all[i];
    if (cur) cur.text += ' ' + l.replace(/\\$/, '');
    else cur = { text: l.replace(/\\$/, ''), line: i + 1 };
    if (!/\\$/.test(l)) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** One `Key=value` of a unit file or drop-in, with the section it is in and where it stands (continuations joined). */
export interface UnitSetting {
  section: string;
  key: string;
  value: string;
  line: number;
  /** the whole (joined) line, trimmed */
  text: string;
}

/** The settings of a unit file in order: comments (`#`, `;`) and blank lines skipped, `[Section]` headers tracked. */
export function* unitSettings(all: string[]): Generator<UnitSetting> {
  let section = '';
  for (const { text: l, line } of joinContinuations(all)) {
    const t = l.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      section = sec[1];
      continue;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(t);
    if (kv) yield { section, key: kv[1], value: kv[2], line, text: t };
  }
}
