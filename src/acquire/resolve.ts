/**
 * Data acquisition: find and verify each input file of a dataset.
 *
 * Each configured file is looked up, in order, in
 * 1. `data/raw/<name>` below the workspace root,
 * 2. the mirror folders — `$RFM_DATA_MIRROR` (when set), then `<root>/../shared/datasets` — at
 *    `<mirror>/<file.mirrorPath>`,
 * 3. the dataset's official source (`download`; see `download.ts`), which makes the file in
 *    `data/raw/<name>` with a provenance sidecar.
 *
 * A file whose sha256 differs from `file.sha256` is refused with a {@link DataError} and never
 * used. The one exception is a file in `data/raw` converted from the download: it cannot match
 * the mirror's bytes, so it is accepted when its provenance sidecar records exactly its sha256.
 * A file with an explicit `path` (or glob, see `glob.ts`) is used directly and checked only when
 * `sha256` is set; a path naming an existing file is that file, even when its name holds glob
 * characters (`[`, `{` …).
 *
 * What is checked is what is read: every file is copied once into a private read-only folder
 * and the copy is hashed (`snapshot.ts`), the copy's hash is the one checked (and recorded in the
 * manifest), and the copy is the path handed to ingest, so a file swapped after it was verified
 * is never read. Each file is used once: two configured files that are the same file (by real
 * path) are refused.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import type { DatasetConfig, FileConfig } from "../config/dataset.ts";
import { exists } from "../lib/files.ts";
import { excerpt } from "../lib/text.ts";
import { checksumMismatch } from "./checksum.ts";
import { type Archive, type DownloadContext, fetchArchive, makeFromArchive } from "./download.ts";
import { DataError } from "./errors.ts";
import { expandGlob, isGlob } from "./glob.ts";
import { provenancePath, readProvenance } from "./provenance.ts";
import { discardSnapshot, type Snapshot, snapshot, snapshotFolder } from "./snapshot.ts";

/** Where a resolved file came from. */
export type Origin = "local" | "mirror" | "download" | "path";

/** One verified input file, ready to ingest. */
export interface ResolvedFile {
  /** The file's configuration (a copy named after the match when it came from a glob). */
  file: FileConfig;
  /**
   * Absolute path of the file to read: a private read-only copy of the file, made while hashing
   * it (so its bytes are exactly those of `sha256`).
   */
  path: string;
  /** Where the file was found (absolute; for a glob match, its real path). */
  source: string;
  /** Where it was found. */
  origin: Origin;
  /** The sha256 (lowercase hex) of the bytes read, those of `path`. */
  sha256: string;
}

/** Options of {@link resolveDataset}. */
export interface ResolveOptions {
  /** Workspace root: `data/raw` and `../shared/datasets` are relative to it. */
  root: string;
  /** Environment (`RFM_DATA_MIRROR`, `RFM_ALLOW_UNPINNED_DOWNLOAD`); default `Deno.env`. */
  env?: Record<string, string | undefined>;
  /** The fetch used for downloads (default `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Progress and warning messages (default: standard error). */
  log?: (msg: string) => void;
  /** Called after each configured file is resolved (a glob may give several), with the time taken. */
  onFile?: (resolved: ResolvedFile[], elapsedMs: number) => void;
}

/** Environment variable naming an extra mirror folder, searched before `../shared/datasets`. */
export const MIRROR_ENV = "RFM_DATA_MIRROR";

/** State shared by the files of one {@link resolveDataset} call. */
interface Context extends DownloadContext {
  root: string;
  mirrors: string[];
  /** The archive, fetched by the first file that needs it. */
  archive: Promise<Archive> | null;
  /** The private folder of this call's copies, made by the first file. */
  folder: Promise<string> | null;
  /** Copies made so far (numbers the copies). */
  copies: number;
}

/** A private read-only copy of `source` and the hash of the copy (see `snapshot.ts`). */
async function take(ctx: Context, source: string): Promise<Snapshot> {
  ctx.folder ??= snapshotFolder();
  return snapshot(source, await ctx.folder, String(++ctx.copies).padStart(3, "0"));
}

/**
 * Finds, verifies and (when needed) downloads every file of a dataset, in configuration order.
 *
 * @param ds the dataset configuration
 * @param opts workspace root, environment, fetch and logger
 * @returns one entry per file (a `path` glob may give several)
 * @throws {DataError} when a file is missing everywhere, fails its checksum, or cannot be fetched
 */
export async function resolveDataset(
  ds: DatasetConfig,
  opts: ResolveOptions,
): Promise<ResolvedFile[]> {
  const root = resolve(opts.root);
  const env = opts.env ?? Deno.env.toObject();
  const mirrors: string[] = [];
  const envMirror = env[MIRROR_ENV];
  if (envMirror) mirrors.push(resolve(envMirror));
  mirrors.push(resolve(root, "..", "shared", "datasets"));
  const ctx: Context = {
    ds,
    root,
    rawDir: join(root, "data", "raw"),
    mirrors,
    env,
    fetch: opts.fetch ?? globalThis.fetch,
    log: opts.log ?? ((m) => console.error(m)),
    archive: null,
    folder: null,
    copies: 0,
  };
  if (envMirror && !(await exists(mirrors[0]))) {
    ctx.log(`note: ${MIRROR_ENV}=${envMirror} does not exist; ignoring it`);
  }
  const out: ResolvedFile[] = [];
  const seen = new Map<string, string>(); // real path → the file name that uses it
  for (const file of ds.files) {
    const t0 = performance.now();
    const got = file.path !== null
      ? await resolveExplicitPath(file, ctx)
      : [await resolveFile(file, ctx)];
    for (const r of got) {
      const real = await Deno.realPath(r.source).catch(() => r.source);
      const other = seen.get(real);
      if (other !== undefined) {
        throw new DataError(
          `${r.file.name}: ${real} is already used as ${other}; a file is read once. ` +
            `Remove one of the two entries from the configuration, or narrow its pattern.`,
        );
      }
      seen.set(real, r.file.name);
    }
    out.push(...got);
    opts.onFile?.(got, performance.now() - t0);
  }
  return out;
}

/** Resolves one file without an explicit path: data/raw, mirrors, then the download. */
async function resolveFile(file: FileConfig, ctx: Context): Promise<ResolvedFile> {
  const local = join(ctx.rawDir, file.name);
  if (await exists(local)) return await verifyLocal(file, local, ctx);
  const looked = [local];
  for (const mirror of ctx.mirrors) {
    const p = join(mirror, file.mirrorPath);
    looked.push(p);
    if (!(await exists(p))) continue;
    const copy = await take(ctx, p);
    if (file.sha256 !== null && copy.sha256 !== file.sha256) {
      await discardSnapshot(copy);
      throw checksumMismatch(file, p, file.sha256, copy.sha256);
    }
    return { file, path: copy.path, source: p, origin: "mirror", sha256: copy.sha256 };
  }
  if (ctx.ds.download === null) {
    throw new DataError(
      `${file.name}: not found, and dataset "${ctx.ds.id}" has no download configured. Looked in:\n` +
        looked.map((p) => `  ${p}`).join("\n") +
        `\nPut the file in ${ctx.rawDir}, or set ${MIRROR_ENV} to a folder holding ${file.mirrorPath}.`,
    );
  }
  ctx.archive ??= fetchArchive(ctx, ctx.ds.download);
  let archive: Archive;
  try {
    archive = await ctx.archive;
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(`${file.name}: not in ${looked.join(" or ")}, and ${e.message}`);
  }
  const made = await makeFromArchive(file, archive, local, ctx);
  const copy = await take(ctx, made.path);
  if (copy.sha256 !== made.sha256) {
    await discardSnapshot(copy);
    throw new DataError(
      `${file.name}: ${made.path} changed after it was made (sha256 ${made.sha256} when written, ` +
        `${copy.sha256} when read); it is not used. Delete it and its provenance file, and run again.`,
    );
  }
  return { file, path: copy.path, source: made.path, origin: "download", sha256: copy.sha256 };
}

/** Verifies a file in data/raw: the configured sha256, or else its provenance sidecar. */
async function verifyLocal(file: FileConfig, path: string, ctx: Context): Promise<ResolvedFile> {
  const copy = await take(ctx, path);
  try {
    return await verifyLocalCopy(file, path, copy);
  } catch (e) {
    await discardSnapshot(copy);
    throw e;
  }
}

/** {@link verifyLocal} on the private copy `copy` of `path`. */
async function verifyLocalCopy(
  file: FileConfig,
  path: string,
  copy: Snapshot,
): Promise<ResolvedFile> {
  const actual = copy.sha256;
  const found = { file, path: copy.path, source: path, sha256: actual };
  if (file.sha256 !== null && actual === file.sha256) return { ...found, origin: "local" };
  const prov = await readProvenance(file, path);
  if (prov !== null) {
    const side = provenancePath(path);
    if (prov.sha256 !== actual) {
      throw new DataError(
        `${file.name}: ${path} does not match its provenance record ${side}: recorded sha256 ` +
          `${prov.sha256}, actual ${actual}. The file was changed after it was made and is not ` +
          `used; delete both files to fetch it again.`,
      );
    }
    if (file.sheetRows !== null && prov.rows !== null && prov.rows !== file.sheetRows) {
      throw new DataError(
        `${file.name}: ${path} was converted with ${prov.rows} rows (per ${side}) but the ` +
          `configuration expects ${file.sheetRows}; delete both files to fetch it again.`,
      );
    }
    if (file.sheet !== null && prov.sheet !== null && prov.sheet !== file.sheet) {
      throw new DataError(
        `${file.name}: ${path} was converted from sheet ${excerpt(prov.sheet)} (per ${side}) but ` +
          `the configuration names sheet ${
            excerpt(file.sheet)
          }; delete both files to fetch it again.`,
      );
    }
    return { ...found, origin: "download" };
  }
  if (file.sha256 === null) return { ...found, origin: "local" };
  throw checksumMismatch(file, path, file.sha256, actual);
}

/**
 * Resolves a file with an explicit `path` (or glob), checking sha256 when configured. A path that
 * names an existing file is used as is, even with glob characters in its name; a glob gives each
 * matching file once, by real path.
 */
async function resolveExplicitPath(file: FileConfig, ctx: Context): Promise<ResolvedFile[]> {
  const pattern = file.path!;
  const base = resolve(ctx.root, ctx.ds.baseDir);
  const literal = resolve(base, pattern);
  const literalStat = await Deno.stat(literal).catch(() => null);
  const glob = isGlob(pattern) && !literalStat?.isFile;
  let matches: string[];
  if (glob) {
    matches = await expandGlob(pattern, base);
    if (matches.length === 0) {
      throw new DataError(
        `${file.name}: the pattern ${excerpt(pattern)} (in ${base}) matches no file`,
      );
    }
  } else {
    if (!literalStat?.isFile) {
      throw new DataError(
        `${file.name}: ${literal} (path ${excerpt(pattern)}) does not exist or is not a file`,
      );
    }
    if (isGlob(pattern)) {
      ctx.log(
        `note: ${file.name}: ${excerpt(pattern)} names an existing file; it is used as is, ` +
          `not as a pattern`,
      );
    }
    matches = [literal];
  }
  const realBase = await Deno.realPath(base).catch(() => base);
  const baseNames = matches.map((m) => basename(m));
  const out: ResolvedFile[] = [];
  for (const [i, m] of matches.entries()) {
    const copy = await take(ctx, m);
    if (file.sha256 !== null && copy.sha256 !== file.sha256) {
      await discardSnapshot(copy);
      throw checksumMismatch(file, m, file.sha256, copy.sha256);
    }
    let name = file.name;
    if (glob) {
      // Base names, unless two matches share one: then the path below the pattern's folder.
      name = baseNames.indexOf(baseNames[i]) === baseNames.lastIndexOf(baseNames[i])
        ? baseNames[i]
        : relative(realBase, m);
    }
    out.push({
      file: { ...file, name, path: m },
      path: copy.path,
      source: m,
      origin: "path",
      sha256: copy.sha256,
    });
  }
  return out;
}
