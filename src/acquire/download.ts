/**
 * The official download of a dataset: the archive is fetched once per run, its sha256 checked
 * against `download.sha256`, kept as `data/raw/<archive name>`, and each missing file is made from
 * it — a workbook sheet converted to Parquet (`zip-xlsx`) or a text member extracted as is
 * (`zip-text`) — and written to `data/raw/<name>` with a provenance sidecar.
 *
 * An unpinned archive (`download.sha256` null) is refused unless `RFM_ALLOW_UNPINNED_DOWNLOAD=1`.
 * Everything is written to a temporary file first and renamed into place, so a failed download
 * or conversion leaves nothing half-written in `data/raw`.
 *
 * @module
 */
import pl from "nodejs-polars";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import type { DatasetConfig, DownloadConfig, FileConfig } from "../config/dataset.ts";
import { exists, sha256, writeFileAtomic, writeWithAtomicRename } from "../lib/files.ts";
import { excerpt } from "../lib/text.ts";
import { checksumMismatch, shortHash } from "./checksum.ts";
import { DataError } from "./errors.ts";
import { commitWithProvenance, writeProvenance } from "./provenance.ts";
import { sheetToDataFrame } from "./sheet.ts";
import { openWorkbook, type Workbook, XlsxError } from "./xlsx.ts";

/** Environment variable that, set to `1`, allows a download whose sha256 is not pinned. */
export const ALLOW_UNPINNED_ENV = "RFM_ALLOW_UNPINNED_DOWNLOAD";

/** A downloaded, verified archive, opened at most once per run. */
export interface Archive {
  download: DownloadConfig;
  /** Where it is kept (`data/raw/<archive name>`). */
  path: string;
  sha256: string;
  bytes: Uint8Array;
  /** The workbook inside a `zip-xlsx` archive, once opened. */
  workbook?: Workbook;
}

/** What the download needs from the resolver. */
export interface DownloadContext {
  ds: DatasetConfig;
  /** The `data/raw` folder. */
  rawDir: string;
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  log: (msg: string) => void;
}

/**
 * Name of the archive file in data/raw: the last segment of the URL's path.
 *
 * @example
 * ```ts
 * import { archiveFileName } from "./download.ts";
 * import { equal } from "node:assert/strict";
 * equal(archiveFileName("https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"), "online+retail+ii.zip");
 * equal(archiveFileName("https://example.org/a%20b.zip?x=1"), "a_b.zip");
 * ```
 */
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
 * Accepts an archive's sha256, or throws: it must equal the pin, or, unpinned, be allowed
 * explicitly (with a loud warning).
 */
function acceptArchive(ctx: DownloadContext, dl: DownloadConfig, actual: string, where: string) {
  if (dl.sha256 === null) {
    if (ctx.env[ALLOW_UNPINNED_ENV] !== "1") {
      throw new DataError(
        `${where}: refusing the download of dataset "${ctx.ds.id}" from ${dl.url}: its sha256 is ` +
          `not pinned (download.sha256 is null). The archive's sha256 is ${actual}. ` +
          `${pinHint(ctx.ds, actual)}, or set ${ALLOW_UNPINNED_ENV}=1 to use it unpinned.`,
      );
    }
    ctx.log(
      `\n!!! WARNING: using an UNPINNED download (${ALLOW_UNPINNED_ENV}=1): ${dl.url}\n` +
        `!!! sha256 ${actual} is not checked against anything.\n!!! ${pinHint(ctx.ds, actual)}.\n`,
    );
  } else if (actual !== dl.sha256) {
    throw new DataError(
      `${where}: checksum mismatch for the archive of dataset "${ctx.ds.id}" (${dl.url}): ` +
        `expected sha256 ${dl.sha256} (download.sha256), got ${actual}. The archive is not used.`,
    );
  }
}

/**
 * Gets the dataset's archive: a verified copy already in data/raw, or a fresh download (to a
 * temporary file, renamed into data/raw only once its sha256 is accepted).
 *
 * @throws {DataError} when the download fails or its sha256 is not accepted
 */
export async function fetchArchive(ctx: DownloadContext, dl: DownloadConfig): Promise<Archive> {
  const target = join(ctx.rawDir, archiveFileName(dl.url));
  if (await exists(target)) {
    // Hash the bytes that are used, read once (not the file, then the file again).
    const bytes = await Deno.readFile(target);
    const actual = sha256(bytes);
    acceptArchive(ctx, dl, actual, target);
    ctx.log(`using the archive downloaded earlier: ${target}`);
    return { download: dl, path: target, sha256: actual, bytes };
  }
  const failed = (why: string) =>
    new DataError(`download of ${dl.url} (dataset "${ctx.ds.id}") failed: ${why}`.trim());
  ctx.log(`downloading ${dl.url} …`);
  let res: Response;
  try {
    res = await ctx.fetch(dl.url);
  } catch (e) {
    throw failed((e as Error).message);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw failed(`HTTP ${res.status} ${res.statusText}`);
  }
  let actual = "";
  await writeWithAtomicRename(target, async (tmp) => {
    try {
      actual = await saveBody(res, tmp);
    } catch (e) {
      throw failed((e as Error).message);
    }
    acceptArchive(ctx, dl, actual, dl.url);
  });
  ctx.log(`saved ${target} (sha256 ${shortHash(actual)})`);
  const bytes = await Deno.readFile(target);
  if (sha256(bytes) !== actual) {
    throw new DataError(
      `${target} changed after it was downloaded (sha256 ${actual} when saved, ${
        sha256(bytes)
      } when read); it is not used. Delete it and run again.`,
    );
  }
  return { download: dl, path: target, sha256: actual, bytes };
}

/** Names quoted for a message: the first 20, each at most 80 characters, then how many more. */
function listed(names: readonly string[]): string {
  if (names.length === 0) return "nothing";
  const more = names.length > 20 ? `, … (${names.length} in all)` : "";
  return names.slice(0, 20).map((n) => excerpt(n)).join(", ") + more;
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
    const held = names.filter((n) => !n.endsWith("/"));
    throw new DataError(
      `${file.name}: ${archive.path} has no member ${excerpt(member)} (download.member); it ` +
        `holds: ${listed(held)}`,
    );
  }
  return found[keys.find((k) => k === member) ?? keys[0]];
}

/**
 * Makes one file from the downloaded archive and writes it to `target` with its provenance
 * sidecar: a workbook sheet converted to Parquet (`zip-xlsx`) or a text member as is (`zip-text`).
 *
 * @returns the path written and its sha256
 * @throws {DataError} when the member or sheet is missing, malformed, or has the wrong rows or hash
 */
export function makeFromArchive(
  file: FileConfig,
  archive: Archive,
  target: string,
  ctx: DownloadContext,
): Promise<{ path: string; sha256: string }> {
  return archive.download.kind === "zip-xlsx"
    ? convertSheet(file, archive, target, ctx)
    : extractText(file, archive, target, ctx);
}

/** The workbook of a `zip-xlsx` archive, opened once. */
function archiveWorkbook(archive: Archive, file: FileConfig): Workbook {
  const dl = archive.download;
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
  return archive.workbook;
}

/** Converts the file's sheet of the downloaded workbook to Parquet in data/raw. */
async function convertSheet(
  file: FileConfig,
  archive: Archive,
  target: string,
  ctx: DownloadContext,
): Promise<{ path: string; sha256: string }> {
  const dl = archive.download;
  if (file.format !== "parquet") {
    throw new DataError(
      `${file.name}: a file made from a workbook download (zip-xlsx) is written as Parquet; ` +
        `set its format to "parquet" (it is ${excerpt(file.format)})`,
    );
  }
  const wb = archiveWorkbook(archive, file);
  let sheet = file.sheet;
  if (sheet === null) {
    if (wb.sheets.length !== 1) {
      throw new DataError(
        `${file.name}: set its "sheet" — ${dl.member} has ${wb.sheets.length} sheets: ` +
          listed(wb.sheets.map((s) => s.name)),
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
      throw new DataError(`${file.name}: sheet ${excerpt(sheet)} of ${dl.member}: ${e.message}`);
    }
    throw e;
  }
  if (file.sheetRows !== null && df.height !== file.sheetRows) {
    throw new DataError(
      `${file.name}: sheet ${
        excerpt(sheet)
      } of ${dl.member} (${dl.url}) has ${df.height} data rows but the ` +
        `configuration expects ${file.sheetRows} (sheetRows); nothing was written to ${target}.`,
    );
  }
  const hash = await commitWithProvenance(target, (tmp) => df.writeParquet(tmp), {
    url: dl.url,
    archiveSha256: archive.sha256,
    member: dl.member,
    sheet,
    rows: df.height,
  });
  ctx.log(
    `converted sheet ${excerpt(sheet)} (${df.height} rows) to ${target} in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { path: target, sha256: hash };
}

/** Extracts the file's text member from the downloaded archive, as is, into data/raw. */
async function extractText(
  file: FileConfig,
  archive: Archive,
  target: string,
  ctx: DownloadContext,
): Promise<{ path: string; sha256: string }> {
  const dl = archive.download;
  // A dataset of several text files names each member by its file name; one file uses `member`.
  const member = ctx.ds.files.length === 1 ? dl.member : file.name;
  const bytes = zipMember(archive, member, file);
  const actual = sha256(bytes);
  if (file.sha256 !== null && actual !== file.sha256) {
    throw checksumMismatch(file, `${archive.path}!${member}`, file.sha256, actual);
  }
  if (file.sha256 === null) {
    ctx.log(`warning: ${file.name} has no sha256 configured; extracted unchecked`);
  }
  await writeFileAtomic(target, bytes);
  // The bytes are the original's, so the configured sha256 (when set) verifies them next time; the
  // sidecar records where they came from.
  await writeProvenance(target, {
    url: dl.url,
    archiveSha256: archive.sha256,
    member,
    sheet: null,
    rows: null,
    sha256: actual,
  });
  ctx.log(`extracted ${member} to ${target}`);
  return { path: target, sha256: actual };
}
