/**
 * The ingest error: a structural problem with an input file (empty, unreadable, not in its
 * declared encoding, a mapped column missing, a column of the wrong type …), named by file and,
 * where there is one, line, byte offset or row. Values are quoted as short excerpts
 * (`src/lib/text.ts`), never whole.
 *
 * @module
 */

/** A structural problem with an input file. */
export class InputError extends Error {
  /** @param file file name @param message what is wrong, naming the column and row */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "InputError";
  }
}
