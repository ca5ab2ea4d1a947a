// A lock file beside a stored file (`FILE.lock`, holding the holder's pid), so that runs sharing the file
// merge their read-modify-write updates instead of losing one.
import { closeSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { CREATE, reason, WriteError } from './atomic-write.js';

const LOCK_WAIT_MS = 5000;
/** A lock older than this is taken over even if its process lives (its holder writes for milliseconds). */
const LOCK_STALE_MS = 30_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

function holderAlive(lock: string): boolean {
  let text: string;
  try {
    if (Date.now() - lstatSync(lock).mtimeMs > LOCK_STALE_MS) return false;
    text = readFileSync(lock, 'utf8').trim();
  } catch {
    return true; // just removed: look again
  }
  if (text === '') return true; // its holder has not written its pid yet
  const pid = Number(text);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Run `update` holding `file`.lock, so that two runs sharing a stored file merge their changes instead of
 * the later one overwriting the earlier one's (each re-reads the file inside). Synchronous: it also runs on
 * the --serial watchdog thread. A lock whose process is gone, or held past any reasonable write, is taken
 * over; one still held after a few seconds is too (a run never loses its own write for another's hang).
 */
export function withLock<T>(file: string, update: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let fd = -1;
  for (let wait = 1; fd < 0; wait = Math.min(wait * 2, 50)) {
    try {
      fd = openSync(lock, CREATE, 0o666);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new WriteError(file, reason(error));
      if (!holderAlive(lock) || Date.now() > deadline) {
        try {
          unlinkSync(lock);
        } catch {
          // another waiter took it over first
        }
        continue;
      }
      Atomics.wait(pause, 0, 0, wait);
    }
  }
  try {
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return update();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // taken over meanwhile
    }
  }
}
