import { describe, expect, it } from 'vitest';
import { formatLogLine, requestedLogFormat } from '../../src/report/log.js';
import { tempFile } from '../helpers/results.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');

describe('formatLogLine', () => {
  it('json: one line whatever the message holds; "check:" advice and other lines become fields', () => {
    const line = formatLogLine(
      'json',
      'error',
      'sign-in failed: AADSTS7000215: Invalid client secret.\n  check: AZURE_CLIENT_SECRET must be…\n  more',
      { exitCode: 3 },
      NOW,
    );
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'error',
      msg: 'sign-in failed: AADSTS7000215: Invalid client secret.',
      check: 'AZURE_CLIENT_SECRET must be…',
      detail: 'more',
      exitCode: 3,
    });
  });

  it('text: the message as written, fields after it; secrets redacted in both', () => {
    expect(formatLogLine('text', 'warn', 'proxy http://u:pw-123456@p:1 refused', { n: 2 }, NOW)).toBe(
      'graph-bulk warn: proxy http://u:<redacted>@p:1 refused (n=2)\n',
    );
    expect(JSON.parse(formatLogLine('json', 'info', 'Bearer abc.def.ghi', {}, NOW)).msg).toBe('Bearer <redacted>');
  });
});

describe('requestedLogFormat', () => {
  it.each([
    [['run', '--log-format', 'json'], 'json'],
    [['run', '--log-format=json'], 'json'],
    [['run', '--log-format', 'json', '--log-format', 'text'], 'text'],
    [['run', '--manifest', 'm.csv'], 'text'],
    [['run', '--log-format'], 'text'],
  ])('%j → %s', (argv, format) => {
    expect(requestedLogFormat(argv)).toBe(format);
  });

  it("a job file's logFormat, when no flag says otherwise; an unreadable job file is text", () => {
    const job = tempFile('job.json', '\uFEFF{"manifest":"m.csv","logFormat":"json"}');
    expect(requestedLogFormat(['run', job])).toBe('json');
    expect(requestedLogFormat(['plan', job, '--bogus'])).toBe('json');
    expect(requestedLogFormat(['run', job, '--log-format', 'text'])).toBe('text');
    expect(requestedLogFormat(['run', 'missing.json'])).toBe('text');
  });
});
