/** Self time per function and per package of a .cpuprofile: `node -r @swc-node/register bench/profile-summary.ts F`. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const pkg = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const url = n.callFrame.url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  const where = m
    ? m[1]
    : url.includes('/dist/') || url.includes('/libs/')
      ? 'ours'
      : url
        ? 'node'
        : n.callFrame.functionName;
  pkg.set(where, (pkg.get(where) ?? 0) + us);
  const k = `${n.callFrame.functionName || '(anon)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/work\/[^/]+\//, '')}:${n.callFrame.lineNumber}`;
  fn.set(k, (fn.get(k) ?? 0) + us);
}
const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, v]) => process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`));
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms\n-- by package\n`);
show(pkg, 25);
process.stdout.write('-- by function\n');
show(fn, 40);
