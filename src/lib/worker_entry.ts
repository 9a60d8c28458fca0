/**
 * The worker side of `inWorker` and `WorkerSession` (`worker.ts`): imports the module it is
 * sent, calls the named export with the arguments, and answers with the result or the error.
 * Calls run one after another in the order they came. A `keep` call's result stays here instead
 * of being answered: the later calls of the session name its methods. Not for import.
 *
 * @module
 */
import type { WorkerAnswer, WorkerCall } from "./worker.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<WorkerCall>) => void) | null;
  postMessage: (message: WorkerAnswer) => void;
};

/** Answers one call after another; the object a `keep` call made is the session's state. */
function serve(): (e: MessageEvent<WorkerCall>) => void {
  let kept: { by: string; value: Record<string, unknown> } | null = null;
  let queue: Promise<void> = Promise.resolve();
  const answer = async ({ id, module, fn, args, keep }: WorkerCall): Promise<void> => {
    try {
      const on = kept && !keep ? kept.value : await import(module);
      if (typeof on[fn] !== "function") {
        throw new Error(
          kept && !keep
            ? `the object made by ${kept.by} of ${module} has no method "${fn}"`
            : `${module} exports no function "${fn}"`,
        );
      }
      const value = await on[fn](...args);
      if (keep) kept = { by: fn, value };
      scope.postMessage({ id, ok: true, value: keep ? undefined : value });
    } catch (err) {
      const x = err instanceof Error ? err : new Error(String(err));
      scope.postMessage({ id, ok: false, name: x.name, message: x.message, stack: x.stack ?? "" });
    }
  };
  return (e) => {
    queue = queue.then(() => answer(e.data));
  };
}

scope.onmessage = serve();
