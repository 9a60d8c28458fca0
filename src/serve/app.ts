/**
 * The scoring service's request handler: routing, authentication, CORS, bounded body reading,
 * validation against the request schemas, scoring with the one scoring module
 * (`scoreCustomer`) and its reason codes (`explainScore`, `src/score/reasons.ts`: every scored
 * customer carries `reasons`), errors in one JSON shape and one log line per request. It never
 * throws: an unexpected failure is logged and answered 500.
 *
 * Routes: `POST /v1/score`, `GET /v1/model`, `GET /healthz`, `GET /openapi.json` (GET routes
 * also answer HEAD). An unknown path is 404, a known path with another method 405 (with
 * `Allow`). With a token, the `/v1/` routes need `Authorization: Bearer <token>` (401
 * otherwise, checked before the body is read); `/healthz` and `/openapi.json` stay open.
 * While the service drains for shutdown, new requests are answered 503 `shutting_down`.
 *
 * @module
 */
import type { z } from "zod";
import { scoreCustomer, type ScoreResult } from "../score/score.ts";
import { createScoreExplainer, type Explained, type Reason } from "../score/reasons.ts";
import { bearerChecker } from "./auth.ts";
import { BodyError, readJsonObject } from "./body.ts";
import { type LogFn, logPath } from "./log.ts";
import type { LoadedModel } from "./model_store.ts";
import { openApiDocument } from "./openapi.ts";
import {
  BatchRequest,
  CustomerInput,
  type ErrorCode,
  FEATURE_FIELDS,
  type FieldError,
  MAX_BODY_BYTES,
} from "./schemas.ts";

type FieldErr = z.infer<typeof FieldError>;

/** Options of {@link createHandler}. */
export interface AppOptions {
  /** Where the current model comes from (read once per request). */
  store: { readonly current: LoadedModel };
  /** Log writer. */
  log: LogFn;
  /** Bearer token the /v1 routes require, or null for none. */
  token?: string | null;
  /** Origin allowed by CORS (`*` for any), or null for CORS off. */
  cors?: string | null;
  /** Largest body in bytes (default {@link MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
  /** Longest time for a body to arrive, in milliseconds (default 10 s). */
  bodyTimeoutMs?: number;
}

/** A handler with a request counter and a drain for graceful shutdown. */
export interface Handler {
  (req: Request): Promise<Response>;
  /** Requests answered so far. */
  readonly answered: number;
  /** Requests being handled now. */
  readonly inFlight: number;
  /**
   * Stops taking new requests (they are answered 503 `shutting_down`, with `Connection: close`)
   * and resolves when every request already being handled has been answered.
   */
  drain(): Promise<void>;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/** The routes and their methods (HEAD is allowed wherever GET is). */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/v1/score": ["POST"],
  "/v1/model": ["GET", "HEAD"],
  "/healthz": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
};

/** An answer not yet turned into a Response (so that headers are added in one place). */
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Extra log fields (counts only, never customer data). */
  log?: Record<string, unknown>;
}

function errorAnswer(
  status: number,
  code: ErrorCode,
  message: string,
  extra: { fields?: FieldErr[]; model?: LoadedModel; headers?: Record<string, string> } = {},
): Answer {
  return {
    status,
    headers: extra.headers,
    body: {
      error: { status, code, message, ...(extra.fields ? { fields: extra.fields } : {}) },
      ...(extra.model ? { model: extra.model.ref } : {}),
    },
  };
}

/** `customers[3].frequency` from a zod issue path. */
function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** A field error from a zod issue: our schema messages start with "must" and get the path. */
function issueError(issue: z.core.$ZodIssue): FieldErr {
  const field = pathText(issue.path) || "body";
  const message = issue.message.startsWith("must")
    ? `${field} ${issue.message}`
    : `${field}: ${issue.message}`;
  return { field, message };
}

/** Whether an issue (below one customer object) is about a feature value. */
function isFeatureIssue(issue: z.core.$ZodIssue): boolean {
  return issue.path.length === 1 && FEATURE_FIELDS.includes(String(issue.path[0]));
}

/** A scoring result, with the reasons when the customer was scored. */
type Scored = ScoreResult | (ScoreResult & { ok: true; reasons: Reason[] });

/**
 * Scores one customer object. Feature values are judged by the scoring module (its messages are
 * the widget's); the schema's feature issues only add what the scorer accepts but the schema
 * does not (an over-long numeric string), so the answer is exactly `scoreCustomer`'s otherwise,
 * with the reasons of `explainScore` added to a scored customer. `explain` (from
 * `createScoreExplainer`) gives both at once: the input checked once, one prediction for the
 * result and the reasons.
 */
function scoreOne(
  model: LoadedModel,
  raw: Record<string, unknown>,
  featureIssues: readonly z.core.$ZodIssue[],
  explain: (input: Record<string, unknown>) => Explained,
): Scored {
  if (featureIssues.length === 0) {
    const { result, reasons } = explain(raw);
    return result.ok ? { ...result, reasons } : result;
  }
  const r = scoreCustomer(model.model, raw);
  const flagged = new Set(r.ok ? [] : r.errors.map((e) => e.field));
  const extra = featureIssues.filter((i) => !flagged.has(String(i.path[0]))).map((i) =>
    issueError(i)
  );
  if (extra.length === 0) return r.ok ? { ...r, reasons: explain(raw).reasons } : r;
  return { ok: false, errors: [...(r.ok ? [] : r.errors), ...extra] };
}

/** The result with the caller's customer_id first, when one was given. */
function withId(r: Scored, raw: Record<string, unknown>): Record<string, unknown> {
  const id = raw.customer_id;
  return typeof id === "string" || typeof id === "number" ? { customer_id: id, ...r } : { ...r };
}

/** POST /v1/score, once the body is a JSON object. */
function score(model: LoadedModel, body: Record<string, unknown>): Answer {
  if (Object.hasOwn(body, "customers")) {
    const parsed = BatchRequest.safeParse(body);
    const perItem = new Map<number, z.core.$ZodIssue[]>();
    const envelope: FieldErr[] = [];
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      const [top, index, ...rest] = issue.path;
      if (top === "customers" && typeof index === "number" && rest.length > 0) {
        const sub = { ...issue, path: rest } as z.core.$ZodIssue;
        if (isFeatureIssue(sub)) {
          perItem.set(index, [...(perItem.get(index) ?? []), sub]);
          continue;
        }
      }
      envelope.push(issueError(issue));
    }
    if (envelope.length > 0) {
      return errorAnswer(400, "invalid_request", "the batch is malformed", {
        fields: envelope,
        model,
      });
    }
    const items = body.customers as Record<string, unknown>[];
    // one explainer per batch: customers and counterfactuals with equal values share a search
    const explain = createScoreExplainer(model.model);
    const results = items.map((raw, i) =>
      withId(scoreOne(model, raw, perItem.get(i) ?? [], explain), raw)
    );
    const scored = results.filter((r) => r.ok).length;
    return {
      status: 200,
      body: { model: model.ref, scored, failed: results.length - scored, results },
      log: { customers: results.length, failed: results.length - scored },
    };
  }
  const parsed = CustomerInput.safeParse(body);
  const issues = parsed.success ? [] : parsed.error.issues;
  const envelope = issues.filter((i) => !isFeatureIssue(i)).map((i) => issueError(i));
  if (envelope.length > 0) {
    return errorAnswer(400, "invalid_request", "the request is malformed", {
      fields: envelope,
      model,
    });
  }
  const r = scoreOne(model, body, issues.filter(isFeatureIssue), createScoreExplainer(model.model));
  if (!r.ok) {
    const n = r.errors.length;
    return {
      ...errorAnswer(
        400,
        "invalid_input",
        `${n} field${n === 1 ? " is" : "s are"} invalid: ${
          r.errors.map((e) => e.field).join(", ")
        }`,
        { fields: r.errors, model },
      ),
      log: { customers: 1, failed: 1 },
    };
  }
  return {
    status: 200,
    body: { model: model.ref, result: withId(r, body) },
    log: { customers: 1, failed: 0 },
  };
}

/**
 * The request handler.
 *
 * @param options model store, logger, token, CORS origin and body limits
 */
export function createHandler(options: AppOptions): Handler {
  const { store, log } = options;
  const checkToken = options.token ? bearerChecker(options.token) : null;
  const cors = options.cors ?? null;
  const limits = {
    maxBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    timeoutMs: options.bodyTimeoutMs ?? 10_000,
  };
  const started = performance.now();
  const openapi = JSON.stringify(openApiDocument({ auth: checkToken !== null }));
  let answered = 0;
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | null = null;

  const corsHeaders = (): Record<string, string> =>
    cors ? { "access-control-allow-origin": cors, vary: "Origin" } : {};

  async function route(req: Request, url: URL): Promise<Answer> {
    const methods = ROUTES[url.pathname];
    if (!methods) {
      return errorAnswer(404, "not_found", `no route ${url.pathname.slice(0, 200)}`);
    }
    if (req.method === "OPTIONS" && cors) {
      return {
        status: 204,
        body: null,
        headers: {
          "access-control-allow-methods": methods.join(", "),
          "access-control-allow-headers": "authorization, content-type",
          "access-control-max-age": "600",
        },
      };
    }
    if (!methods.includes(req.method)) {
      return errorAnswer(
        405,
        "method_not_allowed",
        `${url.pathname} takes ${methods.filter((m) => m !== "HEAD").join(", ")}`,
        { headers: { allow: methods.join(", ") } },
      );
    }
    if (checkToken && url.pathname.startsWith("/v1/")) {
      if (!checkToken(req.headers.get("authorization"))) {
        return errorAnswer(401, "unauthorized", "send the header Authorization: Bearer <token>", {
          headers: { "www-authenticate": 'Bearer realm="scoring"' },
        });
      }
    }
    switch (url.pathname) {
      case "/healthz": {
        const m = store.current;
        return {
          status: 200,
          body: {
            status: "ok",
            model: m.ref,
            loadedAt: m.card.loadedAt,
            uptimeSeconds: Math.round((performance.now() - started) / 100) / 10,
            inFlight,
          },
        };
      }
      case "/openapi.json":
        return { status: 200, body: openapi };
      case "/v1/model":
        return { status: 200, body: store.current.card };
      default: {
        const body = await readJsonObject(req, limits);
        return score(store.current, body); // the model is taken once, after the body arrived
      }
    }
  }

  const handler = async (req: Request): Promise<Response> => {
    inFlight++;
    try {
      return await handle(req);
    } finally {
      inFlight--;
      if (inFlight === 0 && idle) idle();
    }
  };

  async function handle(req: Request): Promise<Response> {
    const t0 = performance.now();
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      url = new URL("http://invalid/");
    }
    let answer: Answer;
    try {
      answer = draining
        ? errorAnswer(503, "shutting_down", "the service is shutting down; retry elsewhere", {
          headers: { connection: "close", "retry-after": "1" },
        })
        : await route(req, url);
    } catch (e) {
      if (e instanceof BodyError) {
        answer = errorAnswer(e.status, e.code, e.message);
      } else {
        log({
          event: "internal error",
          level: "error",
          path: logPath(url),
          error: `${(e as Error)?.name}: ${(e as Error)?.message}`.slice(0, 500),
        });
        answer = errorAnswer(500, "internal", "unexpected failure; it has been logged");
      }
    }
    let response: Response;
    try {
      const headers = { ...JSON_HEADERS, ...corsHeaders(), ...answer.headers };
      const text = answer.body === null
        ? null
        : typeof answer.body === "string"
        ? answer.body
        : JSON.stringify(answer.body);
      if (text === null) delete (headers as Record<string, string>)["content-type"];
      response = new Response(text, { status: answer.status, headers });
    } catch (e) {
      log({ event: "internal error", level: "error", error: String((e as Error)?.message) });
      response = new Response('{"error":{"status":500,"code":"internal","message":"failure"}}', {
        status: 500,
        headers: JSON_HEADERS,
      });
    }
    answered++;
    log({
      event: "request",
      method: req.method.slice(0, 16),
      path: logPath(url),
      status: response.status,
      ms: Math.round((performance.now() - t0) * 1000) / 1000,
      ...answer.log,
    });
    return response;
  }

  const drain = (): Promise<void> => {
    draining = true;
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      idle = () => {
        idle = null;
        resolve();
      };
    });
  };
  Object.defineProperties(handler, {
    answered: { get: () => answered },
    inFlight: { get: () => inFlight },
    drain: { value: drain },
  });
  return handler as Handler;
}
