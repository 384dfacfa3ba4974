/**
 * A closed stdout or stderr (`graph-bulk run … 2>&1 | head -1`, a terminal that went away) never stops
 * a job: the results file is the record, not the console. Without a listener, the EPIPE that Node
 * reports on the stream's next write is an unhandled 'error' and kills the process mid-run, leaving
 * rows without result lines.
 */

let installed = false;

/**
 * Makes write errors on `process.stdout` and `process.stderr` harmless (they are dropped; later writes
 * to the closed stream are dropped too). Idempotent.
 */
export function ignoreClosedOutput(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      /* EPIPE, EIO, ERR_STREAM_DESTROYED: the console is gone, the job goes on */
    });
  }
}
