/**
 * Comparing a rebuilt `results.json` with the committed one.
 *
 * Both are flattened into key paths (`cleaning.total.rows_in`, `rfm.segments[Champions].customers`
 * …). Integers must match exactly, other numbers within a relative tolerance (default 1e-9),
 * strings, booleans and nulls exactly. Keys present on one side only are differences too.
 * Pure functions; the CLI (`src/cli/verify.ts`) does the rebuilding and printing.
 *
 * @module
 */

/** A leaf value of a results file. */
export type Leaf = number | string | boolean | null;

/** Default relative tolerance for non-integer numbers. */
export const DEFAULT_TOLERANCE = 1e-9;

/**
 * Flattens nested JSON into `path → leaf`. Array elements that are objects with a `name`,
 * `segment`, `cluster`, `band`, `level` or `k` field are keyed by it (`segments[Champions]`),
 * so that a reordering shows as a few named differences rather than a cascade.
 */
export function flatten(
  value: unknown,
  prefix = "",
  out: Map<string, Leaf> = new Map(),
): Map<string, Leaf> {
  if (value === null || typeof value !== "object") {
    out.set(prefix, value as Leaf);
    return out;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${elementKey(v, i)}]`, out));
    if (value.length === 0) out.set(prefix, "[]");
    return out;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) out.set(prefix, "{}");
  for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

const ID_FIELDS = ["name", "segment", "cluster", "band", "level", "file", "metric", "k"];

function elementKey(v: unknown, i: number): string {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const f of ID_FIELDS) {
      const id = (v as Record<string, unknown>)[f];
      if (typeof id === "string" || typeof id === "number") return `${f}=${id}`;
    }
  }
  return String(i);
}

/** One figure that differs. */
export interface Difference {
  key: string;
  expected: Leaf | undefined;
  got: Leaf | undefined;
  /** Relative difference for numbers, else null. */
  relative: number | null;
}

/** Result of {@link compareResults}. */
export interface Comparison {
  /** Number of figures compared (union of keys). */
  compared: number;
  matched: number;
  differences: Difference[];
}

/** Whether two leaves match under the tolerance rules. */
export function leavesMatch(
  expected: Leaf | undefined,
  got: Leaf | undefined,
  tolerance = DEFAULT_TOLERANCE,
): boolean {
  if (typeof expected === "number" && typeof got === "number") {
    if (Number.isInteger(expected) && Number.isInteger(got)) return expected === got;
    if (expected === got) return true;
    const scale = Math.max(Math.abs(expected), Math.abs(got));
    return Math.abs(expected - got) <= tolerance * scale;
  }
  return expected === got;
}

/**
 * Compares expected (committed) and rebuilt results.
 *
 * @param expected the committed results
 * @param got the rebuilt results
 * @param tolerance relative tolerance for non-integers
 */
export function compareResults(
  expected: unknown,
  got: unknown,
  tolerance = DEFAULT_TOLERANCE,
): Comparison {
  const e = flatten(expected);
  const g = flatten(got);
  const keys = [...new Set([...e.keys(), ...g.keys()])].sort();
  const differences: Difference[] = [];
  for (const key of keys) {
    const ev = e.has(key) ? e.get(key)! : undefined;
    const gv = g.has(key) ? g.get(key)! : undefined;
    if (!e.has(key) || !g.has(key) || !leavesMatch(ev, gv, tolerance)) {
      const relative = typeof ev === "number" && typeof gv === "number"
        ? Math.abs(ev - gv) / Math.max(Math.abs(ev), Math.abs(gv), Number.MIN_VALUE)
        : null;
      differences.push({ key, expected: ev, got: gv, relative });
    }
  }
  return { compared: keys.length, matched: keys.length - differences.length, differences };
}

function show(v: Leaf | undefined): string {
  if (v === undefined) return "(missing)";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** A plain-text table of the differences, one per line, aligned. */
export function formatDifferences(diffs: Difference[]): string {
  const rows = diffs.map((
    d,
  ) => [
    d.key,
    show(d.expected),
    show(d.got),
    d.relative === null ? "" : d.relative.toExponential(2),
  ]);
  const head = ["figure", "expected", "got", "rel. diff"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
