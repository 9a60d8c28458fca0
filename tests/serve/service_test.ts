/**
 * Integration tests of the scoring service: the real service (`src/cli/serve.ts`) started as a
 * child process on a loopback port, with a synthetic model written to a temporary folder. Each
 * status code, the error shape, the limits, robustness against malformed requests, the log
 * lines, authentication, CORS, and the command-line checks.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BatchResponse,
  ErrorResponse,
  Health,
  MAX_BATCH,
  MAX_BODY_BYTES,
  ModelCard,
  ScoreResponse,
} from "../../src/serve/schemas.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { DENO, get, post, startServiceProcess, syntheticModel } from "./service.ts";

const good = { recency_days: 12, frequency: 6, monetary: 840.5, tenure_days: 400 };

async function withModelDir<T>(fn: (modelPath: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "serve-test-" });
  try {
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, JSON.stringify(syntheticModel()));
    return await fn(path, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts an error answer's status, code and shape. */
function assertError(
  r: { status: number; body: Record<string, unknown> | null },
  status: number,
  code: string,
): Record<string, unknown> {
  assert.equal(r.status, status, JSON.stringify(r.body));
  const parsed = ErrorResponse.parse(r.body);
  assert.equal(parsed.error.status, status);
  assert.equal(parsed.error.code, code);
  return r.body as Record<string, unknown>;
}

Deno.test("service: every status code, the error shape, and it never dies", async () => {
  await withModelDir(async (modelPath) => {
    const svc = await startServiceProcess(["--model", modelPath, "--no-watch"]);
    try {
      // 200: one customer, a batch, the model card, health, the OpenAPI document
      const one = await post(svc.base, { customer_id: "SENTINEL-ID-1", ...good });
      assert.equal(one.status, 200);
      const parsedOne = ScoreResponse.parse(one.body);
      assert.equal(parsedOne.result.customer_id, "SENTINEL-ID-1");
      assert.equal(one.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(one.headers.get("access-control-allow-origin"), null, "CORS is off by default");

      const batch = await post(svc.base, {
        customers: [good, { customer_id: 7, ...good, frequency: 0 }, { ...good, monetary: "12" }],
      });
      assert.equal(batch.status, 200);
      const pb = BatchResponse.parse(batch.body);
      assert.deepEqual([pb.scored, pb.failed], [2, 1]);
      assert.deepEqual(pb.results.map((r) => r.ok), [true, false, true]);
      assert.equal(pb.results[1].customer_id, 7);
      assert.equal(pb.results[1].ok === false && pb.results[1].errors[0].field, "frequency");

      const card = await get(svc.base, "/v1/model");
      assert.equal(card.status, 200);
      const pc = ModelCard.parse(card.body);
      assert.equal(pc.dataset, "synthetic");
      assert.equal(pc.fingerprint, parsedOne.model.fingerprint);
      assert.deepEqual(pc.requestLimits, { maxBatch: MAX_BATCH, maxBodyBytes: MAX_BODY_BYTES });
      assert.equal(pc.metrics, null, "no metrics.json beside the model");
      assert.deepEqual(pc.features.map((f) => [f.name, f.required]), [
        ["recency_days", true],
        ["frequency", true],
        ["monetary", true],
        ["tenure_days", true],
        ["avg_order_value", false],
      ]);
      const sha = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(modelPath))),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assert.equal(pc.fingerprint, sha, "the fingerprint is the model file's sha256");

      const health = await get(svc.base, "/healthz");
      assert.equal(health.status, 200);
      Health.parse(health.body);
      const head = await fetch(`${svc.base}/healthz`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      const openapi = await get(svc.base, "/openapi.json");
      assert.equal(openapi.status, 200);
      assert.equal(openapi.body?.openapi, "3.1.0");

      // 400 invalid_input: the fields named, in the documented shape
      const bad = assertError(
        await post(svc.base, { ...good, recency_days: -1, frequency: "abc", monetary: true }),
        400,
        "invalid_input",
      );
      const fields = (bad.error as { fields: { field: string; message: string }[] }).fields;
      assert.deepEqual(fields.map((f) => f.field), ["recency_days", "frequency", "monetary"]);
      assert.equal(fields[0].message, "recency_days must not be negative (got -1)");
      assert.deepEqual(
        (assertError(await post(svc.base, {}), 400, "invalid_input").error as {
          fields: { field: string }[];
        }).fields.map((f) => f.field),
        ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"],
      );
      // non-finite numbers as strings, a number too large for a double, an over-long string
      for (
        const [value, message] of [
          ["NaN", 'frequency must be a number (got "NaN")'],
          ["Infinity", 'frequency must be a number (got "Infinity")'],
          ["1e999", "frequency must be a finite number"],
          [
            "0".repeat(64) + "5",
            "frequency must be a number or a numeric string of at most 64 characters",
          ],
          ["9".repeat(65), "frequency must be at most 100000 (got 1e+65)"],
        ]
      ) {
        const r = assertError(
          await post(svc.base, { ...good, frequency: value }),
          400,
          "invalid_input",
        );
        assert.equal((r.error as { fields: { message: string }[] }).fields[0].message, message);
      }
      const inf = assertError(
        await post(svc.base, `{"recency_days":1e999,"frequency":2,"monetary":3,"tenure_days":4}`, {
          raw: true,
        }),
        400,
        "invalid_input",
      );
      assert.equal(
        (inf.error as { fields: { message: string }[] }).fields[0].message,
        "recency_days must be a finite number (got Infinity)",
      );

      // 400 invalid_json / invalid_request
      assertError(await post(svc.base, '{"recency_days": 1,', { raw: true }), 400, "invalid_json");
      assertError(await post(svc.base, "", { raw: true }), 400, "invalid_json");
      assertError(await post(svc.base, "nonsense", { raw: true }), 400, "invalid_json");
      assertError(
        await post(svc.base, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) as unknown as string, {
          raw: true,
        }),
        400,
        "invalid_json",
      );
      assertError(await post(svc.base, [good]), 400, "invalid_request");
      assertError(await post(svc.base, "null", { raw: true }), 400, "invalid_json");
      const over = assertError(
        await post(svc.base, { customers: Array.from({ length: MAX_BATCH + 1 }, () => good) }),
        400,
        "invalid_request",
      );
      assert.match(
        JSON.stringify(over),
        /customers must hold at most 1000 customers per request \(got 1001\)/,
      );
      assertError(await post(svc.base, { customers: [] }), 400, "invalid_request");
      assertError(await post(svc.base, { customers: "all" }), 400, "invalid_request");
      assertError(await post(svc.base, { customers: [good, 42] }), 400, "invalid_request");
      assertError(
        await post(svc.base, { ...good, customer_id: { nested: [[[{ junk: true }]]] } }),
        400,
        "invalid_request",
      );
      // nested junk in ignored fields and deep nesting in the body do no harm
      const deep = "[".repeat(5000) + "]".repeat(5000);
      assert.equal(
        (await post(
          svc.base,
          `{"x": ${deep}, "recency_days": 1, "frequency": 1, ` +
            `"monetary": 5, "tenure_days": 1}`,
          { raw: true },
        )).status,
        200,
      );
      assertError(
        await post(svc.base, `{"x": ${"[".repeat(200000)}`, { raw: true }),
        400,
        "invalid_json",
      );

      // 404, 405 (with Allow), 415
      assertError(await get(svc.base, "/v2/score"), 404, "not_found");
      assertError(await get(svc.base, "/"), 404, "not_found");
      const wrong = await get(svc.base, "/v1/score");
      assertError(wrong, 405, "method_not_allowed");
      assert.equal(wrong.headers.get("allow"), "POST");
      const del = await get(svc.base, "/v1/model", { method: "DELETE" });
      assertError(del, 405, "method_not_allowed");
      assert.equal(del.headers.get("allow"), "GET, HEAD");
      assertError(
        await post(svc.base, "/healthz", { path: "/healthz" }),
        405,
        "method_not_allowed",
      );
      assertError(
        await post(svc.base, good, { headers: { "content-type": "text/plain" } }),
        415,
        "unsupported_media_type",
      );
      const noType = await fetch(`${svc.base}/v1/score`, {
        method: "POST",
        body: new Blob([JSON.stringify(good)]),
      });
      assertError(
        { status: noType.status, body: await noType.json() },
        415,
        "unsupported_media_type",
      );

      // 413: a declared length over the limit is refused before anything is read
      const big = "{" + " ".repeat(MAX_BODY_BYTES + 10) + "}";
      assertError(await post(svc.base, big, { raw: true }), 413, "body_too_large");

      // 413: a streamed body (no length) is abandoned once it passes the limit; the client's
      // stream is not drained (100 MiB offered, far less pulled)
      let pulled = 0;
      const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("{"));
          pulled += 1;
        },
        pull(c) {
          if (pulled >= 100 * 1024 * 1024) return c.close();
          pulled += chunk.byteLength;
          c.enqueue(chunk);
        },
      });
      let streamedStatus = 0;
      try {
        const res = await fetch(`${svc.base}/v1/score`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: stream,
        });
        streamedStatus = res.status;
        assertError({ status: res.status, body: await res.json() }, 413, "body_too_large");
      } catch {
        // the server may close the connection while the client is still sending: also fine,
        // as long as it did not read everything (below) and stays up (further below)
        streamedStatus = 413;
      }
      assert.equal(streamedStatus, 413);
      assert.ok(pulled < 32 * 1024 * 1024, `the client had to send ${pulled} bytes`);

      // still alive and answering after all that
      assert.equal((await post(svc.base, good)).status, 200);
      assert.equal((await get(svc.base, "/healthz")).status, 200);

      // one structured line per request: method, path, status, latency; no customer data
      const requests = svc.log.filter((l) => l.event === "request");
      assert.ok(requests.length >= 30, `${requests.length} request lines`);
      for (const l of requests) {
        assert.equal(typeof l.method, "string");
        assert.equal(typeof l.path, "string");
        assert.equal(typeof l.status, "number");
        assert.equal(typeof l.ms, "number");
        assert.equal(typeof l.time, "string");
      }
      const statuses = new Set(requests.map((l) => l.status));
      for (const s of [200, 400, 404, 405, 413, 415]) assert.ok(statuses.has(s), `logged ${s}`);
      const all = svc.log.map((l) => JSON.stringify(l)).join("\n") + svc.other.join("\n");
      assert.ok(!all.includes("SENTINEL-ID-1"), "customer ids are not logged");
      assert.ok(!all.includes("840.5"), "customer values are not logged");
    } finally {
      const status = await svc.stop();
      assert.equal(status.code, 0, svc.stderr());
    }
  });
});

Deno.test("service: bearer token (401), open health and OpenAPI, CORS on request", async () => {
  await withModelDir(async (modelPath, dir) => {
    const tokenFile = join(dir, "token");
    const token = "s3cret-token-0123456789abcdef";
    await Deno.writeTextFile(tokenFile, token + "\n");
    const svc = await startServiceProcess([
      "--model",
      modelPath,
      "--no-watch",
      "--token-file",
      tokenFile,
      "--cors",
      "https://crm.example.com",
    ]);
    try {
      const none = assertError(await post(svc.base, good), 401, "unauthorized");
      assert.ok(!JSON.stringify(none).includes(token));
      const r401 = await post(svc.base, good, { headers: { authorization: "Bearer wrong" } });
      assertError(r401, 401, "unauthorized");
      assert.match(r401.headers.get("www-authenticate") ?? "", /^Bearer/);
      assertError(
        await post(svc.base, good, { headers: { authorization: `Basic ${token}` } }),
        401,
        "unauthorized",
      );
      assertError(await get(svc.base, "/v1/model"), 401, "unauthorized");
      const ok = await post(svc.base, good, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("access-control-allow-origin"), "https://crm.example.com");
      assert.equal(
        (await get(svc.base, "/v1/model", {
          headers: { authorization: `bearer ${token}` },
        })).status,
        200,
      );
      assert.equal((await get(svc.base, "/healthz")).status, 200);
      const doc = await get(svc.base, "/openapi.json");
      assert.equal(doc.status, 200);
      assert.ok((doc.body?.components as Record<string, unknown>).securitySchemes);
      const pre = await fetch(`${svc.base}/v1/score`, {
        method: "OPTIONS",
        headers: { origin: "https://crm.example.com", "access-control-request-method": "POST" },
      });
      await pre.body?.cancel();
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-methods"), "POST");
      assert.match(pre.headers.get("access-control-allow-headers") ?? "", /authorization/);
      assert.ok(!svc.log.map((l) => JSON.stringify(l)).join("").includes(token));
    } finally {
      assert.equal((await svc.stop()).code, 0);
    }
  });
});

async function runServe(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", join(ROOT, "src/cli/serve.ts"), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("service: command-line checks stop it before it listens", async () => {
  await withModelDir(async (modelPath, dir) => {
    const remote = await runServe(["--model", modelPath, "--host", "0.0.0.0", "--port", "0"]);
    assert.equal(remote.code, 2); // a usage mistake (runMain of src/lib/args.ts)
    assert.match(remote.stderr, /not a loopback address: add --allow-remote/);
    const unknown = await runServe(["--model", modelPath, "--prot", "1"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--prot'/);
    const both = await runServe(["--model", modelPath, "--dataset", "cdnow"]);
    assert.match(both.stderr, /--dataset and --model exclude each other/);
    const port = await runServe(["--model", modelPath, "--port", "http"]);
    assert.match(port.stderr, /--port needs a whole number/);
    await Deno.writeTextFile(join(dir, "short"), "abc");
    const weak = await runServe(["--model", modelPath, "--token-file", join(dir, "short")]);
    assert.match(weak.stderr, /the token must be at least 16 characters/);
    const missing = await runServe(["--model", join(dir, "nope.json"), "--port", "0"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.json/);
    const v2 = join(dir, "v2.json");
    await Deno.writeTextFile(v2, JSON.stringify({ ...syntheticModel(), version: 3 }));
    const old = await runServe(["--model", v2, "--port", "0"]);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /model format version 3 is not supported/);
  });
});
