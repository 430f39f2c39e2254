/**
 * A version command's output pasted alone (`k3s -v`, `systemctl --version`, `uname -a`): the typed command may
 * stand above it and the shell's next prompt below it, nothing else. The sniffers of those files share this
 * shape; what differs is the command and the output's lines.
 */

/** A typed command line for `command` (a regex source): `$ `, `# `, `[root@node ~]# `, `user@host:~$ `, `sudo `, a path before the binary. */
export function typedCommand(command: string): RegExp {
  return new RegExp(String.raw`^(?:\S*[$#]\s*|\[[^\]]*\][$#]\s*)?(?:sudo\s+)?(?:\S*\/)?(?:${command})\s*$`);
}

/** a bare shell prompt: `[root@myhost ~]#`, `user@host:~$`, `$` */
const PROMPT_ALONE = /^(?:\[[^\]]{1,80}\][$#]|[\w.-]{1,64}@[\w.-]{1,64}:\S{0,200}[$#]|[$#])$/;

export interface OutputLine {
  re: RegExp;
  optional?: boolean;
}

/** The head's non-blank lines are: the typed command (optional), each of `output` in order, a bare prompt (optional). */
export function isCommandOutputAlone(head: string, command: RegExp, output: readonly OutputLine[]): boolean {
  const ls = head
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l !== '');
  let i = 0;
  if (ls[i] !== undefined && command.test(ls[i])) i++;
  for (const o of output) {
    if (ls[i] !== undefined && o.re.test(ls[i])) i++;
    else if (!o.optional) return false;
  }
  if (ls[i] !== undefined && PROMPT_ALONE.test(ls[i])) i++;
  return i === ls.length;
}
