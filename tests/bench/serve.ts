/**
 * `deno task bench:serve`: a bounded load test of the scoring service on loopback.
 *
 * Starts the real service (`src/cli/serve.ts`, a child process) on 127.0.0.1 with the default
 * dataset's model (`reports/model.json`; run `deno task build` first), then for concurrency 1, 8
 * and 64 sends single-customer requests — real customers' features from `reports/customers.csv`
 * — until a fixed number of requests or a fixed duration, whichever comes first, and prints the
 * throughput and latency percentiles (client-side, request written → whole answer read). Then
 * one batch row: requests of 1,000 customers at concurrency 1. Beside the client's figures, the
 * service's own handling time of the same requests (the `ms` of its log lines: body read,
 * validation, scoring, answer built). Every answer must be 200. Stops
 * the service with SIGTERM and exits by itself.
 *
 * The client is a minimal HTTP/1.1 keep-alive client, one TCP connection per concurrent worker
 * (as wrk does), so that on a small machine the figures measure the service rather than the
 * client; client and service still share the machine's cores.
 *
 * Target (issue #13): p99 under 10 ms at concurrency 8 for single-customer requests on the
 * default dataset; the figure is printed beside it (not asserted: machines differ and may be
 * loaded).
 *
 * Options: `--model PATH`, `--csv PATH` (customers to send), `--requests N` (per concurrency,
 * default 4000), `--seconds S` (per concurrency, default 10).
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../../src/lib/paths.ts";
import { parseOptions } from "../../src/lib/args.ts";
import { readCsv, startServiceProcess } from "../serve/service.ts";

const USAGE = "deno task bench:serve [--model PATH] [--csv PATH] [--requests N] [--seconds S]";
const { values } = parseOptions(Deno.args, {
  model: { type: "string", default: join(ROOT, "reports/model.json") },
  csv: { type: "string", default: join(ROOT, "reports/customers.csv") },
  requests: { type: "string", default: "4000" },
  seconds: { type: "string", default: "10" },
}, USAGE);
const REQUESTS = Math.min(100_000, Math.max(1, Number(values.requests)));
const SECONDS = Math.min(120, Math.max(1, Number(values.seconds)));
const CONCURRENCY = [1, 8, 64];
const TARGET = { concurrency: 8, p99Ms: 10 };

for (const p of [values.model, values.csv]) {
  if (!(await Deno.stat(p).then(() => true, () => false))) {
    console.error(`bench:serve: ${p} is missing; run \`npx deno task build\` first`);
    Deno.exit(1);
  }
}
const model = JSON.parse(await Deno.readTextFile(values.model)) as { features: string[] };
const customers = readCsv(await Deno.readTextFile(values.csv)).map((row) =>
  Object.fromEntries(model.features.map((f) => [f, Number(row[f])]))
);
const enc = new TextEncoder();
const bodies = customers.map((c) => enc.encode(JSON.stringify(c)));
const batchBodies = Array.from(
  { length: Math.ceil(customers.length / 1000) },
  (_, i) => enc.encode(JSON.stringify({ customers: customers.slice(i * 1000, i * 1000 + 1000) })),
);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Row {
  label: string;
  /** Handling times logged by the service (its "ms" field), sorted. */
  server: number[];
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  customers: number;
}

/**
 * A minimal HTTP/1.1 keep-alive client on one TCP connection (like wrk's): the service's cost,
 * not a full fetch stack's, dominates what it measures. Answers must carry Content-Length.
 */
class Connection {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #enc = new TextEncoder();
  #dec = new TextDecoder();
  private constructor(conn: Deno.TcpConn, readonly host: string) {
    this.#conn = conn;
  }
  static async open(port: number): Promise<Connection> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Connection(conn, `127.0.0.1:${port}`);
  }
  /** POSTs a JSON body and returns the status once the whole answer has arrived. */
  async post(path: string, body: Uint8Array): Promise<number> {
    const head = this.#enc.encode(
      `POST ${path} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.byteLength}\r\n\r\n`,
    );
    const req = new Uint8Array(head.byteLength + body.byteLength);
    req.set(head);
    req.set(body, head.byteLength);
    for (let off = 0; off < req.byteLength;) off += await this.#conn.write(req.subarray(off));
    for (;;) {
      const end = this.#headerEnd();
      if (end >= 0) {
        const headers = this.#dec.decode(this.#buf.subarray(0, end));
        const status = Number(headers.slice(9, 12));
        const m = headers.match(/\r\ncontent-length:\s*(\d+)/i);
        if (!m) throw new Error("answer without Content-Length");
        const total = end + 4 + Number(m[1]);
        while (this.#buf.byteLength < total) await this.#fill();
        this.#buf = this.#buf.slice(total);
        return status;
      }
      await this.#fill();
    }
  }
  #headerEnd(): number {
    const b = this.#buf;
    for (let i = 0; i + 3 < b.byteLength; i++) {
      if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
    }
    return -1;
  }
  async #fill(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const next = new Uint8Array(this.#buf.byteLength + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.byteLength);
    this.#buf = next;
  }
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** Sends `list` round-robin with `concurrency` connections until `max` requests or `seconds`. */
async function load(
  port: number,
  label: string,
  concurrency: number,
  list: Uint8Array[],
  perBody: number,
  max: number,
  seconds: number,
): Promise<Row> {
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const conns = await Promise.all(Array.from({ length: concurrency }, () => Connection.open(port)));
  const start = performance.now();
  const deadline = start + seconds * 1000;
  try {
    await Promise.all(conns.map(async (conn) => {
      while (next < max && performance.now() < deadline) {
        const body = list[next++ % list.length];
        const t0 = performance.now();
        try {
          if ((await conn.post("/v1/score", body)) !== 200) errors++;
        } catch {
          errors++;
          return;
        }
        latencies.push(performance.now() - t0);
      }
    }));
  } finally {
    for (const c of conns) c.close();
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label,
    server: [],
    concurrency,
    requests: latencies.length,
    errors,
    seconds: elapsed,
    latencies,
    customers: latencies.length * perBody,
  };
}

const fmt = (x: number, d = 2) => x.toFixed(d).padStart(8);

const svc = await startServiceProcess(["--model", values.model, "--no-watch"]);
/** Runs a phase and attaches the service's own handling times of its requests. */
async function phase(run: () => Promise<Row>): Promise<Row> {
  const from = svc.log.length;
  const row = await run();
  // the service logs each request after answering it: wait (bounded) for the last lines
  for (let i = 0; i < 100 && svc.log.length - from < row.requests + row.errors; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  row.server = svc.log.slice(from).filter((l) => l.event === "request").map((l) => Number(l.ms))
    .sort((a, b) => a - b);
  svc.log.length = 0; // keep memory flat
  return row;
}
const rows: Row[] = [];
try {
  console.log(
    `scoring service load test: ${values.model.replace(ROOT + "/", "")}, ` +
      `${customers.length} real customers, loopback ${svc.base}`,
  );
  console.log(`per concurrency: ${REQUESTS} requests or ${SECONDS} s, whichever comes first`);
  await load(svc.port, "warm-up", 4, bodies, 1, 500, 5);
  for (const c of CONCURRENCY) {
    rows.push(await phase(() => load(svc.port, "single", c, bodies, 1, REQUESTS, SECONDS)));
  }
  rows.push(
    await phase(() =>
      load(svc.port, "batch 1000", 1, batchBodies, 1000, Math.max(10, REQUESTS / 200), SECONDS)
    ),
  );
} finally {
  const status = await svc.stop();
  if (status.code !== 0) console.error(`the service exited with code ${status.code}`);
}

console.log("");
console.log(
  "                                                            client-side latency (ms)" +
    "          service handling (ms)",
);
console.log(
  "request     concurrency  requests  errors    req/s  customers/s      p50      p90      p99" +
    "      max      p50      p99",
);
for (const r of rows) {
  const l = r.latencies;
  console.log(
    `${r.label.padEnd(11)} ${String(r.concurrency).padStart(11)} ${
      String(r.requests).padStart(9)
    } ${String(r.errors).padStart(7)} ${fmt(r.requests / r.seconds, 0)} ${
      fmt(r.customers / r.seconds, 0).padStart(12)
    } ${fmt(percentile(l, 50))} ${fmt(percentile(l, 90))} ${fmt(percentile(l, 99))} ${
      fmt(l[l.length - 1] ?? NaN)
    } ${fmt(percentile(r.server, 50))} ${fmt(percentile(r.server, 99))}`,
  );
}
const target = rows.find((r) => r.label === "single" && r.concurrency === TARGET.concurrency)!;
const p99 = percentile(target.latencies, 99);
console.log("");
console.log(
  `target: p99 < ${TARGET.p99Ms} ms at concurrency ${TARGET.concurrency} (single customer): ` +
    `p99 = ${p99.toFixed(2)} ms — ${p99 < TARGET.p99Ms ? "met" : "NOT met"} on this machine ` +
    `(${navigator.hardwareConcurrency} cores, client and service on the same machine)`,
);
const errors = rows.reduce((s, r) => s + r.errors, 0);
if (errors > 0) {
  console.error(`${errors} request(s) failed`);
  Deno.exit(1);
}
