/**
 * The worker side of {@link inWorker} (`worker.ts`): imports the module it is sent, calls the
 * named export with the arguments, and answers with the result or the error. Not for import.
 *
 * @module
 */
import type { WorkerAnswer, WorkerCall } from "./worker.ts";

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<WorkerCall>) => void) | null;
  postMessage: (message: WorkerAnswer) => void;
};

scope.onmessage = async (e: MessageEvent<WorkerCall>) => {
  const { module, fn, args } = e.data;
  try {
    const mod = await import(module);
    if (typeof mod[fn] !== "function") throw new Error(`${module} exports no function "${fn}"`);
    scope.postMessage({ ok: true, value: await mod[fn](...args) });
  } catch (err) {
    const x = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({ ok: false, name: x.name, message: x.message, stack: x.stack ?? "" });
  }
};
