// --debug: on a failure with a terminal attached, an interactive REPL in the failing example's namespace, as
// Sage's --debug drops into pdb. `.exit` (or Ctrl-D) resolves the promise and the run goes on.
import repl from 'node:repl';

export interface ReplStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Treat the streams as a terminal (colours, line editing); default: input.isTTY. */
  terminal?: boolean;
}

export function openRepl(namespace: object, label: string, streams?: ReplStreams): Promise<void> {
  const input = streams?.input ?? process.stdin;
  const output = streams?.output ?? process.stdout;
  output.write(`${label}\nThe example's names are defined here; .exit goes on with the run.\n`);
  return new Promise((resolve) => {
    const server = repl.start({
      prompt: 'mtest> ',
      input,
      output,
      terminal: streams?.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY),
      useGlobal: false,
      ignoreUndefined: true,
    });
    // Copy descriptors, not values, so getters of the namespace (live bindings) stay live.
    for (let object: object | null = namespace; object && object !== Object.prototype; object = Object.getPrototypeOf(object)) {
      for (const name of Object.getOwnPropertyNames(object)) {
        if (Object.prototype.hasOwnProperty.call(server.context, name) && object !== namespace) continue;
        const descriptor = Object.getOwnPropertyDescriptor(object, name)!;
        try {
          Object.defineProperty(server.context, name, { ...descriptor, configurable: true });
        } catch {
          // a non-configurable global (undefined, NaN): the example's value cannot shadow it here either
        }
      }
    }
    server.on('exit', () => {
      // The REPL paused the input; the run continues without it.
      resolve();
    });
  });
}
