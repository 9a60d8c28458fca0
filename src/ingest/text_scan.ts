/**
 * The byte-level pre-pass over a text file (CSV, TSV, whitespace-separated), before polars reads
 * it. The file is streamed in fixed-size chunks through one reused buffer, never held whole (nor
 * as a JavaScript string), so files of any size can be checked:
 *
 * - it must be valid UTF-8 — otherwise an {@link InputError} names the line and byte offset of the
 *   first invalid byte (a leading byte-order mark is allowed; a UTF-16 mark gets a hint);
 * - every physical record is accounted for: the header, blank records (nothing but spaces,
 *   tabs or delimiters; skipped and counted), and data rows, among which a row whose field count
 *   differs from the header's is a `ragged_row` and a final line cut short (no line break, with
 *   fewer fields than the header or inside a quoted field) a `truncated_line`; both are kept for
 *   the quarantine with their data row number, and the first few listed with line, expected and
 *   found field counts;
 * - quotes follow RFC 4180 (a quoted field starts with `"`, doubles `""` inside, and ends before a
 *   delimiter or line break); a quote inside an unquoted field is an error naming the line, since
 *   no CSV reader can tell where such a row ends.
 *
 * Records that polars must not see (blank, ragged, truncated) are written down as byte ranges;
 * {@link copyWithout} then writes a copy of the file without them, which polars reads natively.
 * Whitespace-separated text is rewritten as tab-separated text on the way
 * ({@link whitespaceToTsv}), since polars has no "any run of blanks" separator.
 *
 * @module
 */
import { excerpt, excerptList } from "../lib/text.ts";
import { InputError } from "./errors.ts";

/** Bytes read at a time (the one read buffer of a scan). */
export const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Bytes read at a time by a scan that stops after a few rows (`maxRows`, the preflight's
 * sample of a few hundred kilobytes): a fresh 4 MiB buffer costs 1,024 page faults, 12 ms where a
 * fault costs 12 µs, twice per file (the scan and the copy of the sample), for 200 KiB of text.
 */
export const SAMPLE_CHUNK_BYTES = 256 * 1024;

/**
 * The one read buffer of a pass over a file: {@link CHUNK_BYTES}, or fewer when fewer bytes are
 * wanted (a sampled scan, {@link SAMPLE_CHUNK_BYTES}; the copy of a sample, its length).
 */
export function readBuffer(wanted: number = CHUNK_BYTES): Uint8Array {
  return new Uint8Array(Math.max(1, Math.min(CHUNK_BYTES, wanted)));
}

/** The read buffer of a scan with options `o`: smaller when it stops after `maxRows`. */
function scanBuffer(o: ScanOptions): Uint8Array {
  return readBuffer(o.maxRows === undefined ? CHUNK_BYTES : SAMPLE_CHUNK_BYTES);
}

/** Why a data row is quarantined by ingest. */
export type RowIssue = "ragged_row" | "truncated_line";

/** Reason codes of {@link RowIssue}, by their index in {@link TextScan.problemReasons}. */
export const ROW_ISSUES: readonly RowIssue[] = ["ragged_row", "truncated_line"];

/** One quarantined row, as listed in the ingest summary. */
export interface RowProblem {
  /** 1-based data row number (`source_row`: blank lines not counted, the header not counted). */
  row: number;
  /** 1-based physical line where the record starts. */
  line: number;
  reason: RowIssue;
  /** Fields the header (or `fields`) has. */
  expected: number;
  /** Fields the record has. */
  found: number;
}

/** What the pre-pass found in a text file. */
export interface TextScan {
  /** Bytes examined: the whole file, or up to the end of the last record read (with `maxRows`). */
  bytes: number;
  /** Physical records examined: the header, blank records and data rows. */
  records: number;
  /** Physical lines examined (line breaks inside quoted fields included). */
  lines: number;
  /** 1 when the file has a header line, else 0. */
  headerRecords: number;
  /** Field names of the header line (whitespace text), or null (delimited text: polars reads it). */
  headerNames: string[] | null;
  /** Fields every data row must have. */
  expectedFields: number;
  /** Blank records skipped (spaces, tabs, delimiters only). */
  blankLines: number;
  /** Data rows (rows in): every record after the header that is not blank, problems included. */
  rows: number;
  /** Data rows polars reads (rows minus problems). */
  goodRows: number;
  /** Number of problem rows. */
  problemCount: number;
  /** 1-based data row numbers of the problem rows, in order (first `problemCount` entries). */
  problemRows: Int32Array;
  /** Index in {@link ROW_ISSUES} of each problem row's reason. */
  problemReasons: Uint8Array;
  /** Problem rows by reason. */
  ragged: number;
  truncated: number;
  /** The first problem rows with their line and field counts. */
  examples: RowProblem[];
  /** Byte ranges `[start, end)` to leave out of the copy polars reads, flattened, merged. */
  excluded: Float64Array;
  /** Number of ranges in {@link excluded}. */
  excludedCount: number;
  /**
   * Per field (by position), 1 when some field there may begin or end with whitespace (the text
   * `str.strip()` would change): an edge byte that is a space, a tab, another ASCII control or
   * any non-ASCII byte, or a quoted field (whose inside is not looked at). 0 where no field can:
   * trimming that column would change nothing. Null when the scan does not tell.
   */
  edgeSpace: Uint8Array | null;
  /**
   * Per field (by position), 1 when some field there (the header's included) holds a byte
   * outside ASCII; 0 where none does: that column holds no byte-order mark and no zero-width
   * character. Null when the scan does not tell.
   */
  nonAscii: Uint8Array | null;
}

/** How a file's fields are separated. */
export interface ScanOptions {
  /** File name, for messages. */
  file: string;
  /** Field delimiter (a single ASCII character), or `null` for runs of spaces and tabs. */
  delimiter: string | null;
  /** Whether the first non-blank record is a header line. */
  header: boolean;
  /** Field names of a header-less file (their number is the expected field count). */
  fields: string[] | null;
  /** Stop after this many data rows (a preflight sample). */
  maxRows?: number;
  /**
   * The input is a prefix of the real file (a transcoded sample): an unfinished final record is
   * left out instead of being reported as truncated.
   */
  prefix?: boolean;
}

/** Fields whose edges the delimited scan watches (a wider file: {@link TextScan.edgeSpace} null). */
const MAX_EDGE_FIELDS = 1024;

/**
 * Whether a byte at a field's edge may belong to whitespace that trimming removes: a space, a tab
 * or another ASCII control from 9 to 13, or any byte of a multi-byte character (some are Unicode
 * spaces; telling which is not worth the time).
 */
function edgeByte(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13) || b >= 0x80;
}

/** Most problem rows listed with their details. */
const MAX_EXAMPLES = 20;

// Field states of the delimited scanner.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_QUOTE = 3;

/** Growable arrays of the scan's findings. */
class Findings {
  problemRows = new Int32Array(64);
  problemReasons = new Uint8Array(64);
  problemCount = 0;
  excluded = new Float64Array(64);
  excludedCount = 0;
  examples: RowProblem[] = [];
  ragged = 0;
  truncated = 0;

  /** Leaves `[start, end)` out of the copy (merged with the previous range when adjacent). */
  exclude(start: number, end: number): void {
    const n = this.excludedCount;
    if (n > 0 && this.excluded[2 * n - 1] === start) {
      this.excluded[2 * n - 1] = end;
      return;
    }
    if (2 * n + 2 > this.excluded.length) {
      const grown = new Float64Array(this.excluded.length * 2);
      grown.set(this.excluded);
      this.excluded = grown;
    }
    this.excluded[2 * n] = start;
    this.excluded[2 * n + 1] = end;
    this.excludedCount = n + 1;
  }

  /** Records a problem row. */
  problem(p: RowProblem): void {
    if (this.problemCount === this.problemRows.length) {
      const rows = new Int32Array(this.problemRows.length * 2);
      rows.set(this.problemRows);
      this.problemRows = rows;
      const reasons = new Uint8Array(this.problemReasons.length * 2);
      reasons.set(this.problemReasons);
      this.problemReasons = reasons;
    }
    this.problemRows[this.problemCount] = p.row;
    this.problemReasons[this.problemCount] = ROW_ISSUES.indexOf(p.reason);
    this.problemCount++;
    if (p.reason === "ragged_row") this.ragged++;
    else this.truncated++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(p);
  }
}

/** Lossy text of some bytes (for quoting a line in a message). */
function lossy(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/** Hex of a few bytes: `0xE9 0x20`. */
function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, "0")}`).join(" ");
}

/** The error for an invalid UTF-8 sequence, with a hint at the likely encoding. */
function invalidUtf8(
  file: string,
  line: number,
  offset: number,
  chunk: Uint8Array,
  at: number,
  lineStartInChunk: number,
): InputError {
  const from = Math.max(0, at);
  const bad = chunk.subarray(from, Math.min(chunk.length, from + 4));
  const utf16 = offset === 0 && chunk.length >= 2 &&
    ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff));
  const hint = utf16
    ? 'the file starts with a UTF-16 byte-order mark: set "encoding": "utf-16" in its files[] entry'
    : 'the file is not UTF-8 (Latin-1 or Windows-1252?): set "encoding" in its files[] entry to ' +
      '"latin1", "windows-1252" or "utf-16"';
  const context = lossy(
    chunk.subarray(
      Math.max(0, Math.min(lineStartInChunk, from)),
      Math.min(chunk.length, from + 24),
    ),
  );
  return new InputError(
    file,
    `invalid UTF-8 at line ${line}, byte offset ${offset} (bytes ${hex(bad)}) in ${
      excerpt(context)
    }; ${hint}`,
  );
}

/**
 * Scans delimited text (CSV, TSV): validates UTF-8, accounts for every record, and finds the
 * blank, ragged and truncated ones (see the module notes).
 *
 * @param path the file (UTF-8, or transcoded to UTF-8)
 * @throws {InputError} on invalid UTF-8 or malformed quotes (naming line and byte offset), when
 *   the file has no data row, or when no data row has the expected number of fields
 */
export function scanDelimited(path: string, o: ScanOptions): TextScan {
  const delim = (o.delimiter ?? ",").charCodeAt(0);
  const found = new Findings();
  const f = Deno.openSync(path, { read: true });
  const buf = scanBuffer(o);
  let base = 0; // file offset of buf[0]
  // UTF-8 validation: continuation bytes still expected, the range of the next one.
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  let seqAt = 0; // chunk index where the current multi-byte sequence started (may be negative)
  // Structure.
  let state = FIELD_START;
  let fields = 1;
  let nonBlank = false;
  let recStart = 0; // file offset where the current record starts
  let recLine = 1;
  let line = 1;
  let headerSeen = !o.header;
  let expected = o.header ? 0 : (o.fields?.length ?? 0);
  let headerBytes: Uint8Array | null = null;
  let records = 0;
  let blank = 0;
  let rows = 0;
  let good = 0;
  let stopped = false;
  let lastNewline = true;
  let firstFound = -1;
  let firstFoundLine = 0;
  // Fields that may begin or end with whitespace (TextScan.edgeSpace), and the last two bytes of
  // the chunk before (to look behind a field's end across chunks).
  const edges = new Uint8Array(MAX_EDGE_FIELDS);
  let carry1 = 0;
  let carry2 = 0;
  const byteBefore = (k: number): number => (k >= 0 ? buf[k] : k === -1 ? carry1 : carry2);
  /** Marks the current field when the byte before `i` (or before its CR) is whitespace. */
  const endEdge = (i: number, lineEnd: boolean): void => {
    let p = byteBefore(i - 1);
    if (lineEnd && p === 13) p = byteBefore(i - 2);
    if (edgeByte(p)) mark(fields - 1);
  };
  const mark = (field: number): void => {
    if (field < MAX_EDGE_FIELDS) edges[field] = 1;
  };
  // Fields that hold a non-ASCII byte somewhere (TextScan.nonAscii).
  const wide = new Uint8Array(MAX_EDGE_FIELDS);

  /** Accounts for the record that ends at file offset `end` (`terminated`: by a line break). */
  const endRecord = (end: number, terminated: boolean, cutUtf8: boolean): void => {
    records++;
    if (!nonBlank) {
      blank++;
      found.exclude(recStart, end);
    } else if (!headerSeen) {
      headerSeen = true;
      expected = fields;
      headerBytes = buf.slice(Math.max(0, recStart - base), Math.max(0, end - base));
    } else {
      rows++;
      const cut = !terminated && (state === QUOTED || fields < expected || cutUtf8);
      if (cut || fields !== expected) {
        found.exclude(recStart, end);
        found.problem({
          row: rows,
          line: recLine,
          reason: cut ? "truncated_line" : "ragged_row",
          expected,
          found: fields,
        });
        if (firstFound < 0) {
          firstFound = fields;
          firstFoundLine = recLine;
        }
      } else good++;
    }
    state = FIELD_START;
    fields = 1;
    nonBlank = false;
    recStart = end;
    recLine = line;
    if (o.maxRows !== undefined && rows >= o.maxRows) stopped = true;
  };

  const malformed = (i: number, what: string): InputError => {
    const from = Math.max(0, recStart - base);
    const text = lossy(buf.subarray(from, Math.min(buf.length, i + 24)));
    return new InputError(
      o.file,
      `line ${line}, byte offset ${base + i}: ${what} in ${excerpt(text)}; ` +
        'quote a field that contains quotes ("12"" pipe"), or fix the export',
    );
  };

  try {
    let first = true;
    outer: for (;;) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      let i = 0;
      if (first) {
        first = false;
        // A leading byte-order mark is no content (polars skips it too).
        if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
      }
      for (; i < n; i++) {
        if (need === 0) {
          // Fast paths over the bytes that change nothing: inside an unquoted field already
          // known not blank, any ASCII byte but the delimiter, a quote, a line break or a
          // control character; inside a quoted field, any ASCII byte but a quote or a line break.
          if (state === UNQUOTED && nonBlank) {
            let c = buf[i];
            while (((c > 34 && c < 0x80) || c === 32) && c !== delim) {
              if (++i === n) break;
              c = buf[i];
            }
          } else if (state === QUOTED) {
            let c = buf[i];
            while (c !== 34 && c !== 10 && c < 0x80) {
              if (++i === n) break;
              c = buf[i];
            }
          }
          if (i === n) break;
        }
        const b = buf[i];
        if (need !== 0) {
          if (b < lo || b > hi) {
            throw invalidUtf8(
              o.file,
              line,
              base + seqAt,
              buf.subarray(0, n),
              seqAt,
              recStart - base,
            );
          }
          need--;
          lo = 0x80;
          hi = 0xbf;
          continue;
        }
        if (b >= 0x80) {
          if (b >= 0xc2 && b <= 0xdf) need = 1;
          else if (b === 0xe0) {
            need = 2;
            lo = 0xa0;
          } else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
          else if (b === 0xed) {
            need = 2;
            hi = 0x9f;
          } else if (b === 0xf0) {
            need = 3;
            lo = 0x90;
          } else if (b >= 0xf1 && b <= 0xf3) need = 3;
          else if (b === 0xf4) {
            need = 3;
            hi = 0x8f;
          } else throw invalidUtf8(o.file, line, base + i, buf.subarray(0, n), i, recStart - base);
          seqAt = i;
          if (fields <= MAX_EDGE_FIELDS) wide[fields - 1] = 1;
          if (state === QUOTED) continue;
          if (state === AFTER_QUOTE) throw malformed(i, "text after a closing quote");
          if (state === FIELD_START) mark(fields - 1);
          state = UNQUOTED;
          nonBlank = true;
          continue;
        }
        if (b === 10) {
          line++;
          if (state === QUOTED) continue;
          if (state === UNQUOTED) endEdge(i, true);
          endRecord(base + i + 1, true, false);
          if (stopped) {
            base += i + 1;
            break outer;
          }
          continue;
        }
        if (state === QUOTED) {
          if (b === 34) state = AFTER_QUOTE;
          continue;
        }
        if (b === delim) {
          if (state === UNQUOTED) endEdge(i, false);
          fields++;
          state = FIELD_START;
          continue;
        }
        if (b === 34) {
          if (state === FIELD_START) {
            mark(fields - 1);
            state = QUOTED;
            nonBlank = true;
          } else if (state === AFTER_QUOTE) state = QUOTED; // "" inside a quoted field
          else throw malformed(i, "a quote inside an unquoted field");
          continue;
        }
        if (b === 32 || b === 9 || b === 13) {
          if (state === AFTER_QUOTE && b !== 13) throw malformed(i, "text after a closing quote");
          if (state === FIELD_START) {
            // (a CR here may end a CRLF line after an empty field: marked all the same)
            mark(fields - 1);
            state = UNQUOTED;
          }
          continue;
        }
        if (state === AFTER_QUOTE) throw malformed(i, "text after a closing quote");
        if (state === FIELD_START && b < 32) mark(fields - 1);
        state = UNQUOTED;
        nonBlank = true;
      }
      lastNewline = buf[n - 1] === 10;
      carry2 = n >= 2 ? buf[n - 2] : carry1;
      carry1 = buf[n - 1];
      base += n;
      seqAt -= n;
    }
    if (!stopped && base > recStart) {
      // An unfinished final record (no line break at the end of the file).
      if (state === UNQUOTED && edgeByte(carry1)) mark(fields - 1);
      if (o.prefix) {
        base = recStart;
      } else {
        endRecord(base, false, need !== 0);
      }
    }
  } finally {
    f.close();
  }
  if (rows === 0) throw new InputError(o.file, "file is empty (no data rows)");
  if (good === 0 && firstFound >= 0) {
    const names = headerNamesOf(headerBytes, o);
    throw new InputError(
      o.file,
      `expected ${expected} fields${
        names ? ` (${excerptList(names)})` : ""
      }, found ${firstFound} ` +
        `on line ${firstFoundLine}, and no data row has ${expected}: check the delimiter ` +
        `(format "${o.delimiter === "\t" ? "tsv" : "csv"}")${o.header ? "" : " and `fields`"}`,
    );
  }
  return {
    bytes: base,
    records,
    lines: stopped || lastNewline ? line - 1 : line,
    headerRecords: o.header ? 1 : 0,
    headerNames: null,
    expectedFields: expected,
    blankLines: blank,
    rows,
    goodRows: good,
    problemCount: found.problemCount,
    problemRows: found.problemRows,
    problemReasons: found.problemReasons,
    ragged: found.ragged,
    truncated: found.truncated,
    examples: found.examples,
    excluded: found.excluded,
    excludedCount: found.excludedCount,
    edgeSpace: expected > MAX_EDGE_FIELDS ? null : edges.slice(0, expected),
    nonAscii: expected > MAX_EDGE_FIELDS ? null : wide.slice(0, expected),
  };
}

/** The header's field names for a message (the configured `fields`, or the header line split). */
function headerNamesOf(headerBytes: Uint8Array | null, o: ScanOptions): string[] | null {
  if (!o.header) return o.fields;
  if (!headerBytes) return null;
  const text = lossy(headerBytes).replace(/^\ufeff/, "").split(/\r?\n/)[0];
  return text.split(o.delimiter ?? ",");
}

/** Writes all of `bytes` to `file`. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/**
 * Copies the first `scan.bytes` bytes of `src` to `dst`, leaving out the excluded byte ranges
 * (blank, ragged and truncated records), in fixed-size chunks.
 */
export function copyWithout(src: string, dst: string, scan: TextScan): void {
  const input = Deno.openSync(src, { read: true });
  const output = Deno.openSync(dst, { write: true, create: true, truncate: true });
  try {
    // (no larger than what is copied: a preflight's sample is a few hundred kilobytes)
    const buf = readBuffer(scan.bytes);
    const ranges = scan.excluded;
    let r = 0;
    let base = 0;
    while (base < scan.bytes) {
      const n = input.readSync(buf);
      if (n === null || n === 0) break;
      const end = Math.min(base + n, scan.bytes);
      let pos = base;
      while (pos < end) {
        while (r < scan.excludedCount && ranges[2 * r + 1] <= pos) r++;
        if (r < scan.excludedCount && ranges[2 * r] <= pos) {
          pos = Math.min(ranges[2 * r + 1], end);
          continue;
        }
        const segEnd = r < scan.excludedCount ? Math.min(ranges[2 * r], end) : end;
        writeAll(output, buf.subarray(pos - base, segEnd - base));
        pos = segEnd;
      }
      base += n;
    }
  } finally {
    input.close();
    output.close();
  }
}

/** A growable byte buffer. */
class Bytes {
  data: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Uint8Array(capacity);
  }
  push(b: number): void {
    if (this.length === this.data.length) this.grow(1);
    this.data[this.length++] = b;
  }
  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.data.length) this.grow(bytes.length);
    this.data.set(bytes, this.length);
    this.length += bytes.length;
  }
  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/**
 * Rewrites whitespace-separated text (any run of spaces or tabs separates fields; leading and
 * trailing blanks and CR are ignored) as tab-separated text in `dst`, with the same accounting as
 * {@link scanDelimited}: UTF-8 validated, blank lines skipped and counted, ragged and truncated
 * rows left out and listed. Quotes have no meaning in this format (polars reads the copy with
 * quoting off).
 *
 * @throws {InputError} on invalid UTF-8, an empty file, or when no data row has the expected
 *   number of fields
 */
export function whitespaceToTsv(path: string, dst: string, o: ScanOptions): TextScan {
  const found = new Findings();
  const input = Deno.openSync(path, { read: true });
  const output = Deno.openSync(dst, { write: true, create: true, truncate: true });
  const buf = scanBuffer(o);
  const out = new Bytes(buf.length + 65536);
  const rec = new Bytes(4096);
  let base = 0;
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  let seqAt = 0;
  let fields = 0;
  let inField = false;
  let recStart = 0;
  let recLine = 1;
  let line = 1;
  let headerSeen = !o.header;
  let expected = o.header ? 0 : (o.fields?.length ?? 0);
  let headerNames: string[] | null = null;
  let records = 0;
  let blank = 0;
  let rows = 0;
  let good = 0;
  let stopped = false;
  let lastNewline = true;
  let firstFound = -1;
  let firstFoundLine = 0;

  const endRecord = (end: number, terminated: boolean, cutUtf8: boolean): void => {
    if (inField) {
      fields++;
      inField = false;
    }
    records++;
    if (fields === 0) {
      blank++;
    } else if (!headerSeen) {
      headerSeen = true;
      expected = fields;
      headerNames = new TextDecoder().decode(rec.data.subarray(0, rec.length)).split("\t");
      rec.push(10);
      out.append(rec.data.subarray(0, rec.length));
    } else {
      rows++;
      const cut = !terminated && (fields < expected || cutUtf8);
      if (cut || fields !== expected) {
        found.exclude(recStart, end);
        found.problem({
          row: rows,
          line: recLine,
          reason: cut ? "truncated_line" : "ragged_row",
          expected,
          found: fields,
        });
        if (firstFound < 0) {
          firstFound = fields;
          firstFoundLine = recLine;
        }
      } else {
        good++;
        rec.push(10);
        out.append(rec.data.subarray(0, rec.length));
        if (out.length >= buf.length) {
          writeAll(output, out.data.subarray(0, out.length));
          out.length = 0;
        }
      }
    }
    rec.length = 0;
    fields = 0;
    recStart = end;
    recLine = line;
    if (o.maxRows !== undefined && rows >= o.maxRows) stopped = true;
  };

  try {
    let first = true;
    outer: for (;;) {
      const n = input.readSync(buf);
      if (n === null || n === 0) break;
      let i = 0;
      if (first) {
        first = false;
        if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
      }
      for (; i < n; i++) {
        const b = buf[i];
        if (need !== 0) {
          if (b < lo || b > hi) {
            throw invalidUtf8(
              o.file,
              line,
              base + seqAt,
              buf.subarray(0, n),
              seqAt,
              recStart - base,
            );
          }
          need--;
          lo = 0x80;
          hi = 0xbf;
          rec.push(b);
          continue;
        }
        if (b === 10) {
          line++;
          endRecord(base + i + 1, true, false);
          if (stopped) {
            base += i + 1;
            break outer;
          }
          continue;
        }
        if (b === 32 || b === 9 || b === 13) {
          if (inField) {
            fields++;
            inField = false;
          }
          continue;
        }
        if (b >= 0x80) {
          if (b >= 0xc2 && b <= 0xdf) need = 1;
          else if (b === 0xe0) {
            need = 2;
            lo = 0xa0;
          } else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
          else if (b === 0xed) {
            need = 2;
            hi = 0x9f;
          } else if (b === 0xf0) {
            need = 3;
            lo = 0x90;
          } else if (b >= 0xf1 && b <= 0xf3) need = 3;
          else if (b === 0xf4) {
            need = 3;
            hi = 0x8f;
          } else throw invalidUtf8(o.file, line, base + i, buf.subarray(0, n), i, recStart - base);
          seqAt = i;
        }
        if (!inField) {
          if (fields > 0) rec.push(9);
          inField = true;
        }
        rec.push(b);
      }
      lastNewline = buf[n - 1] === 10;
      base += n;
      seqAt -= n;
    }
    if (!stopped && base > recStart) {
      if (o.prefix) base = recStart;
      else endRecord(base, false, need !== 0);
    }
    if (out.length > 0) writeAll(output, out.data.subarray(0, out.length));
  } finally {
    input.close();
    output.close();
  }
  if (rows === 0) throw new InputError(o.file, "file is empty (no data rows)");
  if (good === 0 && firstFound >= 0) {
    const names = o.header ? headerNames as string[] | null : o.fields;
    throw new InputError(
      o.file,
      `expected ${expected} fields${
        names ? ` (${excerptList(names)})` : ""
      }, found ${firstFound} ` +
        `on line ${firstFoundLine}, and no data row has ${expected}` +
        (o.header ? "" : ": check `fields`"),
    );
  }
  return {
    bytes: base,
    records,
    lines: stopped || lastNewline ? line - 1 : line,
    headerRecords: o.header ? 1 : 0,
    headerNames,
    expectedFields: expected,
    blankLines: blank,
    rows,
    goodRows: good,
    problemCount: found.problemCount,
    problemRows: found.problemRows,
    problemReasons: found.problemReasons,
    ragged: found.ragged,
    truncated: found.truncated,
    examples: found.examples,
    excluded: found.excluded,
    excludedCount: found.excludedCount,
    // (the fields are rewritten: whether their text has edges to trim is not looked at)
    edgeSpace: null,
    nonAscii: null,
  };
}
