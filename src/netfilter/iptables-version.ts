/** `iptables -V` / `iptables --version`: the version and the back end (legacy or nf_tables). */
import { SkipFile, type SourceRef } from '../model/source.js';
import type { Backend } from './rules.js';
import { isCommandOutputAlone, typedCommand } from '../parsers/command-output.js';

export interface IptablesVersion {
  file: string;
  /** which binary: iptables, ip6tables, iptables-legacy, iptables-nft, iptables-restore ... */
  tool: string;
  version: string;
  backend: Backend;
  ref: SourceRef;
  excerpt: string;
}

const LINE = /^(ip6?tables(?:-legacy|-nft)?(?:-restore|-save)?) v(\d+\.\d+(?:\.\d+)?)(?:\s*\((legacy|nf_tables)\))?/;

export function parseIptablesVersion(text: string, file: string): IptablesVersion[] {
  const out: IptablesVersion[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && i < 1000; i++) {
    const l = lines[i].trim();
    const m = LINE.exec(l);
    if (!m) continue;
    const backend: Backend = m[3] === 'nf_tables' || /-nft/.test(m[1]) ? 'nf_tables' : m[3] === 'legacy' || /-legacy/.test(m[1]) ? 'legacy' : Number(m[2].split('.')[1]) < 8 && m[2].startsWith('1.') ? 'legacy' : 'unknown';
    out.push({ file, tool: m[1], version: m[2], backend, ref: { file, line: i + 1 }, excerpt: l });
  }
  if (out.length === 0) throw new SkipFile(file, 'no iptables version line');
  return out;
}

/** The command typed above its output in a paste: `iptables --version`, `$ iptables -V`, `[root@h ~]# sudo iptables-legacy -V` (kubernetes#37416). */
const VERSION_COMMAND = typedCommand(String.raw`ip6?tables(?:-legacy|-nft)?(?:-restore|-save)?\s+(?:--version|-V)`);

export function sniffIptablesVersion(head: string): boolean {
  const first = head.split('\n', 3).map((l) => l.trim()).filter(Boolean);
  if (first.length > 0 && first.length <= 2 && first.every((l) => LINE.test(l))) return true;
  // the typed command, one or two version lines (iptables and ip6tables), a bare prompt: nothing else
  return isCommandOutputAlone(head, VERSION_COMMAND, [{ re: LINE }, { re: LINE, optional: true }]) && VERSION_COMMAND.test(head.split('\n').map((l) => l.trim()).find(Boolean) ?? '');
}
