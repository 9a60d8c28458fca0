/**
 * Writes `data/dataset.schema.json`, the JSON Schema of dataset descriptions, generated from the
 * zod schema (`src/config/dataset_schema.ts`); `--table` prints instead the Markdown table of
 * every key with its default and bounds, for the README.
 *
 *     ./node_modules/deno/deno run -A tests/config/write_schema.ts [--table]
 *
 * `tests/config/schema_test.ts` fails when the committed file differs from the generated one.
 *
 * @module
 */
import { datasetJsonSchema } from "../../src/config/dataset_schema.ts";

/** Where the generated JSON Schema is committed. */
export const SCHEMA_FILE = new URL("../../data/dataset.schema.json", import.meta.url);

/** The command that regenerates it. */
export const REGENERATE = "./node_modules/deno/deno run -A tests/config/write_schema.ts";

/** The text of `data/dataset.schema.json` (two-space JSON, final newline). */
export function schemaText(): string {
  return JSON.stringify(datasetJsonSchema(), null, 2) + "\n";
}

// deno-lint-ignore no-explicit-any
type Node = Record<string, any>;

/** The schema node behind `$ref`s and a nullable `anyOf`. */
function deref(node: Node, defs: Record<string, Node>): Node {
  if (node.$ref) return deref(defs[String(node.$ref).replace("#/$defs/", "")], defs);
  if (Array.isArray(node.anyOf)) {
    const real = node.anyOf.filter((n: Node) => n.type !== "null");
    if (real.length === 1) {
      return { ...deref(real[0], defs), ...withoutAnyOf(node), nullable: true };
    }
  }
  return node;
}

function withoutAnyOf(node: Node): Node {
  const { anyOf: _a, ...rest } = node;
  return rest;
}

/** A value for the table: JSON, arrays shortened. */
function cell(v: unknown): string {
  const s = JSON.stringify(v);
  return `\`${s.length > 60 ? s.slice(0, 57) + "…" : s}\``;
}

/** The bounds of a node for the table. */
function bounds(n: Node): string {
  const parts: string[] = [];
  const item = n.items ? n.items : null;
  if (n.enum) parts.push(n.enum.map((e: unknown) => `\`${e}\``).join(", "));
  if (n.minimum !== undefined || n.maximum !== undefined) {
    parts.push(`${n.minimum ?? "…"} to ${n.maximum ?? "…"}`);
  }
  if (n.minItems !== undefined && n.minItems === n.maxItems) {
    parts.push(`exactly ${n.minItems} entries`);
  } else if (n.minItems !== undefined || n.maxItems !== undefined) {
    parts.push(`${n.minItems ?? 0} to ${n.maxItems ?? "…"} entries`);
  }
  if (item?.enum) {
    parts.push(
      item.enum.length <= 6
        ? `each ${item.enum.map((e: unknown) => `\`${e}\``).join(" or ")}`
        : "each a feature of the feature registry",
    );
  }
  if (item && (item.minimum !== undefined || item.maximum !== undefined)) {
    parts.push(`each ${item.minimum ?? "…"} to ${item.maximum ?? "…"}`);
  }
  if (n.nullable) parts.push("or null");
  return parts.join("; ");
}

/** Rows `key | default | bounds | meaning` of every key below `node`. */
function rows(node: Node, prefix: string, defs: Record<string, Node>, out: string[]): void {
  const n = deref(node, defs);
  for (const [k, child] of Object.entries<Node>(n.properties ?? {})) {
    if (k === "$schema" && prefix) continue;
    const c = deref(child, defs);
    const key = prefix ? `${prefix}.${k}` : k;
    const required = (n.required ?? []).includes(k);
    const def = "default" in child ? cell(child.default) : "default" in c ? cell(c.default) : "";
    const isObject = c.type === "object" && c.properties;
    if (!(isObject && Object.keys(c.properties).length > 0 && def === "`{}`")) {
      out.push(
        `| \`${key}\` | ${required ? "required" : def} | ${bounds(c)} | ${
          (child.description ?? c.description ?? "").replaceAll("|", "\\|")
        } |`,
      );
    }
    if (isObject) rows(c, key, defs, out);
    if (c.type === "array" && c.items) {
      const item = deref(c.items, defs);
      if (item.type === "object" && item.properties) rows(item, `${key}[]`, defs, out);
    }
  }
}

/** The Markdown table of every key of a dataset description. */
export function keyTable(): string {
  const schema = datasetJsonSchema() as Node;
  const out = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"];
  rows(schema.$defs.dataset, "", schema.$defs, out);
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  if (Deno.args.includes("--table")) {
    console.log(keyTable());
  } else {
    await Deno.writeTextFile(SCHEMA_FILE, schemaText());
    console.error(`wrote ${SCHEMA_FILE.pathname}`);
  }
}
