// Where mtest's own report goes: its stdout and stderr, written whole by the descriptor writer.
import { DescriptorWriter } from '../util/descriptor-write.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * The report's stdout and stderr. `dup` gives private copies of descriptors 1 and 2 when it can (then an
 * example that closes them does not take the report along); else the report writes to 1 and 2 themselves.
 */
export function reportOutput(dup?: (fd: number) => number): Output & { stdout: DescriptorWriter; stderr: DescriptorWriter } {
  const copy = (fd: number): number => {
    const own = dup?.(fd) ?? -1;
    return own >= 0 ? own : fd;
  };
  const stdout = new DescriptorWriter(copy(1));
  const stderr = new DescriptorWriter(copy(2));
  return { stdout, stderr, out: (text) => stdout.write(text), err: (text) => stderr.write(text) };
}
