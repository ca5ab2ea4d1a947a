// `mtest list`: the examples found, without running anything.
import { exampleLocation, examplesOf, exampleWhere, type SourceFile } from '../model.js';
import { linePath, printable } from '../report/format.js';

export function listExamples(files: SourceFile[], json: boolean): string {
  const rows = files.flatMap((file) =>
    [...examplesOf(file)].map(({ index, block, example }) => ({
      file: file.path,
      block: block.name,
      index,
      ...exampleLocation(example),
      source: example.source,
      want: example.want,
      directives: example.directives,
      tags: file.tags,
      where: example.cell === undefined ? `${linePath(file.path)}:${example.line}` : `${linePath(file.path)}:${example.line} (${exampleWhere(example)})`,
    })),
  );
  if (json) return JSON.stringify(rows.map(({ where: _, ...row }) => row), null, 1) + '\n';
  return rows.map((r) => `${r.where}  [${printable(r.block)}]  ${r.source.split('\n')[0]}`).join('\n') + (rows.length ? '\n' : '') + `${rows.length} example${rows.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}\n`;
}
