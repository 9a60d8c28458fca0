/**
 * Helpers of the ingest tests: temporary folders for files the tests write themselves, the
 * InputError assertion, and column access.
 */
import assert from "node:assert/strict";
import type pl from "nodejs-polars";
import { InputError } from "../../src/ingest/ingest.ts";

/** Runs `fn`, asserts an InputError for `file` whose message matches every pattern. */
export function inputError(fn: () => unknown, file: string, ...patterns: RegExp[]): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${caught}`);
  assert.equal(caught.file, file);
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

/** A column as a plain array. */
export function col<T = unknown>(df: pl.DataFrame, name: string): T[] {
  return df.getColumn(name).toArray() as unknown as T[];
}

/** ISO strings of the `timestamp` column (null stays null). */
export function isoTimes(df: pl.DataFrame): (string | null)[] {
  return (df.getColumn("timestamp").toArray() as unknown as (Date | null)[]).map((d) =>
    d ? d.toISOString() : null
  );
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "ingest_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes bytes (or UTF-8 text) to `dir/name` and returns the path. */
export function write(dir: string, name: string, content: string | Uint8Array): string {
  const path = `${dir}/${name}`;
  if (typeof content === "string") Deno.writeTextFileSync(path, content);
  else Deno.writeFileSync(path, content);
  return path;
}

/** Latin-1 bytes of a text whose characters are all below U+0100. */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new RangeError(`not Latin-1: ${c}`);
    return code;
  });
}

/** UTF-16 bytes of a text with a byte-order mark, little- or big-endian. */
export function utf16(text: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, littleEndian);
  for (let i = 0; i < text.length; i++) view.setUint16(2 + 2 * i, text.charCodeAt(i), littleEndian);
  return out;
}
