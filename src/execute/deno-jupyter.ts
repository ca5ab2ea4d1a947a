// `Deno.jupyter`, which Deno defines only inside `deno jupyter`: what a Deno notebook's cells call to
// display things. mtest compares text/plain, so a display prints the text/plain of its bundle and nothing
// else (HTML, Markdown, images store nothing mtest compares). No imports: the Deno harness loads it too.

type Bundle = Record<string, unknown>;

const $display = Symbol.for('Jupyter.display');

/** A tagged template that makes a displayable value of one MIME type (Deno's html``, md``, svg``). */
function tagged(mime: string) {
  return (strings: TemplateStringsArray, ...values: unknown[]) => {
    const text = String.raw({ raw: strings }, ...values);
    return { [$display]: () => ({ [mime]: text }) };
  };
}

/**
 * Deno.jupyter for a notebook run outside `deno jupyter`: `inspect` is the runtime's display of a value,
 * `show` prints a line of text/plain.
 */
export function denoJupyter(inspect: (value: unknown) => string, show: (text: string) => void): Record<string, unknown> {
  const format = (value: unknown): Bundle => {
    const method = value !== null && (typeof value === 'object' || typeof value === 'function') ? (value as Record<symbol, unknown>)[$display] : undefined;
    if (typeof method === 'function') return (method.call(value) ?? {}) as Bundle;
    return { 'text/plain': inspect(value) };
  };
  return {
    $display,
    format,
    display: async (value: unknown, options: { raw?: boolean } = {}): Promise<void> => {
      const bundle = options.raw ? (value as Bundle) : format(await Promise.resolve(value));
      if (typeof bundle?.['text/plain'] === 'string') show(bundle['text/plain'] as string);
    },
    html: tagged('text/html'),
    md: tagged('text/markdown'),
    svg: tagged('image/svg+xml'),
    image: (data: unknown) => ({ [$display]: () => ({ 'image/png': data }) }),
    broadcast: async (): Promise<void> => {},
  };
}
