// Counted words, in a module of its own: the CLI's start (before the workers start) uses it too.

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
