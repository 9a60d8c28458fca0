/**
 * The configuration error: every mistake in a dataset description is reported as a
 * {@link ConfigError} naming the key path at fault.
 *
 * @module
 */

/** A configuration mistake, naming the key path at fault. */
export class ConfigError extends Error {
  /** Key path such as `datasets[0].files[1].columns`. */
  readonly key: string;
  /**
   * @param key key path at fault
   * @param message what is wrong
   * @param source the file the configuration came from, prefixed to the message when given
   */
  constructor(key: string, message: string, source?: string) {
    super(`${source ? source + ": " : ""}${key}: ${message}`);
    this.name = "ConfigError";
    this.key = key;
  }
}
