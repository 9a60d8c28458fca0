// Binary data files of the site: zlib-compressed by their loaders, inflated here by the
// browser's own DecompressionStream (no library), and the Arrow tables read with flechette.
import { tableFromIPC } from "@uwdata/flechette";

/**
 * Inflates zlib-compressed bytes (a loader's `zlibSync` output).
 *
 * @param {ArrayBuffer | Uint8Array} bytes
 * @returns {Promise<Uint8Array>}
 */
export async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * An Arrow table's columns as arrays: numbers as typed arrays, text as arrays of strings.
 *
 * @param {Uint8Array} bytes Arrow IPC bytes
 * @returns {{rows: number, columns: Record<string, ArrayLike<any>>}}
 */
export function readArrow(bytes) {
  const table = tableFromIPC(bytes);
  const columns = {};
  for (const field of table.schema.fields) {
    columns[field.name] = table.getChild(field.name).toArray();
  }
  return { rows: table.numRows, columns };
}
