/**
 * Starts the scoring service on `Deno.serve`: loads the model, listens (127.0.0.1 unless told
 * otherwise), logs one JSON line per request, reloads the model on SIGHUP or when its file
 * changes, and shuts down gracefully on SIGINT/SIGTERM: requests in flight finish (a body still
 * arriving included), requests arriving meanwhile are answered 503 `shutting_down` with
 * `Connection: close`, then the listener and idle connections are closed and the process is
 * free to exit (`src/cli/serve.ts` exits anyway after a grace period).
 *
 * @module
 */
import { createHandler } from "./app.ts";
import { jsonLogger, type LogFn } from "./log.ts";
import { ModelStore } from "./model_store.ts";

/** Options of {@link startService}. */
export interface ServiceOptions {
  /** Model file. */
  modelPath: string;
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** Port (0 = any free port; the bound port is logged and returned). */
  port: number;
  /** Bearer token for the /v1 routes, or null. */
  token?: string | null;
  /** CORS origin, or null for CORS off. */
  cors?: string | null;
  /** Watch the model file and reload it when it changes (default true). */
  watch?: boolean;
  /** React to SIGINT/SIGTERM (shut down) and SIGHUP (reload) (default false). */
  handleSignals?: boolean;
  /** Log writer (default: JSON lines on standard output). */
  log?: LogFn;
  /** Largest body in bytes. */
  maxBodyBytes?: number;
  /** Longest time for a body to arrive, in milliseconds. */
  bodyTimeoutMs?: number;
}

/** A running service. */
export interface RunningService {
  hostname: string;
  port: number;
  store: ModelStore;
  /** Stops accepting connections, lets requests in flight finish; idempotent. */
  shutdown(reason?: string): Promise<void>;
  /** Settles when the server has stopped. */
  finished: Promise<void>;
}

/** Whether an address is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Loads the model and starts listening.
 *
 * @throws {Error} when the model cannot be loaded or the address cannot be bound
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const log = options.log ?? jsonLogger();
  const store = await ModelStore.open(options.modelPath, log);
  const handler = createHandler({
    store,
    log,
    token: options.token ?? null,
    cors: options.cors ?? null,
    maxBodyBytes: options.maxBodyBytes,
    bodyTimeoutMs: options.bodyTimeoutMs,
  });
  const hostname = options.hostname ?? "127.0.0.1";
  let bound = { hostname, port: options.port };
  const server = Deno.serve({
    hostname,
    port: options.port,
    onListen: (addr) => {
      bound = { hostname: addr.hostname, port: addr.port };
    },
    onError: (e) => {
      log({ event: "internal error", level: "error", error: String((e as Error)?.message) });
      return new Response('{"error":{"status":500,"code":"internal","message":"failure"}}', {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    },
  }, (req) => handler(req));
  const addr = server.addr as Deno.NetAddr;
  bound = { hostname: addr.hostname, port: addr.port };
  if (options.watch ?? true) store.watch();

  const signals: [Deno.Signal, () => void][] = [];
  let stopping: Promise<void> | null = null;
  const shutdown = (reason = "shutdown"): Promise<void> => {
    stopping ??= (async () => {
      log({ event: "shutting down", reason });
      for (const [sig, fn] of signals) Deno.removeSignalListener(sig, fn);
      await store.close();
      // Deno's shutdown closes request bodies still arriving, so first let every request in
      // flight finish (new ones are answered 503), then close the listener and idle connections.
      await handler.drain();
      await server.shutdown();
    })();
    return stopping;
  };
  if (options.handleSignals) {
    const on = (sig: Deno.Signal, fn: () => void) => {
      Deno.addSignalListener(sig, fn);
      signals.push([sig, fn]);
    };
    on("SIGINT", () => void shutdown("SIGINT"));
    on("SIGTERM", () => void shutdown("SIGTERM"));
    on("SIGHUP", () => void store.reload("SIGHUP"));
  }
  const finished = server.finished.then(() => {
    log({ event: "stopped", requests: handler.answered });
  });
  log({
    event: "listening",
    hostname: bound.hostname,
    port: bound.port,
    url: `http://${
      bound.hostname.includes(":") ? `[${bound.hostname}]` : bound.hostname
    }:${bound.port}/`,
    model: store.current.ref.fingerprint,
    dataset: store.current.ref.dataset,
    auth: options.token ? "bearer" : "none",
    cors: options.cors ?? "off",
  });
  return { hostname: bound.hostname, port: bound.port, store, shutdown, finished };
}
