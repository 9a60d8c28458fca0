/**
 * `inWorker`: a function run in a worker gives what it gives on this thread (values cross
 * exactly), and its errors come back with their name and message.
 */
import assert from "node:assert/strict";
import { inWorker } from "../../src/lib/worker.ts";
import { median } from "../../src/lib/stats.ts";

const STATS = new URL("../../src/lib/stats.ts", import.meta.url);
/** A module that does not exist. */
const MISSING = new URL("../../src/lib/no_such_module.ts", import.meta.url);

Deno.test("a worker's result equals this thread's, and values cross exactly", async () => {
  const values = [3.141592653589793, 0.1 + 0.2, -7, 1e-300, 2 ** 53 + 2];
  assert.equal(await inWorker(STATS, "median", [values]), median(values));
  assert.equal(await inWorker(STATS, "median", [new Float64Array([5, 1, 9])]), 5);
  assert.equal(await inWorker(STATS, "median", [[]]), null);
});

Deno.test("a worker's error comes back with its name and message; a missing export is named", async () => {
  await assert.rejects(inWorker(STATS, "kthSmallest", [null, 1, 0]), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal(e.name, "TypeError");
    assert.match(String(e.stack), /in a worker: kthSmallest of .*stats\.ts/);
    return true;
  });
  await assert.rejects(
    inWorker(STATS, "noSuchFunction", []),
    /exports no function "noSuchFunction"/,
  );
  await assert.rejects(inWorker(MISSING, "x", []), /no_such_module\.ts/);
});

Deno.test("an aborted call ends its worker and rejects with the signal's reason", async () => {
  const early = new AbortController();
  const running = inWorker(STATS, "median", [[1, 2, 3]], { signal: early.signal });
  early.abort(new Error("not wanted any more"));
  await assert.rejects(running, /not wanted any more/);
  // Already aborted: no worker at all.
  await assert.rejects(
    inWorker(STATS, "median", [[1]], { signal: AbortSignal.abort(new Error("before")) }),
    /before/,
  );
  // Aborting after the answer changes nothing.
  const late = new AbortController();
  assert.equal(await inWorker(STATS, "median", [[4, 6]], { signal: late.signal }), 5);
  late.abort();
});
