/**
 * A JSON value with its long arrays of numbers and strings stored as binary: the score widget's
 * model crosses to the browser this way (in a third to a half of the bytes of its JSON, before
 * compression), and {@link unpackJson} gives back a value equal to `JSON.parse` of the original
 * text, every number bit for bit (numbers are stored as float64, or as small integers when every
 * value is one).
 *
 * Layout: `RFMP`, the header's length (u32, little-endian), the header (UTF-8 JSON: the value
 * with each packed array replaced by `{"$packed": [kind, offset, …]}`), zero padding to a multiple
 * of 8, then the sections (float64 sections 8-byte aligned). Kinds: `f64` / `i32` / `u8`
 * `[kind, offset, length]`, an array of equal-length number arrays `[kind + "[]", offset, rows,
 * cols]`, strings `["str", offset, bytes, count]` (joined by U+0000, which none may contain).
 *
 * Pure: the loaders pack, the pages unpack.
 *
 * @module
 */

/** Arrays shorter than this stay in the JSON header. */
const MIN_PACKED = 64;
const MARK = "$packed";

type Kind = "f64" | "i32" | "u8";

function kindOf(values: readonly unknown[]): Kind | null {
  let kind: Kind = "u8";
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    if (kind !== "f64" && (!Number.isInteger(v) || Object.is(v, -0))) kind = "f64";
    else if (kind === "u8" && (v < 0 || v > 255)) kind = "i32";
    if (kind === "i32" && (v < -(2 ** 31) || v >= 2 ** 31)) kind = "f64";
  }
  return kind;
}

const SIZE: Record<Kind, number> = { f64: 8, i32: 4, u8: 1 };

/**
 * Packs a JSON value (see the module notes).
 *
 * @example
 * ```ts
 * import { packJson, unpackJson } from "./packed.ts";
 * import { deepEqual } from "node:assert/strict";
 * const value = {
 *   k: 5,
 *   points: Array.from({ length: 100 }, (_, i) => [i / 3, -i * 1e-7, 0.1 + 0.2]),
 *   labels: Array.from({ length: 100 }, (_, i) => i % 3),
 *   ids: Array.from({ length: 100 }, (_, i) => String(i).padStart(5, "0")),
 * };
 * deepEqual(unpackJson(packJson(value)), value);
 * ```
 */
export function packJson(value: unknown): Uint8Array {
  const sections: { kind: Kind | "str"; data: Uint8Array; align: number }[] = [];
  let offset = 0;
  const place = (kind: Kind | "str", data: Uint8Array) => {
    const align = kind === "str" ? 1 : SIZE[kind];
    offset = Math.ceil(offset / align) * align;
    const at = offset;
    sections.push({ kind, data, align });
    offset += data.length;
    return at;
  };
  const typed = (kind: Kind, values: ArrayLike<number>) => {
    const arr = kind === "f64"
      ? Float64Array.from(values)
      : kind === "i32"
      ? Int32Array.from(values)
      : Uint8Array.from(values);
    return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length >= MIN_PACKED) {
        const kind = kindOf(v);
        if (kind) return { [MARK]: [kind, place(kind, typed(kind, v)), v.length] };
        const cols = Array.isArray(v[0]) ? v[0].length : -1;
        if (cols > 0 && v.every((r) => Array.isArray(r) && r.length === cols)) {
          const flat = (v as unknown[][]).flat();
          const k = kindOf(flat);
          if (k) {
            return { [MARK]: [`${k}[]`, place(k, typed(k, flat as number[])), v.length, cols] };
          }
        }
        if (v.every((s) => typeof s === "string" && !s.includes("\u0000"))) {
          const bytes = new TextEncoder().encode(v.join("\u0000"));
          return { [MARK]: ["str", place("str", bytes), bytes.length, v.length] };
        }
      }
      return v.map(walk);
    }
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const start = Math.ceil((8 + header.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set([0x52, 0x46, 0x4d, 0x50]); // "RFMP"
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  let at = 0;
  for (const s of sections) {
    at = Math.ceil(at / s.align) * s.align;
    out.set(s.data, start + at);
    at += s.data.length;
  }
  return out;
}

/**
 * Unpacks {@link packJson}'s bytes into the value, numbers bit for bit.
 *
 * @throws {Error} when the bytes are not a packed value
 */
export function unpackJson(bytes: Uint8Array): unknown {
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "RFMP") {
    throw new Error("not a packed JSON value");
  }
  // A copy at offset 0, so that every float64 section is aligned.
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + length)));
  const start = buf.byteOffset + Math.ceil((8 + length) / 8) * 8;
  const numbers = (kind: Kind, at: number, n: number): ArrayLike<number> =>
    kind === "f64"
      ? new Float64Array(buf.buffer, start + at, n)
      : kind === "i32"
      ? new Int32Array(buf.buffer, start + at, n)
      : new Uint8Array(buf.buffer, start + at, n);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const spec = (v as Record<string, unknown>)[MARK];
      if (Array.isArray(spec) && Object.keys(v).length === 1) {
        const [kind, at, a, b] = spec as [string, number, number, number];
        if (kind === "str") {
          const text = new TextDecoder().decode(new Uint8Array(buf.buffer, start + at, a));
          return b === 0 ? [] : text.split("\u0000");
        }
        if (kind.endsWith("[]")) {
          const flat = numbers(kind.slice(0, -2) as Kind, at, a * b);
          return Array.from(
            { length: a },
            (_, i) => Array.from({ length: b }, (_, j) => flat[i * b + j]),
          );
        }
        return Array.from(numbers(kind as Kind, at, a));
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(header);
}
