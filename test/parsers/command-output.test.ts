// The shape the version sniffers share (src/parsers/command-output.ts): a typed command, the output's lines, the
// shell's next prompt, nothing else. Text: this machine's `uname -a` (real output) and k3s#4683's `k3s -v`.
import { describe, expect, it } from 'vitest';
import { isCommandOutputAlone, typedCommand } from '../../src/parsers/command-output.js';
import { sniffUname } from '../../src/parsers/uname.js';
import { sniffK3sVersion } from '../../src/parsers/k3s-version.js';

const UNAME = 'Linux vm 6.18.44-fc-v1045 #1 SMP PREEMPT_DYNAMIC @0 x86_64 GNU/Linux';

describe('typedCommand', () => {
  it('reads the prompts people paste, sudo and a path', () => {
    const re = typedCommand(String.raw`uname\s+-a`);
    for (const l of ['uname -a', '$ uname -a', '[root@node-1 ~]# uname -a', 'root@vm:~# sudo /usr/bin/uname -a', '# uname -a']) expect(re.test(l)).toBe(true);
    expect(re.test('uname -a | grep x')).toBe(false);
    expect(re.test(UNAME)).toBe(false);
  });
});

describe('isCommandOutputAlone', () => {
  const cmd = typedCommand(String.raw`uname\s+-a`);
  const out = [{ re: /^Linux\s/ }];
  it('the output alone, with its command above and the next prompt below', () => {
    expect(isCommandOutputAlone(`${UNAME}\n`, cmd, out)).toBe(true);
    expect(isCommandOutputAlone(`root@vm:~# uname -a\n${UNAME}\nroot@vm:~#\n`, cmd, out)).toBe(true);
    expect(sniffUname(`[root@vm ~]# uname -a\r\n${UNAME}\r\n[root@vm ~]#\r\n`)).toBe(true);
  });
  it('anything more is another file', () => {
    expect(isCommandOutputAlone(`${UNAME}\nroot@vm:~# ip a\n`, cmd, out)).toBe(false);
    expect(isCommandOutputAlone(`${UNAME}\n${UNAME}\n`, cmd, out)).toBe(false);
    expect(isCommandOutputAlone('', cmd, out)).toBe(false);
  });
  it('optional lines may be absent, required ones may not', () => {
    expect(sniffK3sVersion('k3s version v1.22.4+k3s1 (bec170bc)\ngo version go1.16.10\n')).toBe(true);
    expect(sniffK3sVersion('$ k3s -v\nk3s version v1.22.4+k3s1 (bec170bc)\n')).toBe(true);
    expect(sniffK3sVersion('go version go1.16.10\n')).toBe(false);
  });
});
