/**
 * Running pure functions on another core, in a Web Worker, with their arguments and results
 * structured-cloned (numbers, -0, NaN, `undefined`, typed arrays and maps cross exactly):
 * {@link inWorker} makes one call in a fresh worker and ends it; a {@link WorkerSession} keeps
 * its worker for several calls, answered in order, until it is closed (and can keep an object
 * there, made once from data sent once, whose methods the calls then name).
 *
 * For the model stage, where independent fits (K-Means, the loyalty baselines, half of the
 * feature-weight trials and of the scoring) run side by side with the main thread's KNN tuning
 * on a 2-core machine. The functions must be pure: same arguments, same result, on any thread,
 * so a build stays byte-identical whether its parts ran in workers or not.
 *
 * @example
 * ```ts
 * import { inWorker, WorkerSession } from "./worker.ts";
 * import { equal } from "node:assert/strict";
 * const stats = new URL("./stats.ts", import.meta.url);
 * equal(await inWorker<number>(stats, "median", [[1, 5, 3]]), 3); // computed in a worker
 * const session = new WorkerSession(stats);
 * try {
 *   equal(await session.call<number>("median", [[2, 8]]), 5); // two calls, one worker
 *   equal(await session.call<number>("mean", [[1, 2]]), 1.5);
 * } finally {
 *   session.close();
 * }
 * ```
 *
 * @module
 */

/** What the worker entry is sent: a call of an exported function (or a kept object's method). */
export interface WorkerCall {
  /** Matches the answer to its call. */
  id: number;
  /** The module's URL. */
  module: string;
  /** The exported function; after a `keep` call, a method of the kept object. */
  fn: string;
  args: unknown[];
  /** Keep the result in the worker (answered as `undefined`): later calls name its methods. */
  keep?: boolean;
}

/** What the worker entry answers: the result, or the error's name, message and stack. */
export type WorkerAnswer =
  & { id: number }
  & (
    | { ok: true; value: unknown }
    | { ok: false; name: string; message: string; stack: string }
  );

/** Error classes to rebuild from a worker's error, by `name` (an `instanceof` then still holds). */
export type ErrorClasses = Record<string, new (message: string) => Error>;

/** Options of {@link inWorker} and {@link WorkerSession}. */
export interface WorkerOptions {
  /**
   * Error classes to rebuild by name (others become an `Error` with the same name and message).
   */
  errors?: ErrorClasses;
  /** Ends the worker when aborted (its results are not wanted any more); calls reject. */
  signal?: AbortSignal;
}

/** Options of a {@link WorkerSession}. */
export interface SessionOptions extends WorkerOptions {
  /**
   * An exported function of the module to call first, whose result the worker keeps: the
   * session's calls then name methods of that object (e.g. data sent once and prepared once,
   * with state carried from call to call). If it throws, the session closes and every call
   * rejects with its error.
   */
  make?: { fn: string; args: unknown[] };
}

/** A call waiting for its answer. */
interface Pending {
  fn: string;
  keep: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * A worker kept for several calls of one module's exported functions (or, with `make`, of a
 * kept object's methods): calls are sent at once, run one after another in the worker in the
 * order they were made, and each resolves to its result.
 *
 * An error thrown by a called function rejects that call only (rebuilt as {@link inWorker}
 * does, naming the function and the module); the session stays usable. The worker failing
 * itself, a failed `make`, the signal or {@link WorkerSession.close} end the session: the worker
 * is terminated, calls still waiting and later calls reject. Close it in every path (`finally`):
 * an open session keeps its worker, and the process, alive.
 */
export class WorkerSession {
  readonly #module: URL;
  readonly #errors: ErrorClasses;
  readonly #signal: AbortSignal | undefined;
  readonly #worker: Worker | null;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  /** Why the session ended (calls after it reject with this), or null while it is open. */
  #end: { reason: unknown } | null = null;
  readonly #abort = () => this.#stop(this.#signal!.reason);

  /**
   * Starts the worker (none if the signal is already aborted: every call rejects with its reason).
   *
   * @param module the module's URL (the exported functions' home, e.g. `new URL("./x.ts",
   *   import.meta.url)`)
   * @param options error classes to rebuild, a signal that ends the worker early, and an
   *   exported function whose result the calls go to
   */
  constructor(module: URL, options: SessionOptions = {}) {
    this.#module = module;
    this.#errors = options.errors ?? {};
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.#worker = null;
      this.#end = { reason: this.#signal.reason };
      return;
    }
    this.#worker = new Worker(new URL("./worker_entry.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker.onmessage = (e: MessageEvent<WorkerAnswer>) => this.#answer(e.data);
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const running = this.#pending.values().next().value;
      const what = running ? `${running.fn} of ${module.pathname}` : module.pathname;
      this.#stop(new Error(`worker for ${what} failed: ${e.message}`));
    };
    this.#signal?.addEventListener("abort", this.#abort, { once: true });
    if (options.make) {
      // Its failure ends the session, and every call rejects with it.
      this.#send(options.make.fn, options.make.args, true).catch(() => {});
    }
  }

  /**
   * Calls `fn` (an exported function of the module, or with `make` a method of the kept object)
   * with `args` in the worker, after the calls made before it.
   *
   * @param fn the function's name (it may return a promise)
   * @param args its arguments (structured-cloned: no functions)
   * @returns its result
   * @throws the function's error, rebuilt; an error naming the module and function when the
   *   worker itself fails; the signal's reason; or an error saying the session was closed
   */
  call<T>(fn: string, args: unknown[]): Promise<T> {
    return this.#send(fn, args, false) as Promise<T>;
  }

  /** Whether the session has ended (closed, aborted, failed). */
  get closed(): boolean {
    return this.#end !== null;
  }

  /** Ends the worker now; calls still waiting reject. Closing again does nothing. */
  close(): void {
    this.#stop(new Error(`the worker session of ${this.#module.pathname} was closed`));
  }

  #send(fn: string, args: unknown[], keep: boolean): Promise<unknown> {
    if (this.#end) return Promise.reject(this.#end.reason);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const call: WorkerCall = { id, module: this.#module.href, fn, args, keep };
      this.#pending.set(id, { fn, keep, resolve, reject });
      try {
        this.#worker!.postMessage(call);
      } catch (e) {
        // Arguments that cannot be cloned: this call fails, the session stays as it was.
        this.#pending.delete(id);
        reject(e);
      }
    });
  }

  #answer(a: WorkerAnswer): void {
    const p = this.#pending.get(a.id);
    if (!p) return;
    this.#pending.delete(a.id);
    if (a.ok) return p.resolve(a.value);
    const err = workerError(a, p.fn, this.#module, this.#errors);
    p.reject(err);
    if (p.keep) this.#stop(err);
  }

  #stop(reason: unknown): void {
    if (this.#end) return;
    this.#end = { reason };
    this.#worker?.terminate();
    this.#signal?.removeEventListener("abort", this.#abort);
    for (const p of this.#pending.values()) p.reject(reason);
    this.#pending.clear();
  }
}

/** The error a worker answered, rebuilt on this thread, its stack naming function and module. */
function workerError(
  a: { name: string; message: string; stack: string },
  fn: string,
  module: URL,
  errors: ErrorClasses,
): Error {
  const Cls = errors[a.name];
  const err = Cls ? new Cls(a.message) : new Error(a.message);
  if (!Cls) err.name = a.name;
  err.stack = `${err.name}: ${a.message}\n    (in a worker: ${fn} of ${module.pathname})\n${
    a.stack.split("\n").slice(1).join("\n")
  }`;
  return err;
}

/**
 * Calls `fn` of `module` with `args` in a new worker and resolves to its result (a
 * {@link WorkerSession} of one call, closed after it).
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
export async function inWorker<T>(
  module: URL,
  fn: string,
  args: unknown[],
  options: WorkerOptions = {},
): Promise<T> {
  const session = new WorkerSession(module, options);
  try {
    return await session.call<T>(fn, args);
  } finally {
    session.close();
  }
}
