// `mtest --watch`: a first run, then a run of what each change touches — a changed document; the documents
// whose examples import a changed module (directly, or through the document's own exports: graph.ts); a new
// document. A run whose files change again is cancelled and started over with them. Between runs the next
// run's workers are already started (fresh processes: a file always starts in a fresh namespace, and a
// module edited on disk is imported anew), and replaced when a module changes. On a terminal: `a` runs
// everything, `f` the files that failed, `q` quits. Ctrl-C (or `q`) ends with the exit status of the last
// run that finished.
import { existsSync, watch as watchPath, statSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { countExamples, type SourceFile } from '../model.js';
import type { Output } from '../report/output.js';
import { EXIT } from '../report/tally.js';
import { sourceKind } from '../sources/kinds.js';
import type { FileConfig } from '../cli/config.js';
import type { ParsedArgs } from '../cli/options.js';
import type { ResolvedOptions } from '../options.js';
import { fileArgumentCount, resolveOptions, runsExamplesInProcess } from '../cli/resolve.js';
import { findSources, sourceLoader } from '../cli/collect.js';
import { runCommand } from '../cli/run.js';
import { PrestartedWorkers, spawnOptions } from '../../runner/parent/pool.js';
import { stopSignals } from '../../runner/signals.js';
import { DependencyGraph } from './graph.js';

/** Changes closer together than this are one change (an editor's save is often several writes). */
const SETTLE_MS = 80;

/** Directories whose changes never matter: dependencies, build outputs, mtest's own `.mtest/`, hidden ones. */
const IGNORED = new Set(['node_modules', 'dist', 'build', 'coverage', 'out']);

/** Documents that are no module: a change to one never changes what a worker has loaded. */
const PLAIN_DOCUMENTS = new Set(['markdown', 'text', 'notebook']);

export interface WatchOptions {
  /** Clear the terminal before each run. */
  clear?: boolean;
  /** Listen to the terminal's keys (default: when stdin is a terminal). */
  keys?: boolean;
}

/** The documents (absolute paths) to run, or all that the paths hold. */
type Request = Set<string> | 'all';

export async function watch(args: ParsedArgs, config: FileConfig, io: Output, cwd: string, options: WatchOptions = {}): Promise<number> {
  if (args.command !== 'test') {
    io.err('mtest: --watch runs examples; it does not go with mtest list\n');
    return EXIT.usage;
  }
  if (runsExamplesInProcess(args.options)) {
    io.err('mtest: --watch runs examples in workers (a module edited on disk cannot be imported anew inside mtest itself): leave out --serial and --debug\n');
    return EXIT.usage;
  }
  return new WatchLoop(args, config, io, cwd, options).start();
}

class WatchLoop {
  private readonly graph = new DependencyGraph();
  /** Every document run so far (absolute path) → the local modules its examples depend on. */
  private readonly documents = new Map<string, Set<string>>();
  /** Documents (absolute) that failed in their last run. */
  private readonly failing = new Set<string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly roots: string[];
  private prestarted?: PrestartedWorkers;
  private running?: { request: Request; files: Set<string> };
  private pending?: Request;
  private changed = new Set<string>();
  private settle?: NodeJS.Timeout;
  private cancelling = false;
  private quitting = false;
  /** Exit status of the last run that finished (not cancelled, not interrupted). */
  private lastBits?: number;
  private lastInterruptedBits = 0;
  private finished!: (bits: number) => void;
  private unsubscribe?: () => void;
  private keysOn = false;
  /**
   * What holds across the runs (the workers to prestart, the file size limit), resolved once; each run
   * resolves its own (its files cap the workers; a fresh random seed).
   */
  private readonly standing: ResolvedOptions;

  constructor(
    private readonly args: ParsedArgs,
    private readonly config: FileConfig,
    private readonly io: Output,
    private readonly cwd: string,
    private readonly options: WatchOptions,
  ) {
    this.roots = args.paths.length > 0 ? args.paths.map((p) => path.resolve(cwd, p)) : [cwd];
    this.standing = resolveOptions(args.options, config);
  }

  start(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finished = resolve));
    this.unsubscribe = stopSignals.subscribe(() => {
      if (this.cancelling) return;
      this.quit();
    });
    for (const root of this.roots) this.watchRoot(root);
    this.listenToKeys();
    this.prestart();
    this.request('all');
    return done;
  }

  // ---- what changed ----

  private watchRoot(root: string): void {
    let directory = false;
    try {
      directory = statSync(root).isDirectory();
    } catch {
      return; // the first run reports the missing path
    }
    this.watchDirectory(directory ? root : path.dirname(root), directory);
  }

  /** Watch one directory (recursively for a root directory; its own entries for a module's). */
  private watchDirectory(dir: string, recursive: boolean): void {
    if (this.watchers.has(dir) || this.covered(dir)) return;
    try {
      const watcher = watchPath(dir, { recursive, persistent: true }, (_event, name) => {
        if (name) this.changedPath(dir, String(name));
      });
      watcher.on('error', () => this.watchers.delete(dir));
      this.watchers.set(dir, watcher);
    } catch {
      // a directory that cannot be watched: its changes are missed, the rest goes on
    }
  }

  /** Under a root directory watched recursively. */
  private covered(dir: string): boolean {
    return this.roots.some((root) => this.watchers.has(root) && (dir === root || dir.startsWith(root + path.sep)));
  }

  private changedPath(dir: string, name: string): void {
    if (name.split(/[\\/]/).some((part) => part.startsWith('.') || IGNORED.has(part.toLowerCase()))) return;
    this.changed.add(path.join(dir, name));
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.handleChanges(), SETTLE_MS);
  }

  private async handleChanges(): Promise<void> {
    const changed = this.changed;
    this.changed = new Set();
    this.graph.invalidate(changed);
    const affected = new Set<string>();
    const unknown: string[] = [];
    let moduleChanged = false;
    for (const file of changed) {
      const kind = sourceKind(file);
      const exists = existsSync(file);
      if (this.documents.has(file)) {
        if (exists) affected.add(file);
        else this.documents.delete(file);
      } else if (kind && exists) unknown.push(file);
      for (const [document, dependencies] of this.documents) {
        if (dependencies.has(file)) {
          affected.add(document);
          moduleChanged = true;
        }
      }
      if (kind === 'script') moduleChanged = true;
    }
    // A new file runs if discovery would find it (include/exclude, nodoctest folders) and it holds examples
    // (or cannot be read: that is reported); a module without examples is only a dependency.
    if (unknown.length > 0) {
      const found = new Set((await findSources(this.args.paths, this.config, this.cwd)).files.map((p) => path.resolve(this.cwd, p)));
      const load = sourceLoader(this.config, this.cwd, this.standing.maxFileSize);
      for (const file of unknown) {
        const source = found.has(file) ? load(path.relative(this.cwd, file) || file) : null;
        if (source && (countExamples(source) > 0 || source.errors.length > 0)) affected.add(file);
      }
    }
    if (affected.size === 0) return;
    // What a prestarted worker holds (its prelude) may be what changed: start the next ones afresh.
    if (moduleChanged && !this.running) this.prestart(true);
    this.request(affected);
  }

  // ---- runs ----

  private request(request: Request): void {
    if (this.quitting) return;
    if (request instanceof Set && request.size === 0) return;
    this.pending = merge(this.pending, request);
    if (!this.running) return void this.next();
    // The run in progress has inputs that changed again: cancel it; it starts over with them.
    const running = this.running;
    if (request === 'all' || running.request === 'all' || [...request].some((file) => running.files.has(file))) {
      this.pending = merge(this.pending, running.request);
      this.cancelling = true;
      this.io.err('mtest: files changed: the run is cancelled\n');
      stopSignals.stopNow();
      this.cancelling = false;
    }
  }

  private async next(): Promise<void> {
    const request = this.pending;
    this.pending = undefined;
    if (request === undefined || this.quitting) return;
    const paths = request === 'all' ? this.args.paths : [...request].map((file) => path.relative(this.cwd, file) || file);
    const files = new Set(request === 'all' ? [] : paths.map((p) => path.resolve(this.cwd, p)));
    this.running = { request, files };
    if (this.options.clear) this.io.out('\x1b[2J\x1b[3J\x1b[H');
    if (request !== 'all') this.io.err(`mtest: running ${paths.join(', ')}\n`);
    const prestarted = this.prestarted;
    this.prestarted = undefined;
    let bits: number;
    try {
      const args: ParsedArgs = { ...this.args, paths, options: { ...this.args.options } };
      const options = resolveOptions(args.options, this.config, paths.length > 0 ? fileArgumentCount(paths, this.cwd) : undefined);
      bits = await runCommand(args, this.config, this.io, this.cwd, options, prestarted, undefined, (report) => {
        this.ran(report.summary.finished.map((t) => ({ file: t.file, failed: t.reason() !== undefined })));
      });
    } finally {
      await prestarted?.release();
      this.running = undefined;
    }
    if ((bits & EXIT.interrupted) === 0) this.lastBits = bits;
    else this.lastInterruptedBits = bits;
    if (this.quitting) return this.end();
    this.prestart();
    if (this.pending !== undefined) return void this.next();
    this.waiting();
  }

  /** What a run tells the next ones: each document's dependencies (watched from now on), and what failed. */
  private ran(results: { file: SourceFile; failed: boolean }[]): void {
    for (const { file, failed } of results) {
      const absolute = path.resolve(this.cwd, file.path);
      const dependencies = this.graph.dependencies(file, this.cwd);
      this.documents.set(absolute, dependencies);
      for (const module of dependencies) this.watchDirectory(path.dirname(module), false);
      if (failed) this.failing.add(absolute);
      else this.failing.delete(absolute);
    }
  }

  private waiting(): void {
    this.io.err(`mtest: watching for changes${this.keysOn ? ' (a: run all, f: run failures, q: quit)' : ''}\n`);
  }

  /** The next run's workers, booting while nothing runs. */
  private prestart(replace = false): void {
    if (replace && this.prestarted) {
      void this.prestarted.release();
      this.prestarted = undefined;
    }
    if (this.prestarted || this.quitting) return;
    this.prestarted = new PrestartedWorkers(this.standing.jobs, spawnOptions(this.standing));
  }

  // ---- the end ----

  private listenToKeys(): void {
    const stdin = process.stdin;
    if (!(this.options.keys ?? Boolean(stdin.isTTY)) || !stdin.isTTY) return;
    this.keysOn = true;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', this.onKey);
    stdin.resume();
  }

  private readonly onKey = (key: string): void => {
    if (key === 'a') this.request('all');
    else if (key === 'f') {
      if (this.failing.size > 0) this.request(new Set(this.failing));
      else this.io.err('mtest: nothing failed in the last runs\n');
    }
    else if (key === 'q') this.quit();
    // In raw mode the terminal sends Ctrl-C as a character, not as SIGINT.
    else if (key === '\x03') {
      if (this.running) stopSignals.stopNow();
      this.quit();
    }
  };

  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    clearTimeout(this.settle);
    // A run in progress is being stopped by the same signal; the end waits for its report.
    if (!this.running) void this.end();
  }

  private async end(): Promise<void> {
    this.unsubscribe?.();
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    if (this.keysOn) {
      process.stdin.setRawMode(false);
      process.stdin.off('data', this.onKey);
      process.stdin.pause();
    }
    await this.prestarted?.release();
    this.finished(this.lastBits ?? this.lastInterruptedBits);
  }
}

function merge(a: Request | undefined, b: Request): Request {
  if (a === undefined) return b instanceof Set ? new Set(b) : b;
  if (a === 'all' || b === 'all') return 'all';
  return new Set([...a, ...b]);
}
