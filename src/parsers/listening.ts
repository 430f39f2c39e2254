/** Listening sockets from `ss -ltnp` / `ss -tulpn` / `netstat -ltnp`: which ports the node serves. */
import { SkipFile, lines, type SourceRef } from '../model/source.js';

export interface ListeningSocket {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  process?: string;
  pid?: number;
  ref: SourceRef;
  excerpt: string;
}

export interface ListeningSockets {
  file: string;
  sockets: ListeningSocket[];
}

function splitHostPort(s: string): { address: string; port: number } | undefined {
  const m = /^(.*)[:.](\d+|\*)$/.exec(s);
  if (!m || m[2] === '*') return undefined;
  const address = m[1].replace(/^\[|\]$/g, '').replace(/%\S+$/, '');
  return { address: address === '' ? '*' : address, port: Number(m[2]) };
}

export function parseListeningSockets(text: string, file: string): ListeningSockets {
  const sockets: ListeningSocket[] = [];
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = all[i];
    const w = raw.trim().split(/\s+/);
    if (w.length < 4) continue;
    const ref = { file, line: i + 1 };
    let proto: 'tcp' | 'udp' | undefined;
    let local: string | undefined;
    let state: string | undefined;
    if (/^(tcp|udp)6?$/.test(w[0]) && /^\d+$/.test(w[1])) {
      // netstat: Proto Recv-Q Send-Q Local Foreign State PID/Program
      proto = w[0].startsWith('tcp') ? 'tcp' : 'udp';
      local = w[3];
      state = proto === 'tcp' ? w[5] : 'UNCONN';
    } else if (/^(tcp|udp)$/.test(w[0]) && /^[A-Z-]+$/.test(w[1])) {
      // ss -tuln: Netid State Recv-Q Send-Q Local Peer
      proto = w[0] as 'tcp' | 'udp';
      state = w[1];
      local = w[4];
    } else if (/^(LISTEN|UNCONN)$/.test(w[0])) {
      // ss -ltn: State Recv-Q Send-Q Local Peer
      proto = w[0] === 'LISTEN' ? 'tcp' : 'udp';
      state = w[0];
      local = w[3];
    }
    if (!proto || !local || !(state === 'LISTEN' || state === 'UNCONN')) continue;
    const hp = splitHostPort(local);
    if (!hp) continue;
    // ss: users:(("postgres",pid=812,...)); netstat: a PID/Program word, maybe followed by the Timer column (-o)
    const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(raw) ?? /\s(\d+)\/(\S+)(?=\s*$|\s+(?:off|on|keepalive|timewait)\b)/.exec(raw);
    const s: ListeningSocket = { proto, address: hp.address, port: hp.port, ref, excerpt: raw.trim() };
    if (users) {
      if (/^\d+$/.test(users[1])) {
        s.pid = Number(users[1]);
        s.process = users[2];
      } else {
        s.process = users[1];
        s.pid = Number(users[2]);
      }
    }
    sockets.push(s);
  }
  if (sockets.length === 0) throw new SkipFile(file, 'no listening sockets');
  return { file, sockets };
}

export function sniffListeningSockets(head: string): boolean {
  return /^(State\s+Recv-Q\s+Send-Q\s+Local Address|Netid\s+State\s+Recv-Q|Proto Recv-Q Send-Q Local Address)/m.test(head);
}
