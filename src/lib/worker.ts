/**
 * Running a pure function on another core: {@link inWorker} calls a function exported by a module
 * in a fresh Web Worker, with its arguments and result structured-cloned (numbers, -0, NaN,
 * `undefined`, typed arrays and maps cross exactly), and ends the worker after it.
 *
 * For the model stage, where independent fits (K-Means, the loyalty baselines, half of the
 * scoring) run side by side with the main thread's KNN tuning on a 2-core machine. The function
 * must be pure: same arguments, same result, on any thread, so a build stays byte-identical
 * whether its parts ran in workers or not.
 *
 * @example
 * ```ts
 * import { inWorker } from "./worker.ts";
 * import { equal } from "node:assert/strict";
 * const m = await inWorker<number>(new URL("./stats.ts", import.meta.url), "median", [[1, 5, 3]]);
 * equal(m, 3); // computed in the worker
 * ```
 *
 * @module
 */

/** What the worker entry is sent: a module, one of its exported functions, its arguments. */
export interface WorkerCall {
  module: string;
  fn: string;
  args: unknown[];
}

/** What the worker entry answers: the result, or the error's name, message and stack. */
export type WorkerAnswer =
  | { ok: true; value: unknown }
  | { ok: false; name: string; message: string; stack: string };

/** Error classes to rebuild from a worker's error, by `name` (an `instanceof` then still holds). */
export type ErrorClasses = Record<string, new (message: string) => Error>;

/** Options of {@link inWorker}. */
export interface WorkerOptions {
  /**
   * Error classes to rebuild by name (others become an `Error` with the same name and message).
   */
  errors?: ErrorClasses;
  /** Ends the worker when aborted (its result is not wanted any more); the promise rejects. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` of `module` with `args` in a new worker and resolves to its result.
 *
 * @param module the module's URL (an exported function's home, e.g. `new URL("./x.ts",
 *   import.meta.url)`)
 * @param fn the exported function's name (it may return a promise)
 * @param args its arguments (structured-cloned: no functions)
 * @param options error classes to rebuild, and a signal that ends the worker early
 * @returns the function's result
 * @throws the function's error, or an error naming the module and function when the worker
 *   itself fails (a module that does not load, a missing export), or the signal's reason
 */
export function inWorker<T>(
  module: URL,
  fn: string,
  args: unknown[],
  options: WorkerOptions = {},
): Promise<T> {
  const { errors = {}, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const worker = new Worker(new URL("./worker_entry.ts", import.meta.url).href, {
    type: "module",
  });
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      worker.terminate();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", stop, { once: true });
    worker.onmessage = (e: MessageEvent<WorkerAnswer>) => {
      signal?.removeEventListener("abort", stop);
      worker.terminate();
      const a = e.data;
      if (a.ok) return resolve(a.value as T);
      const Cls = errors[a.name];
      const err = Cls ? new Cls(a.message) : new Error(a.message);
      if (!Cls) err.name = a.name;
      err.stack = `${err.name}: ${a.message}\n    (in a worker: ${fn} of ${module.pathname})\n${
        a.stack.split("\n").slice(1).join("\n")
      }`;
      reject(err);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      signal?.removeEventListener("abort", stop);
      worker.terminate();
      reject(new Error(`worker for ${fn} of ${module.pathname} failed: ${e.message}`));
    };
    const call: WorkerCall = { module: module.href, fn, args };
    worker.postMessage(call);
  });
}
