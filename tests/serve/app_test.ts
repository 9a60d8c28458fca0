/**
 * The service's parts, in process: the OpenAPI document is generated from the request schemas
 * (one source of truth) and names every status the handler answers; the bounded body reader;
 * the handler never throws, even when something inside it fails; token checks; loopback
 * addresses; the metrics summary of the model card.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { createHandler } from "../../src/serve/app.ts";
import { bearerChecker } from "../../src/serve/auth.ts";
import { BodyError, isJsonContentType, readJsonObject } from "../../src/serve/body.ts";
import { jsonLogger, type LogRecord } from "../../src/serve/log.ts";
import { loadModel, metricsSummary } from "../../src/serve/model_store.ts";
import { openApiDocument } from "../../src/serve/openapi.ts";
import {
  BatchRequest,
  CustomerInput,
  ERROR_CODES,
  MAX_BATCH,
  MAX_BODY_BYTES,
} from "../../src/serve/schemas.ts";
import { isLoopback } from "../../src/serve/server.ts";
import { join } from "node:path";
import { syntheticModel } from "./service.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

Deno.test("the OpenAPI document's request schemas are the validating zod schemas", () => {
  const doc = openApiDocument() as Doc;
  assert.equal(doc.openapi, "3.1.0");
  const direct = (s: z.ZodType) => {
    const j = z.toJSONSchema(s, { io: "input" }) as Record<string, unknown>;
    delete j.$schema;
    return j;
  };
  assert.deepEqual(doc.components.schemas.CustomerInput, direct(CustomerInput));
  const batch = doc.components.schemas.BatchRequest as {
    properties: { customers: { maxItems: number; minItems: number; items: unknown } };
  };
  assert.equal(batch.properties.customers.maxItems, MAX_BATCH);
  assert.equal(batch.properties.customers.minItems, 1);
  assert.deepEqual(batch.properties.customers.items, {
    $ref: "#/components/schemas/CustomerInput",
  });
  // every feature of the registry is a documented field
  const props = (doc.components.schemas.CustomerInput as { properties: Record<string, unknown> })
    .properties;
  for (
    const f of ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"]
  ) assert.ok(props[f], f);
  // every $ref resolves
  const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
  for (const r of refs) {
    const name = r.slice(22, -1);
    assert.ok(doc.components.schemas[name], `dangling $ref ${name}`);
  }
  // the statuses of POST /v1/score
  assert.deepEqual(
    Object.keys(doc.paths["/v1/score"].post.responses).sort(),
    ["200", "400", "401", "405", "408", "413", "415", "500", "503"],
  );
  assert.match(JSON.stringify(doc), new RegExp(`${MAX_BODY_BYTES} bytes`));
  // every error code is in the ErrorResponse schema
  assert.deepEqual(
    (doc.components.schemas.ErrorResponse as {
      properties: { error: { properties: { code: { enum: string[] } } } };
    }).properties.error.properties.code.enum,
    [...ERROR_CODES],
  );
  // the batch schema refuses what the document says it refuses
  assert.equal(BatchRequest.safeParse({ customers: [] }).success, false);
  assert.equal(
    BatchRequest.safeParse({ customers: Array.from({ length: MAX_BATCH + 1 }, () => ({})) })
      .success,
    false,
  );
  // a scored customer carries its reasons, documented field by field
  const scoreOk = doc.components.schemas.ScoreOk as {
    required: string[];
    properties: Record<string, { items?: { $ref?: string; properties?: Record<string, unknown> } }>;
  };
  assert.ok(scoreOk.required.includes("reasons"));
  const reasonRef = scoreOk.properties.reasons.items!;
  const reason =
    (reasonRef.$ref ? doc.components.schemas[reasonRef.$ref.split("/").pop()!] : reasonRef) as {
      properties: Record<string, { description?: string; enum?: string[] }>;
    };
  assert.deepEqual(Object.keys(reason.properties), [
    "feature",
    "value",
    "typical",
    "effect",
    "direction",
    "text",
  ]);
  assert.deepEqual(reason.properties.direction.enum, ["raises", "lowers"]);
  for (const [k, v] of Object.entries(reason.properties)) assert.ok(v.description, k);
  // with a token, the /v1 routes say so
  const secured = openApiDocument({ auth: true }) as Doc & {
    components: { securitySchemes?: unknown };
  };
  assert.ok(secured.components.securitySchemes);
});

function jsonRequest(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1/v1/score", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

async function bodyError(p: Promise<unknown>): Promise<BodyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof BodyError, String(e));
    return e;
  }
  throw new Error("expected a BodyError");
}

Deno.test("the body reader stops at the limit, on the first bytes, and on time", async () => {
  const limits = { maxBytes: 1000, timeoutMs: 5_000 };
  assert.deepEqual(await readJsonObject(jsonRequest('\ufeff {"a": 1}'), limits), { a: 1 });
  // a stream that would never end: abandoned just past the limit
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled += 100;
      c.enqueue(new TextEncoder().encode(pulled === 100 ? "{" + " ".repeat(99) : " ".repeat(100)));
    },
  });
  const e413 = await bodyError(readJsonObject(jsonRequest(endless), limits));
  assert.equal(e413.status, 413);
  assert.ok(pulled <= 1200, `pulled ${pulled} bytes`);
  // a declared length over the limit: nothing is read
  let touched = false;
  const untouched = new ReadableStream<Uint8Array>({
    pull(c) {
      touched = true;
      c.close();
    },
  }, { highWaterMark: 0 });
  const declared = new Request("http://127.0.0.1/v1/score", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "5000" },
    body: untouched,
  });
  assert.equal((await bodyError(readJsonObject(declared, limits))).status, 413);
  assert.equal(touched, false);
  // not an object: refused on the first bytes (the rest is not waited for)
  let sent = 0;
  const array = new ReadableStream<Uint8Array>({
    pull(c) {
      sent++;
      c.enqueue(new TextEncoder().encode(sent === 1 ? "  [" : "1,"));
    },
  });
  const e400 = await bodyError(readJsonObject(jsonRequest(array), limits));
  assert.equal(e400.status, 400);
  assert.equal(e400.code, "invalid_request");
  assert.ok(sent < 5);
  // a body that stops arriving: 408 after the time limit
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("{"));
    },
  });
  const e408 = await bodyError(readJsonObject(jsonRequest(stalled), { ...limits, timeoutMs: 50 }));
  assert.equal(e408.status, 408);
  // types
  assert.equal(
    (await bodyError(readJsonObject(jsonRequest("{}", { "content-type": "text/json" }), limits)))
      .status,
    415,
  );
  assert.equal(
    (await bodyError(readJsonObject(jsonRequest("{}", { "content-length": "x" }), limits))).status,
    400,
  );
  assert.equal((await bodyError(readJsonObject(jsonRequest(null), limits))).status, 400);
  assert.equal(
    (await bodyError(readJsonObject(jsonRequest('"text"'), limits))).code,
    "invalid_json",
  );
  assert.equal(
    (await bodyError(readJsonObject(jsonRequest("{} {}"), limits))).code,
    "invalid_json",
  );
  assert.ok(isJsonContentType("Application/JSON; charset=UTF-8"));
  assert.ok(isJsonContentType("application/merge-patch+json"));
  assert.ok(!isJsonContentType("application/jsonx"));
  assert.ok(!isJsonContentType(null));
});

Deno.test("the handler never throws: an internal failure is answered 500 and logged", async () => {
  const logs: LogRecord[] = [];
  const handler = createHandler({
    store: {
      get current(): never {
        throw new Error("disk on fire");
      },
    },
    log: (r) => logs.push(r),
  });
  for (const path of ["/healthz", "/v1/model"]) {
    const res = await handler(new Request(`http://127.0.0.1${path}`));
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error.code, "internal");
    assert.ok(!JSON.stringify(body).includes("disk on fire"), "internals are not sent");
  }
  const res = await handler(jsonRequest('{"frequency": 1}'));
  assert.equal(res.status, 500);
  await res.body?.cancel();
  assert.ok(
    logs.some((l) => l.event === "internal error" && String(l.error).includes("disk on fire")),
  );
  assert.equal(logs.filter((l) => l.event === "request").length, 3);
  assert.equal(handler.answered, 3);
  assert.equal(handler.inFlight, 0);
  await handler.drain();
  const late = await handler(new Request("http://127.0.0.1/healthz"));
  assert.equal(late.status, 503);
  assert.equal(late.headers.get("connection"), "close");
  await late.body?.cancel();
});

Deno.test("in process: one customer and a batch answer with the model loaded from a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "serve-app-" });
  try {
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, JSON.stringify(syntheticModel()));
    const loaded = await loadModel(path);
    const handler = createHandler({ store: { current: loaded }, log: () => {} });
    const one = await handler(
      jsonRequest(JSON.stringify({ recency_days: 5, frequency: 3, monetary: 90, tenure_days: 9 })),
    );
    assert.equal(one.status, 200);
    assert.equal((await one.json()).model.fingerprint, loaded.ref.fingerprint);
    const batch = await handler(jsonRequest(JSON.stringify({
      customers: [{ recency_days: 5, frequency: 3, monetary: 90, tenure_days: 9 }, {}],
    })));
    assert.equal(batch.status, 200);
    const b = await batch.json();
    assert.deepEqual([b.scored, b.failed], [1, 1]);
    const unknown = await handler(new Request("http://127.0.0.1/v1/scores"));
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bearer tokens, loopback addresses, the logger", () => {
  const check = bearerChecker("0123456789abcdef0123");
  assert.equal(check("Bearer 0123456789abcdef0123"), true);
  assert.equal(check("  BEARER   0123456789abcdef0123  "), true);
  assert.equal(check("Bearer 0123456789abcdef012"), false);
  assert.equal(check("Bearer 0123456789abcdef01234"), false);
  assert.equal(check("0123456789abcdef0123"), false);
  assert.equal(check(""), false);
  assert.equal(check(null), false);
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
    assert.ok(isLoopback(h), h);
  }
  for (const h of ["0.0.0.0", "::", "10.0.0.5", "example.com", "128.0.0.1"]) {
    assert.ok(!isLoopback(h), h);
  }
  const lines: string[] = [];
  const log = jsonLogger((l) => lines.push(l), () => "T");
  log({ event: "x", big: 1n as unknown as number });
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "T",
    level: "info",
    event: "x",
    note: "unserialisable log fields",
  });
  jsonLogger(() => {
    throw new Error("stdout closed");
  })({ event: "y" }); // does not throw
});

Deno.test("the model card's metrics come only from the same dataset's metrics.json", () => {
  const metrics = {
    dataset: "shop",
    loyalty: {
      chosen: { k: 9, weighting: "distance" },
      customersAtCutoff: 120,
      test: { accuracy: 0.5, balancedAccuracy: 0.4, macroF1: 0.3, aucTop: 0.8 },
      bands: [{ band: "A", topRate: 0.9 }, { band: "B" }],
    },
  };
  assert.deepEqual(metricsSummary(metrics, "shop"), {
    k: 9,
    weighting: "distance",
    customersAtCutoff: 120,
    heldOut: { accuracy: 0.5, balancedAccuracy: 0.4, macroF1: 0.3, aucTop: 0.8 },
    bands: [{ band: "A", topRate: 0.9 }, { band: "B", topRate: null }],
  });
  assert.equal(metricsSummary(metrics, "other-shop"), null);
  assert.equal(metricsSummary({ dataset: "shop" }, "shop"), null);
  assert.equal(metricsSummary("junk", null), null);
});
