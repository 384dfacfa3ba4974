import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { redactSecrets } from '../secrets/redact.js';

/** Log line format: human text, or one JSON object per line (for cron and log shippers). */
export type LogFormat = 'text' | 'json';

/** Log levels, lowest first. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A minimal logger writing to stderr. Every message and field passes through secret redaction. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  readonly format: LogFormat;
}

/**
 * One log line, newline included, secrets redacted. Text: `graph-bulk[ level]: message (k=v …)`, the
 * message's own lines kept (e.g. `  check: …` advice under an error). JSON: exactly one line
 * `{"time","level","msg",…fields}` whatever the message holds: its first line is `msg`, a following
 * `check: …` line becomes the `check` field and any other lines the `detail` field (so a log shipper
 * never sees half an object). Pure but for `now` (default the current time).
 */
export function formatLogLine(
  format: LogFormat,
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
  now: Date = new Date(),
): string {
  if (format === 'json') {
    const lines = message
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    const extra: Record<string, unknown> = {};
    const detail: string[] = [];
    for (const line of lines.slice(1)) {
      const check = /^check:\s*(.*)$/i.exec(line);
      if (check && extra.check === undefined) extra.check = check[1];
      else detail.push(line);
    }
    if (detail.length) extra.detail = detail.join(' ');
    return `${redactSecrets(JSON.stringify({ time: now.toISOString(), level, msg: lines[0] ?? '', ...extra, ...fields }))}\n`;
  }
  const extra =
    fields && Object.keys(fields).length
      ? ` (${Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')})`
      : '';
  const prefix = level === 'info' ? 'graph-bulk' : `graph-bulk ${level}`;
  return `${redactSecrets(`${prefix}: ${message.replace(/\s+$/, '')}${extra}`)}\n`;
}

/**
 * Creates a logger. Text lines look like `graph-bulk: message (k=v …)`; JSON lines are
 * `{"time","level","msg",…fields}` (see {@link formatLogLine}). Bearer tokens, JWTs, client secrets and
 * URL passwords are redacted.
 */
export function createLogger(format: LogFormat = 'text', stream: Writable = process.stderr): Logger {
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    stream.write(formatLogLine(format, level, message, fields));
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

/**
 * The log format a command line asks for, readable before (or without) a full parse, so that argument
 * errors are logged in it too: `--log-format json` / `--log-format=json` (the last one given wins),
 * else the `logFormat` field of the job file named as the first positional argument after `run` or
 * `plan` (when it reads as JSON), else `text`. Never throws.
 * @param argv the arguments after the node binary and script (`process.argv.slice(2)`).
 */
export function requestedLogFormat(argv: readonly string[]): LogFormat {
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-format' || a === '--logFormat') flag = argv[i + 1];
    else if (a.startsWith('--log-format=') || a.startsWith('--logFormat=')) flag = a.slice(a.indexOf('=') + 1);
  }
  if (flag === 'json' || flag === 'text') return flag;
  const command = argv.findIndex((a) => a === 'run' || a === 'plan');
  const jobFile = command >= 0 ? argv[command + 1] : undefined;
  if (jobFile && !jobFile.startsWith('-')) {
    try {
      const parsed = JSON.parse(readFileSync(jobFile, 'utf8').replace(/^\uFEFF/, '')) as { logFormat?: unknown };
      if (parsed?.logFormat === 'json') return 'json';
    } catch {
      // not a readable job file: the command reports that itself
    }
  }
  return 'text';
}
