/**
 * One run per results chain. A run holds `<first results file of its chain>.lock` (see the sidecar's
 * `chain`, results-meta.ts) from before its first request to its end, so a second `--resume` of the
 * same results file (or of any file of its chain) is refused before it sends anything: two resumes at
 * once would both send the rows still to do.
 *
 * The lock file holds its owner (`{"pid":123,"host":"build-7","startedAt":"…","results":"…"}`) and is
 * created whole or not at all (written aside, then hard-linked into place, which fails when it
 * exists). A lock left by a process that is gone (kill -9, power loss) on this host is taken over with
 * a warning; a lock of another host cannot be checked and is refused (the message says how to remove it).
 */
import { hostname } from 'node:os';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO 8601 UTC. */
  startedAt: string;
  /** The results file the owner writes. */
  results: string;
}

/** The lock could not be taken (another run holds it, or the file system refused). Exit 3: nothing was sent. */
export class ResultsLockError extends Error {
  override readonly name = 'ResultsLockError';
}

/**
 * The first results file of the chain a resume continues: as the previous file's sidecar records it
 * (`chain`), else the oldest file its `resumedFrom` led to (sidecars written before `chain` existed).
 */
export function chainRootOf(previous: { path: string; meta: { chain?: string }; earlier: readonly string[] }): string {
  return previous.meta.chain ?? previous.earlier.at(-1) ?? previous.path;
}

/** The lock file of a chain: the chain's first results file plus `.lock`. */
export function lockPathFor(chainRoot: string): string {
  return `${chainRoot}.lock`;
}

/**
 * Decides what to do about an existing lock file. Pure.
 * @param existing the owner read from it, or `'unreadable'` when it holds no owner (cut short by a crash
 *   while it was written aside cannot happen; an empty or foreign file can).
 * @param host this machine's host name.
 * @param isAlive whether a process id is running on this host.
 * @returns `refuse` (a live owner, or one on another host), or `take-over` (its owner is gone).
 */
export function decideExistingLock(
  existing: LockOwner | 'unreadable',
  host: string,
  isAlive: (pid: number) => boolean,
): 'refuse' | 'take-over' {
  if (existing === 'unreadable') return 'take-over';
  if (existing.host !== host) return 'refuse';
  if (existing.pid === process.pid) return 'refuse'; // this process runs that chain already (a library caller)
  return isAlive(existing.pid) ? 'refuse' : 'take-over';
}

/** Whether process `pid` exists on this machine (signal 0: EPERM means it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return 'unreadable';
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, startedAt: String(v.startedAt ?? ''), results: String(v.results ?? '') };
    }
  } catch {
    /* below */
  }
  return 'unreadable';
}

const held = new Set<ResultsLock>();
let exitHook = false;

/** A lock this process holds. */
export class ResultsLock {
  #released = false;
  constructor(readonly path: string) {}

  /** Removes the lock file. Safe to call twice; never throws. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    held.delete(this);
    try {
      unlinkSync(this.path);
    } catch {
      /* gone already */
    }
  }
}

/** Options of {@link acquireResultsLock}. */
export interface AcquireOptions {
  /** The results file this run writes (recorded in the lock). */
  results: string;
  /** Called with the warning when a stale lock is taken over. */
  warn: (message: string) => void;
  /** Default `os.hostname()`. */
  host?: string;
  /** Default {@link processAlive}. */
  isAlive?: (pid: number) => boolean;
}

/**
 * Takes the lock of a results chain, before any request.
 * @param chainRoot the chain's first results file (absolute path).
 * @returns the lock, released by the caller at the run's end (and, failing that, when the process exits).
 * @throws {ResultsLockError} when a live run holds it (naming its PID, host, start and results file), or
 *   when the lock file cannot be written.
 */
export function acquireResultsLock(chainRoot: string, options: AcquireOptions): ResultsLock {
  const path = lockPathFor(chainRoot);
  const host = options.host ?? hostname();
  const isAlive = options.isAlive ?? processAlive;
  const me: LockOwner = { pid: process.pid, host, startedAt: new Date().toISOString(), results: options.results };
  const aside = `${path}.${process.pid}.new`;
  try {
    writeFileSync(aside, JSON.stringify(me) + '\n', { mode: 0o600 });
  } catch (err) {
    throw new ResultsLockError(`cannot write the lock file ${path}: ${(err as Error).message}`);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(aside, path);
        const lock = new ResultsLock(path);
        held.add(lock);
        if (!exitHook) {
          exitHook = true;
          process.on('exit', () => {
            for (const l of [...held]) l.release();
          });
        }
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new ResultsLockError(`cannot create the lock file ${path}: ${(err as Error).message}`);
        }
      }
      const owner = readOwner(path);
      if (owner === 'gone') continue;
      if (decideExistingLock(owner, host, isAlive) === 'refuse') {
        const o = owner as LockOwner;
        throw new ResultsLockError(
          `another run of this results chain is going on (process ${o.pid} on ${o.host}, started ${o.startedAt}, writing ${o.results}): ` +
            `wait for it to end, then resume from the results file it writes. Nothing was sent. ` +
            (o.host !== host ? `If that process is gone, delete ${path}.` : ''),
        );
      }
      takeOver(path, owner, options.warn);
    }
    throw new ResultsLockError(`cannot take the lock ${path}: other runs keep taking it; nothing was sent`);
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      /* gone */
    }
  }
}

/**
 * Moves a stale lock out of the way, unless another process took it over meanwhile (the file moved is
 * then put back): two runs taking over one stale lock at once end with one holder.
 */
function takeOver(path: string, stale: LockOwner | 'unreadable', warn: (message: string) => void): void {
  const moved = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, moved);
  } catch {
    return; // gone meanwhile: try to create it again
  }
  const was = readOwner(moved);
  if (JSON.stringify(was) !== JSON.stringify(stale)) {
    // Not the stale lock any more (someone took it over first): give it back.
    try {
      renameSync(moved, path);
    } catch {
      /* nothing to do */
    }
    return;
  }
  try {
    unlinkSync(moved);
  } catch {
    /* gone */
  }
  warn(
    stale === 'unreadable'
      ? `took over the lock ${path}, which names no owner`
      : `took over the lock ${path} of process ${stale.pid} (started ${stale.startedAt}), which is gone: it ended without releasing it (killed?)`,
  );
}
