/**
 * Data loader: every current customer for the score widget's "pick a customer" search, from
 * `<processed>/customers.parquet`: the id, the model features the widget fills in (exact, as
 * stored, so that the widget reproduces the customer table's score; `widgetFeatures` of
 * _outputs.ts: the average order value is left out when it is monetary / frequency), the score
 * and band the build gave them, and the RFM segment and country for context. Printed as an Arrow
 * table, zlib-compressed (fflate, level 9, no timestamp); the page fetches it only when the
 * search is first used, inflates it and reads it with flechette.
 */
import { zlibSync } from "fflate";
import { arrowBytes, emitBytes, outputDirs, readCustomers, widgetFeatures } from "./_outputs.ts";

const dirs = await outputDirs();
const df = readCustomers(dirs);
const context = ["score", "band", "rfm_segment", "country"].filter((c) =>
  df.columns.includes(c) && df.getColumn(c).nullCount() < df.height
);
const columns = ["customer_id", ...widgetFeatures(dirs, df.columns), ...context];
emitBytes(zlibSync(arrowBytes(df.select(...columns), { plain: ["customer_id"] }), { level: 9 }));
