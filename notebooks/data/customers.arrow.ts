/**
 * Data loader: the customer table for the Customers page, from `<processed>/customers.parquet`
 * (the same rows as `<reports>/customers.csv`), with the columns the model stage appends
 * (cluster, loyalty level, score, band) but without the class probabilities (`p_<level>`), which
 * the page does not show and which would make it heavy for large datasets (they stay in
 * customers.csv).
 *
 * Printed as an Arrow table (`arrowBytes` of _outputs.ts: small integer types, text and ISO dates
 * dictionary-encoded, money rounded to 2 decimals); the page reads it with arquero.
 */
import { arrowBytes, emitBytes, outputDirs, readCustomers } from "./_outputs.ts";

const dirs = await outputDirs();
const df = readCustomers(dirs);
const columns = df.columns.filter((c) => !/^p_/.test(c));
emitBytes(arrowBytes(df.select(...columns), { decimals: 2, plain: ["customer_id"] }));
