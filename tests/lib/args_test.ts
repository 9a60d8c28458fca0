/**
 * Command-line options are strict: an unknown option, a missing value or a stray argument is an
 * error naming it, in the helper and through a real entry point (which fails before any work).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { HelpRequest, intOption, parseOptions, UsageError } from "../../src/lib/args.ts";
import { ROOT } from "../../src/lib/paths.ts";

const SPEC = {
  dataset: { type: "string" },
  "no-site": { type: "boolean", default: false },
} as const;

Deno.test("parseOptions: values, defaults and strict errors that name the option", () => {
  const { values } = parseOptions(["--dataset=cdnow"], SPEC, "build");
  assert.equal(values.dataset, "cdnow");
  assert.equal(values["no-site"], false);
  assert.throws(() => parseOptions(["--datset", "x"], SPEC, "build [--dataset ID]"), (e) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^unknown option '--datset'\nusage: build \[--dataset ID\]$/);
    return true;
  });
  assert.throws(
    () => parseOptions(["--dataset"], SPEC, "build"),
    /'--dataset <value>' argument missing/,
  );
  assert.throws(() => parseOptions(["extra"], SPEC, "build"), /unexpected argument 'extra'/);
  assert.deepEqual(parseOptions(["dev"], SPEC, "site", true).positionals, ["dev"]);
  // Help, with any other option, before work; after "--" it is an argument like any other.
  for (const help of [["--help"], ["-h"], ["--dataset", "x", "--help"], ["--datset", "-h"]]) {
    assert.throws(() => parseOptions(help, SPEC, "build [--dataset ID]"), (e) => {
      assert.ok(e instanceof HelpRequest);
      assert.equal(e.message, "usage: build [--dataset ID]");
      return true;
    });
  }
  assert.deepEqual(parseOptions(["--", "--help"], SPEC, "site", true).positionals, ["--help"]);
});

Deno.test("intOption: positive integers only", () => {
  assert.equal(intOption("3000", "port", "dev"), 3000);
  assert.equal(intOption(undefined, "port", "dev"), undefined);
  for (const bad of ["0", "-1", "2.5", "abc", ""]) {
    assert.throws(() => intOption(bad, "port", "dev"), /--port needs a positive integer/);
  }
});

/** Runs the command's entry point with one argument, in a fresh process. */
async function runCli(cli: string, arg: string): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "src/cli", `${cli}.ts`), arg],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

for (const cli of ["build", "data", "verify", "site", "score", "serve", "sql"]) {
  Deno.test(`deno task ${cli}: an unknown option is refused before any work, naming it`, async () => {
    const out = await runCli(cli, "--no-such-option");
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, "a usage mistake exits with 2 (runMain)");
    assert.match(stderr, new RegExp(`^${cli} failed: unknown option '--no-such-option'`));
    assert.match(stderr, /usage: /);
  });

  Deno.test(`deno task ${cli} --help: the usage on standard output, status 0, no work`, async () => {
    const out = await runCli(cli, "--help");
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stdout), /^usage: \S/);
    assert.equal(new TextDecoder().decode(out.stderr), "");
  });
}
