#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { emulatorCommand } from '../emulator/command.js';
import { ExitCode } from '../job/exit-codes.js';
import { formatLogLine, requestedLogFormat } from '../report/log.js';
import { mergeCommand } from './merge-command.js';
import { planCommand, runCommand } from './run-command.js';

await yargs(hideBin(process.argv))
  .scriptName('graph-bulk')
  .usage('$0 <command> [options]\n\nBulk updates to Microsoft Entra ID devices through Microsoft Graph.')
  .command(runCommand)
  .command(planCommand)
  .command(emulatorCommand)
  .command(mergeCommand)
  .demandCommand(1, 'Name a command: plan, run, merge-results or emulator')
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    // With --log-format json (or a job file's logFormat), an argument error is one JSON line too.
    const hint = 'Run graph-bulk --help, or graph-bulk <command> --help, for the options.';
    process.stderr.write(
      requestedLogFormat(hideBin(process.argv)) === 'json'
        ? formatLogLine('json', 'error', msg, { hint, exitCode: ExitCode.NothingSent })
        : `graph-bulk: ${msg}\n${hint}\n`,
    );
    process.exit(ExitCode.NothingSent);
  })
  .help()
  .version()
  .parseAsync();
