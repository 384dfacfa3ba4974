#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { emulatorCommand } from '../emulator/command.js';
import { ExitCode } from '../job/exit-codes.js';
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
    process.stderr.write(`graph-bulk: ${msg}\nRun graph-bulk --help, or graph-bulk <command> --help, for the options.\n`);
    process.exit(ExitCode.NothingSent);
  })
  .help()
  .version()
  .parseAsync();
