/**
 * Redis for the shared-budget tests. `.ci/run` starts a redis-server on a free loopback port and
 * exports its URL as GRAPH_BULK_TEST_REDIS_URL. Without it, the tests that need Redis are skipped
 * with a message on stderr — except under CI (CI=true), where a missing Redis fails the run.
 * Tests that kill Redis start a private redis-server of their own (same rule for the binary).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { it } from 'vitest';

/** The test Redis URL, or undefined when none was provided. */
export const testRedisUrl = process.env.GRAPH_BULK_TEST_REDIS_URL?.trim() || undefined;

const inCi = process.env.CI === 'true';
const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Whether the Redis tests of a file must be skipped. Prints why (once per file) when they are;
 * under CI it registers a failing test instead, so a CI without Redis cannot pass silently.
 * @param needs `url`: the shared test Redis; `binary`: a redis-server binary to start privately.
 */
export function skipWithoutRedis(needs: 'url' | 'binary', what: string): boolean {
  const missing = needs === 'url' ? !testRedisUrl : !hasRedisServer;
  if (!missing) return false;
  const why =
    needs === 'url'
      ? 'GRAPH_BULK_TEST_REDIS_URL is not set (.ci/run starts a redis-server and sets it)'
      : 'no redis-server binary on PATH (.ci/run installs it)';
  if (inCi) {
    it(`${what}: needs Redis`, () => {
      throw new Error(`${why}; CI=true, so these tests may not be skipped`);
    });
  } else {
    process.stderr.write(`\n*** SKIPPED: ${what}: ${why}\n\n`);
  }
  return true;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server child process of this test, on a fixed port so that it can be killed and started again there. */
export class PrivateRedis {
  #child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server (no persistence) on a free port and waits until it accepts connections. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /** Starts it (again) on the same port; its data is gone, as after a crash without persistence. */
  async restart(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Kills it with SIGKILL (no goodbye to its clients) and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
