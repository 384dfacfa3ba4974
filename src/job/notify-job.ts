/** The job's end-of-run notification (`notify`), logged by host only; it never changes the exit code. */
import { basename } from 'node:path';
import type { Logger } from '../report/log.js';
import { cardFacts, cardPayload, notifyFormatFor, postNotification, showWebhook } from '../report/notify.js';
import type { JobSummary } from '../report/summary.js';
import type { JobOptions } from './options.js';

/**
 * Posts the summary card to the webhook and logs how it went (the host only, never the URL).
 * Never throws.
 */
export async function notify(
  url: string,
  format: JobOptions['notifyFormat'],
  summary: JobSummary,
  ctx: { job: string; report?: string; log: Pick<Logger, 'info' | 'warn'> },
): Promise<void> {
  const shape = notifyFormatFor(url, format);
  try {
    const result = await postNotification(url, cardPayload(shape, cardFacts(summary, basename(ctx.job), ctx.report)));
    if (result.ok) ctx.log.info(`notified ${showWebhook(url)} (${shape})`);
    else
      ctx.log.warn(
        `could not notify ${showWebhook(url)} (${shape}) after ${result.attempts} attempts: ${result.error ?? 'failed'}; the job itself is not affected`,
      );
  } catch (err) {
    ctx.log.warn(`could not notify ${showWebhook(url)}: ${(err as Error).message}; the job itself is not affected`);
  }
}
