// How the pages name a customer feature: its label and unit from the feature registry
// (src/config/features.ts, in the browser bundle), money in the dataset's currency.
import { feature, featureLabel } from "./generated/workspace.js";

/**
 * A feature's label and unit for display, from the registry: `label` ("Recency"), `unit` ("days
 * since the last purchase"; the currency for money) and `short`, a compact form for table
 * headers ("Recency (days)", "Frequency (invoices)", "Net revenue (GBP)"). Names the registry does
 * not know are shown as they are.
 *
 * @param {string} name feature (column) name
 * @param {string} [currency] the dataset's currency
 * @returns {{label: string, unit: string, short: string}}
 */
export function featureText(name, currency) {
  const f = feature(name);
  if (!f) return { label: name, unit: "", short: name };
  const full = featureLabel(name, currency); // "Label (unit)", or the label alone
  const unit = full === f.label ? "" : full.slice(f.label.length + 2, -1);
  return { label: f.label, unit, short: f.kind === "days" ? `${f.label} (days)` : full };
}
