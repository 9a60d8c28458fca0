/**
 * Transcoding a text file from its declared `encoding` to UTF-8 (a temporary copy that the
 * pre-pass and polars then read), streamed in fixed-size chunks through one reused buffer.
 *
 * - `latin1`: ISO-8859-1, every byte is the code point of the same number;
 * - `windows-1252`: Latin-1 with printable characters (€, ‘ ’, “ ” …) in 0x80–0x9F;
 * - `utf-16`: UTF-16 with a byte-order mark (little- or big-endian as the mark says); a file
 *   without one, or with an unpaired surrogate, is an error.
 *
 * @module
 */
import type { TextEncoding } from "../config/dataset.ts";
import { InputError } from "./errors.ts";
import { readBuffer, SAMPLE_CHUNK_BYTES } from "./text_scan.ts";

/** What {@link transcodeToUtf8} did. */
export interface Transcoded {
  /** Bytes read from the source (all of it, or the prefix with `maxLines`). */
  bytesIn: number;
  /** Bytes written. */
  bytesOut: number;
  /** Whether only a prefix was transcoded (`maxLines` reached before the end). */
  prefix: boolean;
}

/** Writes all of `bytes` to `file`. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
}

/** Latin-1 bytes → UTF-8 bytes, into `out` (at least twice as long); returns the length. */
function latin1ToUtf8(input: Uint8Array, out: Uint8Array): number {
  let j = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i];
    if (b < 0x80) out[j++] = b;
    else {
      out[j++] = 0xc0 | (b >> 6);
      out[j++] = 0x80 | (b & 0x3f);
    }
  }
  return j;
}

/** Line breaks in some UTF-8 bytes. */
function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Writes `src`, decoded from `encoding`, as UTF-8 to `dst`.
 *
 * @param file the file's name, for messages
 * @param maxLines stop once this many lines are written (a preflight sample)
 * @throws {InputError} for UTF-16 without a byte-order mark, or invalid UTF-16
 */
export function transcodeToUtf8(
  src: string,
  dst: string,
  encoding: Exclude<TextEncoding, "utf-8">,
  file: string,
  maxLines?: number,
): Transcoded {
  const input = Deno.openSync(src, { read: true });
  const output = Deno.openSync(dst, { write: true, create: true, truncate: true });
  // (a sample's buffers are small: a fresh page costs a fault, and a sample is a few hundred KiB)
  const buf = readBuffer(maxLines === undefined ? undefined : SAMPLE_CHUNK_BYTES);
  const wide = encoding === "latin1" ? new Uint8Array(2 * buf.length) : null;
  const encoder = new TextEncoder();
  let decoder: TextDecoder | null = encoding === "windows-1252"
    ? new TextDecoder("windows-1252")
    : null;
  let bytesIn = 0;
  let bytesOut = 0;
  let lines = 0;
  let prefix = false;
  try {
    for (;;) {
      const n = input.readSync(buf);
      if (n === null || n === 0) break;
      let chunk = buf.subarray(0, n);
      if (encoding === "utf-16" && bytesIn === 0) {
        const le = n >= 2 && buf[0] === 0xff && buf[1] === 0xfe;
        const be = n >= 2 && buf[0] === 0xfe && buf[1] === 0xff;
        if (!le && !be) {
          throw new InputError(
            file,
            'declared "encoding": "utf-16" but the file does not start with a UTF-16 byte-order ' +
              "mark (FF FE or FE FF); save it as UTF-16 with a byte-order mark, or as UTF-8",
          );
        }
        decoder = new TextDecoder(le ? "utf-16le" : "utf-16be", { fatal: true });
        chunk = chunk.subarray(2);
      }
      let out: Uint8Array;
      if (wide) {
        out = wide.subarray(0, latin1ToUtf8(chunk, wide));
      } else {
        let text: string;
        try {
          text = decoder!.decode(chunk, { stream: true });
        } catch {
          throw new InputError(
            file,
            `invalid UTF-16 (an unpaired surrogate) in the bytes ${bytesIn}..${bytesIn + n}`,
          );
        }
        out = encoder.encode(text);
      }
      writeAll(output, out);
      bytesIn += n;
      bytesOut += out.length;
      if (maxLines !== undefined) {
        lines += countLines(out);
        if (lines >= maxLines) {
          prefix = true;
          break;
        }
      }
    }
    if (decoder && !prefix) {
      try {
        const rest = encoder.encode(decoder.decode());
        writeAll(output, rest);
        bytesOut += rest.length;
      } catch {
        throw new InputError(file, "invalid UTF-16 at the end of the file (an odd byte)");
      }
    }
  } finally {
    input.close();
    output.close();
  }
  return { bytesIn, bytesOut, prefix };
}
