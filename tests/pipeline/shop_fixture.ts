/**
 * A small synthetic shop for the crash and fault tests of the build (seeded, a few hundred
 * customers, builds in seconds), and helpers to run the build as a child process.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { exists } from "../../src/lib/files.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { siteBusy } from "../../src/site/framework.ts";

/** The Deno that runs the tests (and the children). */
export const DENO = Deno.execPath();

/** A module of `src/` as a file URL (for scripts written to temporary folders). */
export const src = (p: string) => new URL(`../../src/${p}`, import.meta.url).href;

/** A small seeded generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A made-up shop's transactions; `variant` 2 has more customers, so every output differs. */
export async function writeShop(dir: string, variant: number): Promise<void> {
  const r = rng(7);
  const lines = ["Order Ref,Article,Pieces,Ordered At,Each EUR,Client No,Market"];
  let order = 1000;
  for (let c = 1; c <= 160 + 40 * variant; c++) {
    const kind = c % 3;
    const orders = kind === 0 ? 6 + Math.floor(r() * 10) : kind === 1 ? 2 + Math.floor(r() * 3) : 1;
    for (let o = 0; o < orders; o++) {
      const d = new Date(Date.UTC(2022, 0, 1) + Math.floor(r() * 720) * 86_400_000);
      const when = `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} 10:00`;
      const qty = 1 + Math.floor(r() * 12);
      lines.push(
        `S${order++},A${100 + (c % 40)},${qty},${when},${(1 + r() * 40).toFixed(2)},${c},DE`,
      );
    }
  }
  await Deno.writeTextFile(join(dir, "shop.csv"), lines.join("\n") + "\n");
}

/** How the shop's export at `path` is read: a fresh file description (callers may change it). */
export function shopFile(path: string): Record<string, unknown> {
  return {
    path,
    format: "csv",
    columns: {
      invoice: "Order Ref",
      stock_code: "Article",
      quantity: "Pieces",
      timestamp: "Ordered At",
      unit_price: "Each EUR",
      customer_id: "Client No",
      country: "Market",
    },
    timestampFormat: "%d/%m/%Y %H:%M",
  };
}

/** The shop's dataset description; its outputs go below `dir/out` unless given. */
export async function writeConfig(
  dir: string,
  outputs = { reports: join(dir, "out", "reports"), processed: join(dir, "out", "processed") },
): Promise<string> {
  const cfg = join(dir, "shop.json");
  await Deno.writeTextFile(
    cfg,
    JSON.stringify({
      id: "crash-shop",
      title: "Crash shop",
      timezone: "UTC",
      currency: "EUR",
      outputs,
      files: [shopFile("shop.csv")],
      model: {
        kmeans: { kMin: 2, kMax: 3, restarts: 2 },
        forward: { cutoff: "2023-01-01", windowEnd: "2024-01-01", loyalMinInvoices: 3 },
        knn: { kGrid: [3, 5], folds: 3 },
      },
    }),
  );
  return cfg;
}

/**
 * Runs `fn` in a fresh temporary folder holding the shop (variant 1) and its configuration, whose
 * relative outputs (`r`, `p`) land below the `--out` folder a build is given; removed afterwards.
 */
export async function withShop(
  prefix: string,
  fn: (dir: string, cfg: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await writeShop(dir, 1);
    await fn(dir, await writeConfig(dir, { reports: "r", processed: "p" }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The reports folder of a shop written by {@link writeConfig} with default outputs. */
export const reportsOf = (dir: string) => join(dir, "out", "reports");
/** The processed folder of a shop written by {@link writeConfig} with default outputs. */
export const processedOf = (dir: string) => join(dir, "out", "processed");

/** Runs a command to the end; returns its status and standard error. */
export async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

export const buildArgs = (cfg: string, ...extra: string[]) => [
  "run",
  "-A",
  join(ROOT, "src/cli/build.ts"),
  "--dataset",
  cfg,
  ...extra,
];

/**
 * Waits (at most five minutes) until no other site build or preview is using the notebooks, so
 * that a test running Framework is not refused because a developer is building a site.
 */
export async function notebooksFree(): Promise<void> {
  for (let i = 0; i < 600 && (await siteBusy()); i++) {
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Asserts that the reports folder `R` and the processed folder `P` hold the RFM-only outputs of a
 * build (`--until rfm`, or a skipped model stage): the data-stage files, and no model or site.
 */
export async function assertRfmOnly(R: string, P: string): Promise<void> {
  for (const f of ["cleaning.json", "rfm.json", "customers.csv", "results.json", "manifest.json"]) {
    assert.ok(await exists(join(R, f)), `${f} is published`);
  }
  for (const f of ["transactions.parquet", "quarantine.parquet", "customers.parquet"]) {
    assert.ok(await exists(join(P, f)), `${f} is published`);
  }
  for (const f of ["metrics.json", "heldout.csv", "model.json", "site"]) {
    assert.equal(await exists(join(R, f)), false, `${f} is not published`);
  }
}

/** The one public path (not inside the store's `.builds`) of a file named `name` below `dir`. */
export function findPublic(dir: string, name: string): string {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.name === ".builds") continue;
      const p = join(d, e.name);
      if (e.name === name) found.push(p);
      else if (e.isDirectory) walk(p);
    }
  };
  walk(dir);
  assert.equal(found.length, 1, `one public ${name} below ${dir}: ${found.join(", ")}`);
  return found[0];
}
