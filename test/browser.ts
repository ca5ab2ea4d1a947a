// Opening a page in headless Chromium (Debian's `chromium`) through its DevTools protocol on loopback:
// every uncaught exception, console error and browser log error the page causes is collected, and
// expressions are evaluated in it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { findOnPath } from '../runner/diagnosis/native-stack.js';

export interface OpenPage {
  /** Every error the page caused so far: exceptions, console.error, log entries of level error. */
  errors: string[];
  evaluate<T>(expression: string): Promise<T>;
  /** The page as an image (PNG). */
  screenshot(width: number, height: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** The Chromium to test with; a missing one fails the test with what to install (CI installs it). */
export function chromiumPath(): string {
  const found = findOnPath('chromium') ?? findOnPath('chromium-browser');
  if (!found) throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run installs it when missing)');
  return found;
}

export async function openPage(file: string): Promise<OpenPage> {
  const profile = mkdtempSync(path.join(tmpdir(), 'mtest-chromium-'));
  const child: ChildProcess = spawn(
    chromiumPath(),
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    // its own process group: the renderer and GPU processes it starts end with it (see close)
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const browserUrl = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start: ${text.slice(-2000)}`)), 30000);
    child.stderr!.on('data', (d) => {
      text += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${text.slice(-2000)}`)));
  });
  const port = new URL(browserUrl).port;
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.type === 'page');
  if (!target) throw new Error('chromium has no page');
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let id = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners: ((method: string, params: Record<string, unknown>) => void)[] = [];
  const errors: string[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
    if (message.id !== undefined) {
      const p = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) p?.reject(new Error(message.error.message));
      else p?.resolve(message.result);
    } else if (message.method) for (const l of listeners) l(message.method, message.params ?? {});
  });
  const send = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const n = ++id;
      pending.set(n, { resolve, reject });
      socket.send(JSON.stringify({ id: n, method, params }));
    });
  listeners.push((method, params) => {
    if (method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify((params.exceptionDetails as { exception?: { description?: string } })?.exception?.description ?? params)}`);
    if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
    if (method === 'Log.entryAdded') {
      const entry = params.entry as { level: string; text: string; url?: string };
      if (entry.level === 'error') errors.push(`log: ${entry.text} ${entry.url ?? ''}`);
    }
  });
  await send('Runtime.enable');
  await send('Log.enable');
  await send('Page.enable');
  const loaded = new Promise<void>((resolve) => listeners.push((method) => method === 'Page.loadEventFired' && resolve()));
  await send('Page.navigate', { url: pathToFileURL(file).href });
  await loaded;
  return {
    errors,
    async evaluate<T>(expression: string): Promise<T> {
      const r = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result: { value: T }; exceptionDetails?: { text: string } };
      if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    },
    async screenshot(width: number, height: number): Promise<Buffer> {
      await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      await send('Runtime.evaluate', { expression: 'window.dispatchEvent(new Event("resize"))' });
      const r = (await send('Page.captureScreenshot', { format: 'png' })) as { data: string };
      return Buffer.from(r.data, 'base64');
    },
    async close(): Promise<void> {
      socket.close();
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
      // the browser openPage started, and the processes it started in its group (by the group's id)
      signalGroup(child.pid!, 'SIGTERM');
      await exited;
      // Its renderer and GPU processes may still be writing the profile as they end: wait for the group.
      for (let waited = 0; groupAlive(child.pid!) && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      signalGroup(child.pid!, 'SIGKILL');
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
