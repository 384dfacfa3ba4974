/**
 * `npm run bench:startup`: how long `graph-bulk --version` and `graph-bulk --help` take against a bare
 * `node -e 0` (target: at most 2×; issue 13). Each command runs `--runs` times (default 20),
 * interleaved so that load on the machine falls on all three alike; the table shows the median and
 * the fastest wall time (ms) and the ratio of medians to `node -e 0`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(flags.runs);
const cli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'dist', 'cli', 'main.js'); // graph-bulk's own build

const contenders: { name: string; args: string[] }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'graph-bulk --version', args: [cli, '--version'] },
  { name: 'graph-bulk --help', args: [cli, '--help'] },
  { name: 'graph-bulk run --help', args: [cli, 'run', '--help'] },
];

const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
for (let i = 0; i < runs; i++) {
  for (const c of contenders) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
    times.get(c.name)!.push(ms);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const base = median(times.get('node -e 0')!);
console.log(`| command | median ms | fastest ms | × node -e 0 (median) |`);
console.log(`|:--|--:|--:|--:|`);
for (const c of contenders) {
  const t = times.get(c.name)!;
  console.log(`| ${c.name} | ${median(t).toFixed(0)} | ${Math.min(...t).toFixed(0)} | ${(median(t) / base).toFixed(2)} |`);
}
console.log(`\n${runs} runs each, interleaved. Targets (issue 13): --version and --help ≤ 2× node -e 0.`);
for (const name of ['graph-bulk --version', 'graph-bulk --help']) {
  const ratio = median(times.get(name)!) / base;
  console.log(`- ${ratio <= 2 ? 'met   ' : 'MISSED'} ${name}: ${ratio.toFixed(2)}×`);
}
