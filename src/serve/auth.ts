/**
 * Optional bearer-token authentication. The token comes from a file (`--token-file`), never
 * from the command line (where other users could read it in the process list). Tokens are
 * compared in constant time: both sides are hashed with sha256 first, so the comparison takes
 * the same time whatever the length or the first differing character of the token offered.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Shortest accepted token. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads a token file: its text without surrounding white space.
 *
 * @throws {Error} when the file cannot be read or the token is shorter than
 *   {@link MIN_TOKEN_LENGTH} characters or holds white space
 */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`--token-file ${path}: ${(e as Error).message}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `--token-file ${path}: the token must be at least ${MIN_TOKEN_LENGTH} characters ` +
        `(e.g. openssl rand -hex 32 > ${path})`,
    );
  }
  if (/\s/.test(token)) throw new Error(`--token-file ${path}: the token must not contain spaces`);
  return token;
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * A checker of `Authorization: Bearer <token>` headers for one expected token.
 *
 * @example
 * ```ts
 * import { bearerChecker } from "./auth.ts";
 * import { equal } from "node:assert/strict";
 * const ok = bearerChecker("0123456789abcdef");
 * equal(ok("Bearer 0123456789abcdef"), true);
 * equal(ok("bearer 0123456789abcdef"), true); // the scheme is case-insensitive
 * equal(ok("Bearer 0123456789abcdeX"), false);
 * equal(ok(null), false);
 * ```
 */
export function bearerChecker(token: string): (header: string | null) => boolean {
  const expected = digest(token);
  return (header) => {
    const m = header?.match(/^\s*bearer\s+(\S+)\s*$/i);
    const offered = digest(m ? m[1] : "");
    // Always compare (even without a header) so that every answer takes the same time.
    return timingSafeEqual(expected, offered) && m !== null && m !== undefined;
  };
}
