/**
 * `deno task sql [--dataset <id | path/to/dataset.json>] [--dialect duckdb|spark|bigquery|snowflake]`:
 * prints the data stage of a dataset as SQL (`src/engine/sql.ts`): the statements that clean the
 * raw lines (`rfm_lines`) and aggregate them per customer (`rfm_customers`), to run in a
 * warehouse. Feed the resulting customer table back with a dataset file of `format: "customers"`.
 *
 * For DuckDB the SQL reads the dataset's files where they are found (and knows their column
 * types); for the other dialects it reads one table per file (named in the header comment), and
 * the files need not be present.
 *
 * @module
 */
import { resolveDataset } from "../acquire/resolve.ts";
import { loadDataset } from "../config/registry.ts";
import { type DialectName, DIALECTS } from "../engine/dialect.ts";
import { dataStageSql, type SqlSource } from "../engine/sql.ts";
import { parquetTypes } from "../engine/duckdb.ts";
import { parseOptions, runMain, UsageError } from "../lib/args.ts";
import { ROOT } from "../lib/paths.ts";

const USAGE = `deno task sql [--dataset <id | path/to/dataset.json>] [--dialect ${
  DIALECTS.join("|")
}]`;

async function main(args: string[]): Promise<void> {
  const { values } = parseOptions(args, {
    dataset: { type: "string" },
    dialect: { type: "string" },
  }, USAGE);
  const name = values.dialect ?? "duckdb";
  if (!(DIALECTS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown dialect '${name}'`, USAGE);
  }
  const dialect = name as DialectName;
  const ds = await loadDataset(values.dataset ?? null);
  let sources: SqlSource[];
  if (dialect === "duckdb") {
    const files = await resolveDataset(ds, { root: ROOT, log: (m) => console.error(m) });
    sources = [];
    for (const f of files) {
      sources.push({ file: f.file, path: f.source, types: await parquetTypes(f.file, f.path) });
    }
  } else {
    sources = ds.files.map((file) => ({ file, path: file.name }));
  }
  console.log(dataStageSql(ds, sources, { dialect }).script);
}

if (import.meta.main) await runMain("sql", main);
