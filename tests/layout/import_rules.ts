/**
 * The workspace's dependency rules, checked on its import graph (read from the source text).
 *
 * - Each folder of `src/` may import only the folders listed for it in {@link ALLOWED}; the table
 *   is acyclic, so the data flows one way: `cli → pipeline/site → stages → config → lib`.
 * - `src/model/` and `src/score/` are pure: neither they nor any `src/` module they import,
 *   directly or transitively, imports polars, a `node:*` module or uses the `Deno` API (the score
 *   module runs unchanged in the browser).
 * - Nothing imports `src/cli/` (entry points only); nothing in `src/` imports `notebooks/`.
 * - The site's loaders and Framework config (`notebooks/`) import no CLI module.
 * - No import cycle between folders.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/** The folders of `src/` and the folders each may import (besides itself). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  lib: [],
  config: ["lib"],
  acquire: ["config", "lib"],
  ingest: ["config", "lib"],
  clean: ["ingest", "config", "lib"],
  rfm: ["config", "lib"],
  features: ["config", "lib"],
  engine: ["clean", "ingest", "rfm", "config", "lib"],
  score: ["config", "lib"],
  model: ["score", "rfm", "config", "lib"],
  report: ["clean", "rfm", "model", "score", "config", "lib"],
  pipeline: [
    "acquire",
    "ingest",
    "clean",
    "engine",
    "rfm",
    "features",
    "model",
    "score",
    "report",
    "config",
    "lib",
  ],
  site: ["report", "score", "config", "lib"],
  serve: ["score", "config", "lib"],
  cli: ["pipeline", "engine", "site", "serve", "report", "acquire", "config", "lib"],
};

/** Folders whose modules (and everything they import) must be pure. */
export const PURE = ["model", "score"] as const;

/** Package specifiers a pure module may not import. */
const IMPURE_PACKAGE = /^(nodejs-polars|node:|npm:nodejs-polars|@duckdb\/|npm:@duckdb\/)/;

/** One broken rule. */
export interface Violation {
  /** The importing file, relative to the root. */
  file: string;
  /** What it imports (a specifier or a path). */
  imports: string;
  /** Which rule it breaks. */
  rule: string;
}

/** A module's imports: relative ones resolved to root-relative paths, packages as written. */
export interface ModuleImports {
  files: string[];
  packages: string[];
  usesDeno: boolean;
}

/** Source text without comments (doc examples are not imports). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** The import specifiers of a module's source text (static, re-exports and dynamic). */
export function importSpecifiers(text: string): string[] {
  const code = stripComments(text);
  const specs = new Set<string>();
  for (const m of code.matchAll(/\b(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g)) {
    specs.add(m[1]);
  }
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) specs.add(m[1]);
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) specs.add(m[1]);
  return [...specs];
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "generated") continue;
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (/\.(ts|js)$/.test(e.name)) yield p;
  }
}

/** Reads the import graph of every `.ts`/`.js` file below `root/src` and `root/notebooks`. */
export async function readGraph(root: string): Promise<Map<string, ModuleImports>> {
  const graph = new Map<string, ModuleImports>();
  for (const top of ["src", "notebooks"]) {
    for await (const path of walk(join(root, top))) {
      const text = await Deno.readTextFile(path);
      const file = relative(root, path);
      const files: string[] = [];
      const packages: string[] = [];
      for (const spec of importSpecifiers(text)) {
        if (spec.startsWith(".")) files.push(normalize(join(dirname(file), spec)));
        else packages.push(spec);
      }
      graph.set(file, { files, packages, usesDeno: /\bDeno\./.test(stripComments(text)) });
    }
  }
  return graph;
}

/** The `src/` folder of a root-relative path (`src/model/knn.ts` → `model`), else null. */
function srcFolder(file: string): string | null {
  const parts = file.split("/");
  return parts[0] === "src" && parts.length > 2 ? parts[1] : null;
}

/** Every import of the graph that breaks a rule (empty when the layout is sound). */
export function checkGraph(graph: Map<string, ModuleImports>): Violation[] {
  const out: Violation[] = [];
  const folderEdges = new Map<string, Set<string>>();
  for (const [file, mod] of graph) {
    const from = srcFolder(file);
    if (file.startsWith("src/") && from === null) {
      out.push({ file, imports: "", rule: "every module of src/ lives in a stage folder" });
    }
    for (const target of mod.files) {
      const to = srcFolder(target);
      if (target.startsWith("src/cli/")) {
        out.push({ file, imports: target, rule: "nothing imports a CLI module" });
      }
      if (from !== null && target.startsWith("notebooks/")) {
        out.push({ file, imports: target, rule: "src/ does not import the site (notebooks/)" });
      }
      if (from === null || to === null || from === to) continue;
      if (!(from in ALLOWED)) {
        out.push({ file, imports: target, rule: `src/${from}/ is not a known folder` });
        continue;
      }
      if (!ALLOWED[from].includes(to)) {
        out.push({ file, imports: target, rule: `src/${from}/ may not import src/${to}/` });
      }
      if (!folderEdges.has(from)) folderEdges.set(from, new Set());
      folderEdges.get(from)!.add(to);
    }
  }
  // Purity of model/ and score/, through everything they import.
  for (const [file] of graph) {
    const folder = srcFolder(file);
    if (!folder || !(PURE as readonly string[]).includes(folder)) continue;
    const seen = new Set<string>();
    const stack = [file];
    while (stack.length) {
      const f = stack.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      const mod = graph.get(f);
      if (!mod) continue;
      const via = f === file ? "" : ` (through ${f})`;
      for (const p of mod.packages) {
        if (IMPURE_PACKAGE.test(p)) {
          out.push({ file, imports: p + via, rule: `src/${folder}/ must be pure` });
        }
      }
      if (mod.usesDeno) {
        out.push({ file, imports: "Deno" + via, rule: `src/${folder}/ must be pure` });
      }
      stack.push(...mod.files.filter((t) => t.startsWith("src/")));
    }
  }
  // No cycle between folders (the table is acyclic, but check the real edges too).
  const state = new Map<string, number>();
  const visit = (n: string, path: string[]): void => {
    state.set(n, 1);
    for (const m of folderEdges.get(n) ?? []) {
      if (state.get(m) === 1) {
        out.push({
          file: `src/${n}/`,
          imports: `src/${m}/`,
          rule: `import cycle between folders: ${[...path, n, m].join(" → ")}`,
        });
      } else if (!state.has(m)) visit(m, [...path, n]);
    }
    state.set(n, 2);
  };
  for (const n of [...folderEdges.keys()].sort()) if (!state.has(n)) visit(n, []);
  return out;
}

/** Whether the {@link ALLOWED} table itself is acyclic (a folder never reaches itself). */
export function allowedIsAcyclic(): boolean {
  const reach = (from: string, seen: Set<string>): boolean =>
    (ALLOWED[from] ?? []).some((to) =>
      to === from || seen.has(to) ? true : reach(to, new Set([...seen, to]))
    );
  return Object.keys(ALLOWED).every((f) => !reach(f, new Set([f])));
}
