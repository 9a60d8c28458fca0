/**
 * The service's OpenAPI 3.1 document, generated from the zod schemas that validate the requests
 * and describe the responses (`schemas.ts`): the component schemas are `z.toJSONSchema`'s output
 * (JSON Schema 2020-12, which OpenAPI 3.1 uses as it is); only the paths are written here.
 *
 * @module
 */
import { z } from "zod";
import {
  BatchRequest,
  BatchResponse,
  CustomerInput,
  ErrorResponse,
  FieldError,
  Health,
  MAX_BATCH,
  MAX_BODY_BYTES,
  ModelCard,
  ModelRef,
  Neighbour,
  Reason,
  ScoreErrorResult,
  ScoreOk,
  ScoreResponse,
} from "./schemas.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * A customer of the default dataset's format-2 model (its look-back features as of the
 * analysis date; GET /v1/model lists the features of the model being served).
 */
const EXAMPLE_CUSTOMER = {
  recency_window_days: 3,
  invoices_90d: 2,
  invoices_lookback: 5,
  value_90d: 1519.14,
  value_180d: 2104.05,
  value_lookback: 3122.82,
  gap_days: 61,
  activity_trend: 0.2,
  returns_share: 0,
  products_lookback: 77,
};

/** A lapsed customer with the same features: nothing bought within the look-back. */
const EXAMPLE_LAPSED = {
  recency_window_days: 270,
  invoices_90d: 0,
  invoices_lookback: 0,
  value_90d: 0,
  value_180d: 0,
  value_lookback: 0,
  gap_days: 270,
  activity_trend: 0,
  returns_share: 0,
  products_lookback: 0,
};

/** JSON Schemas of a set of named zod schemas, as OpenAPI components. */
function components(
  schemas: Record<string, z.ZodType>,
  io: "input" | "output",
): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: "throw",
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(out.schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  return out.schemas;
}

/** An error response of a given status. */
function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ref("ErrorResponse") } } };
}

/**
 * The OpenAPI document.
 *
 * @param options `auth`: whether the /v1 routes need a bearer token (documented as a security
 *   scheme)
 */
export function openApiDocument(options: { auth?: boolean } = {}): Record<string, unknown> {
  const schemas = {
    ...components({ CustomerInput, BatchRequest }, "input"),
    ...components(
      {
        ScoreResponse,
        BatchResponse,
        ScoreOk,
        Reason,
        ScoreErrorResult,
        FieldError,
        Neighbour,
        ModelRef,
        ErrorResponse,
        ModelCard,
        Health,
      },
      "output",
    ),
  };
  const common = {
    "401": errorResponse("Missing or wrong bearer token (only when the service has a token)."),
    "405": errorResponse("Wrong method; the Allow header lists the right ones."),
    "500": errorResponse("Unexpected failure (logged); the service keeps running."),
    "503": errorResponse("The service is shutting down (shutting_down); retry elsewhere."),
  };
  const security = options.auth ? [{ bearer: [] }] : [];
  return {
    openapi: "3.1.0",
    info: {
      title: "Customer loyalty scoring service",
      version: "1",
      description: "Scores customers with the workspace's loyalty model (the same scoring " +
        "module as the build and the report's widget). Every error has the ErrorResponse " +
        "shape. Limits: " + `${MAX_BATCH} customers per batch, ${MAX_BODY_BYTES} bytes per body.`,
    },
    servers: [{ url: "/" }],
    paths: {
      "/v1/score": {
        post: {
          summary: "Score one customer, or a batch",
          description: "One customer: an object of feature values (optionally customer_id), " +
            "answered 200 with its result, or 400 invalid_input with the invalid fields. A " +
            `batch: {"customers": [...]} with 1 to ${MAX_BATCH} customers, answered 200 with ` +
            "one result per customer in order, each scored on its own (ok: true) or with its " +
            "invalid fields (ok: false); 400 only when the batch itself is malformed.",
          security,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: { anyOf: [ref("CustomerInput"), ref("BatchRequest")] },
                examples: {
                  one: { value: { customer_id: "12347", ...EXAMPLE_CUSTOMER } },
                  batch: {
                    value: {
                      customers: [
                        { customer_id: "a", ...EXAMPLE_CUSTOMER },
                        { customer_id: "b", ...EXAMPLE_LAPSED },
                      ],
                    },
                  },
                },
              },
            },
          },
          responses: {
            "200": {
              description: "Scored (a batch: one result per customer).",
              content: {
                "application/json": {
                  schema: { anyOf: [ref("ScoreResponse"), ref("BatchResponse")] },
                },
              },
            },
            "400": errorResponse(
              "invalid_input (fields named), invalid_request (wrong shape, batch over the " +
                "limit) or invalid_json.",
            ),
            ...common,
            "408": errorResponse("The body took too long to arrive."),
            "413": errorResponse(`The body is larger than ${MAX_BODY_BYTES} bytes.`),
            "415": errorResponse("The body is not sent as application/json."),
          },
        },
      },
      "/v1/model": {
        get: {
          summary: "The model card",
          security,
          responses: {
            "200": {
              description: "Features, levels, cutoff and window, score scale and bands, " +
                "fingerprints, held-out metrics.",
              content: { "application/json": { schema: ref("ModelCard") } },
            },
            ...common,
          },
        },
      },
      "/healthz": {
        get: {
          summary: "Liveness and the model in use (no authentication)",
          security: [],
          responses: {
            "200": {
              description: "Up.",
              content: { "application/json": { schema: ref("Health") } },
            },
            "405": common["405"],
            "503": common["503"],
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document (no authentication)",
          security: [],
          responses: { "200": { description: "The OpenAPI document." } },
        },
      },
    },
    components: {
      schemas,
      ...(options.auth ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
  };
}
