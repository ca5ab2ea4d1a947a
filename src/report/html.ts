// `--html FILE`: the run as one self-contained page (no network; it opens from disk). The run's data is
// embedded as JSON and drawn by the page's own script (html-page.ts): the timeline and the memory chart on
// canvases, the long lists (files, examples, failures) rendered a screenful at a time, so that a run of
// 100,000 examples stays usable.
import type { Incident } from '../events.js';
import { blockAt, exampleAt, exampleWhere, type ExampleResult, type SourceFile } from '../model.js';
import { formatFailure, formatIncident } from './format.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './html-page.js';
import type { RunInfo } from './machine.js';
import type { RunSummary } from './summary.js';
import { closingLine, type Counts } from './tally.js';
import type { TimelineRecorder } from './timeline.js';

/** Characters of an example's first source line the page keeps. */
const SOURCE_CHARS = 120;

const STATUS = ['passed', 'failed', 'skipped', 'notrun'] as const;

/** The data the page draws, compact: one array per example field. */
export interface PageData {
  run: { id: string; seed: number; time: number; exitBits?: number; closing: string; totals: Counts; serial: boolean; memoryMarkMB: number };
  files: { path: string; lane: number; start: number; end: number; counts: Counts; reason?: string; errors: string[] }[];
  examples: {
    file: number[];
    where: string[];
    block: number[];
    status: number[];
    outcome: string[];
    start: number[];
    ms: number[];
    /** RSS growth in MB (rounded), 0 when not measured. */
    grew: number[];
    source: string[];
    /** Index into `failures`, -1 when the example did not fail. */
    failure: number[];
  };
  blocks: string[];
  failures: { example: number; text: string; known: boolean }[];
  incidents: { file: number; example: number; kind: string; message: string; at: number; details: string }[];
  memory: { lane: number; t: number[]; rss: number[] }[];
}

export interface HtmlOptions {
  /** Examples that grew their process by at least this many MB are marked on the memory chart. */
  memoryMarkMB: number;
}

/** The page's data from the finished run. */
export function pageData(summary: RunSummary, info: RunInfo, timeline: TimelineRecorder, options: HtmlOptions): PageData {
  const files: PageData['files'] = [];
  const ex: PageData['examples'] = { file: [], where: [], block: [], status: [], outcome: [], start: [], ms: [], grew: [], source: [], failure: [] };
  const blocks: string[] = [];
  const blockIds = new Map<string, number>();
  const failures: PageData['failures'] = [];
  const incidents: PageData['incidents'] = [];
  let lanes = 0;
  summary.finished.forEach((tally, f) => {
    const file = tally.file;
    const span = timeline.files.get(file);
    const spans = timeline.spans.get(file);
    lanes = Math.max(lanes, span?.lane ?? 0);
    files.push({
      path: file.path,
      lane: span?.lane ?? -1,
      start: span?.start ?? -1,
      end: span?.end ?? span?.start ?? -1,
      counts: tally.counts,
      reason: tally.reason(),
      errors: file.errors.map((e) => `${e.file}:${e.line}: ${e.message}`),
    });
    const byIndex = new Map<number, Incident>();
    for (const inc of tally.incidents) if (inc.index !== undefined) byIndex.set(inc.index, inc);
    const rows = new Map<number, number>();
    for (const result of resultsOf(summary, file)) {
      const row = ex.file.length;
      rows.set(result.index, row);
      const example = exampleAt(file, result.index);
      const blockName = blockAt(file, result.index)?.name ?? file.path;
      let b = blockIds.get(blockName);
      if (b === undefined) blockIds.set(blockName, (b = blocks.push(blockName) - 1));
      const at = spans?.get(result.index);
      ex.file.push(f);
      ex.where.push(example ? exampleWhere(example) : 'line ?');
      ex.block.push(b);
      ex.status.push(STATUS.indexOf(result.status));
      ex.outcome.push(result.outcome);
      ex.start.push(at ? Math.round(at[0]) : -1);
      ex.ms.push(at ? Math.round((at[1] - at[0]) * 10) / 10 : 0);
      ex.grew.push(result.rssDelta ? Math.round(result.rssDelta / 1048576) : 0);
      ex.source.push((example?.source.split('\n')[0] ?? '').slice(0, SOURCE_CHARS));
      if (result.status === 'failed') {
        ex.failure.push(failures.length);
        failures.push({ example: row, text: formatFailure(file, result, byIndex.get(result.index), { known: tally.known.has(result.index) }), known: tally.known.has(result.index) });
      } else ex.failure.push(-1);
    }
    for (const inc of tally.incidents) {
      incidents.push({
        file: f,
        example: inc.index === undefined ? -1 : (rows.get(inc.index) ?? -1),
        kind: inc.kind,
        message: inc.message,
        at: Math.round(timeline.incidentTimes.get(inc) ?? -1),
        details: formatIncident(file, inc),
      });
    }
  });
  const memory = [...timeline.tracks.entries()].sort((a, b) => a[0] - b[0]).map(([lane, track]) => ({ lane, t: track.t.map(Math.round), rss: track.rss }));
  return {
    run: {
      id: info.id,
      seed: info.randomSeed,
      time: info.time,
      exitBits: info.exitBits,
      closing: closingLine(summary.totals),
      totals: summary.totals,
      serial: lanes === 0 && files.length > 0,
      memoryMarkMB: options.memoryMarkMB,
    },
    files,
    examples: ex,
    blocks,
    failures,
    incidents,
    memory,
  };
}

function resultsOf(summary: RunSummary, file: SourceFile): ExampleResult[] {
  return [...(summary.results.get(file) ?? [])].sort((a, b) => a.index - b.index);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators that end a string. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function htmlReport(summary: RunSummary, info: RunInfo, timeline: TimelineRecorder, options: HtmlOptions): string {
  const data = pageData(summary, info, timeline, options);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Nothing from the network, ever: the page is its own world.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>mtest ${escapeHtml(data.run.id)}: ${escapeHtml(data.run.closing)}</title>`,
    `<style>${PAGE_STYLE}</style></head><body>`,
    '<noscript>This report draws itself with JavaScript.</noscript>',
    `<script type="application/json" id="mtest-data">${scriptJson(data)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
