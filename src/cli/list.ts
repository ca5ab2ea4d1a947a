// `mtest list`: the examples found, without running anything.
import { exampleLocation, examplesOf, exampleWhere, type SourceFile } from '../model.js';
import { linePath, printable } from '../report/format.js';

/** `keep`: the indices of a file to list (a `FILE:LINE` or `-k` selection); undefined = all. */
export function listExamples(files: SourceFile[], json: boolean, keep?: (file: SourceFile) => number[] | undefined): string {
  const rows = files.flatMap((file) => {
    const kept = keep?.(file);
    const only = kept && new Set(kept);
    return [...examplesOf(file)].filter(({ index }) => !only || only.has(index)).map(({ index, block, example }) => ({
      file: file.path,
      block: block.name,
      index,
      ...exampleLocation(example),
      source: example.source,
      want: example.want,
      directives: example.directives,
      tags: file.tags,
      where: example.cell === undefined ? `${linePath(file.path)}:${example.line}` : `${linePath(file.path)}:${example.line} (${exampleWhere(example)})`,
    }));
  });
  if (json) return JSON.stringify(rows.map(({ where: _, ...row }) => row), null, 1) + '\n';
  return rows.map((r) => `${r.where}  [${printable(r.block)}]  ${r.source.split('\n')[0]}`).join('\n') + (rows.length ? '\n' : '') + `${rows.length} example${rows.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}\n`;
}
