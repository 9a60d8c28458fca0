/// <reference lib="dom" />
/**
 * Accessibility check of a page with axe-core (the installed devDependency, injected into the
 * page from node_modules: nothing is fetched from another host).
 *
 * @module
 */
import type { Page } from "playwright-core";
import { join } from "node:path";
import { ROOT } from "../../src/lib/paths.ts";

/** One violated axe rule on a page. */
export interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  /** The first few offending elements (CSS selectors) and axe's summary for the first. */
  targets: string[];
  summary: string;
}

let source: string | null = null;

/** axe-core's browser build, read once. */
async function axeSource(): Promise<string> {
  source ??= await Deno.readTextFile(join(ROOT, "node_modules", "axe-core", "axe.min.js"));
  return source;
}

/**
 * Runs axe-core on the page as it is (WCAG 2.0–2.2 A/AA rules and best practices) and returns
 * its violations.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: await axeSource() });
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const r = await axe.run(document, {
      resultTypes: ["violations"],
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
      },
    });
    // deno-lint-ignore no-explicit-any
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      targets: v.nodes.slice(0, 5).map((n: any) => n.target.join(" ")),
      summary: v.nodes[0]?.failureSummary ?? "",
    }));
  });
}

/** Violations counted by impact: `{critical: 1, serious: 3}`. */
export function countByImpact(violations: readonly AxeViolation[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of violations) out[v.impact ?? "unknown"] = (out[v.impact ?? "unknown"] ?? 0) + 1;
  return out;
}

/** The violations a page must not have: critical and serious ones. */
export function blocking(violations: readonly AxeViolation[]): AxeViolation[] {
  return violations.filter((v) => v.impact === "critical" || v.impact === "serious");
}
