// The JavaScript stack of this process's main thread, taken from a worker thread (the watchdog) through the
// V8 inspector: no port, no flag, works in workers and under --serial alike. Debugger.pause answers within
// tens of milliseconds while the main thread runs JavaScript (a loop, a promise job, Atomics.wait) and never
// while it is inside native code — then the caller falls back to the native stack.
import inspector from 'node:inspector';

export interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

const MAX_FRAMES = 40;

export function formatCallFrames(frames: CallFrame[], urls: Map<string, string> = new Map()): string {
  const lines = frames.slice(0, MAX_FRAMES).map((frame) => {
    const url = frame.url || urls.get(frame.location.scriptId) || '<anonymous>';
    const where = `${url}:${frame.location.lineNumber + 1}:${frame.location.columnNumber + 1}`;
    return frame.functionName ? `    at ${frame.functionName} (${where})` : `    at ${where}`;
  });
  if (frames.length > MAX_FRAMES) lines.push(`    … ${frames.length - MAX_FRAMES} more frames`);
  return lines.join('\n');
}

/**
 * Pause the main thread, read its call frames, resume it. Resolves undefined when the pause does not take
 * effect within `timeoutMs`; the pending pause is then cancelled by disconnecting, so a main thread that
 * later comes back to JavaScript is not left paused. Only callable from a worker thread.
 */
export function captureMainThreadStack(timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const session = new inspector.Session();
    let settled = false;
    const finish = (stack: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        session.disconnect();
      } catch {
        // already gone
      }
      resolve(stack);
    };
    const post = (method: string, params?: object, done?: (error: Error | null) => void): void => {
      if (settled) return;
      try {
        session.post(method, params ?? {}, (error) => done?.(error));
      } catch {
        finish(undefined);
      }
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    try {
      session.connectToMainThread();
    } catch {
      finish(undefined);
      return;
    }
    // Call frames name their script by id; Debugger.enable announces every script with its URL first.
    const urls = new Map<string, string>();
    session.on('Debugger.scriptParsed', (message) => {
      const { scriptId, url } = message.params as { scriptId: string; url: string };
      if (url) urls.set(scriptId, url);
    });
    session.on('Debugger.paused', (message) => {
      const frames = (message.params as { callFrames: CallFrame[] }).callFrames;
      const stack = formatCallFrames(frames, urls);
      // Resume before disconnecting: the caller decides whether the process lives on (--debug only warns).
      post('Debugger.resume', {}, () => finish(stack));
    });
    post('Debugger.enable', {}, (error) => {
      if (error) finish(undefined);
      else post('Debugger.pause');
    });
  });
}
