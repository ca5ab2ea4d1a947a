// What passes between mtest and its --typecheck thread (gate.ts, thread.ts), and the checks each side makes
// of what it receives: a message that fails them is the check's error, one line, never a cast.
import { count, flag, isSourceFile, list, num, optional, shape, text, type Check } from '../checks.js';
import type { SourceFile } from '../model.js';
import type { TypecheckOptions } from './index.js';

/** The thread's data: what it prepares before the files arrive. */
export type ThreadSetup = Pick<TypecheckOptions, 'prelude' | 'cwd'>;

/** The one message the thread receives: the files to check, and which examples run. */
export interface ThreadRequest {
  files: SourceFile[];
  optional: string[];
  long: boolean;
}

/** The one message the thread sends back. */
export interface ThreadOutput {
  checked: number;
  failed: number;
  error?: string;
  /** [position of the file in the request, flat example index, type errors] of the failing examples. */
  errors: [number, number, string[]][];
  /** Wall time of the whole check, from the thread's start. */
  seconds: number;
}

const texts = list(text);

export const isThreadSetup = shape<ThreadSetup>({ prelude: texts, cwd: text });

export const isThreadRequest = shape<ThreadRequest>({ files: list(isSourceFile), optional: texts, long: flag });

const isErrors: Check<[number, number, string[]]> = (v): v is [number, number, string[]] => Array.isArray(v) && v.length === 3 && count(v[0]) && count(v[1]) && texts(v[2]);

export const isThreadOutput = shape<ThreadOutput>({ checked: count, failed: count, error: optional(text), errors: list(isErrors), seconds: num });

/** The output of a check that did not happen, with its reason (one line). */
export function failedCheck(error: string, seconds = 0): ThreadOutput {
  return { checked: 0, failed: 0, errors: [], seconds, error };
}
