/**
 * The commands of `graph-bulk`, one module each, imported only when that command runs: start-up loads
 * this list and Node's own modules, nothing else, so `graph-bulk --version` and `--help` cost about a
 * bare `node` start (yargs, zod, @azure/identity and the emulator load with the command that needs them).
 *
 * To add a command: write its module (a yargs `CommandModule`, e.g. `src/cli/export-command.ts`) and
 * add one entry here; its `usage` and `describe` are what `graph-bulk --help` and `graph-bulk <name>
 * --help` show.
 */
import type { CommandModule } from 'yargs';

/** One command: its name, yargs usage, one-line description and the loader of its module. */
export interface CommandEntry {
  name: string;
  /** yargs command string, e.g. `run [job]`. */
  usage: string;
  describe: string;
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
  load: () => Promise<CommandModule<any, any>>;
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: CommandEntry[] = [
  {
    name: 'run',
    usage: 'run [job]',
    describe: 'Run a job: apply a manifest of device updates and write a results file',
    load: async () => (await import('./run-command.js')).runCommand,
  },
  {
    name: 'plan',
    usage: 'plan [job]',
    describe: 'Plan a job: read every device of the manifest and write a plan file of what would change (old → new); writes nothing',
    load: async () => (await import('./run-command.js')).planCommand,
  },
  {
    name: 'export',
    usage: 'export',
    describe: 'Export the devices an OData $filter matches (every page) to a CSV or JSON Lines manifest: edit a column, run it',
    load: async () => (await import('./export-command.js')).exportCommand,
  },
  {
    name: 'stale',
    usage: 'stale [job]',
    describe: 'Stale-device lifecycle: disable devices not signed in for N days (stamped), later delete those this job disabled (--delete)',
    load: async () => (await import('./stale-command.js')).staleCommand,
  },
  {
    name: 'demo',
    usage: 'demo',
    describe: 'Run the demo job on the built-in Graph emulator, from any folder (results into ./results/)',
    load: async () => (await import('./demo-command.js')).demoCommand,
  },
  {
    name: 'merge-results',
    usage: 'merge-results <files..>',
    describe: "Combine the shards' results files into one line per manifest row, in row order",
    load: async () => (await import('./merge-command.js')).mergeCommand,
  },
  {
    name: 'emulator',
    usage: 'emulator',
    describe: 'Serve a local Microsoft Graph emulator (devices, $batch, throttling, faults) until Ctrl+C',
    load: async () => (await import('../emulator/command.js')).emulatorCommand,
  },
];

/** The top-level `graph-bulk --help` text (no module loaded to print it). */
export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length)) + 'graph-bulk '.length + 2;
  return [
    'graph-bulk <command> [options]',
    '',
    'Bulk updates to Microsoft Entra ID devices through Microsoft Graph.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`graph-bulk ${c.usage}`.padEnd(width)}${c.describe}`),
    '',
    'Options:',
    '  --help     Show help',
    '  --version  Show version number',
    '',
    'graph-bulk <command> --help lists the options of a command.',
    '',
  ].join('\n');
}

/** The command that `args` (the command line after `graph-bulk`) names: the first argument that is a command's name. */
export function findCommand(args: readonly string[]): CommandEntry | undefined {
  for (const a of args) {
    const entry = COMMANDS.find((c) => c.name === a);
    if (entry) return entry;
  }
  return undefined;
}
