/**
 * The scoring service's request and response schemas (zod): the requests are validated with
 * them and the OpenAPI document (`openapi.ts`) is generated from them, so the two cannot
 * disagree. The tests also parse every response with the response schemas.
 *
 * Feature values are typed here (a number, a numeric string or null); what a value must be — a
 * whole number of invoices, not negative, below the model's caps … — is the scoring module's
 * business (`src/score/score.ts`): its field-named messages are the ones the service returns, the
 * same the report's widget shows. The messages defined here start with "must" and are
 * prefixed with the field's path when reported (`customers must hold at most 1000 customers …`).
 *
 * @module
 */
import { z } from "zod";
import { FEATURES } from "../config/features.ts";

/** Most customers in one batch request. */
export const MAX_BATCH = 1000;
/** Largest request body in bytes (1 MiB): a full batch with long ids fits comfortably. */
export const MAX_BODY_BYTES = 1_048_576;
/** Longest numeric string accepted as a feature value. */
export const MAX_VALUE_CHARS = 64;
/** Longest customer id echoed back. */
export const MAX_ID_CHARS = 128;

/** One feature value: a number, a numeric string (`"12"`, `" 3.5 "`) or null (= missing). */
export const FeatureValue = z.union([
  z.number(),
  z.string().max(MAX_VALUE_CHARS, {
    error: `must be a number or a numeric string of at most ${MAX_VALUE_CHARS} characters`,
  }),
  z.null(),
]);

/** An optional caller's id for a customer, echoed back with its result. */
export const CustomerId = z.union([z.string().max(MAX_ID_CHARS), z.int()], {
  error: `must be a string of at most ${MAX_ID_CHARS} characters or a whole number`,
}).meta({ description: "Your id for the customer, echoed back with its result." });

/** The feature fields, from the feature registry. */
const featureFields = Object.fromEntries(
  FEATURES.map((f) => [
    f.name,
    FeatureValue.optional().meta({
      description: `${f.label} (${f.unit}): ${f.description}.`,
    }),
  ]),
);

/** The names of the feature fields (from the feature registry). */
export const FEATURE_FIELDS: readonly string[] = FEATURES.map((f) => f.name);

/** One customer's feature values; other fields are ignored. */
export const CustomerInput = z.looseObject({
  customer_id: CustomerId.optional(),
  ...featureFields,
}, {
  error: (iss) => `must be an object of feature values (got ${jsonType(iss.input)})`,
}).meta({
  description: "One customer's feature values. Every feature of the model is required " +
    "(GET /v1/model lists them), except avg_order_value, which is derived as " +
    "monetary / frequency when left out. Fields the model does not use are still checked " +
    "when present; other fields are ignored.",
});

/** A batch: up to {@link MAX_BATCH} customers, each answered on its own. */
export const BatchRequest = z.object({
  customers: z.array(CustomerInput, { error: "must be an array of customer objects" })
    .min(1, { error: "must hold at least one customer" })
    .max(MAX_BATCH, {
      error: (iss) =>
        `must hold at most ${MAX_BATCH} customers per request (got ${
          (iss.input as unknown[]).length
        }); split the batch`,
    }),
}).meta({ description: `Up to ${MAX_BATCH} customers, each scored on its own.` });

/** A score request: one customer, or a batch (an object with `customers`). */
export const ScoreRequest = z.union([CustomerInput, BatchRequest]);

/** One invalid field. */
export const FieldError = z.object({
  field: z.string().meta({ description: "Field name (`customers[3]` for batch envelopes)." }),
  message: z.string().meta({ description: "What is wrong, in a sentence that names the field." }),
});

/** A neighbour of a scored customer (a training customer). */
export const Neighbour = z.object({
  customer_id: z.string(),
  distance: z.number(),
  level: z.string(),
});

/** One reason for a score (`explainScore` of `src/score/reasons.ts`). */
export const Reason = z.object({
  feature: z.string().meta({ description: "The feature (a field of the request)." }),
  value: z.number().meta({ description: "The customer's value of the feature." }),
  typical: z.number().meta({
    description: "The typical value: the median of the model's training customers.",
  }),
  effect: z.number().meta({
    description: "Score points this value is worth against the typical value: the score " +
      "minus the score with this one feature at its typical value (unrounded).",
  }),
  direction: z.enum(["raises", "lowers"]).meta({
    description: "Whether the value raises (effect > 0) or lowers the score.",
  }),
  text: z.string().meta({
    description: 'The reason in plain words, e.g. "no purchase in the last 150 days ' +
      '(typical: 40 days)".',
  }),
}).meta({
  description: "A feature that moves the score: the customer's value against the typical one.",
});

/**
 * A successful score: exactly what the scoring module returns, with the reason codes. The
 * object is open: clients must ignore fields they do not know, so fields can be added without a
 * new API version.
 */
export const ScoreOk = z.looseObject({
  customer_id: CustomerId.optional(),
  ok: z.literal(true),
  level: z.string().meta({ description: "Predicted loyalty level." }),
  levelIndex: z.int().min(0).meta({ description: "Index of the level, 0 = lowest." }),
  probabilities: z.record(z.string(), z.number()).meta({
    description: "Probability of each level.",
  }),
  score: z.int().meta({ description: "Score on the model's scale (GET /v1/model → score)." }),
  band: z.string().meta({ description: "Score band, the first one best." }),
  neighbours: z.array(Neighbour).meta({
    description: "The nearest training customers that voted, nearest first.",
  }),
  reasons: z.array(Reason).meta({
    description: "The top reasons for the score (at most 3), largest |effect| first: the " +
      "features whose value moves the score most against a typical customer (at least 1 % " +
      "of the score range). Empty when the customer is close to typical.",
  }),
}).meta({
  description: "A scored customer, as the scoring module returns it, with its reasons. " +
    "Clients must ignore fields they do not know: new fields are added without a new API " +
    "version.",
});

/** A customer that could not be scored: its invalid fields. */
export const ScoreErrorResult = z.object({
  customer_id: CustomerId.optional(),
  ok: z.literal(false),
  errors: z.array(FieldError),
});

/** Which model answered. */
export const ModelRef = z.object({
  fingerprint: z.string().meta({ description: "sha256 of the model file." }),
  trainingFingerprint: z.string().nullable().meta({
    description: "Fingerprint of the training data, from the model file.",
  }),
  dataset: z.string().nullable(),
});

/** Response to a single-customer request. */
export const ScoreResponse = z.object({ model: ModelRef, result: ScoreOk });

/** Response to a batch request: one result per customer, in order. */
export const BatchResponse = z.object({
  model: ModelRef,
  scored: z.int().min(0),
  failed: z.int().min(0),
  results: z.array(z.union([ScoreOk, ScoreErrorResult])),
});

/** The error codes, one per kind of failure. */
export const ERROR_CODES = [
  "invalid_input",
  "invalid_request",
  "invalid_json",
  "unauthorized",
  "not_found",
  "method_not_allowed",
  "request_timeout",
  "body_too_large",
  "unsupported_media_type",
  "internal",
  "shutting_down",
] as const;

/** An error code. */
export type ErrorCode = typeof ERROR_CODES[number];

/** Every error response. */
export const ErrorResponse = z.object({
  error: z.object({
    status: z.int().meta({ description: "The HTTP status, repeated." }),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    fields: z.array(FieldError).optional().meta({
      description: "The invalid fields (invalid_input, invalid_request).",
    }),
  }),
  model: ModelRef.optional().meta({ description: "The model that checked the input." }),
});

/** A feature in the model card. */
export const ModelFeature = z.object({
  name: z.string(),
  label: z.string(),
  unit: z.string(),
  required: z.boolean().meta({
    description: "False only for avg_order_value (derived from monetary and frequency).",
  }),
});

/** The held-out figures of the model, from the metrics.json written beside it. */
export const MetricsSummary = z.object({
  k: z.int().nullable(),
  weighting: z.string().nullable(),
  customersAtCutoff: z.int().nullable(),
  heldOut: z.object({
    accuracy: z.number().nullable(),
    balancedAccuracy: z.number().nullable(),
    macroF1: z.number().nullable(),
    aucTop: z.number().nullable().meta({ description: "ROC AUC of the top level vs the rest." }),
  }),
  bands: z.array(z.object({
    band: z.string(),
    topRate: z.number().nullable().meta({
      description: "Share of held-out customers of the band that reached the top level.",
    }),
  })),
});

/** The model card. */
export const ModelCard = z.object({
  fingerprint: z.string(),
  trainingFingerprint: z.string().nullable(),
  dataset: z.string().nullable(),
  kind: z.string(),
  formatVersion: z.int(),
  trainedOn: z.string().nullable(),
  trainingCustomers: z.int().meta({
    description: "Training customers of the model (collapsed duplicates counted once each).",
  }),
  features: z.array(ModelFeature),
  levels: z.array(z.string()),
  cutoff: z.string().meta({ description: "First day of the outcome window." }),
  windowEnd: z.string().meta({ description: "First day after the outcome window." }),
  k: z.int(),
  weighting: z.string(),
  score: z.object({
    min: z.number(),
    max: z.number(),
    bands: z.array(z.object({ name: z.string(), minScore: z.number(), maxScore: z.number() })),
  }),
  limits: z.object({ maxDays: z.number(), maxFrequency: z.number(), maxMoney: z.number() }),
  libraries: z.record(z.string(), z.string()),
  metrics: MetricsSummary.nullable().meta({
    description: "From metrics.json beside the model file, when it belongs to the same dataset.",
  }),
  loadedAt: z.string(),
  requestLimits: z.object({ maxBatch: z.int(), maxBodyBytes: z.int() }),
});

/** The health answer. */
export const Health = z.object({
  status: z.literal("ok"),
  model: ModelRef,
  loadedAt: z.string(),
  uptimeSeconds: z.number(),
  inFlight: z.int().min(1).meta({ description: "Requests being handled, this one included." }),
});

/** How a JSON value's type is named in messages ("a number", "an array", "null"). */
export function jsonType(v: unknown): string {
  return v === null
    ? "null"
    : Array.isArray(v)
    ? "an array"
    : typeof v === "object"
    ? "an object"
    : `a ${typeof v}`;
}
