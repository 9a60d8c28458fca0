/**
 * The output store: where a dataset's outputs (analysis files and report site) live, and how a
 * run publishes a complete new set of them with one rename.
 *
 * On disk, for output folders `<reports>` and `<processed>`:
 *
 * ```
 * <reports>/.builds/lock                      held by the one process writing these outputs
 * <reports>/.builds/current -> <id>           THE pointer: one symlink, switched by one rename
 * <reports>/.builds/<id>/                     one complete set: cleaning.json, customers.csv …
 * <reports>/.builds/<id>/processed/           … the Parquet tables …
 * <reports>/.builds/<id>/site/                … and the report site built from them
 * <reports>/customers.csv -> .builds/current/customers.csv          (stable links, one per name)
 * <reports>/site -> .builds/current/site
 * <processed>/customers.parquet -> …/<reports>/.builds/current/processed/customers.parquet
 * <reports>/results.json                      a real file (committed to git), see below
 * ```
 *
 * A run stages a new `<id>` folder privately, writes everything into it (site included), then
 * {@link OutputStore.publish} creates any missing link and switches `current` with one
 * `rename(2)`: a reader going through the public paths sees the complete old set or the complete
 * new set, never a mix, whenever the run is killed. Superseded and abandoned `<id>` folders, dead
 * processes' temporary files and links to names the current set lacks are removed after the
 * switch and, after a kill, by the next run ({@link OutputStore.recover}).
 *
 * `results.json` is the exception: it is committed to git, so it stays a real file, a copy of
 * `current/results.json` refreshed right after the switch. A run killed between the switch and
 * that copy leaves a marker in the new set, and the next run finishes the copy before anything
 * else (a `results.json` rewritten by `verify --update` has no marker and is left alone).
 *
 * Nothing here deletes a file the workspace did not create: only its own links, `.tmp-*` files of
 * dead processes and the store's own folders. Files of an older layout (real files where the
 * links go, vouched for by that build's `manifest.json`) are adopted into the store once; any
 * other file or folder at an output's name stops the run with a message naming it.
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { homedir } from "node:os";
import {
  exists,
  isDiskFull,
  isNotWritable,
  linkOrCopy,
  processAlive,
  sha256File,
  writeFileAtomic,
} from "./files.ts";
import { acquireLock, type Lock } from "./lock.ts";
import { display } from "./paths.ts";

/** Name of the store folder inside the reports folder. */
export const STORE_DIR = ".builds";
/** Name of the pointer (a symlink) inside the store. */
export const CURRENT = "current";
const LOCK_FILE = "lock";
const PROCESSED_DIR = "processed";
const SITE_DIR = "site";
const RESULTS = "results.json";
const MANIFEST = "manifest.json";
/** Marker in a set whose results.json has not yet been copied to the public one. */
const RESULTS_MARKER = ".results-not-copied";
/** Folder names of sets: `<UTC stamp>-<pid>-<random>`. */
const SET_ID = /^\d{8}T\d{6}Z-\d+-[0-9a-f]{6}$/;
/** Temporary names this workspace creates (`tempPathFor`, the old site build, pointer swaps). */
const TEMP_NAME = /^\.tmp-(?:.+\.(\d+)\.[0-9a-f]{8}(?:\.previous)?|site-(\d+)(?:-[0-9a-f]{6})?)$/;
const POINTER_TEMP = /^\.current-(\d+)-[0-9a-f]{8}$/;

/** The environment variable that pauses a run at a named point, for the crash tests. */
export const PAUSE_ENV = "RFM_TEST_PAUSE_AT";

/**
 * Test hook of the crash tests: when `RFM_TEST_PAUSE_AT` names this point, says so on standard
 * error and blocks the process (for at most ten minutes, then exits with status 99) so that a
 * test can kill it exactly there. Without the variable it does nothing.
 */
export function checkpoint(point: string): void {
  if (Deno.env.get(PAUSE_ENV) !== point) return;
  console.error(`paused at ${point} (${PAUSE_ENV})`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
  Deno.exit(99);
}

/** The two configured output folders, absolute. */
export interface OutputFolders {
  reports: string;
  processed: string;
}

/** One set of outputs in the store (staged or published). */
export interface OutputSetDirs {
  /** Its id (folder name in the store). */
  id: string;
  /** Its folder. */
  dir: string;
  /** Where its reports files are (the set's folder itself). */
  reports: string;
  /** Where its processed tables are. */
  processed: string;
  /** Where its site is. */
  site: string;
}

/** The names an analysis run writes, so that the store can check and adopt them early. */
export interface OutputNames {
  reports: readonly string[];
  processed: readonly string[];
}

/**
 * The files an analysis run publishes (`src/pipeline/stages.ts` stageCoreOutputs and the model
 * stage); a site build adds `site`.
 */
export const ANALYSIS_OUTPUTS: OutputNames = {
  reports: [
    "cleaning.json",
    "rfm.json",
    "customers.csv",
    "metrics.json",
    "heldout.csv",
    "model.json",
    "results.json",
    "manifest.json",
  ],
  processed: ["transactions.parquet", "quarantine.parquet", "customers.parquet"],
};

/** Options of {@link OutputStore.open}. */
export interface OpenOptions {
  /** The dataset id, to recognise its own older outputs (`"dataset"` in their JSON). */
  datasetId: string;
  /** Names the coming run writes (checked for foreign files before any work). */
  names?: OutputNames;
  /** Where notes about cleaned-up leftovers go (default: standard error). */
  log?: (line: string) => void;
}

/** A fresh set id: UTC time, process id, random suffix. */
function newSetId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const rand = crypto.getRandomValues(new Uint8Array(3));
  return `${stamp}-${Deno.pid}-${[...rand].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function readLinkOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readLink(path);
  } catch {
    return null;
  }
}

/** The JSON file's `dataset` field, or null. */
async function datasetOf(path: string): Promise<string | null> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    return typeof v?.dataset === "string" ? v.dataset : null;
  } catch {
    return null;
  }
}

/** Creates (or atomically replaces) the symlink `path` → `target`. */
async function setLink(path: string, target: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.tmp-${path.slice(dir.length + 1)}.${Deno.pid}.${randomHex(4)}`);
  await Deno.symlink(target, tmp);
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Hard-links (or copies) every file below `from` into `to`, skipping `skip` at the top. */
async function linkTree(from: string, to: string, skip: (name: string) => boolean): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (skip(e.name)) continue;
    const src = join(from, e.name);
    if (e.isDirectory) await linkTree(src, join(to, e.name), () => false);
    else if (e.isFile) await linkOrCopy(src, join(to, e.name));
  }
}

// ---------------------------------------------------------------------------------------------
// Where outputs may go.

/** Folders no output may go to or below (unless explicitly allowed). */
const SYSTEM_TREES = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/proc",
  "/run",
  "/sbin",
  "/sys",
  "/usr",
  "/var/lib",
  "/var/log",
  "/var/cache",
  "/var/spool",
  "/var/mail",
  "/System",
  "/Library",
  "/Applications",
  "/private/etc",
  "/private/var/db",
];

/** Folders that hold other things and are never an output folder themselves. */
function sharedFolders(): string[] {
  const home = (() => {
    try {
      return homedir();
    } catch {
      return null;
    }
  })();
  return [
    "/",
    "/home",
    "/Users",
    "/root",
    "/tmp",
    "/var",
    "/var/tmp",
    "/opt",
    "/srv",
    "/mnt",
    "/media",
    "/private",
    "/private/tmp",
    ...(home ? [home] : []),
  ];
}

function isWithin(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The path with symlinks resolved as far as it exists (the rest appended). */
function realish(path: string): string {
  let p = resolve(path);
  const rest: string[] = [];
  while (true) {
    try {
      return join(Deno.realPathSync(p), ...rest.reverse());
    } catch {
      const parent = dirname(p);
      if (parent === p) return resolve(path);
      rest.push(p.slice(parent.length).replace(/^\/+/, ""));
      p = parent;
    }
  }
}

/** Where a run's outputs may go. */
export interface OutputPolicy {
  /** The workspace root (or the folder a `--out` run writes below). */
  workspace: string;
  /** The folder of the dataset's own JSON file, when it came from one (outputs may go below). */
  datasetDir?: string;
  /** Allow any folder (the explicit `--allow-outside-workspace` option). */
  allowAnywhere?: boolean;
}

/**
 * Refuses output folders that are outside the workspace (and outside the dataset file's folder),
 * or a system folder, or a folder that holds other things (the workspace root, `/tmp`, the home
 * folder …), unless `allowAnywhere`.
 *
 * @param folders the output folders, absolute
 * @throws {Error} naming the key, the folder and the option that allows it
 */
export function checkOutputFolders(folders: OutputFolders, policy: OutputPolicy): void {
  if (policy.allowAnywhere) return;
  const hint = "; to write there anyway, pass --allow-outside-workspace";
  for (const key of ["reports", "processed"] as const) {
    const path = resolve(folders[key]);
    const real = realish(path);
    const name = `outputs.${key} (${path})`;
    const roots = [policy.workspace, policy.datasetDir].filter((r): r is string => !!r)
      .map((r) => resolve(r));
    for (const r of roots) {
      if (path === r || real === realish(r)) {
        throw new Error(
          `${name} is the ${r === roots[0] ? "workspace" : "dataset's"} folder ` +
            `itself: outputs need a folder of their own${hint}`,
        );
      }
    }
    const shared = sharedFolders();
    if (shared.includes(path) || shared.includes(real)) {
      throw new Error(`${name} is a folder that holds other things: refused${hint}`);
    }
    const inWorkspace = isWithin(path, resolve(policy.workspace)) &&
      isWithin(real, realish(policy.workspace));
    if (inWorkspace) continue;
    if (SYSTEM_TREES.some((t) => isWithin(path, t) || isWithin(real, t))) {
      throw new Error(`${name} is a system folder: refused${hint}`);
    }
    if (policy.datasetDir && isWithin(path, resolve(policy.datasetDir))) continue;
    throw new Error(
      `${name} is outside the workspace (${policy.workspace})` +
        (policy.datasetDir ? ` and outside the dataset file's folder (${policy.datasetDir})` : "") +
        `: refused${hint}`,
    );
  }
}

/**
 * Creates a folder (and its parents) and checks that files can be created in it, so that a
 * read-only or missing folder is one clear line before any work, not a failure deep in a writer.
 */
export async function ensureWritableFolder(folder: string, key: string): Promise<void> {
  const probe = join(folder, `.tmp-write-check.${Deno.pid}.${randomHex(4)}`);
  try {
    await Deno.mkdir(folder, { recursive: true });
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    await Deno.remove(probe).catch(() => {});
    const name = `output folder ${display(folder)} (outputs.${key})`;
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new Error(
      isDiskFull(e)
        ? `${name}: the disk is full (${why})`
        : isNotWritable(e)
        ? `${name} is not writable (${why})`
        : `${name} cannot be used: ${why}`,
      { cause: e },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The store.

/**
 * Takes the exclusive lock of a reports folder: the one a build holds while it writes the
 * folder's outputs, so that anything else that writes there (such as `verify --update` writing
 * `results.json`) waits for no one and is refused at once, naming the holder, while a build runs.
 * Creates the store folder (ignored by git) when missing. Release the lock when done.
 *
 * @example
 * ```ts
 * import { lockOutputFolder } from "./store.ts";
 * import { rejects } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockOutputFolder(dir);
 * await rejects(lockOutputFolder(dir), /is in use by process/);
 * lock.release();
 * (await lockOutputFolder(dir)).release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param reports the reports folder (it must exist)
 * @returns the held lock
 * @throws {LockedError} when another process holds it
 */
export async function lockOutputFolder(reports: string): Promise<Lock> {
  const abs = resolve(reports);
  const dir = join(abs, STORE_DIR);
  await Deno.mkdir(dir, { recursive: true });
  // The store is ignored by git even where a parent .gitignore re-includes results.json.
  const gitignore = join(dir, ".gitignore");
  if (!(await exists(gitignore))) await writeFileAtomic(gitignore, "*\n");
  return await acquireLock(join(dir, LOCK_FILE), `output folder ${display(abs)}`);
}

/** A dataset's output store, opened under its lock (see the module documentation). */
export class OutputStore {
  /** The store folder, `<reports>/.builds`. */
  readonly dir: string;
  #lock: Lock | null;
  #log: (line: string) => void;
  #datasetId: string;

  private constructor(
    readonly folders: OutputFolders,
    lock: Lock,
    datasetId: string,
    log: (line: string) => void,
  ) {
    this.dir = join(folders.reports, STORE_DIR);
    this.#lock = lock;
    this.#datasetId = datasetId;
    this.#log = log;
  }

  /** The store folder of given output folders (for readers that need no lock). */
  static storeDir(folders: OutputFolders): string {
    return join(folders.reports, STORE_DIR);
  }

  /**
   * Opens the store of two output folders: checks that both can be written, takes the lock
   * (failing at once, naming the holder, when another process has it), cleans up what an
   * interrupted run left ({@link recover}), and checks that no foreign file sits where an output
   * goes. Close it with {@link close}.
   *
   * @throws {LockedError} when another process is writing these outputs
   * @throws {Error} naming the folder or file when the folders cannot be used
   */
  static async open(folders: OutputFolders, options: OpenOptions): Promise<OutputStore> {
    const abs = { reports: resolve(folders.reports), processed: resolve(folders.processed) };
    await ensureWritableFolder(abs.reports, "reports");
    await ensureWritableFolder(abs.processed, "processed");
    const lock = await lockOutputFolder(abs.reports);
    const store = new OutputStore(
      abs,
      lock,
      options.datasetId,
      options.log ?? ((l) => console.error(l)),
    );
    try {
      const cleaned = await store.recover(options.names);
      if (cleaned.length) {
        store.#log(`cleaned up after an interrupted run: ${cleaned.join(", ")}`);
      }
      if (options.names) {
        await store.#checkForeign([
          ...options.names.reports.map((n) => store.#reportsEntry(n)),
          ...options.names.processed.map((n) => store.#processedEntry(n)),
        ]);
      }
      return store;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  /** Releases the lock. */
  close(): void {
    this.#lock?.release();
    this.#lock = null;
  }

  /** The set a folder of the store holds (paths only). */
  #setDirs(id: string): OutputSetDirs {
    const dir = join(this.dir, id);
    const same = resolve(this.folders.processed) === resolve(this.folders.reports);
    return {
      id,
      dir,
      reports: dir,
      processed: same ? dir : join(dir, PROCESSED_DIR),
      site: join(dir, SITE_DIR),
    };
  }

  /** The published set, or null before the first run. */
  async current(): Promise<OutputSetDirs | null> {
    const id = await readLinkOrNull(join(this.dir, CURRENT));
    if (id === null || !SET_ID.test(id)) return null;
    return (await exists(join(this.dir, id))) ? this.#setDirs(id) : null;
  }

  /** A new, empty set folder, private until {@link publish}. */
  async stage(): Promise<OutputSetDirs> {
    const set = this.#setDirs(newSetId());
    await Deno.mkdir(set.dir);
    await Deno.mkdir(set.processed, { recursive: true });
    return set;
  }

  /**
   * A new set holding the published set's analysis outputs (hard links, so nothing is copied)
   * without its site, for a site-only rebuild.
   *
   * @throws {Error} when nothing has been published yet
   */
  async stageFromCurrent(): Promise<OutputSetDirs> {
    const cur = await this.current();
    if (!cur) {
      throw new Error(
        `no analysis outputs in ${display(this.folders.reports)}: run npx deno task build first`,
      );
    }
    const set = await this.stage();
    try {
      await linkTree(cur.dir, set.dir, (n) => n === SITE_DIR || n.startsWith("."));
    } catch (e) {
      await this.discard(set);
      throw e;
    }
    return set;
  }

  /** Removes a staged set that will not be published. */
  async discard(set: OutputSetDirs): Promise<void> {
    if ((await this.current())?.id === set.id) return;
    await Deno.remove(set.dir, { recursive: true }).catch(() => {});
  }

  /** Public path and link target of a reports-folder name. */
  #reportsEntry(name: string): { path: string; target: string; name: string } {
    return { name, path: join(this.folders.reports, name), target: join(STORE_DIR, CURRENT, name) };
  }

  /** Public path and link target of a processed-folder name. */
  #processedEntry(name: string): { path: string; target: string; name: string } {
    const same = resolve(this.folders.processed) === resolve(this.folders.reports);
    if (same) return this.#reportsEntry(name);
    const inStore = join(this.dir, CURRENT, PROCESSED_DIR, name);
    return {
      name,
      path: join(this.folders.processed, name),
      target: relative(this.folders.processed, inStore),
    };
  }

  /** The public entries (links) of a set: every file and the site, results.json excepted. */
  async #entriesOf(set: OutputSetDirs): Promise<{ path: string; target: string; name: string }[]> {
    const out = [];
    for await (const e of Deno.readDir(set.reports)) {
      if (e.name.startsWith(".") || e.name === RESULTS) continue;
      if (e.isFile || (e.isDirectory && e.name === SITE_DIR)) out.push(this.#reportsEntry(e.name));
    }
    if (set.processed !== set.reports) {
      for await (const e of Deno.readDir(set.processed)) {
        if (!e.name.startsWith(".") && e.isFile) out.push(this.#processedEntry(e.name));
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Fails, naming them, when files or folders the workspace did not create sit at `entries`. */
  async #checkForeign(entries: { path: string; target: string; name: string }[]): Promise<void> {
    const foreign: string[] = [];
    for (const e of entries) {
      if (e.name === RESULTS) {
        const st = await lstatOrNull(e.path);
        if (st && !(st.isFile && (await datasetOf(e.path)) === this.#datasetId)) {
          foreign.push(display(e.path));
        }
        continue;
      }
      const st = await lstatOrNull(e.path);
      if (!st) continue;
      if (st.isSymlink && (await readLinkOrNull(e.path)) === e.target) continue;
      foreign.push(display(e.path));
    }
    if (foreign.length) {
      throw new Error(
        `${foreign.join(", ")} ${foreign.length === 1 ? "is" : "are"} in the way of the outputs ` +
          `and ${foreign.length === 1 ? "was" : "were"} not written by this workspace's build: ` +
          `move ${
            foreign.length === 1 ? "it" : "them"
          } away (nothing is deleted), or choose other ` +
          `output folders`,
      );
    }
  }

  /** Switches the pointer to a set, with one rename. */
  async #switchTo(id: string): Promise<void> {
    const tmp = join(this.dir, `.current-${Deno.pid}-${randomHex(4)}`);
    await Deno.symlink(id, tmp);
    try {
      await Deno.rename(tmp, join(this.dir, CURRENT));
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }

  /** Copies a set's results.json onto the public one (when it differs), then drops its marker. */
  async #copyResults(set: OutputSetDirs): Promise<void> {
    const marker = join(set.dir, RESULTS_MARKER);
    const from = join(set.reports, RESULTS);
    const to = join(this.folders.reports, RESULTS);
    if (await exists(from)) {
      const same = (await lstatOrNull(to))?.isFile &&
        (await sha256File(from)) === (await sha256File(to));
      if (!same) await writeFileAtomic(to, await Deno.readFile(from));
    }
    await Deno.remove(marker).catch(() => {});
  }

  /**
   * Publishes a staged set: checks that nothing foreign is in the way, creates the links it
   * needs (pointing through `current`, so they show the old set until the switch), switches
   * `current` to it with one rename, copies its results.json to the public one, and removes
   * links to names it lacks and every other set.
   *
   * @throws {Error} before anything public changed, when a foreign file is in the way
   */
  async publish(set: OutputSetDirs): Promise<void> {
    const entries = await this.#entriesOf(set);
    await this.#checkForeign([...entries, this.#reportsEntry(RESULTS)]);
    if (await exists(join(set.reports, RESULTS))) {
      await Deno.writeFile(join(set.dir, RESULTS_MARKER), new Uint8Array());
    }
    for (const e of entries) {
      if ((await readLinkOrNull(e.path)) !== e.target) await setLink(e.path, e.target);
    }
    checkpoint("publish:links");
    await this.#switchTo(set.id);
    checkpoint("publish:switched");
    await this.#copyResults(set);
    checkpoint("publish:copied");
    // Replace each link by an identical one: readers see no change, but tools watching the
    // folders (the scoring service reloads model.json) see that the file behind it changed.
    for (const e of entries) await setLink(e.path, e.target);
    await this.#removeDanglingLinks();
    await this.#removeOtherSets();
  }

  /**
   * Cleans up after an interrupted run and adopts outputs of the older layout. Runs when the
   * store is opened (under the lock): finishes a results.json copy the last run did not, removes
   * sets that were never published or are superseded, links to names the current set lacks, and
   * temporary files of processes that are no longer running.
   *
   * @param names output names to adopt from the older layout (real files where links go)
   * @returns what was removed or repaired, for a note
   */
  async recover(names?: OutputNames): Promise<string[]> {
    const done: string[] = [];
    const cur = await this.current();
    if (cur && (await exists(join(cur.dir, RESULTS_MARKER)))) {
      await this.#copyResults(cur);
      done.push(`copied ${display(join(cur.reports, RESULTS))} to ${RESULTS}`);
    }
    done.push(...await this.#removeOtherSets());
    if (names) done.push(...await this.#adoptOlderLayout(names));
    done.push(...await this.#removeDanglingLinks());
    for (const folder of new Set([this.folders.reports, this.folders.processed, this.dir])) {
      done.push(...await removeDeadTemps(folder));
    }
    return done;
  }

  /** Removes every set but the current one, and pointer swaps of dead processes. */
  async #removeOtherSets(): Promise<string[]> {
    const keep = (await this.current())?.id;
    const removed: string[] = [];
    for await (const e of Deno.readDir(this.dir)) {
      const p = join(this.dir, e.name);
      if (e.isDirectory && SET_ID.test(e.name) && e.name !== keep) {
        await Deno.remove(p, { recursive: true });
        removed.push(display(p));
      } else if (POINTER_TEMP.test(e.name)) {
        const pid = Number(POINTER_TEMP.exec(e.name)![1]);
        if (!processAlive(pid)) {
          await Deno.remove(p);
          removed.push(display(p));
        }
      }
    }
    return removed;
  }

  /** Removes this store's links whose name the current set lacks. */
  async #removeDanglingLinks(): Promise<string[]> {
    const removed: string[] = [];
    const folders = [
      [this.folders.reports, (n: string) => this.#reportsEntry(n)],
      [this.folders.processed, (n: string) => this.#processedEntry(n)],
    ] as const;
    for (const [folder, entry] of folders) {
      for await (const e of Deno.readDir(folder)) {
        if (!e.isSymlink) continue;
        const { path, target } = entry(e.name);
        if ((await readLinkOrNull(path)) !== target) continue;
        if (!(await exists(path))) {
          await Deno.remove(path);
          removed.push(display(path));
        }
      }
    }
    return removed;
  }

  /**
   * Moves outputs of the older layout (real files, and a built site folder, where the links now
   * go) into the current set, then replaces each by its link, so that readers see the same
   * contents throughout. Only when that build's own manifest.json (a real file naming this
   * dataset) vouches for them; it is adopted last, so an interrupted adoption resumes.
   */
  async #adoptOlderLayout(names: OutputNames): Promise<string[]> {
    const manifest = join(this.folders.reports, MANIFEST);
    const st = await lstatOrNull(manifest);
    if (!st?.isFile || (await datasetOf(manifest)) !== this.#datasetId) return [];
    let cur = await this.current();
    if (!cur) {
      cur = this.#setDirs(newSetId());
      await Deno.mkdir(cur.processed, { recursive: true });
      await this.#switchTo(cur.id);
    }
    const adopted: string[] = [];
    // results.json stays a real file; the set gets a copy, so that it is complete.
    const results = join(this.folders.reports, RESULTS);
    if ((await lstatOrNull(results))?.isFile && !(await exists(join(cur.reports, RESULTS)))) {
      await linkOrCopy(results, join(cur.reports, RESULTS));
    }
    const candidates = [
      ...names.processed.map((n) => ({ ...this.#processedEntry(n), into: join(cur.processed, n) })),
      ...names.reports.filter((n) => n !== RESULTS && n !== MANIFEST)
        .map((n) => ({ ...this.#reportsEntry(n), into: join(cur.reports, n) })),
      { ...this.#reportsEntry(SITE_DIR), into: cur.site },
      { ...this.#reportsEntry(MANIFEST), into: join(cur.reports, MANIFEST) },
    ];
    for (const c of candidates) {
      const s = await lstatOrNull(c.path);
      if (!s || s.isSymlink) continue;
      if (s.isFile) {
        if (!(await exists(c.into))) await linkOrCopy(c.path, c.into);
      } else if (s.isDirectory && c.name === SITE_DIR && (await looksLikeBuiltSite(c.path))) {
        if (await exists(c.into)) continue; // left in place: reported as in the way
        // The one step a reader can see: between these two renames there is no site.
        await Deno.rename(c.path, c.into);
      } else continue;
      await setLink(c.path, c.target);
      adopted.push(`adopted ${display(c.path)}`);
      checkpoint("adopt");
    }
    return adopted;
  }
}

/** Whether a folder is a site built by Observable Framework (an older build of this workspace). */
async function looksLikeBuiltSite(dir: string): Promise<boolean> {
  return (await exists(join(dir, "_observablehq"))) && (await exists(join(dir, "index.html")));
}

/**
 * Removes the temporary files (and old-style site build folders) this workspace left in a folder
 * when the process that made them is no longer running.
 *
 * @param folder the folder (not searched below)
 * @param only remove only names that also match this (for folders shared with other programs)
 * @returns the removed paths, for display
 */
export async function removeDeadTemps(folder: string, only?: RegExp): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(folder));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return removed;
    throw e;
  }
  for (const e of entries) {
    const m = TEMP_NAME.exec(e.name);
    if (!m || (only && !only.test(e.name))) continue;
    const pid = Number(m[1] ?? m[2]);
    if (processAlive(pid)) continue;
    const p = join(folder, e.name);
    await Deno.remove(p, { recursive: true }).catch(() => {});
    removed.push(display(p));
  }
  return removed;
}
