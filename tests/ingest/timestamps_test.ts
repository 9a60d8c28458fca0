/**
 * Tests of timestamps and time zones (issue #9): an explicit offset in a value, or a
 * time-zone-aware Parquet column, wins over the dataset's `timezone`; `timezone` may be a fixed
 * offset, and anything else is refused naming the valid forms; a format must match the whole
 * value (`10:00:00 PM` is no 10:00, `10:00:00xyz` no time at all).
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { ConfigError } from "../../src/config/errors.ts";
import { ingestFile, readSource, toCanonical } from "../../src/ingest/ingest.ts";
import { formatPattern, prepareFormat } from "../../src/ingest/timestamps.ts";
import { cleanIngested, ingestSources } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { dataset, datasetJson, fileConfig, fileJson } from "../fixtures/configs.ts";
import { col, inputError, isoTimes, withTempDir, write } from "./helpers.ts";

/** A CSV of one customer's purchases at the given times (column t). */
function times(dir: string, name: string, ts: string[]): string {
  return write(dir, name, "c,t,q,p\n" + ts.map((t, i) => `${i + 1},${t},1,1.0`).join("\n") + "\n");
}

Deno.test("timestamps: an explicit offset (+02:00, +0200, Z, -05:00) wins over the dataset's time zone", async () => {
  await withTempDir((dir) => {
    const path = times(dir, "o.csv", [
      "2011-06-01 10:00:00+02:00",
      "2011-06-01 10:00:00+0200",
      "2011-06-01 10:00:00 +02:00",
      "2011-06-01 10:00:00Z",
      "2011-06-01 10:00:00-05:00",
      "2011-06-01 10:00:00", // no offset: London summer time
      "2011-06-01 10:00:00+25:00", // no such offset: unparsable
    ]);
    const got = ingestFile(path, fileConfig({ name: "o.csv" }), {
      timezone: "Europe/London",
      maxUnparsableShare: 0.2,
    });
    assert.deepEqual(isoTimes(got.canonical), [
      "2011-06-01T08:00:00.000Z",
      "2011-06-01T08:00:00.000Z",
      "2011-06-01T08:00:00.000Z",
      "2011-06-01T10:00:00.000Z",
      "2011-06-01T15:00:00.000Z",
      "2011-06-01T09:00:00.000Z",
      null,
    ]);
    assert.equal(got.summary.timestampsWithOwnZone, 5);
    // An offset directive (%z) or a literal Z in the format reads the same way.
    const iso = times(dir, "iso.csv", ["2011-06-01T10:00:00+0200", "2011-06-01T10:00:00Z"]);
    for (const fmt of ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]) {
      const t = ingestFile(iso, fileConfig({ name: "iso.csv", timestampFormat: fmt }), {
        timezone: "America/New_York",
      });
      assert.deepEqual(isoTimes(t.canonical), [
        "2011-06-01T08:00:00.000Z",
        "2011-06-01T10:00:00.000Z",
      ], fmt);
    }
    const z = times(dir, "z.csv", ["2011-06-01T10:00:00Z"]);
    const tz = ingestFile(z, fileConfig({ name: "z.csv", timestampFormat: "%Y-%m-%dT%H:%M:%SZ" }), {
      timezone: "Asia/Tokyo",
    });
    assert.deepEqual(isoTimes(tz.canonical), ["2011-06-01T10:00:00.000Z"]);
  });
});

Deno.test("timestamps: a time-zone-aware Parquet column keeps its instants whatever the dataset's time zone", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/aware.parquet`;
    const instants = [new Date("2011-06-01T08:00:00Z"), new Date("2011-12-01T09:00:00Z")];
    pl.DataFrame({
      c: ["1", "2"],
      berlin: pl.Series("berlin", instants, pl.Datetime("ms")).cast(pl.Datetime("us"))
        .dt.replaceTimeZone("UTC").dt.convertTimeZone("Europe/Berlin"),
      naive: pl.Series("naive", instants, pl.Datetime("ms")),
      q: pl.Series("q", [1, 1], pl.Int64),
      p: pl.Series("p", [1, 1], pl.Float64),
    }).writeParquet(path);
    const aware = fileConfig({ name: "aware.parquet", format: "parquet" }, {
      columns: { customer_id: "c", timestamp: "berlin", quantity: "q", unit_price: "p" },
    });
    const got = ingestFile(path, aware, { timezone: "America/New_York" });
    assert.deepEqual(isoTimes(got.canonical), instants.map((d) => d.toISOString()));
    assert.equal(got.summary.timestampsWithOwnZone, 2);
    // The synthetic invoice takes the purchase day as written (Berlin).
    assert.deepEqual(col(got.canonical, "invoice"), ["1|2011-06-01", "2|2011-12-01"]);
    // A naive column is wall-clock time in the dataset's zone (New York: UTC−4 in summer).
    const naive = { ...aware, columns: { ...aware.columns, timestamp: "naive" } };
    assert.deepEqual(
      isoTimes(ingestFile(path, naive, { timezone: "America/New_York" }).canonical),
      [
        "2011-06-01T12:00:00.000Z",
        "2011-12-01T14:00:00.000Z",
      ],
    );
  });
});

Deno.test("timestamps: `timezone` as a fixed offset is accepted; other forms are refused naming the valid ones", async () => {
  const tz = (timezone: string) => dataset({ timezone }).timezone;
  assert.equal(tz("+02:00"), "+02:00");
  assert.equal(tz("+0530"), "+05:30");
  assert.equal(tz("-03:30"), "-03:30");
  assert.equal(tz("europe/berlin"), "Europe/Berlin");
  assert.equal(tz("Europe/London"), "Europe/London");
  const forms = 'valid forms: an IANA zone name such as "Europe/Berlin" or "UTC", or a fixed ' +
    'offset from UTC written ±HH:MM such as "+02:00" or "-05:30"';
  for (const bad of ["+2", "GMT+2", "UTC+02:00", "+02"]) {
    assert.throws(
      () => tz(bad),
      (e: Error) =>
        e instanceof ConfigError && e.message === `timezone: "${bad}" is not a time zone; ${forms}`,
      bad,
    );
  }
  assert.throws(
    () => tz("Mars/Olympus"),
    new ConfigError("timezone", `unknown time zone "Mars/Olympus"; ${forms}`),
  );
  assert.throws(
    () => tz("+15:00"),
    /timezone: "\+15:00" is no offset from UTC \(−12:00 to \+14:00\)/,
  );
  assert.throws(
    () => dataset(datasetJson({ timezone: 2 })),
    /timezone: expected a non-empty string/,
  );

  // A fixed offset converts wall-clock times; a value's own offset still wins.
  await withTempDir((dir) => {
    const path = times(dir, "f.csv", [
      "2011-06-01 10:00:00",
      "2011-01-01 10:00:00",
      "2011-06-01 10:00:00Z",
    ]);
    const got = ingestFile(path, fileConfig({ name: "f.csv" }), { timezone: tz("+0530") });
    assert.deepEqual(isoTimes(got.canonical), [
      "2011-06-01T04:30:00.000Z",
      "2011-01-01T04:30:00.000Z",
      "2011-06-01T10:00:00.000Z",
    ]);
  });
});

Deno.test("timestamps: the format must consume the whole value — 10:00:00 PM and 10:00:00xyz are bad_timestamp rows", async () => {
  await withTempDir((dir) => {
    const ts = Array.from(
      { length: 300 },
      (_, i) => `2011-06-${String(1 + (i % 28)).padStart(2, "0")} 10:00:00`,
    );
    ts[49] = "2011-06-01 10:00:00 PM";
    ts[59] = "2011-06-01 10:00:00xyz";
    ts[69] = "x2011-06-01 10:00:00";
    const path = times(dir, "s.csv", ts);
    const file = fileConfig({ name: "s.csv" });
    const got = ingestFile(path, file, { timezone: "Europe/London" });
    const iso = isoTimes(got.canonical);
    assert.deepEqual([iso[49], iso[59], iso[69]], [null, null, null]);
    assert.equal(iso[48], "2011-06-21T09:00:00.000Z");
    // Through cleaning: quarantined as bad_timestamp, with their rows.
    const ds = dataset({ timezone: "Europe/London", files: [fileJson({ name: "s.csv", path })] });
    const quiet = () => new Progress(() => {});
    const c = cleanIngested(ds, ingestSources(ds, [{ file, path }], quiet()), quiet());
    assert.deepEqual(
      c.quarantine.filter(pl.col("reason").eq(pl.lit("bad_timestamp"))).getColumn("source_row")
        .toArray(),
      [50, 60, 70],
    );
    // When every value has trailing text, the format is wrong: a clear error, before any row is
    // dropped.
    const pm = times(dir, "pm.csv", ["2011-06-01 10:00:00 PM", "2011-06-01 09:30:00 AM"]);
    inputError(
      () =>
        toCanonical(readSource(pm, fileConfig({ name: "pm.csv" })), fileConfig({ name: "pm.csv" })),
      "pm.csv",
      /column "t" \(timestamp\), row 1: "2011-06-01 10:00:00 PM" does not match format "%Y-%m-%d %H:%M:%S" \(2 of 2 rows unparsable; the format must match the whole value\)/,
    );
    // With the 12-hour format it parses: 10 PM is 22:00.
    const twelve = fileConfig({ name: "pm.csv", timestampFormat: "%Y-%m-%d %I:%M:%S %p" });
    assert.deepEqual(isoTimes(ingestFile(pm, twelve).canonical), [
      "2011-06-01T22:00:00.000Z",
      "2011-06-01T09:30:00.000Z",
    ]);
  });
});

Deno.test("timestamps: the whole-value patterns of strftime formats", () => {
  const full = (fmt: string, value: string) => new RegExp(formatPattern(fmt)).test(value);
  assert.equal(full("%Y-%m-%d %H:%M:%S", "2011-06-01 10:00:00"), true);
  assert.equal(full("%Y-%m-%d %H:%M:%S", "2011-06-01 10:00:00 PM"), false);
  assert.equal(full("%d/%m/%Y %H:%M", "5/3/2022 9:07"), true);
  assert.equal(full("%d/%m/%Y %H:%M", "05/03/2022 09:07:00"), false);
  assert.equal(full("%Y%m%d", "19970101"), true);
  assert.equal(full("%Y-%m-%dT%H:%M:%S%.f", "2011-06-01T10:00:00.123"), true);
  assert.equal(full("%d %b %Y", "01 Jun 2011"), true);
  assert.equal(full("%F %T", "2011-06-01 10:00:00"), true);
  assert.equal(prepareFormat("%Y-%m-%d %H:%M:%S %z").format, "%Y-%m-%d %H:%M:%S");
  assert.equal(prepareFormat("%d.%m.%Y").hasTime, false);
});
