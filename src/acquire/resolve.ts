/**
 * Data acquisition: find, verify and, when needed, download each input file of a dataset.
 *
 * Each configured file is looked up, in order, in
 * 1. `data/raw/<name>` below the workspace root,
 * 2. the mirror folders — `$RFM_DATA_MIRROR` (when set), then `<root>/../shared/datasets` — at
 *    `<mirror>/<file.mirrorPath>`,
 * 3. the dataset's official source (`download`): the archive is fetched once, its sha256 checked
 *    against `download.sha256`, kept as `data/raw/<archive name>`, and each missing file is made
 *    from it — a workbook sheet converted to Parquet (`zip-xlsx`) or a text member extracted as
 *    is (`zip-text`) — and written to `data/raw/<name>` with a provenance sidecar
 *    `data/raw/<name>.provenance.json`.
 *
 * A file whose sha256 differs from `file.sha256` is refused with a {@link DataError} and never
 * used. The one exception is a file in `data/raw` converted from the download: it cannot match
 * the mirror's bytes, so it is accepted when its provenance sidecar records exactly its sha256.
 * A file with an explicit `path` (or glob) is used directly and checked only when `sha256` is set.
 *
 * Everything written goes to a temporary file first and is renamed into place, so a failed
 * download or conversion leaves nothing half-written in `data/raw`.
 *
 * @module
 */
import pl from "nodejs-polars";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type {
  DatasetConfig,
  DownloadConfig,
  FileConfig,
  MappableColumn,
} from "../config/dataset.ts";
import {
  exists,
  sha256,
  sha256File,
  tempPathFor,
  writeFileAtomic,
  writeJsonAtomic,
} from "../lib/files.ts";
import {
  type CellValue,
  excelSerialToEpochMs,
  openWorkbook,
  type Workbook,
  XlsxError,
} from "./xlsx.ts";

/** A data file that cannot be found, fetched or trusted. The message names the file and path. */
export class DataError extends Error {
  /** @param message what is wrong, naming the file and its path */
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/** Where a resolved file came from. */
export type Origin = "local" | "mirror" | "download" | "path";

/** One verified input file, ready to ingest. */
export interface ResolvedFile {
  /** The file's configuration (a copy named after the match when it came from a glob). */
  file: FileConfig;
  /** Absolute path of the file to read. */
  path: string;
  /** Where it was found. */
  origin: Origin;
  /** Its sha256 (lowercase hex). */
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

/** What a converted or extracted file's sidecar records about its making. */
export interface Provenance {
  /** Address the archive was downloaded from. */
  url: string;
  /** sha256 of the downloaded archive. */
  archiveSha256: string;
  /** Member of the archive the file was made from. */
  member: string;
  /** Workbook sheet the rows came from (null for a text member). */
  sheet: string | null;
  /** Number of data rows written (null when not counted). */
  rows: number | null;
  /** sha256 of the written file. */
  sha256: string;
}

/**
 * Header of a workbook column → canonical meaning. Both sheets of UCI's Online Retail II workbook
 * use the first eight headers; the others are the older "Online Retail" spellings.
 */
export const SHEET_HEADER_TO_CANONICAL: Readonly<Record<string, MappableColumn>> = {
  "Invoice": "invoice",
  "StockCode": "stock_code",
  "Description": "description",
  "Quantity": "quantity",
  "InvoiceDate": "timestamp",
  "Price": "unit_price",
  "Customer ID": "customer_id",
  "Country": "country",
  "InvoiceNo": "invoice",
  "UnitPrice": "unit_price",
  "CustomerID": "customer_id",
};

/** Environment variable naming an extra mirror folder, searched before `../shared/datasets`. */
export const MIRROR_ENV = "RFM_DATA_MIRROR";
/** Environment variable that, set to `1`, allows a download whose sha256 is not pinned. */
export const ALLOW_UNPINNED_ENV = "RFM_ALLOW_UNPINNED_DOWNLOAD";

/** Path of the provenance sidecar of a file. */
export function provenancePath(path: string): string {
  return `${path}.provenance.json`;
}

/** The first 12 hex digits of a hash, for display. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** A downloaded, verified archive, opened at most once per run. */
interface Archive {
  download: DownloadConfig;
  path: string;
  sha256: string;
  bytes: Uint8Array;
  workbook?: Workbook;
}

/** State shared by the files of one {@link resolveDataset} call. */
interface Context {
  ds: DatasetConfig;
  root: string;
  rawDir: string;
  mirrors: string[];
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  log: (msg: string) => void;
  archive: Promise<Archive> | null;
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
  };
  if (envMirror && !(await exists(mirrors[0]))) {
    ctx.log(`note: ${MIRROR_ENV}=${envMirror} does not exist; ignoring it`);
  }
  const out: ResolvedFile[] = [];
  for (const file of ds.files) {
    const t0 = performance.now();
    const got = file.path !== null
      ? await resolveExplicitPath(file, ctx)
      : [await resolveFile(file, ctx)];
    out.push(...got);
    opts.onFile?.(got, performance.now() - t0);
  }
  return out;
}

/** Resolves one file without an explicit path: data/raw, mirrors, then the download. */
async function resolveFile(file: FileConfig, ctx: Context): Promise<ResolvedFile> {
  const local = join(ctx.rawDir, file.name);
  if (await exists(local)) return await verifyLocal(file, local);
  const looked = [local];
  for (const mirror of ctx.mirrors) {
    const p = join(mirror, file.mirrorPath);
    looked.push(p);
    if (!(await exists(p))) continue;
    const actual = await sha256File(p);
    if (file.sha256 !== null && actual !== file.sha256) {
      throw mismatch(file, p, file.sha256, actual);
    }
    return { file, path: p, origin: "mirror", sha256: actual };
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
  return ctx.ds.download.kind === "zip-xlsx"
    ? await convertSheet(file, archive, local, ctx)
    : await extractText(file, archive, local, ctx);
}

/** The refusal of a file whose sha256 is not the configured one. */
function mismatch(file: FileConfig, path: string, expected: string, actual: string): DataError {
  return new DataError(
    `${file.name}: checksum mismatch for ${path}: expected sha256 ${expected}, got ${actual}. ` +
      `The file is not used; replace or delete it.`,
  );
}

/** Reads and checks a provenance sidecar; null when there is none. */
async function readProvenance(file: FileConfig, path: string): Promise<Provenance | null> {
  const side = provenancePath(path);
  let text: string;
  try {
    text = await Deno.readTextFile(side);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(
      `${file.name}: provenance record ${side} is not valid JSON: ${(e as Error).message}`,
    );
  }
  const p = v as Partial<Provenance>;
  if (typeof v !== "object" || v === null || typeof p.sha256 !== "string") {
    throw new DataError(`${file.name}: provenance record ${side} has no "sha256" string`);
  }
  return v as Provenance;
}

/** Verifies a file in data/raw: the configured sha256, or else its provenance sidecar. */
async function verifyLocal(file: FileConfig, path: string): Promise<ResolvedFile> {
  const actual = await sha256File(path);
  if (file.sha256 !== null && actual === file.sha256) {
    return { file, path, origin: "local", sha256: actual };
  }
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
        `${file.name}: ${path} was converted from sheet "${prov.sheet}" (per ${side}) but the ` +
          `configuration names sheet "${file.sheet}"; delete both files to fetch it again.`,
      );
    }
    return { file, path, origin: "download", sha256: actual };
  }
  if (file.sha256 === null) return { file, path, origin: "local", sha256: actual };
  throw mismatch(file, path, file.sha256, actual);
}

/** Name of the archive file in data/raw: the last segment of the URL's path. */
export function archiveFileName(url: string): string {
  let name = "";
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    name = basename(url);
  }
  return name.replace(/[^\w.+-]/g, "_") || "download.zip";
}

/** Streams a response body to `path`, returning its sha256. */
async function saveBody(res: Response, path: string): Promise<string> {
  const hash = createHash("sha256");
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    if (res.body) {
      for await (const chunk of res.body) {
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    }
  } finally {
    f.close();
  }
  return hash.digest("hex");
}

/** How to pin an archive's hash, for messages. */
function pinHint(ds: DatasetConfig, actual: string): string {
  return `To pin it, set "download": { …, "sha256": "${actual}" } for dataset "${ds.id}" in its ` +
    `configuration (key download.sha256)`;
}

/**
 * Gets the dataset's archive: a verified copy already in data/raw, or a fresh download (to a
 * temporary file, renamed into data/raw only once its sha256 is accepted).
 */
async function fetchArchive(ctx: Context, dl: DownloadConfig): Promise<Archive> {
  const target = join(ctx.rawDir, archiveFileName(dl.url));
  const allowUnpinned = ctx.env[ALLOW_UNPINNED_ENV] === "1";
  const accept = (actual: string, where: string): void => {
    if (dl.sha256 === null) {
      if (!allowUnpinned) {
        throw new DataError(
          `${where}: refusing the download of dataset "${ctx.ds.id}" from ${dl.url}: its sha256 is ` +
            `not pinned (download.sha256 is null). The archive's sha256 is ${actual}. ` +
            `${pinHint(ctx.ds, actual)}, or set ${ALLOW_UNPINNED_ENV}=1 to use it unpinned.`,
        );
      }
      ctx.log(
        `\n!!! WARNING: using an UNPINNED download (${ALLOW_UNPINNED_ENV}=1): ${dl.url}\n` +
          `!!! sha256 ${actual} is not checked against anything.\n!!! ${
            pinHint(ctx.ds, actual)
          }.\n`,
      );
    } else if (actual !== dl.sha256) {
      throw new DataError(
        `${where}: checksum mismatch for the archive of dataset "${ctx.ds.id}" (${dl.url}): ` +
          `expected sha256 ${dl.sha256} (download.sha256), got ${actual}. The archive is not used.`,
      );
    }
  };
  if (await exists(target)) {
    const actual = await sha256File(target);
    accept(actual, target);
    ctx.log(`using the archive downloaded earlier: ${target}`);
    return { download: dl, path: target, sha256: actual, bytes: await Deno.readFile(target) };
  }
  await Deno.mkdir(ctx.rawDir, { recursive: true });
  const tmp = tempPathFor(target);
  try {
    ctx.log(`downloading ${dl.url} …`);
    let res: Response;
    try {
      res = await ctx.fetch(dl.url);
    } catch (e) {
      throw new DataError(
        `download of ${dl.url} (dataset "${ctx.ds.id}") failed: ${(e as Error).message}`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DataError(
        `download of ${dl.url} (dataset "${ctx.ds.id}") failed: HTTP ${res.status} ${res.statusText}`
          .trim(),
      );
    }
    let actual: string;
    try {
      actual = await saveBody(res, tmp);
    } catch (e) {
      throw new DataError(
        `download of ${dl.url} (dataset "${ctx.ds.id}") failed: ${(e as Error).message}`,
      );
    }
    accept(actual, dl.url);
    await Deno.rename(tmp, target);
    ctx.log(`saved ${target} (sha256 ${shortHash(actual)})`);
    return { download: dl, path: target, sha256: actual, bytes: await Deno.readFile(target) };
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** The bytes of a member of a zip archive (matched by full name, or by base name). */
function zipMember(archive: Archive, member: string, file: FileConfig): Uint8Array {
  const names: string[] = [];
  let found: Record<string, Uint8Array>;
  try {
    found = unzipSync(archive.bytes, {
      filter: (f) => {
        names.push(f.name);
        return f.name === member || f.name.endsWith(`/${member}`);
      },
    });
  } catch (e) {
    throw new DataError(
      `${file.name}: ${archive.path} is not a readable zip archive: ${(e as Error).message}`,
    );
  }
  const keys = Object.keys(found);
  if (keys.length === 0) {
    throw new DataError(
      `${file.name}: ${archive.path} has no member "${member}" (download.member); it holds: ` +
        (names.filter((n) => !n.endsWith("/")).join(", ") || "nothing"),
    );
  }
  return found[keys.find((k) => k === member) ?? keys[0]];
}

/** Writes a made file and its sidecar: temporary file, hash, sidecar, rename. */
async function commitMade(
  target: string,
  write: (tmp: string) => void | Promise<void>,
  prov: Omit<Provenance, "sha256">,
): Promise<string> {
  await Deno.mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const side = provenancePath(target);
  try {
    await write(tmp);
    const hash = await sha256File(tmp);
    await writeJsonAtomic(side, { ...prov, sha256: hash });
    await Deno.rename(tmp, target);
    return hash;
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    await Deno.remove(side).catch(() => {});
    throw e;
  }
}

/** Converts the file's sheet of the downloaded workbook to Parquet in data/raw. */
async function convertSheet(
  file: FileConfig,
  archive: Archive,
  target: string,
  ctx: Context,
): Promise<ResolvedFile> {
  const dl = archive.download;
  if (file.format !== "parquet") {
    throw new DataError(
      `${file.name}: a file made from a workbook download (zip-xlsx) is written as Parquet; ` +
        `set its format to "parquet" (it is "${file.format}")`,
    );
  }
  if (!archive.workbook) {
    try {
      archive.workbook = openWorkbook(zipMember(archive, dl.member, file));
    } catch (e) {
      if (e instanceof XlsxError) {
        throw new DataError(`${file.name}: ${dl.member} in ${archive.path}: ${e.message}`);
      }
      throw e;
    }
  }
  const wb = archive.workbook;
  let sheet = file.sheet;
  if (sheet === null) {
    if (wb.sheets.length !== 1) {
      throw new DataError(
        `${file.name}: set its "sheet" — ${dl.member} has ${wb.sheets.length} sheets: ` +
          wb.sheets.map((s) => `"${s.name}"`).join(", "),
      );
    }
    sheet = wb.sheets[0].name;
  }
  const t0 = performance.now();
  let df: pl.DataFrame;
  try {
    df = sheetToDataFrame(wb, sheet, file);
  } catch (e) {
    if (e instanceof XlsxError || e instanceof DataError) {
      throw new DataError(`${file.name}: sheet "${sheet}" of ${dl.member}: ${e.message}`);
    }
    throw e;
  }
  if (file.sheetRows !== null && df.height !== file.sheetRows) {
    throw new DataError(
      `${file.name}: sheet "${sheet}" of ${dl.member} (${dl.url}) has ${df.height} data rows but the ` +
        `configuration expects ${file.sheetRows} (sheetRows); nothing was written to ${target}.`,
    );
  }
  const hash = await commitMade(target, (tmp) => df.writeParquet(tmp), {
    url: dl.url,
    archiveSha256: archive.sha256,
    member: dl.member,
    sheet,
    rows: df.height,
  });
  ctx.log(
    `converted sheet "${sheet}" (${df.height} rows) to ${target} in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { file, path: target, origin: "download", sha256: hash };
}

/** Extracts the file's text member from the downloaded archive, as is, into data/raw. */
async function extractText(
  file: FileConfig,
  archive: Archive,
  target: string,
  ctx: Context,
): Promise<ResolvedFile> {
  const dl = archive.download;
  // A dataset of several text files names each member by its file name; one file uses `member`.
  const member = ctx.ds.files.length === 1 ? dl.member : file.name;
  const bytes = zipMember(archive, member, file);
  const actual = sha256(bytes);
  if (file.sha256 !== null && actual !== file.sha256) {
    throw mismatch(file, `${archive.path}!${member}`, file.sha256, actual);
  }
  if (file.sha256 === null) {
    ctx.log(`warning: ${file.name} has no sha256 configured; extracted unchecked`);
  }
  await writeFileAtomic(target, bytes);
  // The bytes are the original's, so the configured sha256 (when set) verifies them next time; the
  // sidecar records where they came from.
  await writeJsonAtomic(
    provenancePath(target),
    {
      url: dl.url,
      archiveSha256: archive.sha256,
      member,
      sheet: null,
      rows: null,
      sha256: actual,
    } satisfies Provenance,
  );
  ctx.log(`extracted ${member} to ${target}`);
  return { file, path: target, origin: "download", sha256: actual };
}

// ---------------------------------------------------------------------------------------------
// Sheet → DataFrame

type Kind = "text" | "int" | "float" | "datetime";

const KIND: Record<MappableColumn, Kind> = {
  invoice: "text",
  stock_code: "text",
  description: "text",
  quantity: "int",
  timestamp: "datetime",
  unit_price: "float",
  line_value: "float",
  customer_id: "float",
  country: "text",
};

const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A naive date as `YYYY-MM-DD HH:MM:SS`. */
function formatNaive(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Converts one cell to the column's kind; `where` names the cell for errors. */
function convertCell(
  v: CellValue,
  kind: Kind,
  date1904: boolean,
  where: () => string,
): string | number | null {
  if (v === null) return null;
  switch (kind) {
    case "text":
      if (typeof v === "string") return v === "" ? null : v;
      if (typeof v === "number") return String(v);
      if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
      return formatNaive(v);
    case "int":
    case "float": {
      let n: number;
      if (typeof v === "number") n = v;
      else if (typeof v === "string") {
        const s = v.trim();
        if (s === "") return null;
        n = Number(s);
      } else n = NaN;
      if (!Number.isFinite(n)) {
        throw new DataError(`${where()}: expected a number, found "${String(v)}"`);
      }
      if (kind === "int" && !Number.isInteger(n)) {
        throw new DataError(`${where()}: expected a whole number, found ${n}`);
      }
      return n;
    }
    case "datetime": {
      if (v instanceof Date) return v.getTime();
      if (typeof v === "number") return excelSerialToEpochMs(v, date1904);
      if (typeof v === "string") {
        const s = v.trim();
        if (s === "") return null;
        const m = ISO_LIKE.exec(s);
        if (m) {
          const [y, mo, d, h, mi, se, ms] = m.slice(1).map((
            x,
          ) => (x === undefined ? 0 : Number(x)));
          return Date.UTC(y, mo - 1, d, h, mi, se, ms);
        }
      }
      throw new DataError(`${where()}: expected a date, found "${String(v)}"`);
    }
  }
}

/**
 * Converts a workbook sheet to a DataFrame shaped like the file's Parquet mirror: one column per
 * mapped canonical column, named with the file's source column name (`file.columns`) and typed
 * text → String, quantity → Int64, prices and customer id → Float64, timestamp → Datetime (µs,
 * naive wall-clock time). The first non-empty row is the header; its cells are matched to
 * canonical columns through {@link SHEET_HEADER_TO_CANONICAL} (or by equal to the configured
 * source name). Entirely empty rows are skipped.
 *
 * @param wb the opened workbook
 * @param sheet the sheet's name
 * @param file the file's configuration
 * @throws {DataError} when a mapped column is missing or a cell has the wrong type
 * @throws {XlsxError} when the sheet is malformed or missing
 */
export function sheetToDataFrame(wb: Workbook, sheet: string, file: FileConfig): pl.DataFrame {
  const wanted = Object.entries(file.columns) as [MappableColumn, string][];
  const cols = wanted.map(([key, name]) => ({
    key,
    name,
    kind: KIND[key],
    index: -1,
    values: [] as (string | number | null)[],
  }));
  let header: string[] | null = null;
  let headerRow = 0;
  wb.forEachRow(sheet, (rowIndex, cells) => {
    if (!cells.some((c) => c !== null && c !== "")) return;
    if (header === null) {
      header = cells.map((c) => (c === null ? "" : String(c).trim()));
      headerRow = rowIndex + 1;
      for (const col of cols) {
        let idx = header.indexOf(col.name);
        if (idx < 0) idx = header.findIndex((h) => SHEET_HEADER_TO_CANONICAL[h] === col.key);
        if (idx < 0) {
          throw new DataError(
            `no column for ${col.key} (configured as "${col.name}"; known headers: ` +
              `${
                Object.entries(SHEET_HEADER_TO_CANONICAL).filter(([, k]) => k === col.key).map((
                  [h],
                ) => `"${h}"`).join(", ") || "none"
              }); ` +
              `the header (row ${headerRow}) is: ${header.filter((h) => h !== "").join(", ")}`,
          );
        }
        col.index = idx;
      }
      return;
    }
    for (const col of cols) {
      const v = col.index < cells.length ? cells[col.index] : null;
      col.values.push(
        convertCell(
          v,
          col.kind,
          wb.date1904,
          () => `row ${rowIndex + 1}, column "${header![col.index]}" (${col.key})`,
        ),
      );
    }
  });
  if (header === null) throw new DataError("the sheet is empty (no header row)");
  const series = cols.map((col) => {
    switch (col.kind) {
      case "text":
        return pl.Series(col.name, col.values, pl.Utf8);
      case "int":
        return pl.Series(col.name, col.values, pl.Int64);
      case "float":
        return pl.Series(col.name, col.values, pl.Float64);
      case "datetime":
        return pl.Series(col.name, col.values, pl.Float64).cast(pl.Int64).cast(pl.Datetime("ms"))
          .cast(
            pl.Datetime("us"),
          );
    }
  });
  return pl.DataFrame(series);
}

// ---------------------------------------------------------------------------------------------
// Explicit paths and globs

const GLOB_CHARS = /[*?[{]/;

/** Whether a path pattern holds glob characters (`*`, `?`, `[…]`, `{a,b}`). */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** A regular expression for one path segment of a glob. */
export function globSegmentToRegExp(seg: string): RegExp {
  let re = "";
  let inBraces = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith("!")) body = "^" + body.slice(1);
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      inBraces++;
      re += "(?:";
    } else if (c === "}" && inBraces > 0) {
      inBraces--;
      re += ")";
    } else if (c === "," && inBraces > 0) re += "|";
    else re += c.replace(/[.+^$()|\\\]}]/g, "\\$&");
  }
  // A leading wildcard does not match hidden files (as in a shell).
  const hidden = seg.startsWith(".") ? "" : "(?!\\.)";
  return new RegExp(`^${hidden}${re}$`);
}

/**
 * Expands a glob (`*`, `?`, `[…]`, `{a,b}` within a segment; `**` for any depth of folders) to
 * the sorted absolute paths of the files it matches.
 *
 * @param pattern the pattern, absolute or relative to `baseDir`
 * @param baseDir folder a relative pattern starts from
 */
export async function expandGlob(pattern: string, baseDir: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  const segs = abs.split("/").filter((s, i) => s !== "" || i === 0);
  let first = segs.findIndex((s) => isGlob(s) || s === "**");
  if (first < 0) first = segs.length;
  const start = segs.slice(0, first).join("/") || "/";
  const rest = segs.slice(first);
  const out = new Set<string>();
  const walk = async (dir: string, i: number): Promise<void> => {
    if (i === rest.length) {
      const st = await Deno.stat(dir).catch(() => null);
      if (st?.isFile) out.add(dir);
      return;
    }
    const seg = rest[i];
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    if (seg === "**") {
      await walk(dir, i + 1);
      for (const e of entries) {
        if (e.name.startsWith(".")) continue;
        const p = join(dir, e.name);
        const st = await Deno.stat(p).catch(() => null);
        if (st?.isDirectory) await walk(p, i);
      }
      return;
    }
    if (!isGlob(seg)) {
      await walk(join(dir, seg), i + 1);
      return;
    }
    const re = globSegmentToRegExp(seg);
    for (const e of entries) if (re.test(e.name)) await walk(join(dir, e.name), i + 1);
  };
  await walk(start, 0);
  return [...out].sort();
}

/** Resolves a file with an explicit `path` (or glob), checking sha256 when configured. */
async function resolveExplicitPath(file: FileConfig, ctx: Context): Promise<ResolvedFile[]> {
  const pattern = file.path!;
  const base = resolve(ctx.root, ctx.ds.baseDir);
  const glob = isGlob(pattern);
  let matches: string[];
  if (glob) {
    matches = await expandGlob(pattern, base);
    if (matches.length === 0) {
      throw new DataError(`${file.name}: the pattern "${pattern}" (in ${base}) matches no file`);
    }
  } else {
    const p = resolve(base, pattern);
    const st = await Deno.stat(p).catch(() => null);
    if (!st?.isFile) {
      throw new DataError(`${file.name}: ${p} (path "${pattern}") does not exist or is not a file`);
    }
    matches = [p];
  }
  const baseNames = matches.map((m) => basename(m));
  const out: ResolvedFile[] = [];
  for (const [i, m] of matches.entries()) {
    const actual = await sha256File(m);
    if (file.sha256 !== null && actual !== file.sha256) {
      throw mismatch(file, m, file.sha256, actual);
    }
    let name = file.name;
    if (glob) {
      // Base names, unless two matches share one: then the path below the pattern's folder.
      name = baseNames.indexOf(baseNames[i]) === baseNames.lastIndexOf(baseNames[i])
        ? baseNames[i]
        : relative(base, m);
    }
    out.push({ file: { ...file, name, path: m }, path: m, origin: "path", sha256: actual });
  }
  return out;
}
