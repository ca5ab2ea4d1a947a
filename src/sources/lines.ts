// Offsets to 1-based line numbers, by binary search over the newline offsets (built once per text).

export class LineIndex {
  private readonly newlines: number[] = [];

  constructor(text: string) {
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.newlines.push(at);
  }

  /** 1-based line holding `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }
}
