// Runs inside a network namespace: `listen PORT...` serves TCP on each port until killed;
// `probe SRC HOST TIMEOUT_MS PORT...` connects from SRC to each port at once and prints, per port, what
// the kernel did: connected (accepted), refused (RST or ICMP port unreachable), unreachable
// (ICMP host/admin prohibited) or timeout (dropped).
// UDP: `listen` also echoes on `udp:PORT` arguments; `probe-udp SRC HOST TIMEOUT_MS PORT...` sends a
// datagram from a connected socket per port: an echo is accepted, ICMP errors come back as refused
// (port unreachable) or unreachable (host/admin prohibited), silence is a timeout. The sockets bind
// to source ports from BD_UDP_SPORT (one per destination port) when it is set: a probe must not
// reuse a port whose conntrack entry an earlier rule set left ESTABLISHED.
// ICMP: `probe-icmp SRC HOST TIMEOUT_MS` sends one echo request with the real ping and prints
// {"icmp": outcome}: a reply is connected, an ICMP error is unreachable, silence is a timeout.
// IPv6: with BD_FAMILY=6 `listen` serves on :: (TCP and UDP); probes take IPv6 addresses as they
// are. An ICMPv6 administratively-prohibited or failed-policy error aborts connect() and a connected
// UDP socket with EACCES: reported as `prohibited` (IPv4 never gives it).
const net = require('node:net');
const dgram = require('node:dgram');
const [mode, ...args] = process.argv.slice(2);
const outcomeOf = (e) => (e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'unreachable' : e.code === 'EACCES' ? 'prohibited' : e.code);
if (mode === 'listen') {
  for (const p of args) {
    if (p.startsWith('udp:')) {
      const u = dgram.createSocket(process.env.BD_FAMILY === '6' ? 'udp6' : 'udp4');
      u.on('message', (m, r) => u.send(m, r.port, r.address));
      u.bind(Number(p.slice(4)), process.env.BD_FAMILY === '6' ? '::' : '0.0.0.0');
    } else net.createServer((s) => s.destroy()).listen(Number(p), process.env.BD_FAMILY === '6' ? '::' : '0.0.0.0');
  }
  setTimeout(() => process.stdout.write('ready\n'), 100);
} else if (mode === 'probe-icmp') {
  const [src, host, timeout] = args;
  const { execFile } = require('node:child_process');
  execFile('ping', ['-n', '-c1', '-W', String(Number(timeout) / 1000), '-I', src, host], (err, stdout) => {
    const outcome = !err ? 'connected' : err.code === 'ENOENT' ? 'no-ping' : /Unreachable|Prohibited|errors/i.test(stdout) ? 'unreachable' : 'timeout';
    process.stdout.write(JSON.stringify({ icmp: outcome }) + '\n');
  });
} else if (mode === 'probe-udp') {
  const [src, host, timeout, ...ports] = args;
  const sportBase = Number(process.env.BD_UDP_SPORT || 0);
  const results = {};
  let left = ports.length;
  const done = (port, outcome, sock) => {
    if (results[port]) return;
    results[port] = outcome;
    try {
      sock.close();
    } catch {}
    if (--left === 0) {
      process.stdout.write(JSON.stringify(results) + '\n');
      process.exit(0);
    }
  };
  for (const port of ports) {
    const s = dgram.createSocket(src.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => done(port, 'timeout', s), Number(timeout));
    s.on('message', () => {
      clearTimeout(t);
      done(port, 'connected', s);
    });
    s.on('error', (e) => {
      clearTimeout(t);
      done(port, outcomeOf(e), s);
    });
    s.bind({ address: src, port: sportBase ? sportBase + ports.indexOf(port) : 0 }, () => s.connect(Number(port), host, () => s.send('probe')));
  }
} else if (mode === 'probe') {
  const [src, host, timeout, ...ports] = args;
  const results = {};
  let left = ports.length;
  const done = (port, outcome) => {
    if (results[port]) return;
    results[port] = outcome;
    if (--left === 0) {
      process.stdout.write(JSON.stringify(results) + '\n');
      process.exit(0);
    }
  };
  for (const port of ports) {
    const s = net.connect({ host, port: Number(port), localAddress: src });
    const t = setTimeout(() => {
      done(port, 'timeout');
      s.destroy();
    }, Number(timeout));
    s.on('connect', () => {
      clearTimeout(t);
      done(port, 'connected');
      s.destroy();
    });
    s.on('error', (e) => {
      clearTimeout(t);
      done(port, outcomeOf(e));
    });
  }
}
