// The data directory holds every e-mail (bodies, attachments, addresses) and the master key:
// created for the owner only, and refused when other users may write into it.
import fs from 'node:fs';

export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** Creates the directory 0700 if it is missing; refuses one that group or others may write. */
export function preparePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) throw new DataDirError(`the data directory ${dir} is not a directory`);
  const mode = stat.mode & 0o7777;
  // Whoever may write there may swap the database or the key file for one of their own.
  if (mode & 0o022) {
    throw new DataDirError(
      `refusing to start: the data directory ${dir} is writable by other users (mode ${(mode & 0o777).toString(8)}); ` +
        `run chmod 700 ${dir} (or set POSTROOM_DATA_DIR to a directory of your own)`,
    );
  }
}

/** Owner read/write only (SQLite files, the key file), whatever the umask made them. */
export function makePrivate(file: string): void {
  try {
    fs.chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
