/**
 * Bench-only entry: the peers graph-bulk is measured against, each run as its own process
 * (`node --import ./dist-bench/bench/probe.js dist-bench/bench/peers.js <peer> <json args>`), written the way
 * their users write them. Prints one JSON line ({@link PeerReport}) on stdout.
 *
 * - `foreach`: what a PowerShell `foreach` script does: one PATCH at a time, and on a 429 a fixed
 *   3 s sleep before trying the same row again; other errors are recorded and the loop moves on.
 * - `sdk-single`: `@microsoft/microsoft-graph-client` v3 with its default middleware chain
 *   (RetryHandler: 3 retries, honours Retry-After, outer responses only), 20 PATCHes in flight
 *   (p-limit). A row whose request still fails after the SDK's retries is lost.
 * - `sdk-batch`: the same SDK's `BatchRequestContent` / `BatchResponseContent`, 20 PATCHes per
 *   `$batch`, 4 batches in flight, as the SDK's batching docs show; inner 429s are not retried by the
 *   SDK (its RetryHandler sees only the outer 200), so those rows are lost.
 * - `csv-parse`: streams the manifest through csv-parse and counts the rows (the floor for reading it).
 *
 * The SDK attaches the bearer token only to https Graph hosts (AuthenticationHandler), and the
 * emulator is plain http on loopback, so that one step of the default chain is replaced (see
 * `sdkClient`); every other step is the SDK's default behaviour.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  MiddlewareFactory,
  type BatchRequestStep,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import pLimit from 'p-limit';

/** Arguments of a peer run (argv[3], JSON). */
export interface PeerArgs {
  manifest: string;
  url?: string;
  token?: string;
}

/** What a peer prints when done. */
export interface PeerReport {
  rows: number;
  /** Rows the peer believes it updated (2xx). */
  succeeded: number;
  /** Rows it gave up on. */
  lost: number;
}

interface Row {
  id: string;
  body: Record<string, unknown>;
}

async function readRows(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  const parser = createReadStream(path).pipe(parse({ columns: true }));
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    const { id, ...attributes } = record;
    rows.push({ id: id!, body: { extensionAttributes: attributes } });
  }
  return rows;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function foreachLoop(args: PeerArgs): Promise<PeerReport> {
  const rows = await readRows(args.manifest);
  let succeeded = 0;
  let lost = 0;
  for (const row of rows) {
    for (;;) {
      const res = await fetch(`${args.url}/v1.0/devices/${row.id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${args.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(row.body),
      });
      await res.arrayBuffer();
      if (res.status === 429) {
        await sleep(3000);
        continue;
      }
      if (res.ok) succeeded++;
      else lost++;
      break;
    }
  }
  return { rows: rows.length, succeeded, lost };
}

/**
 * The SDK's default middleware chain (MiddlewareFactory.getDefaultMiddlewareChain: authentication,
 * RetryHandler with its default options, telemetry, fetch), with its first step swapped for one that
 * sets the bearer token whatever the host: the SDK's AuthenticationHandler strips the Authorization
 * header from any URL that is not an https Graph host, and the emulator is http on loopback.
 */
function sdkClient(args: PeerArgs): Client {
  const chain = MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken: async () => args.token! });
  let next: Middleware | undefined;
  chain[0] = {
    execute: async (context: Context) => {
      context.options = {
        ...context.options,
        headers: { ...(context.options?.headers as Record<string, string>), Authorization: `Bearer ${args.token}` },
      };
      await next!.execute(context);
    },
    setNext: (m: Middleware) => void (next = m),
  };
  return Client.initWithMiddleware({ baseUrl: args.url, defaultVersion: 'v1.0', middleware: chain });
}

async function sdkSingle(args: PeerArgs): Promise<PeerReport> {
  const rows = await readRows(args.manifest);
  const client = sdkClient(args);
  const limit = pLimit(20);
  let succeeded = 0;
  let lost = 0;
  await Promise.all(
    rows.map((row) =>
      limit(async () => {
        try {
          await client.api(`/devices/${row.id}`).patch(row.body);
          succeeded++;
        } catch {
          lost++;
        }
      }),
    ),
  );
  return { rows: rows.length, succeeded, lost };
}

async function sdkBatch(args: PeerArgs): Promise<PeerReport> {
  const rows = await readRows(args.manifest);
  const client = sdkClient(args);
  const limit = pLimit(4);
  let succeeded = 0;
  let lost = 0;
  const chunks: Row[][] = [];
  for (let i = 0; i < rows.length; i += 20) chunks.push(rows.slice(i, i + 20));
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        const steps: BatchRequestStep[] = chunk.map((row, i) => ({
          id: String(i + 1),
          // Node's Request needs an absolute URL; the SDK strips scheme and host, leaving /devices/{id}.
          request: new Request(`${args.url}/devices/${row.id}`, {
            method: 'PATCH',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(row.body),
          }),
        }));
        try {
          const content = await new BatchRequestContent(steps).getContent();
          const response = new BatchResponseContent(await client.api('/$batch').post(content));
          for (const [, res] of response.getResponses()) {
            if (res.status >= 200 && res.status < 300) succeeded++;
            else lost++;
          }
        } catch {
          lost += chunk.length;
        }
      }),
    ),
  );
  return { rows: rows.length, succeeded, lost };
}

async function csvParseOnly(args: PeerArgs): Promise<PeerReport> {
  let rows = 0;
  const parser = createReadStream(args.manifest).pipe(parse({ columns: true }));
  for await (const _record of parser) rows++;
  return { rows, succeeded: 0, lost: 0 };
}

const PEERS: Record<string, (args: PeerArgs) => Promise<PeerReport>> = {
  foreach: foreachLoop,
  'sdk-single': sdkSingle,
  'sdk-batch': sdkBatch,
  'csv-parse': csvParseOnly,
};

const run = PEERS[process.argv[2] ?? ''];
if (!run) {
  process.stderr.write(`peers: unknown peer ${process.argv[2]}; one of ${Object.keys(PEERS).join(', ')}\n`);
  process.exit(2);
}
const report = await run(JSON.parse(process.argv[3] ?? '{}') as PeerArgs);
process.stdout.write(JSON.stringify(report) + '\n');
