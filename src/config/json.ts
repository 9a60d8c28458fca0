/**
 * Typed readers of parsed JSON for the configuration validator. Each reader takes an object, a
 * key and the key path of the object, and returns the value with its type, or throws a
 * {@link ConfigError} naming the full key path (`datasets[0].rfm.bins`). Pure.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** A parsed JSON value. */
export type Json = unknown;
/** A parsed JSON object. */
export type Obj = Record<string, Json>;

/**
 * Joins a key path and a key (`""` + `k` is `k`).
 *
 * @example
 * ```ts
 * import { keyPath } from "./json.ts";
 * import { equal } from "node:assert/strict";
 * equal(keyPath("datasets[0]", "rfm"), "datasets[0].rfm");
 * equal(keyPath("", "rfm"), "rfm");
 * ```
 */
export function keyPath(key: string, k: string): string {
  return key ? `${key}.${k}` : k;
}

/** Whether a value is a JSON object (not null, not an array). */
export function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** How a value's type is named in messages ("null", "an array", "number" …). */
export function typeName(v: Json): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/** The value as an object, or a ConfigError at `key`. */
export function obj(v: Json, key: string): Obj {
  if (!isObj(v)) throw new ConfigError(key, `expected an object, got ${typeName(v)}`);
  return v;
}

/** Throws at the first key of `o` that is not in `allowed` (typos never fall back to defaults). */
export function known(o: Obj, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(keyPath(key, k), `unknown key (allowed: ${allowed.join(", ")})`);
    }
  }
}

/** A non-empty string at `o[k]`, or `def` when the key is absent and a default is given. */
export function str(o: Obj, k: string, key: string, def?: string): string {
  const v = o[k];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== "string" || v.length === 0) {
    throw new ConfigError(keyPath(key, k), `expected a non-empty string, got ${typeName(v)}`);
  }
  return v;
}

/** A string at `o[k]`, or null when absent or null. */
export function strOrNull(o: Obj, k: string, key: string): string | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") {
    throw new ConfigError(keyPath(key, k), `expected a string or null, got ${typeName(v)}`);
  }
  return v;
}

/** A string at `o[k]` (empty allowed), or `""` when absent; `path` is the full key path. */
export function optionalText(o: Obj, k: string, path: string): string {
  const v = o[k];
  if (v === undefined) return "";
  if (typeof v !== "string") throw new ConfigError(path, `expected a string, got ${typeName(v)}`);
  return v;
}

/** A finite number at `o[k]` (default `def`), optionally an integer within [min, max]. */
export function num(
  o: Obj,
  k: string,
  key: string,
  def: number,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number {
  const v = o[k] === undefined ? def : o[k];
  const at = keyPath(key, k);
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError(at, `expected a number, got ${typeName(v)}`);
  }
  if (opts.int && !Number.isInteger(v)) throw new ConfigError(at, "expected an integer");
  if (opts.min !== undefined && v < opts.min) {
    throw new ConfigError(at, `must be at least ${opts.min}, got ${v}`);
  }
  if (opts.max !== undefined && v > opts.max) {
    throw new ConfigError(at, `must be at most ${opts.max}, got ${v}`);
  }
  return v;
}

/** An integer at `o[k]` with a lower bound, or null when the key is absent or null. */
export function intOrNull(o: Obj, k: string, key: string, min: number): number | null {
  return o[k] === undefined || o[k] === null ? null : num(o, k, key, 0, { int: true, min });
}

/** A boolean at `o[k]` (default `def`). */
export function bool(o: Obj, k: string, key: string, def: boolean): boolean {
  const v = o[k] === undefined ? def : o[k];
  if (typeof v !== "boolean") {
    throw new ConfigError(keyPath(key, k), `expected true or false, got ${typeName(v)}`);
  }
  return v;
}

/** An array of strings at `o[k]` (default `def`); always a fresh array. */
export function strArray(o: Obj, k: string, key: string, def: string[]): string[] {
  const v = o[k] === undefined ? def : o[k];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new ConfigError(keyPath(key, k), "expected an array of strings");
  }
  return [...(v as string[])];
}

/** The value as an array of finite numbers; `key` is its full key path. */
export function numArray(v: Json, key: string): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
    throw new ConfigError(key, "expected an array of numbers");
  }
  return v as number[];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A real calendar date written `YYYY-MM-DD` (2011-02-30 is refused), or null for null.
 *
 * @example
 * ```ts
 * import { isoDate } from "./json.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(isoDate("2012-02-29", "analysisDate"), "2012-02-29");
 * throws(() => isoDate("2011-02-30", "analysisDate"), /analysisDate: expected an ISO date/);
 * ```
 */
export function isoDate(v: string | null, key: string): string | null {
  if (v === null) return null;
  const t = Date.parse(v + "T00:00:00Z");
  if (!ISO_DATE.test(v) || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v) {
    throw new ConfigError(key, `expected an ISO date YYYY-MM-DD, got "${v}"`);
  }
  return v;
}

/** An IANA time zone name this runtime knows. */
export function validTimeZone(tz: string, key: string): string {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
  } catch {
    throw new ConfigError(key, `unknown time zone "${tz}"`);
  }
  return tz;
}
