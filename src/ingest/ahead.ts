/**
 * Pre-passes made ahead: the byte-level pre-pass of every UTF-8 CSV or TSV file of a build
 * (`scanDelimited`, validating UTF-8 and finding the blank, ragged and cut-short records), run in
 * a worker on the other core, in file order, while this thread checks the samples and reads the
 * files before. A file's reader then takes its pre-pass instead of scanning the file again.
 *
 * The pre-pass is a pure function of the file's bytes, so a file reads the same with or without
 * it. A pre-pass that is not there yet when its file is read, or that failed (a malformed file),
 * is simply not used: the reader scans the file itself and reports what it finds. The worker ends
 * once every file has been given ({@link PrePasses.seal}) and its pre-pass is in, or at
 * {@link PrePasses.close}.
 *
 * @example
 * ```ts
 * import { PrePasses } from "./ahead.ts";
 * import type { FileConfig } from "../config/dataset.ts";
 * import { equal } from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "a,b\n1,2\n3\n");
 * const file = { name: "x.csv", format: "csv", encoding: "utf-8", header: true, fields: null };
 * const ahead = new PrePasses();
 * try {
 *   ahead.add([{ path, file: file as FileConfig }]); // as each file is found …
 *   ahead.seal(); // … then no more
 *   await ahead.settled;
 *   equal(ahead.take(path)?.ragged, 1); // the pre-pass of the whole file, made in the worker
 *   equal(ahead.take(path), undefined); // taken once
 * } finally {
 *   ahead.close();
 *   await Deno.remove(path);
 * }
 * ```
 *
 * @module
 */
import type { FileConfig } from "../config/dataset.ts";
import { WorkerSession } from "../lib/worker.ts";
import { aheadOptions } from "./read.ts";
import type { TextScan } from "./text_scan.ts";

/** The pre-passes of a build's text files, made in a worker ahead of their reading. */
export class PrePasses {
  #session: WorkerSession | null = null;
  readonly #ready = new Map<string, TextScan>();
  /** The pre-passes queued and not yet in (or failed), by path. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #pending: Promise<void>[] = [];
  #sealed = false;
  readonly #seal: () => void;
  /**
   * Resolves once no more files can come ({@link PrePasses.seal}) and every pre-pass is in or
   * has failed (the worker has ended then).
   */
  readonly settled: Promise<void>;

  /** No worker yet: it starts with the first file {@link PrePasses.add} is given. */
  constructor() {
    let seal!: () => void;
    const sealed = new Promise<void>((done) => seal = done);
    this.#seal = seal;
    this.settled = sealed.then(async () => {
      await Promise.all(this.#pending);
      this.#session?.close();
    });
  }

  /**
   * Queues the pre-passes of files whose pre-pass can be made ahead (`aheadOptions`), in the
   * order they will be read, after those given before (the worker starts with the first).
   *
   * @throws {Error} once sealed
   */
  add(files: readonly { path: string; file: FileConfig }[]): void {
    if (this.#sealed) throw new Error("PrePasses: a file was added after seal()");
    for (const { path, file } of files) {
      const options = aheadOptions(file);
      if (!options) continue;
      this.#session ??= new WorkerSession(new URL("./text_scan.ts", import.meta.url));
      const done = this.#session.call<TextScan>("scanDelimited", [path, options]).then(
        (scan) => void this.#ready.set(path, scan),
        // A failed pre-pass: the reader scans the file itself and reports the failure.
        () => {},
      ).finally(() => this.#running.delete(path));
      this.#running.set(path, done);
      this.#pending.push(done);
    }
  }

  /** No more files: the worker ends once the queued pre-passes are in (sealing again: nothing). */
  seal(): void {
    this.#sealed = true;
    this.#seal();
  }

  /**
   * Resolves when the pre-pass of the file at `path` is in (or has failed); undefined when it is
   * not running (in already, or never queued). A reader about to scan the file does better to
   * wait: the worker is that far into the file already.
   */
  running(path: string): Promise<void> | undefined {
    return this.#running.get(path);
  }

  /** The pre-pass of the file at `path` if it is in (once: it is then forgotten). */
  take(path: string): TextScan | undefined {
    const scan = this.#ready.get(path);
    this.#ready.delete(path);
    return scan;
  }

  /** Ends the worker (pre-passes still running are dropped). Closing again does nothing. */
  close(): void {
    this.seal();
    this.#session?.close();
    this.#ready.clear();
    this.#running.clear();
  }
}
