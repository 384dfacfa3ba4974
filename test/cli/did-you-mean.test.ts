/** "Did you mean …?" for a mistyped command or flag, through the CLI as a user types it. */
import { describe, expect, it } from 'vitest';
import { didYouMean, withFlagSuggestions } from '../../src/cli/did-you-mean.js';
import { runCli } from '../helpers/cli.js';

describe('did you mean', () => {
  it('suggests the nearest command or flag, and nothing for a word far from all', () => {
    expect(didYouMean('rn', ['run', 'plan'])).toBe('run');
    expect(didYouMean('emulater', ['run', 'emulator'])).toBe('emulator');
    expect(didYouMean('xyzzy', ['run', 'plan'])).toBeUndefined();
    expect(withFlagSuggestions('Unknown arguments: dry-rn, dryRn, xyzzy', ['dry-run', 'verify'])).toBe(
      'Unknown arguments: dry-rn, dryRn, xyzzy (--dry-rn: did you mean --dry-run?)',
    );
  });

  it('through the CLI: exit 3 with the suggestion', async () => {
    const cmd = await runCli(['rn', '-m', 'x.csv']);
    expect(cmd.code).toBe(3);
    expect(cmd.stderr).toContain('Unknown command: rn — did you mean run?');
    const flag = await runCli(['run', '-m', 'x.csv', '--dry-rn']);
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('--dry-rn: did you mean --dry-run?');
  });
});
