import type { Writable } from 'node:stream';
import { redactSecrets } from '../graph/errors.js';

/** Log line format: human text, or one JSON object per line (for cron and log shippers). */
export type LogFormat = 'text' | 'json';

/** A minimal logger writing to stderr. Every message and field passes through secret redaction. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  readonly format: LogFormat;
}

/**
 * Creates a logger. Text lines look like `graph-bulk: message (k=v …)`; JSON lines are
 * `{"time","level","msg",…fields}`. Bearer tokens, JWTs and client secrets are redacted.
 */
export function createLogger(format: LogFormat = 'text', stream: Writable = process.stderr): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (format === 'json') {
      stream.write(redactSecrets(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })) + '\n');
      return;
    }
    const extra =
      fields && Object.keys(fields).length
        ? ' (' +
          Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ') +
          ')'
        : '';
    const prefix = level === 'info' ? 'graph-bulk' : `graph-bulk ${level}`;
    stream.write(redactSecrets(`${prefix}: ${message}${extra}`) + '\n');
  };
  return {
    format,
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything (library use, tests). */
export const silentLogger: Logger = { format: 'text', info() {}, warn() {}, error() {} };
