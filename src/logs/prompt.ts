/**
 * A shell prompt before a typed command (`# `, `$ `, `[root@host ~]# `, `user@host:~$ `), up to the prompt's
 * own character: signatures.ts' PROMPT_LINE and signatures-r12.ts' typed-command patterns both start with it.
 * A module of its own because signatures-r12.ts is imported by signatures.ts.
 */
export const PROMPT_HEAD = String.raw`^[ \t>]{0,12}(?:[#$]|[\w.-]{1,64}@[\w.-]{1,64}(?::[^\s#$]{0,200})?\s?[#$]|\[[\w.-]{1,64}@[\w.-]{1,64}[^\]\n]{0,200}\]\s?[#$])`;
