/**
 * Command-line options, parsed strictly with `node:util`'s `parseArgs`: an unknown option, a
 * missing value or a stray positional argument is an error that names it and shows the usage.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The option table of a command (as `parseArgs` takes it). */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** A command-line mistake; the message names the option and ends with the usage line. */
export class UsageError extends Error {
  constructor(message: string, usage: string) {
    super(`${message}\nusage: ${usage}`);
    this.name = "UsageError";
  }
}

/** `--help` or `-h` was given: the command prints its usage and does nothing else. */
export class HelpRequest extends Error {
  constructor(readonly usage: string) {
    super(`usage: ${usage}`);
    this.name = "HelpRequest";
  }
}

/**
 * Parses `args` against `options` (strict; no positionals unless `positionals` is true). With
 * `--help` or `-h` among them (before a `--`), it throws a {@link HelpRequest} instead, which
 * {@link runMain} answers with the usage on standard output and status 0.
 *
 * @example
 * ```ts
 * import { parseOptions } from "./args.ts";
 * import { equal, throws } from "node:assert/strict";
 * const spec = { dataset: { type: "string" }, "no-site": { type: "boolean" } } as const;
 * const { values } = parseOptions(["--dataset", "cdnow"], spec, "build [--dataset ID]");
 * equal(values.dataset, "cdnow");
 * throws(() => parseOptions(["--datset", "x"], spec, "build"), /unknown option '--datset'/);
 * throws(() => parseOptions(["--help"], spec, "build [--dataset ID]"), /usage: build/);
 * ```
 * @throws {UsageError} naming the offending option
 * @throws {HelpRequest} when asked for help
 */
export function parseOptions<const T extends OptionSpec>(
  args: string[],
  options: T,
  usage: string,
  positionals = false,
) {
  const end = args.indexOf("--");
  const own = end < 0 ? args : args.slice(0, end);
  if (own.includes("--help") || own.includes("-h")) throw new HelpRequest(usage);
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    const raw = (e as Error).message;
    // node:util's messages are long and mention "strict:false"; keep the part that names the option.
    const unknown = raw.match(/Unknown option '([^']+)'/);
    const positional = raw.match(/Unexpected argument '([^']+)'/);
    const message = unknown
      ? `unknown option '${unknown[1]}'`
      : positional
      ? `unexpected argument '${positional[1]}'`
      : raw.split(/\.\s/)[0];
    throw new UsageError(message, usage);
  }
}

/** Reads a positive integer option value, or `undefined` when absent. */
export function intOption(
  value: string | undefined,
  name: string,
  usage: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`--${name} needs a positive integer, got "${value.slice(0, 40)}"`, usage);
  }
  return n;
}

/**
 * Runs a command's `main` as the entry point: asked for help ({@link HelpRequest}), prints the
 * usage on standard output and exits with 0; on an error, prints `<name> failed: <message>` on
 * standard error and exits with 2 for a usage mistake ({@link UsageError}) or `errorCode`
 * otherwise; a number returned by `main` is the exit status (nothing returned: the process ends
 * by itself once its work is done). One place for every command's exit rules.
 *
 * @example
 * ```ts
 * import { runMain } from "./args.ts";
 * // in src/cli/example.ts:
 * if (import.meta.main) await runMain("example", async (_args) => 0);
 * ```
 *
 * @param name the command's name, as the user typed it after `deno task`
 * @param main the command, given `Deno.args`
 * @param errorCode exit status of a failure other than a usage mistake (default 1)
 */
export async function runMain(
  name: string,
  main: (args: string[]) => Promise<number | void>,
  errorCode = 1,
): Promise<void> {
  let code: number | void;
  try {
    code = await main(Deno.args);
  } catch (e) {
    if (e instanceof HelpRequest) {
      console.log(e.message);
      Deno.exit(0);
    }
    console.error(`${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    code = e instanceof UsageError ? 2 : errorCode;
  }
  if (typeof code === "number") Deno.exit(code);
}
