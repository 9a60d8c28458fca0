/**
 * Structured logs: one JSON object per line with the time, a level and an event name. Request
 * lines carry the method, the path (never the query or the body), the status and the latency —
 * no customer data.
 *
 * @module
 */

/** One log record (the time and level are added). */
export type LogRecord =
  & { event: string; level?: "info" | "warn" | "error" }
  & Record<
    string,
    unknown
  >;

/** Writes a log record. */
export type LogFn = (record: LogRecord) => void;

/**
 * A logger writing one JSON line per record.
 *
 * @example
 * ```ts
 * import { jsonLogger } from "./log.ts";
 * import { equal } from "node:assert/strict";
 * const lines: string[] = [];
 * jsonLogger((l) => lines.push(l), () => "2024-01-01T00:00:00.000Z")({ event: "listening", port: 1 });
 * equal(lines[0], '{"time":"2024-01-01T00:00:00.000Z","level":"info","event":"listening","port":1}');
 * ```
 *
 * @param write where lines go (default: standard output)
 * @param now the time stamp (default: the current time, ISO)
 */
export function jsonLogger(
  write: (line: string) => void = (line) => console.log(line),
  now: () => string = () => new Date().toISOString(),
): LogFn {
  return (record) => {
    const { event, level = "info", ...rest } = record;
    let line: string;
    try {
      line = JSON.stringify({ time: now(), level, event, ...rest });
    } catch {
      line = JSON.stringify({ time: now(), level, event, note: "unserialisable log fields" });
    }
    try {
      write(line);
    } catch {
      // a closed standard output must not take the service down
    }
  };
}

/** A path for the log: at most 200 characters, without the query string. */
export function logPath(url: URL): string {
  const p = url.pathname;
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}
