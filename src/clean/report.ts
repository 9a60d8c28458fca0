/**
 * The cleaning report (`cleaning.json`) and its reconciliation.
 *
 * Reconciliation compares two independent counts per source file: the rows ingest read from the
 * file (counted at read time, before any mapping) and the rows cleaning accounts for (kept plus
 * dropped, counted per reason in the cleaned table). A file reconciles when they are equal; the
 * total reconciles when the sums are equal and every file reconciles. A row lost or added between
 * ingest and cleaning makes `reconciles` false, and {@link assertReconciles} refuses to go on.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { CleaningConfig } from "../config/dataset.ts";
import { excerpt } from "../lib/text.ts";
import type { LinesValue } from "./cancellations.ts";
import type { ExtremeValueBounds } from "./outliers.ts";
import { reasonIs, type RuleInfo, RULES } from "./rules.ts";

/** Row counts of one source file (or the total). */
export interface FileCounts {
  /** File name, or `total`. */
  file: string;
  /** Rows read from the source file by ingest, counted at read time (total: their sum). */
  rows_in: number;
  /** Rows kept by cleaning. */
  rows_kept: number;
  /** Rows dropped by cleaning (Σ dropped). */
  rows_dropped: number;
  /** Dropped rows per reason code (every code listed, zero included). */
  dropped: Record<string, number>;
  /**
   * rows_in === rows_kept + Σ dropped; for the total, also every file reconciles.
   */
  reconciles: boolean;
}

/** The cleaning report (`cleaning.json`). */
export interface CleaningReport {
  rules: RuleInfo[];
  files: FileCounts[];
  total: FileCounts;
  /** Bounds of the extreme line value rule, in currency units, or null if not applied. */
  extremeValueBounds: ExtremeValueBounds | null;
  /** Cancellation lines that reversed no purchase exactly (partial returns, older purchases). */
  unmatchedReturns: LinesValue;
  /** Purchase lines dropped as cancelled orders, and their value. */
  cancelledOrders: LinesValue;
  /** What looks wrong (see {@link cleaningWarnings}); also printed in the build log. */
  warnings: CleaningWarning[];
}

/** A warning of the cleaning report, printed in the build log and shown on the cleaning page. */
export interface CleaningWarning {
  /**
   * `rule_share`: a rule defined by the configuration (cancellation, adjustment, non-product)
   * dropped more than `cleaning.warnShare` of a file's lines; `all_dropped`: no line of a file was
   * kept (while other files kept some: with nothing kept at all, cleaning stops with a
   * {@link NothingKeptError} instead).
   */
  kind: "rule_share" | "all_dropped";
  /** The rule's reason code (`all_dropped`: the rule that dropped the most lines). */
  rule: string;
  /** The source file. */
  file: string;
  /** Lines of the file the rule dropped. */
  lines: number;
  /** Rows read from the file. */
  rowsIn: number;
  /** `lines / rowsIn`. */
  share: number;
  /** `cleaning.warnShare` for `rule_share`; null for `all_dropped`. */
  threshold: number | null;
  /** The configuration to check (`cleaning.cancellation` …, or a column mapping). */
  check: string;
  /** The first dropped value in the file that the rule looks at (quoted, at most 80 characters). */
  example: string | null;
  /** The warning in words. */
  message: string;
}

/** Rules whose definition is configuration, the key that defines each, and the column it reads. */
const CONFIGURED_RULES: Record<string, { key: string; column: string }> = {
  cancellation: { key: "cleaning.cancellation", column: "invoice" },
  bad_debt_adjustment: { key: "cleaning.adjustment", column: "invoice" },
  non_product: {
    key: "cleaning.nonProductCodes and cleaning.nonProductPatterns",
    column: "stock_code",
  },
};

/** What to check when a rule drops (nearly) every line. */
const CHECK: Record<string, string> = {
  bad_timestamp: "check the column mapping of timestamp and the timestampFormat",
  missing_customer: "check the column mapping of customer_id",
  cancellation: "check cleaning.cancellation (which lines are cancellations)",
  bad_debt_adjustment: "check cleaning.adjustment (which lines are bad-debt adjustments)",
  non_product: "check cleaning.nonProductCodes and cleaning.nonProductPatterns",
  non_positive_quantity: "check the column mapping of quantity",
  non_positive_price: "check the column mapping of unit_price (or line_value)",
  duplicate:
    "check that no file is listed twice (or set cleaning.dropExactDuplicates to false where identical lines are genuine)",
  cancelled_order:
    "check cleaning.cancellation (or set cleaning.outliers.matchCancelledOrders to false)",
  extreme_value: "check cleaning.outliers.logValueMadMultiplier",
};

/** The hint for rule `code`, with the rule as configured when the plan is given. */
function checkHint(code: string, rules: readonly RuleInfo[]): string {
  const hint = CHECK[code] ?? `check the configuration of the ${code} rule`;
  const rule = rules.find((r) => r.code === code);
  return code in CONFIGURED_RULES && rule
    ? `${hint}; the rule now reads: ${rule.description}`
    : hint;
}

/** Thousands separators. */
function n(x: number): string {
  return x.toLocaleString("en-GB");
}

/** `1 line`, `4,100 lines`. */
function lines1(k: number): string {
  return k === 1 ? "1 line" : `${n(k)} lines`;
}

/** `all 4,100 rows were dropped` (or `the only row was dropped`). */
function allDropped(rows: number): string {
  return rows === 1 ? "the only row was dropped" : `all ${n(rows)} rows were dropped`;
}

/** A share as a percentage with up to one decimal (`83.1 %`). */
function pct(share: number): string {
  return `${(share * 100).toLocaleString("en-GB", { maximumFractionDigits: 1 })} %`;
}

/** The non-zero dropped counts, largest first (ties in rule order): `missing_customer 4,000, …`. */
function droppedList(dropped: Record<string, number>): [string, number][] {
  return Object.entries(dropped).filter(([, k]) => k > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * The warnings of a cleaning run: every rule defined by the configuration (cancellation,
 * adjustment, non-product) that dropped more than `cfg.warnShare` of some file's lines (so that a
 * shop whose order numbers start with "C" is not silently emptied), and every file none of whose
 * lines was kept while other files kept some. Files that do not reconcile are left to
 * {@link assertReconciles}.
 *
 * @param df the cleaned rows: `source_file`, `reason` (text or rule number, see `reasonIs`) and
 *   the columns the rules read
 * @param rules the plan of the run
 * @param cfg the dataset's cleaning configuration
 * @param counts the per-file counts from {@link reconcile}
 */
export function cleaningWarnings(
  df: pl.DataFrame,
  rules: readonly RuleInfo[],
  cfg: CleaningConfig,
  counts: { files: FileCounts[]; total: FileCounts },
): CleaningWarning[] {
  const out: CleaningWarning[] = [];
  const exampleOf = (file: string, code: string, column: string): string | null => {
    if (!df.columns.includes(column)) return null;
    const first = df.select("source_file", "reason", column).filter(
      pl.col("source_file").eq(pl.lit(file)).and(reasonIs(df, code)),
    ).head(1);
    return first.height ? excerpt(first.getColumn(column).get(0)) : null;
  };
  for (const f of counts.files) {
    if (f.rows_in === 0 || !f.reconciles) continue;
    for (const r of rules) {
      const conf = CONFIGURED_RULES[r.code];
      const lines = f.dropped[r.code] ?? 0;
      if (!conf || !r.applied || lines === 0 || !(lines / f.rows_in > cfg.warnShare)) continue;
      const share = lines / f.rows_in;
      const column = r.code === "cancellation" && cfg.cancellation.rule === "negative-quantity"
        ? "quantity"
        : conf.column;
      const example = exampleOf(f.file, r.code, column);
      out.push({
        kind: "rule_share",
        rule: r.code,
        file: f.file,
        lines,
        rowsIn: f.rows_in,
        share,
        threshold: cfg.warnShare,
        check: conf.key,
        example,
        message:
          `${f.file}: rule ${r.code} dropped ${n(lines)} of ${lines1(f.rows_in)} (${
            pct(share)
          }), more than cleaning.warnShare (${
            pct(cfg.warnShare)
          }). The rule reads: ${r.description}` +
          (example === null ? "" : `; the first such line has ${column} ${example}`) +
          `. If that is not what these lines are, set ${conf.key}.`,
      });
    }
    if (f.rows_kept === 0 && counts.total.rows_kept > 0) {
      const list = droppedList(f.dropped);
      const [top, topLines] = list[0];
      out.push({
        kind: "all_dropped",
        rule: top,
        file: f.file,
        lines: topLines,
        rowsIn: f.rows_in,
        share: topLines / f.rows_in,
        threshold: null,
        check: CHECK[top] ?? top,
        example: null,
        message: `${f.file}: ${allDropped(f.rows_in)}: ${
          list.map(([c, k]) => `${c} ${n(k)}`).join(", ")
        } — ${checkHint(top, rules)}`,
      });
    }
  }
  return out;
}

/** Cleaning kept no line at all: there is nothing to analyse. */
export class NothingKeptError extends Error {
  /**
   * @param report the cleaning report (every line dropped)
   */
  constructor(readonly report: Pick<CleaningReport, "files" | "total" | "rules">) {
    super(nothingKeptMessage(report));
    this.name = "NothingKeptError";
  }
}

/** The message of a {@link NothingKeptError}: which rules dropped how many lines, what to check. */
function nothingKeptMessage(report: Pick<CleaningReport, "files" | "total" | "rules">): string {
  const t = report.total;
  if (t.rows_in === 0) {
    return `no rows were read, so there is nothing to analyse (${
      report.files.map((f) => `${f.file}: 0 rows`).join(", ")
    })`;
  }
  const list = droppedList(t.dropped);
  let msg = `${allDropped(t.rows_in)}, so there is nothing to analyse: ${
    list.map(([c, k]) => `${c} ${n(k)}`).join(", ")
  } — ${checkHint(list[0][0], report.rules)}`;
  if (report.files.length > 1) {
    msg += "\n" +
      report.files.map((f) =>
        `  ${f.file}: ${f.rows_in === 1 ? "1 row" : `${n(f.rows_in)} rows`}: ${
          droppedList(f.dropped).map(([c, k]) => `${c} ${n(k)}`).join(", ") || "none"
        }`
      ).join("\n");
  }
  return msg;
}

/**
 * Throws unless cleaning kept at least one line (a report that does not reconcile is left to
 * {@link assertReconciles}).
 *
 * @throws {NothingKeptError} naming the rules that dropped the lines, how many each, and what to
 *   check first
 */
export function assertSomethingKept(
  report: Pick<CleaningReport, "files" | "total" | "rules">,
): void {
  if (report.total.reconciles && report.total.rows_kept === 0) {
    throw new NothingKeptError(report);
  }
}

/** Dropped counts with every reason code, all zero. */
function zeroDropped(): Record<string, number> {
  return Object.fromEntries(RULES.map((r) => [r.code, 0]));
}

/** The counts of one file (or the total) and whether they reconcile. */
function fileCounts(
  file: string,
  rowsIn: number,
  kept: number,
  dropped: Record<string, number>,
): FileCounts {
  const d = Object.values(dropped).reduce((s, n) => s + n, 0);
  return {
    file,
    rows_in: rowsIn,
    rows_kept: kept,
    rows_dropped: d,
    dropped,
    reconciles: rowsIn === kept + d,
  };
}

/**
 * Counts kept and dropped rows per source file and reason, and reconciles them with the rows
 * read.
 *
 * @param df the cleaned rows: `source_file` and `reason` (null when kept; the reason code, or the
 *   rule number of `applyRowRules`)
 * @param rowsRead rows read per source file, counted by ingest
 * @param files every file name to list, in order (a file with no rows is listed with zeros;
 *   a file seen in `df` but absent here is listed after them, with 0 rows read)
 */
export function reconcile(
  df: pl.DataFrame,
  rowsRead: Readonly<Record<string, number>>,
  files: readonly string[],
): { files: FileCounts[]; total: FileCounts } {
  const counts = (df.groupBy(["source_file", "reason"]).agg(pl.len().alias("n")).toRecords() as {
    source_file: string;
    reason: string | number | null;
    n: number;
  }[]).map((c) => ({
    ...c,
    // A rule number (the frame of `applyRowRules`) is the rule's position in RULES, 1-based.
    reason: typeof c.reason === "number" ? RULES[c.reason - 1].code : c.reason,
  }));
  const order = [
    ...new Set([...files, ...Object.keys(rowsRead), ...counts.map((c) => c.source_file)]),
  ];
  const perFile = order.map((f) => {
    const dropped = zeroDropped();
    let kept = 0;
    for (const c of counts) {
      if (c.source_file !== f) continue;
      const n = Number(c.n);
      if (c.reason === null) kept += n;
      else dropped[c.reason] = (dropped[c.reason] ?? 0) + n;
    }
    return fileCounts(f, rowsRead[f] ?? 0, kept, dropped);
  });
  const totalDropped = zeroDropped();
  for (const f of perFile) {
    for (const c of Object.keys(totalDropped)) totalDropped[c] += f.dropped[c];
  }
  const total = fileCounts(
    "total",
    perFile.reduce((s, f) => s + f.rows_in, 0),
    perFile.reduce((s, f) => s + f.rows_kept, 0),
    totalDropped,
  );
  total.reconciles &&= perFile.every((f) => f.reconciles);
  return { files: perFile, total };
}

/** A cleaning report whose counts do not reconcile with the rows read. */
export class ReconciliationError extends Error {
  /** @param failed the files (and the total) that do not reconcile */
  constructor(readonly failed: FileCounts[]) {
    const n = (x: number) => x.toLocaleString("en-GB");
    super(
      "cleaning does not reconcile with the rows read, so no output is written:\n" +
        failed.map((f) =>
          `  ${f.file}: ${n(f.rows_in)} rows read, but ${
            n(f.rows_kept + f.rows_dropped)
          } accounted for (${n(f.rows_kept)} kept + ${n(f.rows_dropped)} dropped)`
        ).join("\n"),
    );
    this.name = "ReconciliationError";
  }
}

/**
 * Throws unless every file and the total reconcile.
 *
 * @throws {ReconciliationError} naming each file that does not, with its counts
 */
export function assertReconciles(report: Pick<CleaningReport, "files" | "total">): void {
  const failed = [...report.files, report.total].filter((f) => !f.reconciles);
  if (failed.length > 0) throw new ReconciliationError(failed);
}
