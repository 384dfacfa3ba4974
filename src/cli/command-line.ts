/**
 * Parses a `graph-bulk` command line with yargs and runs the one command it names (loaded on demand:
 * src/cli/commands.ts). An argument error — no command, an unknown one, a bad flag — is one message
 * on stderr (one JSON line with `--log-format json`) and exit 3.
 */
import yargs from 'yargs';
import { ExitCode } from '../job/exit-codes.js';
import { formatLogLine, requestedLogFormat } from '../report/log.js';
import type { CommandEntry } from './commands.js';
import { didYouMean, withFlagSuggestions } from './did-you-mean.js';

/** Writes an argument error in the run's log format and exits 3. */
function argumentError(args: string[], msg: string): never {
  // With --log-format json (or a job file's logFormat), an argument error is one JSON line too.
  const hint = 'Run graph-bulk --help, or graph-bulk <command> --help, for the options.';
  process.stderr.write(
    requestedLogFormat(args) === 'json'
      ? formatLogLine('json', 'error', msg, { hint, exitCode: ExitCode.NothingSent })
      : `graph-bulk: ${msg}\n${hint}\n`,
  );
  process.exit(ExitCode.NothingSent);
}

/**
 * Runs `graph-bulk <args>`.
 * @param entry the command named in `args` (undefined: none named — an argument error, unless
 *   `args` asks only for help or the version, which yargs answers).
 */
export async function runCommandLine(args: string[], entry: CommandEntry | undefined, all: CommandEntry[], version: string): Promise<void> {
  const names = all.map((c) => c.name).join(', ');
  if (!entry) {
    const wanted = args.find((a) => !a.startsWith('-'));
    const near =
      wanted === undefined
        ? undefined
        : didYouMean(
            wanted,
            all.map((c) => c.name),
          );
    argumentError(
      args,
      wanted === undefined
        ? `Name a command: ${names}`
        : `Unknown command: ${wanted}${near ? ` — did you mean ${near}?` : ''} (the commands: ${names})`,
    );
  }
  const command = await entry.load();
  const parser = yargs(args);
  await parser
    .scriptName('graph-bulk')
    .usage('$0 <command> [options]\n\nBulk updates to Microsoft Entra ID devices through Microsoft Graph.')
    .command({ ...command, command: entry.usage, describe: entry.describe })
    .demandCommand(1, `Name a command: ${names}`)
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      let flags: string[] = [];
      try {
        flags = Object.keys((parser as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key).filter(
          (k) => !/[A-Z]/.test(k),
        ); // kebab-case spellings only
      } catch {
        /* no suggestion then */
      }
      argumentError(args, msg ? withFlagSuggestions(msg, flags) : msg);
    })
    .help()
    .version(version)
    .parseAsync();
}
