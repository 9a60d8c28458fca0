/**
 * `inWorker` and `WorkerSession`: a function run in a worker gives what it gives on this thread
 * (values cross exactly), its errors come back with their name and message, and a session's
 * calls are answered in order on one worker until it is closed.
 */
import assert from "node:assert/strict";
import { inWorker, WorkerSession } from "../../src/lib/worker.ts";
import { mean, median } from "../../src/lib/stats.ts";

const STATS = new URL("../../src/lib/stats.ts", import.meta.url);
/** A counter kept between calls, and a function that throws. */
const FIXTURE = new URL("./worker_fixture.ts", import.meta.url);
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

Deno.test("a session answers several calls on one worker, in order, as this thread would", async () => {
  const session = new WorkerSession(STATS);
  try {
    const values = [[3.141592653589793, 0.1 + 0.2, -7], [1e-300, 2 ** 53 + 2], [5, 1, 9, 2]];
    // Sent at once, answered in order.
    const got = await Promise.all([
      ...values.map((v) => session.call("median", [v])),
      ...values.map((v) => session.call("mean", [v])),
    ]);
    assert.deepEqual(got, [...values.map(median), ...values.map(mean)]);
    assert.equal(await session.call("median", [new Float64Array([4, 6])]), 5);
    assert.equal(session.closed, false);
  } finally {
    session.close();
  }
});

Deno.test("a session keeps what `make` made: calls name its methods and share its state", async () => {
  const session = new WorkerSession(FIXTURE, { make: { fn: "counter", args: [10] } });
  try {
    assert.deepEqual(
      await Promise.all([session.call("add", [1]), session.call("add", [5])]),
      [11, 16],
    );
    assert.equal(await session.call("add", [-16]), 0);
  } finally {
    session.close();
  }
});

Deno.test("an error in one call names the function and the module; the session stays usable", async () => {
  const session = new WorkerSession(STATS);
  const kept = new WorkerSession(FIXTURE, {
    make: { fn: "counter", args: [0] },
    errors: { RangeError }, // rebuilt as that class
  });
  try {
    await assert.rejects(session.call("kthSmallest", [null, 1, 0]), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "TypeError");
      assert.match(String(e.stack), /in a worker: kthSmallest of .*stats\.ts/);
      return true;
    });
    await assert.rejects(
      session.call("noSuchFunction", []),
      /exports no function "noSuchFunction"/,
    );
    assert.equal(await session.call("median", [[1, 2, 3]]), 2);
    // The same with a kept object: its state survives the error.
    assert.equal(await kept.call("add", [2]), 2);
    await assert.rejects(kept.call("fail", ["too far"]), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(String(e.stack), /in a worker: fail of .*worker_fixture\.ts/);
      return true;
    });
    await assert.rejects(kept.call("median", []), /made by counter .* has no method "median"/);
    assert.equal(await kept.call("add", [3]), 5);
    assert.equal(session.closed || kept.closed, false);
  } finally {
    session.close();
    kept.close();
  }
});

Deno.test("a failed `make` ends the session: every call rejects with its error", async () => {
  const session = new WorkerSession(FIXTURE, { make: { fn: "refuse", args: ["no data"] } });
  try {
    const check = (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, "TypeError");
      assert.match(e.message, /no data/);
      assert.match(String(e.stack), /in a worker: refuse of .*worker_fixture\.ts/);
      return true;
    };
    await assert.rejects(session.call("add", [1]), check);
    assert.equal(session.closed, true);
    await assert.rejects(session.call("add", [2]), check);
  } finally {
    session.close();
  }
});

Deno.test("close ends the worker: a call still waiting and later calls reject", async () => {
  const session = new WorkerSession(STATS);
  const waiting = session.call("median", [[1, 2, 3]]);
  session.close();
  assert.equal(session.closed, true);
  await assert.rejects(waiting, /worker session of .*stats\.ts was closed/);
  await assert.rejects(session.call("median", [[1]]), /was closed/);
  session.close(); // again: nothing happens
  // The signal ends a session too.
  const stop = new AbortController();
  const aborted = new WorkerSession(STATS, { signal: stop.signal });
  assert.equal(await aborted.call("median", [[4, 6]]), 5);
  stop.abort(new Error("not wanted any more"));
  assert.equal(aborted.closed, true);
  await assert.rejects(aborted.call("median", [[1]]), /not wanted any more/);
});
