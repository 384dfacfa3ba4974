/**
 * `--notify`: the summary card a job posts at the end, to a local receiver on loopback standing in
 * for a Teams or Slack incoming webhook — both JSON shapes, retries, a receiver that never answers
 * well does not fail the job, and the URL (its secret) never reaches the logs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cardPayload, notifyFormatFor, postNotification } from '../../src/report/notify.js';
import { CASE_ID, runAgainstEmulator, stopEmulators } from '../helpers/job.js';
import { tempFile } from '../helpers/results.js';

interface Received {
  path: string;
  contentType: string | undefined;
  body: any;
}

let server: Server | undefined;
afterEach(async () => {
  await stopEmulators();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A webhook receiver on 127.0.0.1 that answers each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      got.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end(status === 200 ? '1' : 'no');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, got };
}

const manifest = () => tempFile('notify.csv', `id,extensionAttribute1\n${CASE_ID.pc0},Notified\nnot-a-guid,x\n`);

describe('--notify', () => {
  it('Teams: an Adaptive Card with the outcomes, exit code, duration and results path; the URL never logged', async () => {
    const hook = await receiver();
    const url = `${hook.url}/workflows/abc/triggers/manual/paths/invoke?sig=SECRET-SIGNATURE-123456`;
    const r = await runAgainstEmulator({ manifest: manifest(), notify: url });
    expect(r.summary.exitCode).toBe(1);
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]!.contentType).toBe('application/json');
    const card = hook.got[0]!.body.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const facts = Object.fromEntries(card.content.body[1].facts.map((f: { title: string; value: string }) => [f.title, f.value]));
    expect(facts.Outcomes).toBe('updated 1, invalid 1');
    expect(facts['Exit code']).toBe('1 (some rows failed or are invalid)');
    expect(facts.Duration).toMatch(/^\d+(\.\d)? s$/);
    expect(facts.Results).toBe(r.resultsPath);
    expect(facts.Report).toBe(`${r.resultsPath}.report.html`);
    expect(r.stderr).toContain(`notified http://127.0.0.1:${new URL(url).port}/… (teams)`);
    expect(r.stderr).not.toContain('SECRET-SIGNATURE');
    expect(r.stderr).not.toContain('/workflows/abc');
  });

  it('Slack shape by option; retried after 503 and 429, then delivered', async () => {
    const hook = await receiver([503, 429]);
    const r = await runAgainstEmulator({
      manifest: manifest(),
      notify: `${hook.url}/services/T000/B000/XXXXSECRETXXXX`,
      notifyFormat: 'slack',
    });
    expect(hook.got).toHaveLength(3);
    expect(hook.got[2]!.body.text).toContain('*Outcomes:* updated 1, invalid 1');
    expect(hook.got[2]!.body.blocks[0].type).toBe('header');
    expect(r.stderr).toContain('(slack)');
    expect(r.stderr).not.toContain('XXXXSECRETXXXX');
  });

  it('a webhook that keeps failing, or nobody listening, never fails the job', async () => {
    const hook = await receiver([500, 500, 500]);
    const r = await runAgainstEmulator({ manifest: manifest(), notify: `${hook.url}/hook/TOPSECRETPATH99` });
    expect(r.summary.exitCode).toBe(1); // the rows' own outcome, not the webhook's
    expect(hook.got).toHaveLength(3);
    expect(r.stderr).toMatch(
      /could not notify http:\/\/127\.0\.0\.1:\d+\/… \(teams\) after 3 attempts: HTTP 500; the job itself is not affected/,
    );
    expect(r.stderr).not.toContain('TOPSECRETPATH99');
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const dead = await postNotification(`http://127.0.0.1:${port}/hook`, {}, { attempts: 2, backoffMs: 10 });
    expect(dead).toMatchObject({ ok: false, attempts: 2, error: 'ECONNREFUSED' });
  });

  it('chooses the shape by host', () => {
    expect(notifyFormatFor('https://hooks.slack.com/services/T/B/x')).toBe('slack');
    expect(notifyFormatFor('https://prod-12.westeurope.logic.azure.com/workflows/x')).toBe('teams');
    expect(notifyFormatFor('https://contoso.webhook.office.com/webhookb2/x')).toBe('teams');
    const slack = cardPayload('slack', { title: 't', exitCode: 0, exitMeaning: 'ok', durationS: 1, outcomes: [['updated', 2]] }) as {
      text: string;
    };
    expect(slack.text).toBe('t\n*Outcomes:* updated 2\n*Exit code:* 0 (ok)\n*Duration:* 1 s');
  });
});
