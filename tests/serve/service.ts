/**
 * Helpers of the scoring service tests and its load benchmark: a small synthetic loyalty model
 * (so that the tests need no build outputs), starting the real service as a child process on a
 * loopback port (the bound port is read from its first log line), and reading its log.
 *
 * Every wait is bounded; a child that does not start within the limit is killed and its
 * standard error reported.
 */
import { join } from "node:path";
import { fitKnn } from "../../src/score/neighbours.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import {
  DEFAULT_LIMITS,
  type LoyaltyModel,
  makeScoreScale,
  scoreCustomer,
  type ScoreResult,
} from "../../src/score/score.ts";
import { explainScore, type Reason } from "../../src/score/reasons.ts";
import { ROOT } from "../../src/lib/paths.ts";

/** The Deno binary running the tests. */
export const DENO = Deno.execPath();

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

/** Feature values of a made-up customer (valid for the scoring module's checks). */
export function randomCustomer(r: () => number): Record<string, number> {
  const frequency = 1 + Math.floor(r() * r() * 40);
  const recency_days = Math.floor(r() * 700);
  const tenure_days = recency_days + Math.floor(r() * 400);
  const monetary = Math.round((20 + r() * 300 * frequency) * 100) / 100;
  return {
    recency_days,
    frequency,
    monetary,
    tenure_days,
    avg_order_value: monetary / frequency,
  };
}

/**
 * A synthetic loyalty model file (plain JSON, as the build writes one): 400 made-up customers,
 * labels from a rule on recency and frequency, all five features, `log1p` then standardised.
 *
 * @param k neighbours that vote
 * @param weighting vote weighting
 * @param seed data seed
 */
export function syntheticModel(
  k = 7,
  weighting: "uniform" | "distance" = "uniform",
  seed = 11,
): Record<string, unknown> {
  const r = rng(seed);
  const features = ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"];
  const rows = Array.from({ length: 400 }, () => randomCustomer(r));
  const labels = rows.map((c) =>
    c.recency_days < 120 && c.frequency >= 5 ? 2 : c.recency_days < 300 || r() < 0.2 ? 1 : 0
  );
  const columns = Object.fromEntries(features.map((f) => [f, rows.map((c) => c[f])]));
  const scaler = fitScaler(columns, features, features);
  const points = transform(scaler, columns);
  return {
    kind: "rfm-loyalty-knn",
    version: 1,
    features,
    scaler,
    knn: fitKnn(points, labels, { k, weighting, nClasses: 3 }),
    customerIds: rows.map((_, i) => `S${1000 + i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2023-01-01",
    windowEnd: "2024-01-01",
    score: makeScoreScale(),
    limits: DEFAULT_LIMITS,
    dataset: "synthetic",
    trainingFingerprint: `synthetic-${seed}`,
    trainedOn: "400 made-up customers",
    libraries: {},
  };
}

/**
 * What the service answers for one customer, as it travels through JSON: `scoreCustomer`'s
 * result with `explainScore`'s reasons when the customer is scored, else the field errors.
 */
export function serviceAnswer(
  model: LoyaltyModel,
  input: Record<string, unknown>,
): ScoreResult | (ScoreResult & { reasons: Reason[] }) {
  const r = scoreCustomer(model, input);
  return JSON.parse(JSON.stringify(r.ok ? { ...r, reasons: explainScore(model, input) } : r));
}

/** Writes a file atomically (temporary file beside it, then rename), as a deploy would. */
export async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/** A parsed log line of the service. */
export type LogLine = Record<string, unknown> & { event: string };

/** A service running as a child process. */
export interface ServiceProcess {
  /** `http://127.0.0.1:<port>` */
  base: string;
  port: number;
  /** Log lines so far (parsed JSON). */
  log: LogLine[];
  /** Standard output lines that were not JSON. */
  other: string[];
  /** Standard error so far. */
  stderr(): string;
  /** Waits (bounded) for a log line matching `pred`, looking from line `from` on. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, from?: number): Promise<LogLine>;
  /** Sends a signal to the child. */
  signal(sig: Deno.Signal): void;
  /** Sends SIGTERM (unless `signal` is null) and waits for the exit (bounded; then SIGKILL). */
  stop(sig?: Deno.Signal | null, timeoutMs?: number): Promise<Deno.CommandStatus>;
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  if (buf) onLine(buf);
}

/**
 * Starts `src/cli/serve.ts` with `args` (plus `--port 0` unless a port is given) and waits for
 * its "listening" log line.
 *
 * @param args command-line options
 * @param keepLog keep every log line (false: only the non-request ones, for long benchmarks)
 * @throws when it exits or does not listen within `timeoutMs`
 */
export async function startServiceProcess(
  args: string[],
  { timeoutMs = 60_000, keepLog = true } = {},
): Promise<ServiceProcess> {
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      join(ROOT, "src/cli/serve.ts"),
      ...args,
      ...(args.includes("--port") ? [] : ["--port", "0"]),
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: LogLine[] = [];
  const other: string[] = [];
  let err = "";
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const outDone = pump(child.stdout, (line) => {
    try {
      const rec = JSON.parse(line) as LogLine;
      if (keepLog || rec.event !== "request") log.push(rec);
    } catch {
      other.push(line);
    }
    notify();
  });
  const errDone = pump(child.stderr, (line) => {
    err += line + "\n";
    notify();
  });
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then((s) => {
    exited = s;
    notify();
    return s;
  });

  const waitForLog = (
    pred: (l: LogLine) => boolean,
    timeout = 30_000,
    from = 0,
  ): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = log.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        } else if (exited) {
          done();
          reject(
            new Error(`service exited (code ${exited.code}) before the log line; stderr:\n${err}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no such log line within ${timeout} ms; stderr:\n${err}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const stop = async (sig: Deno.Signal | null = "SIGTERM", timeout = 30_000) => {
    if (!exited && sig) {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        resolve();
      }, timeout);
    });
    const s = await Promise.race([status, killed.then(() => status)]);
    clearTimeout(timer);
    await Promise.all([outDone, errDone]);
    return s;
  };

  let listening: LogLine;
  try {
    listening = await waitForLog((l) => l.event === "listening", timeoutMs);
  } catch (e) {
    await stop("SIGKILL", 5000);
    throw e;
  }
  const port = Number(listening.port);
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    log,
    other,
    stderr: () => err,
    waitForLog,
    signal: (sig) => child.kill(sig),
    stop,
  };
}

/** POSTs JSON (or raw text) to the service and returns the status, headers and parsed body. */
export async function post(
  base: string,
  body: unknown,
  { path = "/v1/score", headers = {} as Record<string, string>, raw = false } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: raw ? body as string : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** GETs a path and returns the status, headers and parsed body. */
export async function get(
  base: string,
  path: string,
  { method = "GET", headers = {} as Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | null }> {
  const res = await fetch(base + path, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** Reads a CSV written by polars (no quoted commas in the columns used here) into rows. */
export function readCsv(text: string): Record<string, string>[] {
  const lines = text.trimEnd().split("\n");
  const header = splitCsvLine(lines[0]);
  return lines.slice(1).map((l) => {
    const cells = splitCsvLine(l);
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
  });
}

/** Splits one CSV line, honouring double quotes. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
