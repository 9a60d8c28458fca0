/**
 * Whether the bench's targets are within the stack's reach at a scale, on this machine: the
 * verdict over runs of polars alone doing the plain script (lazy, and in chunks of several
 * sizes), which is less work than the build (no checks, quarantine, report, snapshot or
 * outputs). When none of them meets both targets (wall and peak each ≤ `limit` × pandas), the
 * build cannot be expected to either, by tuning: the targets then need another reader or
 * another target, which is a decision, not a fix.
 *
 * @module
 */

/** One measured run of the stack alone. */
export interface FloorRun {
  /** What was run ("lazy scan", "chunks of 4 MiB"). */
  label: string;
  /** Wall time, seconds. */
  wall: number;
  /** Peak resident memory, MiB. */
  peak: number;
}

/** The verdict of {@link floorVerdict}. */
export interface FloorVerdict {
  /** Some run met both targets. */
  reachable: boolean;
  /** The runs that met both targets (best wall first). */
  meeting: FloorRun[];
  /** The run with the least wall time. */
  fastest: FloorRun;
  /** The run with the least peak memory. */
  leanest: FloorRun;
  /** One sentence for the bench's output. */
  text: string;
}

/** The bench's target: wall time and peak memory each at most this × pandas' (issue 12). */
export const TARGET_RATIO = 0.5;

/**
 * Whether any run of the stack alone meets both targets against pandas (`wall ≤ limit × pandas`
 * and `peak ≤ limit × pandas`, in the same run).
 *
 * @example
 * ```ts
 * import { floorVerdict } from "./floor.ts";
 * const v = floorVerdict(
 *   [{ label: "lazy scan", wall: 0.75, peak: 424 }, { label: "chunks of 4 MiB", wall: 1.5, peak: 206 }],
 *   { wall: 2.2, peak: 288 },
 * );
 * if (v.reachable) throw new Error("neither run meets both targets");
 * ```
 *
 * @param runs the runs of the stack alone (at least one with finite, positive figures)
 * @param pandas the reference run's wall (s) and peak (MiB), both finite and positive
 * @param limit the target ratio, in (0, 1]
 * @throws {RangeError} on a run or reference that is not finite and positive, or a bad limit
 */
export function floorVerdict(
  runs: FloorRun[],
  pandas: { wall: number; peak: number },
  limit = TARGET_RATIO,
): FloorVerdict {
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  if (!(limit > 0 && limit <= 1)) throw new RangeError(`limit must be in (0, 1], got ${limit}`);
  if (!positive(pandas.wall) || !positive(pandas.peak)) {
    throw new RangeError(`pandas' wall and peak must be positive (${pandas.wall}, ${pandas.peak})`);
  }
  if (runs.length === 0) throw new RangeError("no runs of the stack alone to judge");
  for (const r of runs) {
    if (!positive(r.wall) || !positive(r.peak)) {
      throw new RangeError(
        `run "${r.label}": wall and peak must be positive (${r.wall}, ${r.peak})`,
      );
    }
  }
  const ratio = (r: FloorRun) =>
    `${(r.wall / pandas.wall).toFixed(2)}×, ${(r.peak / pandas.peak).toFixed(2)}×`;
  const meeting = runs
    .filter((r) => r.wall <= limit * pandas.wall && r.peak <= limit * pandas.peak)
    .sort((a, b) => a.wall - b.wall);
  const fastest = runs.reduce((a, b) => (b.wall < a.wall ? b : a));
  const leanest = runs.reduce((a, b) => (b.peak < a.peak ? b : a));
  const text = meeting.length > 0
    ? `met by ${meeting.map((r) => `${r.label} (${ratio(r)})`).join(", ")}: both targets ` +
      `(≤ ${limit}× pandas) are within the stack's reach at this scale`
    : `no run of polars alone meets both targets (≤ ${limit}× pandas on wall and peak) at this ` +
      `scale (fastest: ${fastest.label}, ${ratio(fastest)}; leanest: ${leanest.label}, ` +
      `${ratio(leanest)}): the build does all of their work and more, so both targets in one ` +
      `run are out of this stack's reach on this machine`;
  return { reachable: meeting.length > 0, meeting, fastest, leanest, text };
}
