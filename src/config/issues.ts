/**
 * Turns the issues zod finds in a dataset description into one {@link ConfigError} in the
 * workspace's wording: the full key path (`datasets[0].files[1].columns.customer_id`), what is
 * expected (the bounds, the allowed values) and what was found, quoting at most ~80 characters of
 * a value. Pure.
 *
 * @module
 */
import type { z } from "zod";
import { ConfigError } from "./errors.ts";
import { excerpt } from "../lib/text.ts";

/** A zod issue as the error function of a parse sees it (before it has a message). */
type RawIssue = z.core.$ZodRawIssue;

/**
 * The key path of a zod issue path, below `prefix` (`datasets`, 0, `files` → `datasets[0].files`).
 *
 * @example
 * ```ts
 * import { keyOf } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * equal(keyOf(["datasets", 0, "files", 1, "columns"]), "datasets[0].files[1].columns");
 * equal(keyOf(["rfm", "bins"], "datasets[2]"), "datasets[2].rfm.bins");
 * equal(keyOf([], ""), "");
 * ```
 */
export function keyOf(path: readonly PropertyKey[], prefix = ""): string {
  let key = prefix;
  for (const p of path) {
    key = typeof p === "number" ? `${key}[${p}]` : key ? `${key}.${String(p)}` : String(p);
  }
  return key;
}

/**
 * How a value's type is named in messages ("null", "an array", "number" …; a missing key is
 * "nothing (the key is required)").
 *
 * @example
 * ```ts
 * import { typeName } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * equal(typeName([]), "an array");
 * equal(typeName(Infinity), "Infinity");
 * equal(typeName(undefined), "nothing (the key is required)");
 * ```
 */
export function typeName(v: unknown): string {
  if (v === undefined) return "nothing (the key is required)";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v === "object" ? "an object" : typeof v;
}

/**
 * A value for a message: strings quoted (at most ~80 characters), numbers and booleans as they
 * are, others by type.
 *
 * @example
 * ```ts
 * import { shown } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * equal(shown("xlsx"), '"xlsx"');
 * equal(shown("y".repeat(500)).length, 83);
 * equal(shown({}), "an object");
 * ```
 */
export function shown(v: unknown): string {
  if (typeof v === "string") return excerpt(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return typeName(v);
}

/**
 * A list of allowed values for messages, quoted: `"a" or "b"` for two, `"a", "b", "c"` for more.
 *
 * @example
 * ```ts
 * import { quotedList } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * equal(quotedList(["isotonic", "none"]), '"isotonic" or "none"');
 * equal(quotedList(["a", "b", "c"]), '"a", "b", "c"');
 * ```
 */
export function quotedList(values: readonly unknown[]): string {
  const q = values.map((v) => (typeof v === "string" ? `"${v}"` : String(v)));
  return q.length === 2 ? `${q[0]} or ${q[1]}` : q.join(", ");
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The allowed keys of the object schema an `unrecognized_keys` issue came from. */
function allowedKeys(iss: RawIssue): string[] {
  // deno-lint-ignore no-explicit-any
  const shape = (iss as any).inst?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/** The smallest length a string schema declares (1 for a non-empty string), if any. */
function minLength(iss: RawIssue): number | undefined {
  // deno-lint-ignore no-explicit-any
  const inst = (iss as any).inst;
  return inst?.minLength ?? inst?._zod?.bag?.minimum;
}

/**
 * The message of a zod issue in the workspace's wording (used as the error function of every
 * parse; a schema's own `error` takes precedence).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { issueMessage } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * const r = z.int().max(50).safeParse(1000, { error: issueMessage });
 * equal(r.error?.issues[0].message, "must be at most 50, got 1000");
 * ```
 */
export function issueMessage(iss: RawIssue): string {
  const input = iss.input;
  switch (iss.code) {
    case "invalid_type": {
      const got = typeName(input);
      const path = (iss as { path?: PropertyKey[] }).path ?? [];
      const item = typeof path[path.length - 1] === "number";
      const nouns: Record<string, string> = {
        string: "strings",
        number: "numbers",
        int: "integers",
        boolean: "true or false values",
      };
      if (item && nouns[iss.expected]) {
        return `expected an array of ${nouns[iss.expected]}, got ${got}`;
      }
      switch (iss.expected) {
        case "object":
          return `expected an object, got ${got}`;
        case "array":
          return `expected an array, got ${got}`;
        case "string":
          return `expected a ${(minLength(iss) ?? 0) >= 1 ? "non-empty " : ""}string, got ${got}`;
        case "boolean":
          return `expected true or false, got ${got}`;
        case "int":
          return typeof input === "number" && Number.isFinite(input)
            ? `expected an integer, got ${input}`
            : `expected an integer, got ${got}`;
        case "number":
          return typeof input === "number"
            ? `expected a finite number, got ${got}`
            : `expected a number, got ${got}`;
        default:
          return `expected ${iss.expected}, got ${got}`;
      }
    }
    case "too_small": {
      const min = Number(iss.minimum);
      if (iss.origin === "array" || iss.origin === "set") {
        return `expected at least ${plural(min, "entry", "entries")}, got ${
          Array.isArray(input) ? input.length : 0
        }`;
      }
      if (iss.origin === "string") {
        return min <= 1
          ? `expected a non-empty string, got ""`
          : `expected at least ${plural(min, "character")}, got ${shown(input)}`;
      }
      return iss.inclusive === false
        ? `must be greater than ${min}, got ${shown(input)}`
        : `must be at least ${min}, got ${shown(input)}`;
    }
    case "too_big": {
      const max = Number(iss.maximum);
      if (iss.origin === "array" || iss.origin === "set") {
        return `expected at most ${plural(max, "entry", "entries")}, got ${
          Array.isArray(input) ? input.length : "more"
        }`;
      }
      if (iss.origin === "string") {
        return `expected at most ${plural(max, "character")}, got ${
          typeof input === "string" ? input.length : "more"
        }`;
      }
      return iss.inclusive === false
        ? `must be less than ${max}, got ${shown(input)}`
        : `must be at most ${max}, got ${shown(input)}`;
    }
    case "invalid_value":
      return `expected ${quotedList(iss.values)}, got ${shown(input)}`;
    case "invalid_format":
      return `${shown(input)} is not in the expected form${
        "pattern" in iss && iss.pattern ? ` (${iss.pattern})` : ""
      }`;
    case "not_multiple_of":
      return `must be a multiple of ${iss.divisor}, got ${shown(input)}`;
    case "unrecognized_keys":
      return `unknown key (allowed: ${allowedKeys(iss).join(", ")})`;
    default:
      return iss.message ?? `invalid value ${shown(input)}`;
  }
}

/** One issue as reported: its key path and message (for `unrecognized_keys`, the first key). */
interface Located {
  path: PropertyKey[];
  message: string;
  code: string;
}

/**
 * Where an issue is reported. An unknown key is reported at the key itself. A wrong item of an
 * array of plain values (a number grid, a list of names) is reported at the array, naming the
 * item, so that the message can state what the whole list must hold.
 */
function locate(iss: z.core.$ZodIssue): Located {
  const path = [...iss.path];
  if (iss.code === "unrecognized_keys") {
    return { path: [...path, iss.keys[0]], message: iss.message, code: iss.code };
  }
  const last = path[path.length - 1];
  const itemWise = (iss.code === "invalid_type" &&
    ["string", "number", "int", "boolean"].includes(iss.expected)) ||
    ((iss.code === "too_small" || iss.code === "too_big") &&
      (iss.origin === "number" || iss.origin === "int"));
  if (typeof last === "number" && itemWise) {
    return {
      path: path.slice(0, -1),
      message: iss.message.startsWith("expected ")
        ? `${iss.message} (item [${last}])`
        : `item [${last}] ${iss.message}`,
      code: iss.code,
    };
  }
  return { path, message: iss.message, code: iss.code };
}

/**
 * The first issue of a failed parse as a {@link ConfigError}: an unknown key first (a typo is the
 * likely cause of a "missing" key beside it), else the first issue zod found.
 *
 * @param issues the issues of a failed `safeParse`
 * @param prefix key path of the parsed value (`` for a whole file)
 * @param root name used when the whole value is at fault (`(dataset)`, `(registry)`)
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { firstError, issueMessage } from "./issues.ts";
 * import { equal } from "node:assert/strict";
 * const r = z.strictObject({ bins: z.int().max(10) }).safeParse({ bins: 12, binz: 1 }, {
 *   error: issueMessage,
 * });
 * const e = firstError(r.error!.issues, "rfm", "(dataset)");
 * equal(e.message, "rfm.binz: unknown key (allowed: bins)");
 * ```
 */
export function firstError(
  issues: readonly z.core.$ZodIssue[],
  prefix: string,
  root: string,
): ConfigError {
  const sorted = [...issues].sort((a, b) =>
    Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys")
  );
  const at = locate(sorted[0]);
  return new ConfigError(keyOf(at.path, prefix) || root, at.message);
}
