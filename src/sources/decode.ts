// Bytes to text without ever throwing: binary files and invalid UTF-8 become one-line errors with a line.

export type Decoded =
  | { ok: true; text: string; badUtf8?: { offset: number; line: number; byte: number } }
  | { ok: false; message: string; line: number };

/** 1-based line of byte `offset`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 10) line++;
  return line;
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < n && bytes[i] >= lo && bytes[i] <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    let length = 0;
    if (b >= 0xc2 && b <= 0xdf) length = cont(i + 1) ? 2 : 0;
    else if (b === 0xe0) length = cont(i + 1, 0xa0) && cont(i + 2) ? 3 : 0;
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) length = cont(i + 1) && cont(i + 2) ? 3 : 0;
    else if (b === 0xed) length = cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
    else if (b === 0xf0) length = cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b >= 0xf1 && b <= 0xf3) length = cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    else if (b === 0xf4) length = cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/**
 * Decode a source file. A NUL byte means binary: not text at all. Invalid UTF-8 is decoded with
 * replacement characters (so the rest can still be parsed) and `badUtf8` names the first bad byte.
 * A byte-order mark is dropped; CRLF and lone CR line ends become LF.
 */
export function decodeSource(bytes: Uint8Array): Decoded {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { ok: false, message: 'binary file (NUL byte), not a text source', line: lineAt(bytes, nul) };
  let text: string;
  let badUtf8: { offset: number; line: number; byte: number } | undefined;
  try {
    text = strict.decode(bytes);
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    badUtf8 = { offset, line: lineAt(bytes, offset), byte: bytes[offset] };
    text = lenient.decode(bytes);
  }
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  return badUtf8 ? { ok: true, text, badUtf8 } : { ok: true, text };
}
