/**
 * The write budget in a real process: requests waiting for the budget keep Node running until they
 * have run (a CLI run whose every request waited for the refill used to end with exit 13, "unsettled
 * top-level await", its results file cut short); an idle budget does not hold the process open.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const budgetModule = resolve(repoRoot, 'dist/schedule/write-budget.js');

function runScript(body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `const { WriteBudget } = await import(${JSON.stringify(budgetModule)});\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('WriteBudget in a process', () => {
  it('keeps the process alive while writes wait for the refill, and runs them all', () => {
    const r = runScript(`
      const budget = new WriteBudget({ burst: 2, refillPerSecond: 40 });
      let ran = 0;
      await Promise.all(Array.from({ length: 6 }, () => budget.schedule(1, async () => { ran++; })));
      console.log('ran', ran);
      await budget.stop();`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('ran 6');
  });

  it('does not hold the process open when nothing waits', () => {
    const r = runScript(`new WriteBudget({ burst: 2, refillPerSecond: 40 }); console.log('idle');`);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('idle');
  });
});
