/**
 * A fixed job of one kind, run by the benchmark once alone and twice at once, to show what a
 * second core gives each kind of work on this machine, independently of bundle-doctor:
 *   compute  arithmetic in registers (no memory traffic)
 *   copy     copying 256 MB buffers (memory bandwidth)
 *   alloc    splitting text into short-lived strings and objects (what parsing and GC do)
 */
const kind = process.argv[2];
if (kind === 'compute') {
  // a small function called many times, so that the optimizing compiler's timing cannot change the result
  const step = (x: number, n: number): number => {
    for (let i = 0; i < n; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    return x;
  };
  let x = 1;
  for (let r = 0; r < 400; r++) x = step(x, 2_000_000);
  if (x === 42) console.log(x);
} else if (kind === 'copy') {
  const a = Buffer.alloc(256 << 20, 1);
  const b = Buffer.alloc(256 << 20);
  for (let r = 0; r < 8; r++) a.copy(b);
} else if (kind === 'alloc') {
  const line = '-A KUBE-SEP-ABCDEFGHIJKLMNOP -p tcp -m comment --comment "ns1/svc-1:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080';
  const text = Array.from({ length: 100_000 }, (_, i) => `${line} ${i}`).join('\n');
  let n = 0;
  for (let r = 0; r < 6; r++) n += text.split('\n').map((l, i) => ({ i, parts: l.split(' ') })).length;
  if (n === 42) console.log(n);
} else {
  throw new Error(`unknown job ${kind}`);
}
