/**
 * The emulator's HTTP front: node:http, one handler for every request.
 *
 * Graph routes (`/v1.0/…`, `/beta/…`), in this order: request log entry → fault plan drawn
 * (seeded) → latency → injected drop / slow → bearer token check (401) → `forceError` → injected
 * 503 → routing and handling (an injected 504 handles the request first or not, 50/50, then
 * answers 504). Admin routes, no auth, no faults, not logged: `GET /_emulator/stats`
 * ({@link EmulatorStats}) and `GET /_emulator/requests` (the request log).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isJsonContentType } from './batch.js';
import { errorResult, type CallBody, type EmulatorContext, type GraphCall, type GraphResult } from './context.js';
import { GraphErrors } from './errors.js';
import { SERVICE_UNAVAILABLE_HTML, planOuterFaults, type OuterFaultPlan } from './faults.js';
import { callerOf } from './caller.js';
import { dispatchRoute } from './handlers/dispatch.js';
import { renderResult } from './respond.js';
import { parseResourcePath, routeLabel, splitVersion, type ResourceRoute } from './routes.js';
import { logHeaders, type EmulatorStats, type LoggedRequest } from './stats.js';

/** Largest request body accepted (bytes); Graph's own limit for a batch is 4 MB. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The HTTP server plus a way to cancel pending delays on shutdown. */
export interface GraphServer {
  server: Server;
  /** Resolves every pending latency/slow delay immediately (used by stop()). */
  cancelDelays(): void;
}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Creates (does not start) the emulator's HTTP server.
 * @param ctx shared state
 * @param statsSnapshot the counters for the stats endpoint
 * @param tls PEM key and certificate: serve https instead of http
 */
export function createGraphServer(
  ctx: EmulatorContext,
  statsSnapshot: () => EmulatorStats,
  tls?: { key: string; cert: string },
): GraphServer {
  const pending = new Set<() => void>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.add(done);
    });

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, { 'Content-Type': 'application/json' }, { error: { code: 'InternalServerError', message: String(error) } });
      } else res.destroy();
    });
  };
  const scheme = tls ? 'https' : 'http';
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = Date.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const method = (req.method ?? 'GET').toUpperCase();

    if (rawPath.startsWith('/_emulator/')) {
      req.resume();
      if (method === 'GET' && rawPath === '/_emulator/stats') {
        return sendJson(res, 200, { 'Content-Type': 'application/json' }, statsSnapshot());
      }
      if (method === 'GET' && rawPath === '/_emulator/requests') {
        return sendJson(res, 200, { 'Content-Type': 'application/json' }, ctx.log.list());
      }
      return sendJson(
        res,
        404,
        { 'Content-Type': 'application/json' },
        { error: { code: 'NotFound', message: 'Unknown emulator admin route.' } },
      );
    }

    const body = await readBody(req);
    const requestId = randomUUID();
    const clientHeader = req.headers['client-request-id'];
    const clientRequestId = (Array.isArray(clientHeader) ? clientHeader[0] : clientHeader) ?? requestId;
    const bodyText = body === 'too-large' ? '' : body.toString('utf8');
    let loggedBody: unknown;
    let rawBody: string | undefined;
    if (bodyText !== '') {
      try {
        loggedBody = JSON.parse(bodyText);
      } catch {
        rawBody = bodyText;
      }
    }
    const entry = ctx.log.add({
      at: arrivedAt,
      method,
      path: safeDecode(rawUrl),
      viaBatch: false,
      requestId,
      body: loggedBody,
      ...(rawBody !== undefined ? { rawBody } : {}),
      headers: logHeaders(req.headers),
    });

    const decodedPath = safeDecode(rawPath);
    const versioned = splitVersion(decodedPath);
    const route: ResourceRoute = 'error' in versioned ? { kind: 'error', error: versioned.error } : parseResourcePath(versioned.rest);
    const label = routeLabel(method, 'error' in versioned ? undefined : route);
    const plan: OuterFaultPlan = planOuterFaults(ctx.prng, ctx.settings);

    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });

    const finish = (result: GraphResult): void => {
      if (clientGone) {
        entry.outcome = 'aborted';
        ctx.stats.outer(label, 'aborted');
        return;
      }
      const rendered = renderResult(result, { requestId, clientRequestId }, Date.now());
      entry.status = result.status;
      entry.outcome = 'answered';
      const retryAfter = rendered.headers['Retry-After'];
      if (retryAfter !== undefined && /^\d+(\.\d+)?$/.test(retryAfter)) entry.retryAfter = Number(retryAfter);
      ctx.stats.outer(label, result.status);
      res.writeHead(result.status, rendered.headers);
      if (rendered.text !== undefined) res.end(rendered.text);
      else res.end(rendered.json === undefined ? '' : JSON.stringify(rendered.json));
    };

    if (plan.latencyMs > 0) await delay(plan.latencyMs);
    if (plan.kind === 'drop') {
      ctx.stats.faults.dropped += 1;
      entry.outcome = 'dropped';
      ctx.stats.outer(label, 'dropped');
      req.socket.destroy();
      return;
    }
    if (plan.kind === 'slow') {
      ctx.stats.faults.slow += 1;
      await delay(plan.slowMs ?? 0);
    }
    if (clientGone) return finish(errorResult(GraphErrors.gatewayTimeout()));

    const tokenCheck = ctx.tokens.verify(req.headers.authorization, Date.now());
    if (tokenCheck.error) {
      return finish(
        errorResult(tokenCheck.error, {
          'WWW-Authenticate':
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        }),
      );
    }
    const forced = ctx.settings.forceError;
    if (forced) {
      ctx.stats.faults.forced += 1;
      return finish(errorResult(forced));
    }
    if (plan.kind === '503') {
      ctx.stats.faults.status503 += 1;
      const headers: Record<string, string> = plan.retryAfter503 !== undefined ? { 'Retry-After': plan.retryAfter503 } : {};
      if (plan.body503 === 'html') {
        return finish({ status: 503, headers, text: { contentType: 'text/html', body: SERVICE_UNAVAILABLE_HTML } });
      }
      const spec = GraphErrors.serviceUnavailable();
      return finish(
        errorResult(plan.body503 === 'json-with-html-message' ? { ...spec, message: SERVICE_UNAVAILABLE_HTML } : spec, headers),
      );
    }
    if (body === 'too-large') return finish(errorResult(GraphErrors.payloadTooLarge()));

    let callBody: CallBody = { kind: 'none' };
    if (method !== 'GET' && bodyText !== '') {
      callBody =
        isJsonContentType(headerString(req.headers['content-type'])) && loggedBody !== undefined
          ? { kind: 'json', value: loggedBody }
          : { kind: 'unreadable' };
    }
    const version = 'error' in versioned ? 'v1.0' : versioned.version;
    const call: GraphCall = {
      method,
      path: 'error' in versioned ? decodedPath : versioned.rest,
      params: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
      version,
      body: callBody,
      viaBatch: false,
      baseUrl: `${scheme}://${req.headers.host ?? 'localhost'}`,
      roles: tokenCheck.roles,
      scopes: tokenCheck.scopes,
      caller: callerOf(
        req.headers.authorization,
        tokenCheck.scopes !== undefined || (tokenCheck.roles === undefined && !ctx.settings.appOnly),
        ctx.settings,
      ),
      requestId,
      clientRequestId,
      arrivedAt,
      consistencyLevel: headerString(req.headers.consistencylevel),
    };
    if (plan.kind === '504') {
      ctx.stats.faults.status504 += 1;
      if (plan.applied504) dispatchRoute(ctx, call, route);
      return finish(errorResult(GraphErrors.gatewayTimeout()));
    }
    return finish(dispatchRoute(ctx, call, route));
  }

  return {
    server,
    cancelDelays: () => {
      for (const done of [...pending]) done();
    },
  };
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export type { LoggedRequest };
