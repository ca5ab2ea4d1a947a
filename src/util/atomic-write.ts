// How mtest writes its files — reports, stored timings, the workers' record, --fix rewrites — so that a
// reader never sees half a file, a failed write leaves nothing behind, and nothing planted beside the target
// can redirect the write: the temporary file gets an unpredictable name in the target's directory and is
// created exclusively without following links (O_EXCL | O_NOFOLLOW), flushed to disk, then renamed over the
// target. Errors name the target, never the temporary file.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync,
  readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import path from 'node:path';

/** A file mtest could not write: `message` is one line naming the target. */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    /** Why, without the path: `EACCES: permission denied`. */
    readonly why: string,
  ) {
    super(`cannot write ${file}: ${why}`);
  }
}

export interface WriteOptions {
  /**
   * A target that is a symbolic link stays one: the file it points to is replaced (mtest's own stored
   * files, a source file under --fix). Otherwise the link itself is replaced, never followed (a report
   * written into a shared directory).
   */
  followLink?: boolean;
  /** Permission bits of the new file; default 0o666 less the umask. */
  mode?: number;
  /** Owner of the new file, when this process may give it away (a rewritten source keeps its own). */
  owner?: { uid: number; gid: number };
}

/** Created exclusively, never through a link: what a temporary file or a lock file is opened with. */
export const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** `EACCES: permission denied` from a Node error, without the call and the path it names (maybe a temporary one). */
export function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e instanceof WriteError) return e.why;
  const message = String(e?.message ?? e).split('\n')[0];
  return typeof e?.code === 'string' ? message.replace(/, \w+(?: '[^]*)?$/, '') : message;
}

/** The file a link finally points to (the path itself when it is not a link); a dangling link's target too. */
export function linkTarget(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // dangling: follow the links by hand as far as they go
    let at = file;
    for (let hops = 0; hops < 40; hops++) {
      let next: string;
      try {
        if (!lstatSync(at).isSymbolicLink()) return at;
        next = readlinkSync(at);
      } catch {
        return at;
      }
      at = path.resolve(path.dirname(at), next);
    }
    return at;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false; // the write says why
  }
}

/** Create the directory `file` goes in; WriteError (naming `file`) when it cannot be. */
export function makeDirectoryFor(file: string): void {
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WriteError(file, code === 'EEXIST' || code === 'ENOTDIR' ? `${dir} is not a directory` : reason(error));
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
}

/** Write `text` to `file` atomically (see the top of this module). Throws WriteError (one line). */
export function writeAtomically(file: string, text: string | Uint8Array, opts: WriteOptions = {}): void {
  const target = opts.followLink ? linkTarget(file) : file;
  const fail = (error: unknown): WriteError => new WriteError(file, reason(error));
  if (isDirectory(target)) throw new WriteError(file, 'it is a directory');
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(9).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, CREATE, 0o666);
  } catch (error) {
    throw fail(error);
  }
  try {
    writeAll(fd, typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text));
    if (opts.owner) {
      const now = fstatSync(fd);
      if (now.uid !== opts.owner.uid || now.gid !== opts.owner.gid) {
        try {
          fchownSync(fd, opts.owner.uid, opts.owner.gid);
        } catch {
          // only root may give a file away: the rewrite is then the user's own, as an editor's save is
        }
      }
    }
    if (opts.mode !== undefined) fchmodSync(fd, opts.mode & 0o7777);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
  } catch (error) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw fail(error);
  }
}

/**
 * Replace the contents of `file` without replacing the file: every hard link and symbolic link to it sees
 * the new text. Not atomic (a reader may see a partial file), so used only where replacing would split links.
 */
export function overwriteInPlace(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY);
  } catch (error) {
    throw new WriteError(file, reason(error));
  }
  try {
    const data = Buffer.from(text, 'utf8');
    writeAll(fd, data);
    ftruncateSync(fd, data.length);
    fsyncSync(fd);
  } catch (error) {
    throw new WriteError(file, reason(error));
  } finally {
    closeSync(fd);
  }
}
