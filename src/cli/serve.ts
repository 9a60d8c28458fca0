/**
 * `deno task serve [--dataset <id | path.json> | --model path/to/model.json] [--port N]
 * [--host ADDR --allow-remote] [--token-file PATH] [--cors ORIGIN] [--no-watch]`
 *
 * The scoring service (`src/serve/`): an HTTP JSON API over the saved loyalty model. Listens on
 * 127.0.0.1 (port 8787 by default; 0 picks a free one); binding another address needs
 * `--allow-remote`. Logs JSON lines on standard output (the first one, `"event":"listening"`,
 * gives the bound port); stops gracefully on SIGINT/SIGTERM; reloads the model on SIGHUP or
 * when its file changes. Exit code 1 when it cannot start.
 *
 * @module
 */
import { loadDataset } from "../config/registry.ts";
import { parseOptions, runMain, UsageError } from "../lib/args.ts";
import { fromRoot } from "../lib/paths.ts";
import { readTokenFile } from "../serve/auth.ts";
import { isLoopback, startService } from "../serve/server.ts";

const USAGE = "deno task serve [--dataset <id | path.json> | --model path/to/model.json] " +
  "[--port N] [--host ADDR --allow-remote] [--token-file PATH] [--cors ORIGIN] [--no-watch]";

/** Default port. */
const DEFAULT_PORT = 8787;

/** Seconds the service waits for requests in flight after SIGINT/SIGTERM before it exits. */
const SHUTDOWN_GRACE_S = 15;

async function main(args: string[]): Promise<void> {
  const { values } = parseOptions(args, {
    dataset: { type: "string" },
    model: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "allow-remote": { type: "boolean", default: false },
    "token-file": { type: "string" },
    cors: { type: "string" },
    "no-watch": { type: "boolean", default: false },
  }, USAGE);
  if (values.dataset !== undefined && values.model !== undefined) {
    throw new UsageError("--dataset and --model exclude each other", USAGE);
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(
      `--port needs a whole number from 0 to 65535, got "${values.port}"`,
      USAGE,
    );
  }
  const hostname = values.host ?? "127.0.0.1";
  if (!isLoopback(hostname) && !values["allow-remote"]) {
    throw new UsageError(
      `--host ${hostname} is not a loopback address: add --allow-remote to accept connections ` +
        `from other machines (and consider --token-file)`,
      USAGE,
    );
  }
  if (values.cors !== undefined && values.cors.trim() === "") {
    throw new UsageError("--cors needs an origin (https://crm.example.com, or *)", USAGE);
  }
  const modelPath = values.model !== undefined
    ? fromRoot(values.model, Deno.cwd())
    : fromRoot(`${(await loadDataset(values.dataset ?? null)).outputs.reports}/model.json`);
  const token = values["token-file"] === undefined
    ? null
    : await readTokenFile(values["token-file"]);
  const service = await startService({
    modelPath,
    hostname,
    port,
    token,
    cors: values.cors ?? null,
    watch: !values["no-watch"],
    handleSignals: true,
  });
  let forced: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    // After a shutdown signal, requests in flight get a grace period; then the process exits.
    forced ??= setTimeout(() => {
      console.error(`serve: requests still open after ${SHUTDOWN_GRACE_S} s; exiting`);
      Deno.exit(1);
    }, SHUTDOWN_GRACE_S * 1000);
    Deno.unrefTimer(forced as unknown as number);
  };
  Deno.addSignalListener("SIGINT", arm);
  Deno.addSignalListener("SIGTERM", arm);
  await service.finished;
  Deno.removeSignalListener("SIGINT", arm);
  Deno.removeSignalListener("SIGTERM", arm);
  clearTimeout(forced);
}

if (import.meta.main) await runMain("serve", main);
