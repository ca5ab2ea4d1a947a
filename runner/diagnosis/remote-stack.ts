// The JavaScript stack of a worker's main thread, taken by the parent through the V8 inspector. A worker is
// started with --inspect-port=127.0.0.1:0: on SIGUSR1, Node's own signal thread opens its inspector (so this
// works while the main thread is stuck) and names the WebSocket URL on stderr, which is the worker's log.
// Debugger.pause answers within tens of milliseconds while the main thread runs JavaScript (a loop, a
// promise job, Atomics.wait) and never while it is inside native code: then the caller falls back to the native stack.
import { count, isObject, list, oneOf, shape, text } from '../../src/checks.js';
import { formatCallFrames, type CallFrame } from './js-stack.js';

/**
 * The two inspector events read here. The URL is whatever the worker's output named last, which an
 * example can imitate: what comes back is checked like any record.
 */
interface ScriptParsed {
  method: 'Debugger.scriptParsed';
  params: { scriptId: string; url: string };
}
interface Paused {
  method: 'Debugger.paused';
  params: { callFrames: CallFrame[] };
}
const isScriptParsed = shape<ScriptParsed>({ method: oneOf('Debugger.scriptParsed'), params: shape({ scriptId: text, url: text }) });
const isPaused = shape<Paused>({
  method: oneOf('Debugger.paused'),
  params: shape({
    callFrames: list(shape<CallFrame>({ functionName: text, url: text, location: shape<CallFrame['location']>({ scriptId: text, lineNumber: count, columnNumber: count }) })),
  }),
});

const LISTENING = /Debugger listening on (ws:\/\/\S+)/g;

/**
 * The inspector's URL in what the worker printed, if it is there: the last one (an example may have opened
 * and closed an inspector of its own before; each opening prints a new URL).
 */
export function inspectorUrlIn(output: string): string | undefined {
  let url: string | undefined;
  for (const match of output.matchAll(LISTENING)) url = match[1];
  return url;
}

/** What Node's inspector prints when the parent opens it and connects: ours, not the example's. */
const BANNER = /Debugger (?:listening|ending) on ws:\/\/\S+\n(?:For help, see: \S+\n)?|Debugger attached\.\n|Waiting for the debugger to disconnect\.\.\.\n/g;

/** Whether `bytes` may hold some of Node's inspector banner (a cheap test before decoding them). */
export function mayHoldInspectorBanner(bytes: Buffer): boolean {
  return bytes.includes('Debugger ') || bytes.includes('the debugger');
}

/** Output without Node's inspector banner (dropped from the output a report shows). */
export function withoutInspectorBanner(output: string): string {
  return output.replace(BANNER, '');
}

/**
 * Signal `pid`, wait for its inspector (`url()` reads the worker's output as it comes: the latest URL it
 * printed), pause the main thread, read its call frames. A URL that refuses the connection is one the
 * example's own inspector.open() printed before it closed it again: the next URL is waited for. Undefined
 * when nothing answered within `timeoutMs`.
 */
export async function remoteStack(pid: number, url: () => string | undefined, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  void loadWebSocket(); // while the worker opens its inspector
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    return undefined;
  }
  let refused: string | undefined;
  while (Date.now() < deadline) {
    const address = url();
    if (!address || address === refused) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const WebSocket = await loadWebSocket();
    const answer = await pauseAndRead(new WebSocket(address, { perMessageDeflate: false }), deadline);
    if (answer !== REFUSED) return answer;
    refused = address;
  }
  return undefined;
}

/** The inspector at that URL is not there (closed since it printed it). */
const REFUSED = Symbol('refused');

let webSocket: Promise<typeof import('ws').WebSocket> | undefined;

/**
 * ws, the WebSocket client (Node 20 has none built in), loaded only when a stack may be wanted: its first
 * load takes ~40 ms, which a report would otherwise wait for. The pool calls this as an example nears its limit.
 */
export function loadWebSocket(): Promise<typeof import('ws').WebSocket> {
  return (webSocket ??= import('ws').then((ws) => ws.default));
}

function pauseAndRead(ws: import('ws').WebSocket, deadline: number): Promise<string | undefined | typeof REFUSED> {
  return new Promise((resolve) => {
    let opened = false;
    // Call frames name their script by id; Debugger.enable announces every script with its URL first.
    const urls = new Map<string, string>();
    let settled = false;
    let id = 0;
    const finish = (stack: string | undefined | typeof REFUSED): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(stack);
    };
    const timer = setTimeout(() => finish(undefined), Math.max(0, deadline - Date.now()));
    const send = (method: string): void => ws.send(JSON.stringify({ id: ++id, method, params: {} }));
    ws.on('open', () => {
      opened = true;
      send('Debugger.enable');
      send('Debugger.pause');
    });
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (isScriptParsed(message)) {
        if (message.params.url) urls.set(message.params.scriptId, message.params.url);
      } else if (isObject(message) && message.method === 'Debugger.paused') {
        // Call frames that are not call frames: no JavaScript stack (the native one is taken instead).
        finish(isPaused(message) ? formatCallFrames(message.params.callFrames, urls) : undefined);
      }
    });
    ws.on('error', () => finish(opened ? undefined : REFUSED));
    ws.on('close', () => finish(opened ? undefined : REFUSED));
  });
}
