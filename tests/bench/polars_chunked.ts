/**
 * The floor of the stack on the data stage in memory (`deno task bench --scale N`): polars alone
 * running the plain script of `pandas_rfm.py` (spec as `polars_rfm.ts`) on the files read in
 * chunks of whole lines (`--chunk-mib`, default 4), each chunk's frames released before the next
 * (run it with `--v8-flags=--expose-gc`: Deno frees a polars frame only on a later turn of the
 * event loop, see `src/lib/memory.ts`). Per chunk: parse, map, the plain rules, the duplicate
 * rule against every earlier line (a 64-bit row hash in an open-addressing table: a collision
 * would drop a line, and the bench sets the counts beside pandas'), then per-customer first and
 * last purchase, value and lines, and the customer's invoices; the chunks' aggregates are summed
 * at the end. What a streaming data stage could cost on this stack: no checks, quarantine, report
 * or other rules. Prints one JSON line of counts.
 *
 * @module
 */
import pl from "nodejs-polars";
import { expandGlob } from "../../src/acquire/glob.ts";
import { releaseNative } from "../../src/lib/memory.ts";
import { parseOptions } from "../../src/lib/args.ts";
import {
  finish,
  mappedNames,
  PLAIN_RULES,
  renamed,
  type Spec,
  typed,
  VALUE,
} from "./plain_script.ts";

/** A set of 64-bit hashes (two 32-bit halves), open addressing with linear probing. */
class HashSet64 {
  #lo = new Uint32Array(1 << 20);
  #hi = new Uint32Array(1 << 20);
  #used = new Uint8Array(1 << 20);
  #size = 0;

  /** Adds the hash (lo, hi); false when it was already there. */
  add(lo: number, hi: number): boolean {
    if (2 * (this.#size + 1) > this.#used.length) this.#grow();
    const mask = this.#used.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.#used[i]) {
      if (this.#lo[i] === lo && this.#hi[i] === hi) return false;
      i = (i + 1) & mask;
    }
    this.#used[i] = 1;
    this.#lo[i] = lo;
    this.#hi[i] = hi;
    this.#size++;
    return true;
  }

  #grow(): void {
    const [lo, hi, used] = [this.#lo, this.#hi, this.#used];
    this.#lo = new Uint32Array(2 * used.length);
    this.#hi = new Uint32Array(2 * used.length);
    this.#used = new Uint8Array(2 * used.length);
    this.#size = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.add(lo[i], hi[i]);
  }
}

/** End of the last whole line of `bytes` (after its line break, outside quotes), or 0. */
function lastLineEnd(bytes: Uint8Array): number {
  let end = 0;
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 34) quoted = !quoted;
    else if (b === 10 && !quoted) end = i + 1;
  }
  return end;
}

/** The chunks of whole lines of the file at `path`, each with the header line in front. */
function* chunks(path: string, chunkBytes: number): Generator<Uint8Array> {
  const f = Deno.openSync(path);
  try {
    const buf = new Uint8Array(chunkBytes);
    let carry = new Uint8Array(0);
    let header: Uint8Array | null = null;
    for (;;) {
      const n = f.readSync(buf);
      const data = new Uint8Array(carry.length + (n ?? 0));
      data.set(carry);
      if (n) data.set(buf.subarray(0, n), carry.length);
      const end = n === null ? data.length : lastLineEnd(data);
      let body = data.subarray(0, end);
      carry = data.slice(end);
      if (header === null && body.length > 0) {
        const h = body.indexOf(10) + 1;
        header = body.slice(0, h);
        body = body.subarray(h);
      }
      if (body.length > 0) {
        const out = new Uint8Array(header!.length + body.length);
        out.set(header!);
        out.set(body, header!.length);
        yield out;
      }
      if (n === null) return;
    }
  } finally {
    f.close();
  }
}

const { values, positionals } = parseOptions(
  Deno.args,
  { "chunk-mib": { type: "string" } },
  "polars_chunked.ts [--chunk-mib N] SPEC",
  true,
);
const chunkBytes = Math.round(Number(values["chunk-mib"] ?? 4) * 2 ** 20);
const spec: Spec = JSON.parse(await Deno.readTextFile(positionals[0]));
const names = mappedNames(spec);
const seen = new HashSet64();
const aggregates: pl.DataFrame[] = [];
const invoices: pl.DataFrame[] = [];
let rowsIn = 0;
for (const file of spec.files) {
  for (const path of await expandGlob(file.glob, "/")) {
    for (const bytes of chunks(path, chunkBytes)) {
      const read = pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
        inferSchemaLength: 0,
      });
      rowsIn += read.height;
      const lines = read.select(...renamed(file, names)).withColumns(...typed(file))
        .filter(PLAIN_RULES);
      const hash = lines.hashRows(1, 2, 3, 4).toTypedArray() as unknown as BigUint64Array;
      const halves = new Uint32Array(hash.buffer, hash.byteOffset, 2 * hash.length);
      const first = new Array<boolean>(hash.length);
      for (let i = 0; i < hash.length; i++) first[i] = seen.add(halves[2 * i], halves[2 * i + 1]);
      const kept = lines.filter(pl.Series("first", first)).withColumns(VALUE);
      aggregates.push(
        kept.groupBy("customer_id").agg(
          pl.col("timestamp").min().alias("first"),
          pl.col("timestamp").max().alias("last"),
          pl.col("value").sum().alias("monetary"),
          pl.len().alias("lines"),
        ),
      );
      invoices.push(kept.select("customer_id", "invoice").unique());
      await releaseNative();
    }
  }
}
const g = pl.concat(aggregates).groupBy("customer_id").agg(
  pl.col("first").min(),
  pl.col("last").max(),
  pl.col("monetary").sum(),
  pl.col("lines").sum(),
).join(
  pl.concat(invoices).unique().groupBy("customer_id").agg(pl.len().alias("frequency")),
  { on: "customer_id" },
).select("customer_id", "first", "last", "frequency", "monetary", "lines");
finish(g, rowsIn, spec.out);
