/**
 * Data loader: what the report was built from, for the Methods page and page headers: the
 * dataset's description, source and licence, its files with their sha256 checksums, the cleaning,
 * RFM and model settings (seed included), library versions (package-lock.json) and the commit.
 */
import { gitState, readLockedVersions } from "../../src/lib/provenance.ts";
import { loadRegistry } from "../../src/config/registry.ts";
import { emit, outputDirs, ROOT } from "./_outputs.ts";

const dirs = await outputDirs();
const ds = dirs.dataset;

const libraries = Object.entries(await readLockedVersions(ROOT)).map(([name, version]) => ({
  name,
  version,
}));
libraries.push({ name: "deno (runtime of the analysis)", version: Deno.version.deno });
const git = await gitState(ROOT);
const commit = git.commit?.slice(0, 12) ?? null;
const dirty = git.dirty ?? false;

const registry = await loadRegistry(ROOT).catch(() => null);

emit({
  id: ds?.id ?? null,
  isDefault: ds !== null && registry?.default === ds.id,
  title: ds?.title ?? null,
  description: ds?.description ?? null,
  source: ds?.source ?? null,
  timezone: ds?.timezone ?? null,
  currency: ds?.currency ?? null,
  analysisDateConfigured: ds?.analysisDate ?? null,
  files: (ds?.files ?? []).map((f) => ({
    name: f.name,
    format: f.format,
    rows: f.rows,
    sha256: f.sha256,
  })),
  download: ds?.download
    ? { url: ds.download.url, sha256: ds.download.sha256, member: ds.download.member }
    : null,
  cleaning: ds?.cleaning ?? null,
  rfm: ds?.rfm ?? null,
  model: ds?.model ?? null,
  outputs: { reports: dirs.display(dirs.reports), processed: dirs.display(dirs.processed) },
  libraries,
  commit,
  dirty,
});
