/**
 * What a site build is about, handed from the build (`src/site/framework.ts`) to the processes
 * Framework starts (its config and the data loaders): the dataset, the folders to read and write,
 * and the few dataset facts the page frame shows. It travels as one JSON file whose path is the
 * only environment variable, {@link SITE_CONTEXT_ENV}; without it (a loader run by hand) the
 * registry's default dataset and its output folders are used.
 *
 * A build reads and writes a private set of the output store (`src/lib/store.ts`), published
 * with the site only when the build succeeded: then `reports`, `processed` and `site` name that
 * set's folders, and `published` the public folders they will appear in (for messages and the
 * page footer). The live preview reads the public folders directly.
 *
 * @module
 */
import { join } from "node:path";
import type { DatasetConfig } from "../config/dataset.ts";
import { loadDataset } from "../config/registry.ts";
import { fromRoot } from "../lib/paths.ts";

/** The environment variable holding the path of the context file. */
export const SITE_CONTEXT_ENV = "RFM_SITE_CONTEXT";

/** A site build's context (every path absolute). */
export interface SiteContext {
  /** Dataset selector: a registry id or the absolute path of a dataset JSON file. */
  dataset: string;
  /** Folder of the analysis outputs (JSON, CSV). */
  reports: string;
  /** Folder of the processed tables (Parquet). */
  processed: string;
  /** Where the site is written. */
  site: string;
  /**
   * The public folders these outputs appear in once published, when the build reads and writes a
   * staged set (absent: `reports`, `processed` and `site` are the public folders).
   */
  published?: { reports: string; processed: string; site: string };
  /** Dataset title, for the page title. */
  title: string;
  /** Data source, for the footer (null when the configuration gives none). */
  source: { citation: string; licence: string; url: string } | null;
}

/** The context of a dataset's site with its configured folders (or the given ones). */
export function siteContext(
  ds: DatasetConfig,
  selector: string,
  folders: Partial<Pick<SiteContext, "reports" | "processed" | "site">> = {},
): SiteContext {
  const reports = fromRoot(folders.reports ?? ds.outputs.reports);
  return {
    dataset: selector,
    reports,
    processed: fromRoot(folders.processed ?? ds.outputs.processed),
    site: fromRoot(folders.site ?? join(reports, "site")),
    title: ds.title,
    source: ds.source
      ? { citation: ds.source.citation, licence: ds.source.licence, url: ds.source.url }
      : null,
  };
}

/**
 * The current site context: the file named by {@link SITE_CONTEXT_ENV}, or the registry's default
 * dataset when the variable is not set.
 */
export async function readSiteContext(): Promise<{ context: SiteContext; dataset: DatasetConfig }> {
  const path = Deno.env.get(SITE_CONTEXT_ENV);
  if (!path) {
    const ds = await loadDataset(null);
    return { context: siteContext(ds, ds.id), dataset: ds };
  }
  const context = JSON.parse(await Deno.readTextFile(path)) as SiteContext;
  return { context, dataset: await loadDataset(context.dataset) };
}
