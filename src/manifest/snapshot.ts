/**
 * The run works from a private copy of its manifest (issue 14): the copy is what the first pass
 * hashes and what the sending pass reads, so a manifest overwritten while the run goes on is ignored
 * — never half the old file and half the new. The copy sits in a folder of its own under the system's
 * temporary folder (0700, the file 0600) and is removed when the run ends or the process exits.
 */
import { chmodSync, copyFileSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** A snapshot of a manifest. */
export interface ManifestSnapshot {
  /** The copy's path (same base name as the manifest). */
  path: string;
  /** The manifest copied. */
  original: string;
  /** Removes the copy (and its folder). Never throws; safe to call twice. */
  remove(): void;
}

const live = new Set<ManifestSnapshot>();
let exitHook = false;

/**
 * Copies a manifest for the run.
 * @throws {Error} the file system's error (the manifest cannot be read, the temporary folder is full).
 */
export function snapshotManifest(manifestPath: string): ManifestSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-manifest-'));
  const path = join(dir, basename(manifestPath));
  const snapshot: ManifestSnapshot = {
    path,
    original: manifestPath,
    remove: () => {
      live.delete(snapshot);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    copyFileSync(manifestPath, path, constants.COPYFILE_EXCL);
    chmodSync(path, 0o600);
  } catch (err) {
    snapshot.remove();
    throw err;
  }
  live.add(snapshot);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const s of [...live]) s.remove();
    });
  }
  return snapshot;
}

/** A message about the copy, told about the manifest: the copy's path replaced by the manifest's. */
export function aboutOriginal(message: string, snapshot: ManifestSnapshot | undefined): string {
  return snapshot ? message.split(snapshot.path).join(snapshot.original) : message;
}
