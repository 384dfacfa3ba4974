/**
 * A tiny HTTP server in front of an emulator, on loopback: it forwards every request as is, unless
 * `answer` returns an answer of its own for it (a `Retry-After` Graph would never send, a body far
 * larger than any Graph answer). Used by the crash-safety tests.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer of the front's own: status, headers and a body (text, or `bytes` of filler). */
export interface FrontAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send this many bytes of filler instead of `body`. */
  bytes?: number;
}

/** A running front server. */
export interface Front {
  url: string;
  /** Requests answered by the front itself. */
  answered: number;
  stop(): Promise<void>;
}

/**
 * Starts a front for `target` (an emulator URL).
 * @param answer decides per request (method, path, parsed JSON body): an answer, or undefined to forward.
 */
export async function startFront(
  target: string,
  answer: (method: string, path: string, body: unknown) => FrontAnswer | undefined,
): Promise<Front> {
  const front: Front = { url: '', answered: 0, stop: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        body = undefined;
      }
      const own = answer(req.method ?? 'GET', req.url ?? '/', body);
      if (own) {
        front.answered++;
        res.on('error', () => {});
        res.writeHead(own.status, { 'content-type': 'application/json', ...own.headers });
        if (own.bytes === undefined) {
          res.end(own.body ?? '');
          return;
        }
        const chunk = Buffer.alloc(256 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < own.bytes! && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      const out = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  front.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return front;
}

/** Whether a `$batch` body (or a single request) carries a PATCH. */
export function carriesPatch(method: string, body: unknown): boolean {
  if (method === 'PATCH') return true;
  const requests = (body as { requests?: Array<{ method?: string }> } | undefined)?.requests;
  return Array.isArray(requests) && requests.some((r) => r.method === 'PATCH');
}
