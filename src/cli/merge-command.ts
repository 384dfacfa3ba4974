import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ExitCode } from '../job/exit-codes.js';
import { ManifestError } from '../manifest/index.js';
import {
  formatRows,
  MergeError,
  mergeResults,
  readManifestRefs,
  readResultsTable,
  writeMergedResults,
  type MergeOutcome,
} from '../report/merge-results.js';

/** Flags of `graph-bulk merge-results`. */
interface MergeArgs {
  files: string[];
  output: string;
  manifest?: string;
}

/**
 * Runs a merge: reads the shards' results files (and the manifest, when given), writes one line per
 * row in row order, and reports on `out`.
 * @returns the exit code: 0 when every row has exactly one line; 1 when rows are missing or
 *   duplicated (the merged file is still written); 3 when nothing was written (unreadable input,
 *   columns or keys that do not match the manifest, an output file that exists).
 */
export async function mergeResultsCommand(args: MergeArgs, out: (text: string) => void): Promise<number> {
  let outcome: MergeOutcome;
  try {
    const tables = args.files.map((f) => readResultsTable(resolve(f)));
    const manifest = args.manifest ? await readManifestRefs(resolve(args.manifest)) : undefined;
    outcome = mergeResults(tables, manifest);
    if (outcome.mismatched.length) {
      const m = outcome.mismatched
        .slice(0, 5)
        .map((x) => `row ${x.row} in ${x.file} is for ${x.key || '(no key)'}, the manifest's row ${x.row} for ${x.manifestKey}`);
      out(
        `graph-bulk merge-results: these results are not from manifest ${args.manifest}: ${m.join('; ')}${outcome.mismatched.length > 5 ? `; … (${outcome.mismatched.length} rows)` : ''}. Nothing written.\n`,
      );
      return ExitCode.NothingSent;
    }
    writeMergedResults(resolve(args.output), outcome.columns, outcome.lines, tables[0]?.delimiter);
  } catch (err) {
    if (err instanceof MergeError || err instanceof ManifestError) {
      out(`graph-bulk merge-results: ${err.message}\n`);
      return ExitCode.NothingSent;
    }
    throw err;
  }
  const counts: Record<string, number> = {};
  for (const line of outcome.lines) counts[line.outcome ?? ''] = (counts[line.outcome ?? ''] ?? 0) + 1;
  const lines = [
    `graph-bulk merge-results: ${args.files.length} file(s) → ${args.output}: ${outcome.lines.length} lines for ${outcome.rowCount} rows (${
      Object.entries(counts)
        .map(([o, n]) => `${o} ${n}`)
        .join(', ') || 'none'
    })`,
  ];
  if (outcome.missing.length) {
    lines.push(
      `  missing: ${outcome.missing.length} row(s) have no line in any file: ${formatRows(outcome.missing)}` +
        (args.manifest
          ? ' (written as skipped: run the merged file again as a manifest to finish them)'
          : ' (give --manifest to know every row, and to fill them in as skipped)'),
    );
  }
  if (outcome.duplicates.length) {
    const list = outcome.duplicates
      .slice(0, 10)
      .map((d) => `${d.row} (${d.files.join(', ')})`)
      .join('; ');
    lines.push(
      `  duplicated: ${outcome.duplicates.length} row(s) have several lines; the latest (finishedAt) was kept: ${list}${outcome.duplicates.length > 10 ? '; …' : ''}`,
    );
  }
  if (!args.manifest)
    lines.push(`  rows counted up to the highest row seen (${outcome.rowCount}); rows after it cannot be checked without --manifest`);
  out(lines.join('\n') + '\n');
  return outcome.missing.length || outcome.duplicates.length ? ExitCode.RowErrors : ExitCode.Ok;
}

/** `graph-bulk merge-results <files…> -o <out> [--manifest <m>]`. */
export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge-results <files..>',
  describe: "Combine the shards' results files into one line per manifest row, in row order",
  builder: (y: Argv) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'Results files of the shards (.csv or .jsonl)' })
      .option('output', {
        alias: 'o',
        type: 'string',
        demandOption: true,
        describe: 'Merged results file to create (.csv or .jsonl); never overwritten',
      })
      .option('manifest', {
        alias: 'm',
        type: 'string',
        describe: 'The manifest the shards ran: checks every row is there and belongs to it',
      }) as unknown as Argv<MergeArgs>,
  handler: async (args) => {
    process.exitCode = await mergeResultsCommand(args, (text) => process.stderr.write(text));
  },
};
