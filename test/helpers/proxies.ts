/**
 * Real forward proxies for the network tests, from Debian's packages: squid (with basic
 * authentication through htpasswd and basic_ncsa_auth) and mitmdump (TLS interception). Each is
 * started on a free loopback port with a private config, pid and log files in a fresh temporary
 * folder, and stopped by the test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './results.js';

/** A forward proxy process on loopback. */
export interface ProxyProcess {
  /** `http://127.0.0.1:<port>` (no credentials). */
  url: string;
  port: number;
  /** The URL with `user:password@` for the given account. */
  urlWith(user: string, password: string): string;
  /** The proxy's access log lines so far. */
  accessLog(): string[];
  /** Folder of its config and logs. */
  dir: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts connections on 127.0.0.1:`port`, or `child` exits. */
async function listening(port: number, child: ChildProcess, what: string, logs: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}) before listening:\n${logs()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${logs()}`);
}

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    }
    cleanup();
  };
}

/**
 * Starts squid (`squid -N`, its own service name so its shared memory is its own) on a free port.
 * With `users`, every request needs basic proxy authentication with one of them (an htpasswd file
 * checked by /usr/lib/squid/basic_ncsa_auth); without, every request is allowed.
 */
export async function startSquid(users?: Record<string, string>): Promise<ProxyProcess> {
  const port = await freePort();
  const dir = tempDir('gb-squid-');
  chmodSync(dir, 0o777); // squid started as root works as the `proxy` user
  const accessLog = join(dir, 'access.log');
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${join(dir, 'squid.pid')}`,
    `access_log stdio:${accessLog} squid`,
    `cache_log ${join(dir, 'cache.log')}`,
    'cache_store_log none',
    'cache deny all',
    `coredump_dir ${dir}`,
    'shutdown_lifetime 0 seconds',
    'logfile_rotate 0',
    'dns_timeout 2 seconds',
  ];
  if (process.getuid?.() === 0) lines.push('cache_effective_user proxy');
  if (users) {
    const passwd = join(dir, 'passwd');
    let first = true;
    for (const [user, password] of Object.entries(users)) {
      execFileSync('htpasswd', [first ? '-bc' : '-b', passwd, user, password], { stdio: 'ignore' });
      first = false;
    }
    chmodSync(passwd, 0o644);
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwd}`,
      'auth_param basic realm graph-bulk-test',
      'acl authed proxy_auth REQUIRED',
      'http_access allow authed',
    );
  } else lines.push('http_access allow all');
  lines.push('http_access deny all');
  const conf = join(dir, 'squid.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const service = `gbtest${port}`;
  const child = spawn('squid', ['-N', '-n', service, '-f', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const logs = () => out + (existsSync(join(dir, 'cache.log')) ? readFileSync(join(dir, 'cache.log'), 'utf8') : '');
  await listening(port, child, 'squid', logs);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    urlWith: (user, password) => `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    // Without the readiness probes (connections that sent nothing).
    accessLog: () =>
      existsSync(accessLog)
        ? readFileSync(accessLog, 'utf8')
            .split('\n')
            .filter((l) => l && !l.includes('NONE_NONE/000'))
        : [],
    stop: stopper(child, () => {
      for (const seg of ['metadata', 'queues', 'readers']) rmSync(`/dev/shm/${service}-cf__${seg}.shm`, { force: true });
    }),
  };
}

/** A TLS-intercepting proxy: mitmdump, and the CA it signs its certificates with. */
export interface InterceptingProxy extends ProxyProcess {
  /** PEM file of mitmproxy's CA (what a company would hand out to trust its inspection). */
  caPath: string;
}

/**
 * Starts mitmdump as a forward proxy on a free port, with its own fresh CA (in a private confdir),
 * trusting `upstreamCaPath` for the servers behind it. Its "access log" is mitmdump's flow output.
 */
export async function startMitmdump(upstreamCaPath: string): Promise<InterceptingProxy> {
  const port = await freePort();
  const dir = tempDir('gb-mitm-');
  const child = spawn(
    'mitmdump',
    [
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      String(port),
      '--set',
      `confdir=${dir}`,
      '--set',
      `ssl_verify_upstream_trusted_ca=${upstreamCaPath}`,
      '--set',
      'flow_detail=1',
    ],
    // Unbuffered, so each flow line is there as soon as mitmdump handled it.
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await listening(port, child, 'mitmdump', () => out);
  const caPath = join(dir, 'mitmproxy-ca-cert.pem');
  const deadline = Date.now() + 10_000;
  while (!existsSync(caPath) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    caPath,
    urlWith: (user, password) => `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    accessLog: () => out.split('\n').filter(Boolean),
    stop: stopper(child, () => undefined),
  };
}
