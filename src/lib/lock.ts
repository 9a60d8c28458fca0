/**
 * Exclusive locks between processes, so that two builds never write the same outputs at once.
 *
 * A lock is an advisory lock (`flock`) on a small file, taken without waiting: when another
 * process holds it, {@link acquireLock} fails at once with a {@link LockedError} saying which
 * process (its id, command and start time, which the holder writes into the file). The kernel
 * releases the lock when its holder exits in any way, killed included, so a lock is never stale;
 * the file itself stays (removing it would race with the next holder).
 *
 * @module
 */
import { display } from "./paths.ts";

/** Who holds a lock, as its holder wrote it into the lock file. */
export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

/** A lock that is held by another process. */
export class LockedError extends Error {
  constructor(message: string, readonly holder: LockHolder | null) {
    super(message);
    this.name = "LockedError";
  }
}

/** A held lock. */
export interface Lock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (idempotent). */
  release(): void;
}

/** The command line of this process, for the lock file. */
function thisCommand(): string {
  const main = Deno.mainModule.startsWith("file://")
    ? display(decodeURIComponent(new URL(Deno.mainModule).pathname))
    : Deno.mainModule;
  return [main, ...Deno.args].join(" ");
}

/** The holder recorded in a lock file, or null when it is empty or unreadable. */
export function readHolder(path: string): LockHolder | null {
  try {
    const v = JSON.parse(Deno.readTextFileSync(path));
    if (typeof v?.pid === "number") {
      return { pid: v.pid, command: String(v.command ?? ""), since: String(v.since ?? "") };
    }
  } catch {
    // empty (being written) or unreadable: unknown holder
  }
  return null;
}

/** "process 123 (deno task build …, since 2026-01-01T10:00:00Z)" or "another process". */
export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return "another process";
  const what = [holder.command, holder.since && `since ${holder.since}`].filter(Boolean);
  return `process ${holder.pid}${what.length ? ` (${what.join(", ")})` : ""}`;
}

/**
 * Takes the exclusive lock on `path` (created when missing; its folder must exist), without
 * waiting.
 *
 * @param path the lock file
 * @param what what the lock protects, for the message (such as `output folder reports`)
 * @throws {LockedError} when another process (or another open lock in this one) holds it
 */
export async function acquireLock(path: string, what: string): Promise<Lock> {
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked = false;
  try {
    locked = await file.tryLock(true);
  } finally {
    if (!locked) file.close();
  }
  if (!locked) {
    const holder = readHolder(path);
    throw new LockedError(
      `${what} is in use by ${describeHolder(holder)}: wait for it to finish, or stop it ` +
        `(lock file ${display(path)})`,
      holder,
    );
  }
  const holder: LockHolder = {
    pid: Deno.pid,
    command: thisCommand(),
    since: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
  await file.truncate(0);
  const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * Who holds the lock on `path` right now, or null when nobody does (or the file does not exist).
 * A probe: it takes and releases the lock when it is free.
 */
export async function lockHolder(path: string): Promise<LockHolder | "unknown" | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    if (await file.tryLock(true)) {
      file.unlockSync();
      return null;
    }
    return readHolder(path) ?? "unknown";
  } finally {
    file.close();
  }
}
