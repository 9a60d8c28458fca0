/** Calendar days: ISO dates ↔ day numbers, leap days, and refusal of unparsable dates. */
import assert from "node:assert/strict";
import { DAY_MS, dayIso, daysBetween, isoDay } from "../../src/lib/time.ts";

Deno.test("isoDay and dayIso round-trip every day of 1999-2001, leap day included", () => {
  const start = isoDay("1999-01-01");
  for (let d = start; d < start + 3 * 366; d++) assert.equal(isoDay(dayIso(d)), d);
  assert.equal(daysBetween("2000-02-28", "2000-03-01"), 2); // 2000 is a leap year
  assert.equal(daysBetween("1900-02-28", "1900-03-01"), 1); // 1900 is not
  assert.equal(dayIso(isoDay("2000-02-29")), "2000-02-29");
});

Deno.test("isoDay reads the date part only and refuses what does not parse", () => {
  assert.equal(isoDay("2011-12-09T23:59:59Z"), isoDay("2011-12-09"));
  assert.equal(DAY_MS * isoDay("1970-01-11"), 10 * 86_400_000);
  for (const bad of ["", "yesterday", "2011-13-01", "2011/12/09"]) {
    assert.throws(() => isoDay(bad), RangeError, bad);
  }
});
