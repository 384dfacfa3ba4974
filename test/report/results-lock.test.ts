/**
 * One run per results chain (issue 14): the lock refuses a second holder, takes over the lock of a
 * process that is gone (with a warning), and never lets two takers of one stale lock both hold it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireResultsLock, decideExistingLock, lockPathFor, ResultsLockError } from '../../src/report/results-lock.js';
import { tempDir } from '../helpers/results.js';

/** A process id that was running a moment ago and is gone now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('results chain lock', () => {
  it('decides: a live owner or another host refuses; a gone owner or no owner is taken over', () => {
    const owner = { pid: 4242, host: 'h1', startedAt: 't', results: 'r' };
    expect(decideExistingLock(owner, 'h1', () => true)).toBe('refuse');
    expect(decideExistingLock(owner, 'h2', () => false)).toBe('refuse');
    expect(decideExistingLock(owner, 'h1', () => false)).toBe('take-over');
    expect(decideExistingLock('unreadable', 'h1', () => true)).toBe('take-over');
  });

  it('refuses a second holder naming the first (PID, host, results file); released, it can be taken again', () => {
    const root = join(tempDir(), 'job.csv');
    const warnings: string[] = [];
    const lock = acquireResultsLock(root, { results: root, warn: (m) => warnings.push(m) });
    expect(JSON.parse(readFileSync(lockPathFor(root), 'utf8'))).toMatchObject({ pid: process.pid, results: root });
    // Another process of this host, alive: refused.
    writeFileSync(lockPathFor(root), JSON.stringify({ pid: process.ppid, host: 'this', startedAt: 'then', results: '/x/run2.csv' }));
    let err: unknown;
    try {
      acquireResultsLock(root, { results: join(root, '..', 'other.csv'), warn: (m) => warnings.push(m), host: 'this' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResultsLockError);
    expect((err as Error).message).toContain(`process ${process.ppid} on this`);
    expect((err as Error).message).toContain('/x/run2.csv');
    lock.release();
    expect(existsSync(lockPathFor(root))).toBe(false);
    acquireResultsLock(root, { results: root, warn: (m) => warnings.push(m) }).release();
    expect(warnings).toEqual([]);
  });

  it('takes over the lock of a process that is gone, with a warning naming it', () => {
    const root = join(tempDir(), 'job.csv');
    const pid = deadPid();
    writeFileSync(lockPathFor(root), JSON.stringify({ pid, host: 'this', startedAt: 'then', results: root }));
    const warnings: string[] = [];
    const lock = acquireResultsLock(root, { results: root, warn: (m) => warnings.push(m), host: 'this' });
    expect(warnings).toEqual([expect.stringContaining(`of process ${pid}`)]);
    expect(JSON.parse(readFileSync(lockPathFor(root), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('two takers of one stale lock (simulated by a second identity): the second is refused', () => {
    const root = join(tempDir(), 'job.csv');
    writeFileSync(lockPathFor(root), JSON.stringify({ pid: deadPid(), host: 'this', startedAt: 'then', results: root }));
    const first = acquireResultsLock(root, { results: root, warn: () => {}, host: 'this' });
    // The second taker sees the first's lock: this process, alive.
    expect(() => acquireResultsLock(root, { results: root, warn: () => {}, host: 'this' })).toThrow(ResultsLockError);
    first.release();
  });
});
