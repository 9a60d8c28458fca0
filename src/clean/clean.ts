/**
 * Cleaning: named rules with reason codes, applied in a fixed order to canonical transactions.
 *
 * Every input row ends either kept or dropped with exactly one reason: the first rule it fails
 * (`rules.ts`: rules 1–8 row by row; `cancellations.ts`: rule 9; `outliers.ts`: rule 10). The
 * function is pure (DataFrame in, DataFrames and a report out); writing is left to callers.
 * The report (`report.ts`) reconciles the rows accounted for with the rows ingest read.
 *
 * Returns and cancellations: cancellation lines (as `cleaning.cancellation` defines them; by
 * default `C…` invoices) are not purchases and are dropped. A purchase line that a later
 * cancellation of the same customer reverses exactly is dropped too, as `cancelled_order`, so
 * monetary value is net of cancelled orders. Partial returns that match no purchase line exactly
 * are not netted; their count and value are reported (`unmatchedReturns`).
 *
 * Nothing silently wrong: a configured rule that drops more than `cleaning.warnShare` of a
 * file's lines, or a file none of whose lines is kept, is a warning in the report and in the
 * log; a run that keeps no line at all stops with a `NothingKeptError` (`report.ts`) saying
 * which rules dropped how many lines.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { CleaningConfig, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { dropCancelledOrders, type LinesValue } from "./cancellations.ts";
import { dropExtremeValues, type ExtremeValueBounds } from "./outliers.ts";
import { assertSomethingKept, type CleaningReport, cleaningWarnings, reconcile } from "./report.ts";
import { applies, applyRowRules, planRules, reasonText, type RuleInfo } from "./rules.ts";
import { runSteps, type Steps } from "../lib/memory.ts";

/** Result of {@link clean}. */
export interface CleanResult {
  /** Kept rows, canonical columns, in source order. */
  kept: pl.DataFrame;
  /** Dropped rows, canonical columns plus `reason`, in source order. */
  quarantine: pl.DataFrame;
  report: CleaningReport;
}

/** Options of {@link clean}. */
export interface CleanOptions {
  /** Canonical columns provided by each source file; a rule needing a column some file lacks is skipped. */
  provided: Record<string, Set<MappableColumn>>;
  /**
   * Rows read from each source file, counted by ingest at read time. The report reconciles
   * them with the rows cleaning accounts for; they are never derived from `tx`.
   */
  rowsRead: Record<string, number>;
  /**
   * Where the report's warnings are printed, one message each (default: standard error, the
   * build log, as `!!! WARNING: …`).
   */
  warn?: (message: string) => void;
}

/** The default printer of cleaning warnings (both engines): loud, on standard error. */
export function warnLoudly(message: string): void {
  console.error(`!!! WARNING (cleaning): ${message}`);
}

/** What {@link applySetRules} did: the frame, and the figures of the report the rules give. */
export interface SetRulesOutcome {
  /** The frame with `reason` set by the cancelled-order and extreme-value rules too. */
  df: pl.DataFrame;
  /** Purchase lines dropped as cancelled orders, and their value. */
  cancelledOrders: LinesValue;
  /** Cancellation lines that reversed no purchase exactly, and their value. */
  unmatchedReturns: LinesValue;
  /** Bounds of the extreme line value rule, or null if not applied. */
  extremeValueBounds: ExtremeValueBounds | null;
}

/**
 * The rules that look at other lines, in their order, as the plan has them: cancelled orders
 * (`cancellations.ts`, rule 9, with the cancellation rule's lines) and extreme values
 * (`outliers.ts`, rule 10, on the lines still kept). One home for both engines: {@link clean}
 * runs them after the row rules, and the DuckDB stage runs them again on the lines the SQL
 * cleaned, to check that both mark the same lines (`after` sees the frame after each rule).
 *
 * @param df rows with `reason` set by the row rules (text or rule numbers; null when kept), the
 *   row position `__i`, and the columns the rules read
 * @param rules the plan of the run
 * @param cfg the dataset's cleaning configuration
 * @param after called with the rule's code and the frame after each of the two rules
 */
export function applySetRules(
  df: pl.DataFrame,
  rules: readonly RuleInfo[],
  cfg: CleaningConfig,
  after: (code: "cancelled_order" | "extreme_value", df: pl.DataFrame) => void = () => {},
): SetRulesOutcome {
  const on = (code: string) => applies(rules, code);
  const cancellations = on("cancellation")
    ? dropCancelledOrders(df, on("cancelled_order"))
    : { df, cancelledOrders: { lines: 0, value: 0 }, unmatchedReturns: { lines: 0, value: 0 } };
  after("cancelled_order", cancellations.df);
  const multiplier = cfg.outliers.logValueMadMultiplier;
  const extreme = on("extreme_value") && multiplier !== null
    ? dropExtremeValues(cancellations.df, multiplier)
    : { df: cancellations.df, bounds: null };
  after("extreme_value", extreme.df);
  return {
    df: extreme.df,
    cancelledOrders: cancellations.cancelledOrders,
    unmatchedReturns: cancellations.unmatchedReturns,
    extremeValueBounds: extreme.bounds,
  };
}

/**
 * The cleaning report of a run (both engines): its plan, counts, the set-level rules' figures and
 * the warnings.
 *
 * @throws {NothingKeptError} (from `report.ts`) when every line read was dropped
 */
export function cleaningReport(
  rules: RuleInfo[],
  counts: Pick<CleaningReport, "files" | "total">,
  set: Omit<SetRulesOutcome, "df">,
  warnings: CleaningReport["warnings"],
): CleaningReport {
  const report: CleaningReport = {
    rules,
    files: counts.files,
    total: counts.total,
    extremeValueBounds: set.extremeValueBounds,
    unmatchedReturns: set.unmatchedReturns,
    cancelledOrders: set.cancelledOrders,
    warnings,
  };
  assertSomethingKept(report);
  return report;
}

/**
 * Applies the cleaning rules to canonical transactions (several files concatenated in order).
 *
 * @param tx canonical transactions (see `schema.ts`)
 * @param cfg the dataset's cleaning configuration
 * @param options which columns each file provides, and how many rows ingest read from each
 * @returns kept rows, quarantined rows with their reason, and the report; a report whose counts
 *   do not reconcile with `rowsRead` says so (`reconciles: false`), it does not throw
 * @throws {NothingKeptError} (from `report.ts`) when every line read was dropped (the message
 *   names the rules and their counts; the error carries the report)
 */
export function clean(tx: pl.DataFrame, cfg: CleaningConfig, options: CleanOptions): CleanResult {
  return runSteps(cleanSteps({ tx }, cfg, options));
}

/**
 * The rules' outcome: the report, the positions of the clean lines and of the quarantined ones,
 * and the quarantined lines' reasons (a generator of its own, so that its frames, which hold
 * columns of `tx`, are unreachable once it returns).
 */
function* reasons(
  tx: pl.DataFrame,
  cfg: CleaningConfig,
  options: CleanOptions,
): Steps<
  { report: CleaningReport; keptAt: pl.Series; droppedAt: pl.Series; reasonCodes: pl.DataFrame }
> {
  const rules = planRules(cfg, options.provided);
  const rowRules = applyRowRules(tx, rules, cfg);
  yield;
  const { df, ...figures } = applySetRules(rowRules, rules, cfg);
  yield;
  const counts = reconcile(df, options.rowsRead, Object.keys(options.provided));
  const warnings = cleaningWarnings(df, rules, cfg, counts);
  for (const w of warnings) (options.warn ?? warnLoudly)(w.message);
  const report = cleaningReport(rules, counts, figures, warnings);
  const reason = df.getColumn("reason");
  const isKept = reason.isNull();
  const droppedAt = isKept.not().argTrue();
  const reasonCodes = pl.DataFrame([reason]).select(pl.col("reason").gather(droppedAt))
    .select(reasonText(df));
  return { report, keptAt: isKept.argTrue(), droppedAt, reasonCodes };
}

/** The line table handed over to {@link cleanSteps}, which takes it apart two columns at a time. */
export interface LineTable {
  /** Canonical transactions; left without the canonical columns when the cleaning is done. */
  tx: pl.DataFrame;
}

/**
 * {@link clean} in steps, taking the line table over: it pauses after the row rules, the set
 * rules, and every two columns of the clean lines and quarantine, where the frames of the step
 * before can be released (run it with `runReleasing` on large data: without the pauses, every
 * intermediate frame stays allocated until the end). The columns of `lines.tx` are dropped from
 * it once their rows are taken, so that the table as read and the clean lines and quarantine are
 * never all in memory at once (when the caller holds the table only through `lines`).
 */
export function* cleanSteps(
  lines: LineTable,
  cfg: CleaningConfig,
  options: CleanOptions,
): Steps<CleanResult> {
  const { report, keptAt, droppedAt, reasonCodes } = yield* reasons(lines.tx, cfg, options);
  // The frames of the rules hold columns of the table: with them gone (this pause), each column
  // of the table is freed as soon as it is dropped from it.
  yield;
  const kept: pl.DataFrame[] = [];
  const quarantine: pl.DataFrame[] = [];
  // Two columns at a time: polars gathers them side by side (two cores), and only two columns of
  // the table are ever held twice.
  for (let i = 0; i < CANONICAL_COLUMNS.length; i += 2) {
    const cols = CANONICAL_COLUMNS.slice(i, i + 2);
    const taken = (at: pl.Series) => lines.tx.select(...cols.map((c) => pl.col(c).gather(at)));
    kept.push(taken(keptAt));
    quarantine.push(taken(droppedAt));
    lines.tx = lines.tx.drop(cols);
    yield;
  }
  return {
    kept: pl.concat(kept, { how: "horizontal" }),
    quarantine: pl.concat([...quarantine, reasonCodes], { how: "horizontal" }),
    report,
  };
}
