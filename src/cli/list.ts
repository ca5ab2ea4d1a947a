// `mtest list`: the examples found, without running anything.
import { examplesOf, type SourceFile } from '../model.js';

export function listExamples(files: SourceFile[], json: boolean): string {
  const rows = files.flatMap((file) =>
    [...examplesOf(file)].map(({ index, block, example }) => ({
      file: file.path,
      block: block.name,
      index,
      line: example.line,
      source: example.source,
      want: example.want,
      directives: example.directives,
      tags: file.tags,
    })),
  );
  if (json) return JSON.stringify(rows, null, 1) + '\n';
  return rows.map((r) => `${r.file}:${r.line}  [${r.block}]  ${r.source.split('\n')[0]}`).join('\n') + (rows.length ? '\n' : '') + `${rows.length} example${rows.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}\n`;
}
