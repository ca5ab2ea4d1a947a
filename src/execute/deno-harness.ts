// Runs inside Deno (never in Node): the kernel of a Deno notebook. Reads compiled cells from stdin, one JSON
// object a line, runs each in one namespace as mtest runs examples (transform.ts: `with (namespace)`, the last
// expression returned), and ends each cell with a marker on stdout carrying what Deno displays, and one on
// stderr, so that the parent knows which output the cell wrote.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const Deno: any;
import { flag, fromJson, list, optional, shape, text } from '../checks.js';
import { denoJupyter } from './deno-jupyter.js';

interface Cell {
  body: string;
  declared: string[];
  async: boolean;
  returnsValue: boolean;
  boxed?: boolean;
}
const isCell = shape<Cell>({ body: text, declared: list(text), async: flag, returnsValue: flag, boxed: optional(flag) });

const [nonce, notebookUrl] = Deno.args as [string, string];
const encoder = new TextEncoder();
const ns: Record<string, unknown> = Object.create(null);
// relative imports resolve from the notebook, as in Deno's kernel; everything else as Deno resolves it
Object.defineProperty(ns, '__mtest$import', {
  value: (specifier: string) => import(/^\.{1,2}\//.test(specifier) || specifier.startsWith('/') ? new URL(specifier, notebookUrl).href : specifier),
});

// Deno.jupyter exists only under `deno jupyter` (and cannot be redefined): cells see a Deno that has it
Object.defineProperty(ns, 'Deno', {
  value: Object.create(Deno, { jupyter: { value: denoJupyter((value) => Deno.inspect(value, { colors: false }), (text) => console.log(text)) } }),
  writable: true,
});

function write(stream: { writeSync(bytes: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length; ) done += stream.writeSync(bytes.subarray(done));
}

/** Deno's display: a `Symbol.for("Jupyter.display")` bundle's text/plain, else Deno.inspect. */
function display(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const method = value !== null && (typeof value === 'object' || typeof value === 'function') ? (value as any)[Symbol.for('Jupyter.display')] : undefined;
  if (typeof method === 'function') {
    const bundle = method.call(value);
    return typeof bundle?.['text/plain'] === 'string' ? bundle['text/plain'] : undefined;
  }
  return Deno.inspect(value, { colors: false });
}

function thrown(value: unknown): string {
  if (value instanceof Error) return value.message === '' ? `Uncaught ${value.name}` : `Uncaught ${value.name}: ${value.message}`;
  return `Uncaught ${Deno.inspect(value, { colors: false })}`;
}

async function run(cell: Cell): Promise<{ shown?: string; thrown?: string }> {
  for (const name of cell.declared) if (!(name in ns)) ns[name] = undefined;
  try {
    const make = new Function('__mtest$ns', `with (__mtest$ns) { return ${cell.async ? 'async ' : ''}function () { ${cell.body}\n} }`);
    let value = make(ns)();
    if (cell.async) value = await value;
    if (cell.boxed) value = (value as unknown[] | undefined)?.[0];
    return cell.returnsValue ? { shown: display(value) } : {};
  } catch (err) {
    return { thrown: thrown(err) };
  }
}

const decoder = new TextDecoder();
let pending = '';
for await (const chunk of Deno.stdin.readable) {
  pending += decoder.decode(chunk, { stream: true });
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    const cell = fromJson(line, isCell);
    const record = cell ? await run(cell) : { thrown: `mtest sent the Deno harness a cell it cannot read: ${JSON.stringify(line.slice(0, 200))}` };
    write(Deno.stderr, `\0${nonce}\n`);
    write(Deno.stdout, `\0${nonce}${JSON.stringify(record)}\n`);
  }
}
