/**
 * Runs a command as a child process and measures it: wall time (from here) and peak resident
 * memory (GNU time's "Maximum resident set size" when /usr/bin/time exists, else polling
 * /proc/<pid>/status VmHWM). Used by the bench to compare the public build with pandas.
 *
 * @module
 */
import { exists } from "../../src/lib/files.ts";

/** What one measured child run gave. */
export interface ChildRun {
  /** Exit status. */
  code: number;
  /** Wall time in seconds. */
  wall: number;
  /** Peak resident memory in MiB (NaN when it could not be measured). */
  peakMiB: number;
  /** Standard output. */
  stdout: string;
  /** Standard error (without GNU time's report). */
  stderr: string;
}

const TIME = "/usr/bin/time";

/** Peak RSS (VmHWM) of a live process in KiB, or 0. */
function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `cmd args` in `cwd` and measures wall time and peak memory.
 *
 * @example
 * ```ts
 * import { measureChild } from "./child.ts";
 * import { equal, ok } from "node:assert/strict";
 * const r = await measureChild("sh", ["-c", "echo hi"]);
 * equal(r.code, 0);
 * equal(r.stdout.trim(), "hi");
 * ok(r.wall >= 0);
 * ```
 */
export async function measureChild(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ChildRun> {
  const timed = await exists(TIME);
  const t0 = performance.now();
  const child = new Deno.Command(timed ? TIME : cmd, {
    args: timed ? ["-v", cmd, ...args] : args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let polled = 0;
  const poll = timed ? undefined : setInterval(() => {
    polled = Math.max(polled, vmHwm(child.pid));
  }, 50);
  const out = await child.output();
  const wall = (performance.now() - t0) / 1000;
  if (poll !== undefined) clearInterval(poll);
  let stderr = new TextDecoder().decode(out.stderr);
  let peakKiB = polled;
  if (timed) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    peakKiB = m ? Number(m[1]) : 0;
    const cut = stderr.lastIndexOf("\tCommand being timed:");
    if (cut >= 0) stderr = stderr.slice(0, cut);
  }
  return {
    code: out.code,
    wall,
    peakMiB: peakKiB ? peakKiB / 1024 : NaN,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
  };
}

/** A Python 3 with the given modules importable (`/usr/bin/python3` first), or null. */
export async function pythonWith(modules: string[]): Promise<string | null> {
  for (const py of ["/usr/bin/python3", "python3"]) {
    try {
      const r = await new Deno.Command(py, {
        args: ["-c", `import ${modules.join(", ")}`],
        stdout: "null",
        stderr: "null",
      }).output();
      if (r.success) return py;
    } catch {
      // not installed
    }
  }
  return null;
}

/** A figure beside its target: `value (ratio× ref, target ≤ limit×) ok|MISSED`. */
export function againstRatio(ours: number, ref: number, limit: number): string {
  const ratio = ours / ref;
  return `${ratio.toFixed(2)}× (target ≤ ${limit}×) ${ratio <= limit ? "met" : "MISSED"}`;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
