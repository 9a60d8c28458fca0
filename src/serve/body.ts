/**
 * Reading a JSON request body with bounds: a declared length over the limit is refused before
 * anything is read, a streamed body is read chunk by chunk and abandoned as soon as it passes
 * the limit, a body that does not start like a JSON object is refused on its first bytes, and a
 * body that trickles in for longer than the time limit is abandoned. So no body is ever held in
 * memory beyond the limit, and a slow client cannot hold a request open for ever.
 *
 * @module
 */
import { jsonType } from "./schemas.ts";

/** A request whose body cannot be used; `status` and `code` go into the error response. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 415,
    readonly code:
      | "invalid_json"
      | "invalid_request"
      | "request_timeout"
      | "body_too_large"
      | "unsupported_media_type",
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

/** Limits of {@link readJsonObject}. */
export interface BodyLimits {
  /** Largest body in bytes. */
  maxBytes: number;
  /** Longest time to receive the whole body, in milliseconds. */
  timeoutMs: number;
}

const OBJECT_HINT = 'one customer\'s feature values, or {"customers": [...]} for a batch';

/** Whether a content type is JSON (`application/json`, `application/*+json`, any parameters). */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const type = header.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** Index of the first byte that is not JSON whitespace or part of a UTF-8 byte order mark. */
function firstSignificant(bytes: Uint8Array): number {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  ) i++;
  return i;
}

/**
 * Reads a request's body as a JSON object within the limits.
 *
 * @param req the request
 * @param limits size and time limits
 * @returns the parsed object
 * @throws {BodyError} 415 for a missing or non-JSON content type, 413 over the size limit, 408
 *   over the time limit, 400 for an empty body, invalid UTF-8 or JSON, or JSON that is not an
 *   object
 */
export async function readJsonObject(
  req: Request,
  limits: BodyLimits,
): Promise<Record<string, unknown>> {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    throw new BodyError(
      415,
      "unsupported_media_type",
      "send the body as JSON with the header Content-Type: application/json",
    );
  }
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!/^\d+$/.test(declared.trim()) || !Number.isSafeInteger(n)) {
      throw new BodyError(400, "invalid_request", "the Content-Length header is not a number");
    }
    if (n > limits.maxBytes) throw tooLarge(limits.maxBytes);
  }
  if (!req.body) throw new BodyError(400, "invalid_json", `the body is empty; send ${OBJECT_HINT}`);

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let checkedStart = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, limits.timeoutMs);
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (e) {
        if (timedOut) throw timeout(limits.timeoutMs);
        throw new BodyError(
          400,
          "invalid_request",
          `the body could not be read: ${(e as Error).message}`,
        );
      }
      if (timedOut) throw timeout(limits.timeoutMs);
      if (step.done) break;
      const chunk = step.value;
      total += chunk.byteLength;
      if (total > limits.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limits.maxBytes);
      }
      chunks.push(chunk);
      if (!checkedStart) {
        const joined = concat(chunks, total);
        const i = firstSignificant(joined);
        if (i < joined.length) {
          checkedStart = true;
          if (joined[i] !== 0x7b /* { */) {
            await reader.cancel().catch(() => {});
            throw new BodyError(
              400,
              joined[i] === 0x5b /* [ */ ? "invalid_request" : "invalid_json",
              `the body must be a JSON object: ${OBJECT_HINT}`,
            );
          }
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw timeout(limits.timeoutMs);

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(concat(chunks, total));
  } catch {
    throw new BodyError(400, "invalid_json", "the body is not valid UTF-8");
  }
  if (text.trim() === "" || text.trim() === "\ufeff") {
    throw new BodyError(400, "invalid_json", `the body is empty; send ${OBJECT_HINT}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BodyError(
      400,
      "invalid_json",
      `the body is not valid JSON: ${(e as Error).message.slice(0, 200)}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BodyError(
      400,
      "invalid_request",
      `the body must be a JSON object (got ${jsonType(value)}): ${OBJECT_HINT}`,
    );
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): BodyError {
  return new BodyError(
    413,
    "body_too_large",
    `the body is larger than ${maxBytes} bytes; send fewer customers per request`,
  );
}

function timeout(ms: number): BodyError {
  return new BodyError(408, "request_timeout", `the body did not arrive within ${ms / 1000} s`);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
