/**
 * Verified private copies of input files: what is checked is what is read.
 *
 * Verifying a file in place and then handing its path to the reader leaves a gap: a file swapped
 * or rewritten after its checksum was verified would be read, while the manifest records the
 * checksum that was verified. So every input file is copied, once, into a private folder; the
 * copy is made read-only and then hashed, and its hash — the hash of exactly the bytes the reader
 * will get — is the one that is checked and recorded. Changing the original afterwards
 * changes nothing.
 *
 * The private folder (`rfm-inputs-<pid>-*` in the system's temporary folder, readable by the
 * owner only) is removed when the process exits, also on an uncaught error, or earlier by
 * {@link releaseSnapshots}. A process killed outright cannot clean up: the next one removes such
 * folders once they are a day old and their process is gone.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { sha256File } from "../lib/files.ts";

/** A private read-only copy of an input file and the sha256 of its bytes. */
export interface Snapshot {
  /** Absolute path of the copy. */
  path: string;
  /** sha256 (lowercase hex) of the bytes copied, which are the copy's bytes. */
  sha256: string;
  /** Bytes copied. */
  bytes: number;
}

/** Prefix of the private folders' names (then the process id). */
const PREFIX = "rfm-inputs-";

/** Private folders made by this process, removed at exit. */
const folders = new Set<string>();
let cleanupRegistered = false;

/** Removes every private folder made by this process (at exit, or on an uncaught error). */
function removeAll(): void {
  for (const dir of folders) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  }
  folders.clear();
}

/**
 * Removes the private folders of processes that are gone (no `/proc/<pid>`; on systems without
 * `/proc` nothing is removed) and that are more than a day old.
 */
async function sweepStale(tmp: string): Promise<void> {
  try {
    await Deno.stat("/proc/self");
  } catch {
    return;
  }
  const dayAgo = Date.now() - 86_400_000;
  for await (const e of Deno.readDir(tmp)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(e.name);
    if (!m || !e.isDirectory || Number(m[1]) === Deno.pid) continue;
    const alive = await Deno.stat(`/proc/${m[1]}`).then(() => true, () => false);
    const dir = join(tmp, e.name);
    const mtime = (await Deno.stat(dir).catch(() => null))?.mtime?.getTime() ?? Infinity;
    if (!alive && mtime < dayAgo) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * A new private folder for snapshots (owner-only permissions), removed when the process exits.
 */
export async function snapshotFolder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `${PREFIX}${Deno.pid}-` });
  await Deno.chmod(dir, 0o700);
  folders.add(dir);
  if (!cleanupRegistered) {
    globalThis.addEventListener("unload", removeAll);
    // An uncaught error ends the process without "unload".
    globalThis.addEventListener("error", removeAll);
    globalThis.addEventListener("unhandledrejection", removeAll);
    cleanupRegistered = true;
    await sweepStale(dirname(dir)).catch(() => {});
  }
  return dir;
}

/**
 * Copies `source` into `folder` as `<tag>-<base name>`, makes the copy read-only, then hashes the
 * copy's bytes. The copy is made by the kernel (`Deno.copyFile`: no bytes pass through
 * JavaScript), and the hash is read from the copy, so it is the hash of exactly what the reader
 * will get, also when the source changes while it is copied.
 *
 * @param source the file to copy (symbolic links are followed)
 * @param folder a folder from {@link snapshotFolder}
 * @param tag distinguishes copies of files with the same base name
 * @throws {Deno.errors.AlreadyExists} when the folder already holds a copy with that name
 */
export async function snapshot(source: string, folder: string, tag: string): Promise<Snapshot> {
  const target = join(folder, `${tag}-${basename(source)}`);
  // (a check, not an exclusive create: copying onto a file made first measured slower, 1.21–1.45
  // against 1.03–1.22 s at 10×, and nobody else can write in the private folder)
  if (await Deno.lstat(target).then(() => true, () => false)) {
    throw new Deno.errors.AlreadyExists(`snapshot ${target} already exists`);
  }
  try {
    // The kernel's copy (copy_file_range), then one read of the copy, which the copy has just put
    // in the page cache: 1.0 s for 921 MiB, where reading, hashing and writing each block in
    // JavaScript took 2.3–3.4 s.
    await Deno.copyFile(source, target);
    await Deno.chmod(target, 0o444);
    const [sha256, { size }] = await Promise.all([sha256File(target), Deno.stat(target)]);
    return { path: target, sha256, bytes: size };
  } catch (e) {
    await Deno.remove(target).catch(() => {});
    throw e;
  }
}

/** Removes a snapshot that will not be used (a refused file); one already gone is fine. */
export async function discardSnapshot(s: Snapshot): Promise<void> {
  await Deno.remove(s.path).catch(() => {});
}

/**
 * Removes the private copies behind `paths` now (for long-running processes that resolve a
 * dataset many times); by default they go when the process exits. Paths that are not snapshots
 * are left alone.
 */
export async function releaseSnapshots(paths: Iterable<string>): Promise<void> {
  for (const p of paths) {
    const dir = [...folders].find((d) => p.startsWith(d + "/"));
    if (dir === undefined) continue;
    await Deno.remove(p).catch(() => {});
    // The folder goes too once it is empty (removing a non-empty folder fails, harmlessly).
    await Deno.remove(dir).then(() => folders.delete(dir), () => {});
  }
}
