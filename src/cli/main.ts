#!/usr/bin/env node
/**
 * The `graph-bulk` command. Loads only Node's own modules and the list of commands: `--version` and
 * `--help` answer here; any other command line goes to yargs with the one command it names, whose
 * module is imported then (src/cli/commands.ts).
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, findCommand, topLevelHelp } from './commands.js';

const args = process.argv.slice(2);
/** The package's version, from its package.json (two folders up from dist/cli/). */
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(`${version}\n`);
} else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h' || args[0] === 'help')) {
  process.stdout.write(topLevelHelp());
} else {
  const entry = findCommand(args);
  const { runCommandLine } = await import('./command-line.js');
  await runCommandLine(args, entry, COMMANDS, version);
}
