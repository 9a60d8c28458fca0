/**
 * Data loader: what the report was built from, for the Methods page and page headers: the
 * dataset's description, source and licence, its files with their sha256 checksums, the cleaning,
 * RFM and model settings (seed included), library versions (package-lock.json) and the commit.
 */
import { emit, outputDirs, readJsonIfExists, ROOT } from "./_outputs.ts";

const dirs = await outputDirs();
const ds = dirs.dataset;

interface Lock {
  packages: Record<string, { version?: string }>;
}
const pkg = readJsonIfExists<
  { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
>(
  `${ROOT}/package.json`,
) ?? {};
const lock = readJsonIfExists<Lock>(`${ROOT}/package-lock.json`);
const libraries = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).sort().map((
  name,
) => ({
  name,
  version: lock?.packages[`node_modules/${name}`]?.version ?? null,
}));
libraries.push({ name: "deno (runtime of the analysis)", version: Deno.version.deno });

function git(...args: string[]): string | null {
  try {
    const out = new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}
const commit = git("rev-parse", "--short=12", "HEAD");
const dirty = commit !== null &&
  (git("status", "--porcelain", "--untracked-files=no") ?? "") !== "";

const registry = readJsonIfExists<{ default?: string }>(`${ROOT}/data/datasets.json`);

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
