// Runs inside a network namespace: `listen PORT...` serves TCP on each port until killed;
// `probe SRC HOST TIMEOUT_MS PORT...` connects from SRC to each port at once and prints, per port, what
// the kernel did: connected (accepted), refused (RST or ICMP port unreachable), unreachable
// (ICMP host/admin prohibited) or timeout (dropped).
const net = require('node:net');
const [mode, ...args] = process.argv.slice(2);
if (mode === 'listen') {
  for (const p of args) net.createServer((s) => s.destroy()).listen(Number(p), '0.0.0.0');
  process.stdout.write('ready\n');
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
      done(port, e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' ? 'unreachable' : e.code);
    });
  }
}
