/**
 * `--notify <webhook URL>`: at the end of a job, a short summary card posted to a Teams or Slack
 * incoming webhook. Retried briefly; it never fails the job and never throws. The URL holds the
 * webhook's secret: only its host is ever shown.
 */
import { rememberSecret } from '../secrets/redact.js';
import { OUTCOMES } from '../types.js';
import type { JobSummary } from './summary.js';

/** The webhook's JSON shape. */
export type NotifyFormat = 'teams' | 'slack';

/** `slack` for a Slack host (`hooks.slack.com`), else `teams` (Teams Workflows / Office 365 connectors). */
export function notifyFormatFor(url: string, format: 'auto' | NotifyFormat = 'auto'): NotifyFormat {
  if (format !== 'auto') return format;
  try {
    return /(^|\.)slack\.com$/i.test(new URL(url).hostname) ? 'slack' : 'teams';
  } catch {
    return 'teams';
  }
}

/** The URL as it may be shown: scheme and host only (the path and query hold the secret). */
export function showWebhook(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(a webhook URL)';
  }
}

/** The card's facts: outcome counts, exit code, duration, results and report paths. */
export interface CardFacts {
  title: string;
  exitCode: number;
  exitMeaning: string;
  durationS: number;
  outcomes: Array<[string, number]>;
  resultsPath?: string;
  reportPath?: string;
  stoppedReason?: string;
}

const EXIT_MEANING: Record<number, string> = {
  0: 'every row went well',
  1: 'some rows failed or are invalid',
  2: 'aborted by an error threshold',
  3: 'could not start: nothing sent',
  4: 'interrupted',
};

/** The facts of a finished job's summary, for {@link cardPayload}. */
export function cardFacts(summary: JobSummary, job: string, reportPath?: string): CardFacts {
  return {
    title: `graph-bulk ${job}: exit ${summary.exitCode}, ${EXIT_MEANING[summary.exitCode] ?? ''}`.trim(),
    exitCode: summary.exitCode,
    exitMeaning: EXIT_MEANING[summary.exitCode] ?? '',
    durationS: Math.round(summary.wallMs / 100) / 10,
    outcomes: OUTCOMES.filter((o) => summary.byOutcome[o] > 0).map((o) => [o, summary.byOutcome[o]]),
    ...(summary.resultsPath ? { resultsPath: summary.resultsPath } : {}),
    ...(reportPath ? { reportPath } : {}),
    ...(summary.stoppedReason ? { stoppedReason: summary.stoppedReason } : {}),
  };
}

/**
 * The JSON body for the webhook: for Slack, `{text, blocks}` (incoming webhooks,
 * api.slack.com/messaging/webhooks); for Teams, a message with one Adaptive Card attachment (what
 * Teams Workflows "post to a channel when a webhook request is received" and the older Office 365
 * connectors accept).
 */
export function cardPayload(format: NotifyFormat, f: CardFacts): unknown {
  const outcomeText = f.outcomes.map(([o, n]) => `${o} ${n}`).join(', ') || 'no rows';
  const lines: Array<[string, string]> = [
    ['Outcomes', outcomeText],
    ['Exit code', `${f.exitCode} (${f.exitMeaning})`],
    ['Duration', `${f.durationS} s`],
    ...(f.resultsPath ? ([['Results', f.resultsPath]] as Array<[string, string]>) : []),
    ...(f.reportPath ? ([['Report', f.reportPath]] as Array<[string, string]>) : []),
    ...(f.stoppedReason ? ([['Stopped', f.stoppedReason]] as Array<[string, string]>) : []),
  ];
  if (format === 'slack') {
    const text = `${f.title}\n${lines.map(([k, v]) => `*${k}:* ${v}`).join('\n')}`;
    return {
      text,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: f.title.slice(0, 150) } },
        { type: 'section', fields: lines.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })).slice(0, 10) },
      ],
    };
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              size: 'Medium',
              weight: 'Bolder',
              wrap: true,
              text: f.title,
              color: f.exitCode === 0 ? 'Good' : 'Attention',
            },
            { type: 'FactSet', facts: lines.map(([title, value]) => ({ title, value })) },
          ],
        },
      },
    ],
  };
}

/** How a notification went. */
export interface NotifyResult {
  ok: boolean;
  attempts: number;
  /** The last HTTP status, if any answer came. */
  status?: number;
  /** Why it failed, without the URL. */
  error?: string;
}

/** Options of {@link postNotification}. */
export interface NotifyOptions {
  /** Attempts in all. Default 3. */
  attempts?: number;
  /** Per attempt, ms. Default 10,000. */
  timeoutMs?: number;
  /** Wait before the second attempt, ms (doubles). Default 1,000. A `Retry-After` up to 10 s is honoured. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts `payload` as JSON to the webhook. Retries network errors, 408, 429 and 5xx; a 2xx is done;
 * any other status is final. Never throws. The URL is remembered as a secret first, so that no log
 * or error message can show it.
 */
export async function postNotification(url: string, payload: unknown, options: NotifyOptions = {}): Promise<NotifyResult> {
  rememberSecret(
    url,
    (() => {
      try {
        const u = new URL(url);
        return `${u.pathname}${u.search}`;
      } catch {
        return undefined;
      }
    })(),
  );
  const attempts = options.attempts ?? 3;
  const doFetch = options.fetch ?? fetch;
  let backoff = options.backoffMs ?? 1000;
  let last: NotifyResult = { ok: false, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    let wait = backoff;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: i, status: res.status };
      last = { ok: false, attempts: i, status: res.status, error: `HTTP ${res.status}` };
      if (!(res.status === 408 || res.status === 429 || res.status >= 500)) return last;
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(10_000, retryAfter * 1000);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      last = { ok: false, attempts: i, error: e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.cause?.message ?? e.message) };
    }
    if (i < attempts) await sleep(wait);
    backoff *= 2;
  }
  return last;
}
