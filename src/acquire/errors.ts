/**
 * The acquisition error: a data file that cannot be found, fetched or trusted.
 *
 * @module
 */

/** A data file that cannot be found, fetched or trusted. The message names the file and path. */
export class DataError extends Error {
  /** @param message what is wrong, naming the file and its path */
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}
