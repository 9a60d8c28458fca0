/**
 * The model stage beside scikit-learn (`deno task bench`): times our model stage (k-means sweep
 * with restarts and exact silhouettes, segment classifier, loyalty KNN tuning, scoring) on the
 * default dataset, writes the same features to CSV and runs `sklearn_models.py` (k-means
 * k = kMin..kMax with n_init = restarts and exact silhouettes; a KNN grid search with
 * cross-validation over the loyalty model's k grid × weightings on the same training rows),
 * and prints the ratio beside its target (≤ 1×). Skips sklearn with a note when it is absent.
 *
 * @module
 */
import { join } from "node:path";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import type { SourceFile } from "../../src/pipeline/stages.ts";
import { forwardData, ingestAndClean, rfmStage, toArrays } from "../../src/pipeline/stages.ts";
import { modelStage } from "../../src/pipeline/model_stage.ts";
import type { CustomerArrays } from "../../src/pipeline/stages.ts";
import { type LoyaltyModel, scoreMany } from "../../src/score/score.ts";
import { explainMany } from "../../src/score/reasons.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { againstRatio, measureChild, pythonWith } from "./child.ts";
import process from "node:process";

/** CPU seconds (user + system) of this process so far: steadier than wall on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Rows as CSV (numbers only, header first). */
function csv(header: string[], rows: number[][]): string {
  return [header.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n";
}

/** Runs our model stage and the scikit-learn sweep on the same features, and prints both. */
export async function modelComparison(
  ds: DatasetConfig,
  sources: SourceFile[],
  root: string,
  log: (line: string) => void,
): Promise<void> {
  const quiet = new Progress(() => {});
  const c = ingestAndClean(ds, sources, quiet);
  const r = rfmStage(ds, c.kept, quiet, c.quarantine);
  const current = toArrays(r.customers, r.scores.rfm_segment);
  const forward = forwardData(ds, c);
  /** One run of the model stage: its wall and CPU time, and each stage's (progress lines). */
  const timed = async (workers: boolean) => {
    const stages: { stage: string; ms: number; cpu: number }[] = [];
    let last = performance.now();
    let lastCpu = cpuSeconds();
    const t0 = last;
    const cpu0 = lastCpu;
    const fitted = await modelStage(ds, current, forward, {}, (stage) => {
      const now = performance.now();
      const cpu = cpuSeconds();
      stages.push({ stage, ms: now - last, cpu: cpu - lastCpu });
      last = now;
      lastCpu = cpu;
    }, { workers });
    return {
      fitted,
      stages,
      wall: (performance.now() - t0) / 1000,
      cpu: cpuSeconds() - cpu0,
    };
  };
  // With the build's workers (K-Means, the baselines, half of each feature's weight trials and
  // part of the scoring) for the total; on one thread for the stages, whose own times a worker's
  // progress lines do not give. The build starts K-Means earlier, beside the features at the
  // cutoffs (here computed before the clock starts): here it runs beside the KNN tuning.
  const built = await timed(true);
  const one = await timed(false);
  const { fitted, stages } = one;
  const ours = built.wall;
  const sum = (re: RegExp) =>
    stages.filter((s) => re.test(s.stage)).reduce((a, s) => a + s.ms, 0) / 1000;
  const oursKmeans = sum(/^k-means$/);
  const oursLoyalty = sum(/^loyalty/);
  log(
    `bench: model stage on ${ds.id} (${current.customer_id.length} customers now, ${forward.features.customer_id.length} at the cutoff)`,
  );
  log(
    `  ours            ${ours.toFixed(2)} s in all (CPU ${
      built.cpu.toFixed(2)
    } s), with the build's workers (K-Means here beside the KNN tuning; the build starts it ` +
      "earlier, beside the features at the cutoffs)",
  );
  log(
    `  ours, one thread ${one.wall.toFixed(2)} s in all (CPU ${one.cpu.toFixed(2)} s); its stages:`,
  );
  for (const s of stages) {
    log(
      `    ${s.stage.padEnd(44)} ${(s.ms / 1000).toFixed(3)} s  (CPU ${s.cpu.toFixed(3)} s)`,
    );
  }

  scoringFigures(fitted.loyalty.model, current, ds.currency, log);

  const python = await pythonWith(["sklearn", "pandas"]);
  if (!python) {
    log("  scikit-learn: skipped (no python3 with sklearn; `apt-get install python3-sklearn`)");
    return;
  }
  const m = ds.model;
  const dir = await Deno.makeTempDir({ prefix: "bench-sklearn-" });
  try {
    const segCols = m.features.filter((f) => current.columns[f]);
    const logged = new Set(m.logFeatures);
    const segRows = current.customer_id.map((_, i) =>
      segCols.map((f) => {
        const v = current.columns[f][i];
        return logged.has(f) ? Math.log1p(Math.max(0, v)) : v;
      })
    );
    await Deno.writeTextFile(join(dir, "seg.csv"), csv(segCols, segRows));
    // The loyalty model's training rows: every snapshot's customers, its candidate features.
    const knnCols = m.loyalty.features.filter((f) => forward.snapshots[0].features.columns[f]);
    const knnRows: number[][] = [];
    for (const s of forward.snapshots) {
      s.features.customer_id.forEach((_, i) =>
        knnRows.push([...knnCols.map((f) => s.features.columns[f][i]), s.labels[i]])
      );
    }
    await Deno.writeTextFile(join(dir, "knn.csv"), csv([...knnCols, "label"], knnRows));
    const foldRows = Math.floor(knnRows.length * (m.knn.folds - 1) / m.knn.folds);
    const spec = {
      segmentation: join(dir, "seg.csv"),
      kMin: m.kmeans.kMin,
      kMax: m.kmeans.kMax,
      restarts: m.kmeans.restarts,
      maxIterations: m.kmeans.maxIterations,
      knn: join(dir, "knn.csv"),
      kGrid: m.loyalty.kGrid.filter((k) => k < foldRows),
      weights: m.knn.weights,
      folds: m.knn.folds,
      seed: m.seed,
    };
    await Deno.writeTextFile(join(dir, "spec.json"), JSON.stringify(spec));
    const run = await measureChild(python, [
      join(root, "tests/bench/sklearn_models.py"),
      join(dir, "spec.json"),
    ]);
    if (run.code !== 0) throw new Error(`sklearn_models.py failed:\n${run.stderr.slice(-3000)}`);
    const sk = JSON.parse(run.stdout.trim().split("\n").pop()!);
    log(
      `  scikit-learn    ${sk.total_s.toFixed(2)} s (k-means ${
        sk.kmeans_s.toFixed(2)
      } s: k ${spec.kMin}..${spec.kMax}, n_init ${spec.restarts}, exact silhouettes, best k ${sk.best_k}; ` +
        `KNN CV ${
          sk.knn_s.toFixed(2)
        } s: ${spec.kGrid.length} k × ${spec.weights.length} weightings, ${spec.folds} folds, ${sk.knn_rows} rows); process wall ${
          run.wall.toFixed(2)
        } s, peak ${run.peakMiB.toFixed(0)} MiB`,
    );
    log(`  model stage / scikit-learn sweep: ${againstRatio(ours, sk.total_s, 1)}`);
    log(
      `  k-means sweep (one thread) / scikit-learn k-means: ${
        againstRatio(oursKmeans, sk.kmeans_s, 1)
      }`,
    );
    log(
      `  loyalty (KNN tuning …, one thread) / scikit-learn KNN CV: ${
        againstRatio(oursLoyalty, sk.knn_s, 1)
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Batch scoring of every current customer with the fitted model, timed alone (the model's
 * neighbour index already built, as in the build): `scoreMany` (target < 1 s for CDNOW's 23.5 k
 * customers, issue #12) and `explainMany` (scores and reasons, the build's "score customers"),
 * best of three, wall and CPU.
 */
function scoringFigures(
  model: LoyaltyModel,
  current: CustomerArrays,
  currency: string | undefined,
  log: (line: string) => void,
): void {
  const inputs = current.customer_id.map((_, i) =>
    Object.fromEntries(model.features.map((f) => [f, current.columns[f][i]]))
  );
  const time = (run: () => unknown) => {
    let best = { wall: Infinity, cpu: Infinity };
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const c0 = cpuSeconds();
      run();
      const wall = (performance.now() - t0) / 1000;
      if (wall < best.wall) best = { wall, cpu: cpuSeconds() - c0 };
    }
    return `${best.wall.toFixed(3)} s (CPU ${best.cpu.toFixed(3)} s)`;
  };
  log(
    `  batch scoring of ${inputs.length} customers (k = ${model.knn.k}, ${model.knn.points.length} points)`,
  );
  log(
    `    scoreMany                                    ${
      time(() => scoreMany(model, inputs))
    }  target < 1 s for CDNOW`,
  );
  log(
    `    explainMany (scores and reasons)             ${
      time(() => explainMany(model, inputs, { currency }))
    }`,
  );
}
