/**
 * The service's life cycle, on the real service as a child process: graceful shutdown on
 * SIGTERM/SIGINT with a request in flight (finished; a request arriving meanwhile gets 503), and the model's hot reload (file change, SIGHUP),
 * where every answer must come wholly from the old or wholly from the new model and no request
 * may fail. Every wait is bounded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseModelFile } from "../../src/score/model_file.ts";
import type { LoyaltyModel } from "../../src/score/score.ts";
import type { Health as HealthSchema } from "../../src/serve/schemas.ts";
import type { z } from "zod";
import {
  post,
  randomCustomer,
  replaceFile,
  rng,
  serviceAnswer,
  startServiceProcess,
  syntheticModel,
} from "./service.ts";

const good = { recency_days: 12, frequency: 6, monetary: 840.5, tenure_days: 400 };
type Health = z.infer<typeof HealthSchema>;
const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", enc(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function tempModel(): Promise<{ dir: string; path: string; text: string }> {
  const dir = await Deno.makeTempDir({ prefix: "serve-life-" });
  const path = join(dir, "model.json");
  const text = JSON.stringify(syntheticModel(7, "uniform", 11));
  await Deno.writeTextFile(path, text);
  return { dir, path, text };
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`shutdown on ${sig}: a request in flight is finished, then the process exits 0`, async () => {
    const { dir, path, text } = await tempModel();
    const model = parseModelFile(JSON.parse(text)).model;
    const svc = await startServiceProcess(["--model", path, "--no-watch"]);
    try {
      // A request whose body is still arriving when the signal comes.
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const json = JSON.stringify(good);
      const pending = fetch(`${svc.base}/v1/score`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      controller.enqueue(enc(json.slice(0, 12)));
      // Wait (bounded) until the service is handling it: /healthz counts itself and that one.
      let inFlight = 0;
      let healthChecks = 0;
      for (let i = 0; i < 200 && inFlight < 2; i++, healthChecks++) {
        if (i > 0) await sleep(50);
        inFlight = ((await (await fetch(`${svc.base}/healthz`)).json()) as Health).inFlight;
      }
      assert.equal(inFlight, 2);
      svc.signal(sig);
      await svc.waitForLog((l) => l.event === "shutting down" && l.reason === sig, 20_000);
      // While it drains, new requests are turned away with 503.
      const late = await fetch(`${svc.base}/healthz`);
      assert.equal(late.status, 503);
      assert.equal((await late.json()).error.code, "shutting_down");
      controller.enqueue(enc(json.slice(12)));
      controller.close();
      const res = await pending;
      const answer = await res.json();
      assert.equal(res.status, 200, JSON.stringify(answer));
      assert.deepEqual(answer.result, serviceAnswer(model, good));
      const status = await svc.stop(null);
      assert.equal(status.code, 0, svc.stderr());
      const stopped = svc.log.find((l) => l.event === "stopped");
      assert.ok(stopped, "logs that it stopped");
      assert.equal(stopped.requests, 2 + healthChecks);
    } finally {
      await svc.stop("SIGKILL", 5000);
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Answers recorded by the load loop. */
interface Seen {
  status: number;
  fingerprint: string;
  input: Record<string, unknown>;
  result: unknown;
}

Deno.test("hot reload on file change: atomic switch, no failed request, bad files refused", async () => {
  const { dir, path, text: textA } = await tempModel();
  const textB = JSON.stringify(syntheticModel(3, "distance", 12));
  const textC = JSON.stringify(syntheticModel(9, "uniform", 13));
  const models = new Map<string, LoyaltyModel>();
  for (const t of [textA, textB, textC]) {
    models.set(await sha256Hex(t), parseModelFile(JSON.parse(t)).model);
  }
  const [fpA, fpB, fpC] = [...models.keys()];
  const svc = await startServiceProcess(["--model", path]);
  const seen: Seen[] = [];
  let stop = false;
  const r = rng(5);
  // Four clients scoring continuously (bounded: at most 3,000 requests in all).
  const clients = Array.from({ length: 4 }, async () => {
    while (!stop && seen.length < 3000) {
      const input = Math.floor(r() * 10) === 0 ? { ...good, frequency: 0 } : randomCustomer(r);
      const res = await post(svc.base, { customers: [input] });
      const body = res.body as { model: { fingerprint: string }; results: unknown[] };
      seen.push({
        status: res.status,
        fingerprint: body.model.fingerprint,
        input,
        result: body.results[0],
      });
    }
  });
  const waitSeen = async (fp: string, n: number) => {
    for (let i = 0; i < 400 && seen.filter((s) => s.fingerprint === fp).length < n; i++) {
      await sleep(25);
    }
  };
  try {
    await waitSeen(fpA, 20);
    let from = svc.log.length;
    await replaceFile(path, textB);
    const reloaded = await svc.waitForLog((l) => l.event === "model reloaded", 20_000, from);
    assert.equal(reloaded.fingerprint, fpB);
    assert.equal(reloaded.previous, fpA);
    assert.equal(reloaded.trigger, "file change");
    await waitSeen(fpB, 20);

    // A damaged or incompatible file is refused; the current model stays.
    from = svc.log.length;
    await replaceFile(path, JSON.stringify({ ...JSON.parse(textC), version: 3 }));
    const failed = await svc.waitForLog((l) => l.event === "model reload failed", 20_000, from);
    assert.match(String(failed.error), /format version 3/);
    const afterFailure = seen.length;
    await waitSeen(fpB, seen.filter((s) => s.fingerprint === fpB).length + 20);
    assert.ok(seen.slice(afterFailure).every((s) => s.fingerprint === fpB));

    from = svc.log.length;
    await replaceFile(path, textC);
    const third = await svc.waitForLog((l) => l.event === "model reloaded", 20_000, from);
    assert.equal(third.fingerprint, fpC);
    await waitSeen(fpC, 20);

    // SIGHUP with the same file: nothing changes.
    from = svc.log.length;
    svc.signal("SIGHUP");
    const same = await svc.waitForLog((l) => l.event === "model unchanged", 20_000, from);
    assert.equal(same.trigger, "SIGHUP");
  } finally {
    stop = true;
    await Promise.all(clients);
    const status = await svc.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, svc.stderr());
  }
  // No request failed, and each answer is exactly its model's answer (never a mix).
  assert.ok(seen.length > 60, `${seen.length} requests`);
  for (const s of seen) {
    assert.equal(s.status, 200);
    const model = models.get(s.fingerprint);
    assert.ok(model, `unknown fingerprint ${s.fingerprint}`);
    assert.deepEqual(s.result, serviceAnswer(model, s.input));
  }
  // All three models answered, and the last answers came from the last one.
  assert.deepEqual(new Set(seen.map((s) => s.fingerprint)), new Set([fpA, fpB, fpC]));
  assert.equal(seen[seen.length - 1].fingerprint, fpC);
});

Deno.test("reload on SIGHUP (file watching off)", async () => {
  const { dir, path, text: textA } = await tempModel();
  const textB = JSON.stringify(syntheticModel(3, "distance", 12));
  const svc = await startServiceProcess(["--model", path, "--no-watch"]);
  try {
    const a = await post(svc.base, good);
    assert.equal((a.body.model as { fingerprint: string }).fingerprint, await sha256Hex(textA));
    await replaceFile(path, textB);
    const from = svc.log.length;
    svc.signal("SIGHUP");
    const hup = await svc.waitForLog((l) => l.event === "model reloaded", 20_000, from);
    assert.equal(hup.trigger, "SIGHUP");
    const b = await post(svc.base, good);
    assert.equal((b.body.model as { fingerprint: string }).fingerprint, await sha256Hex(textB));
    const modelB = parseModelFile(JSON.parse(textB)).model;
    assert.deepEqual(b.body.result, serviceAnswer(modelB, good));
  } finally {
    assert.equal((await svc.stop()).code, 0);
    await Deno.remove(dir, { recursive: true });
  }
});
