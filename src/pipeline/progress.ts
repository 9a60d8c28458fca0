/**
 * Stage progress on standard error: one line per finished stage with its elapsed time, and the
 * times kept for the manifest.
 *
 * @module
 */

/** Prints stage progress: name, rows and elapsed time. */
export class Progress {
  #start = performance.now();
  #last = this.#start;
  /** Elapsed milliseconds per stage, in order. */
  readonly stages: { stage: string; ms: number }[] = [];

  /** @param log where lines go (default console.error, so stdout stays clean) */
  constructor(private readonly log: (line: string) => void = (l) => console.error(l)) {}

  /** Records the end of a stage and prints one line. */
  done(stage: string, detail = ""): void {
    const now = performance.now();
    const ms = now - this.#last;
    this.#last = now;
    this.stages.push({ stage, ms: Math.round(ms) });
    const total = ((now - this.#start) / 1000).toFixed(2);
    this.log(`[${total.padStart(6)} s] ${stage.padEnd(22)} ${(ms / 1000).toFixed(2)} s  ${detail}`);
  }
}
