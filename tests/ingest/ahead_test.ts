/**
 * Tests of the pre-passes made ahead in a worker (`ahead.ts`, issue 12): a file read with its
 * pre-pass made there gives exactly what it gives when the reader scans it itself, a failed
 * pre-pass is not used (the reader reports the failure itself), and the pre-pass handed over is
 * the one the reader uses (a wrong one, planted, changes the outcome). Files are written by the
 * tests.
 */
import assert from "node:assert/strict";
import { PrePasses } from "../../src/ingest/ahead.ts";
import { ingestFile } from "../../src/ingest/ingest.ts";
import { aheadOptions, openSource } from "../../src/ingest/read.ts";
import { scanDelimited } from "../../src/ingest/text_scan.ts";
import { ingestCounts, ingestOne } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { CTQP_COLUMNS, dataset, fileConfig, fileJson } from "../fixtures/configs.ts";
import { inputError, withTempDir, write } from "./helpers.ts";

/** A CSV of `rows` good rows, with a blank line, a ragged row and a cut-short last line. */
function messyCsv(rows: number): string {
  const lines = ["c,t,q,p"];
  for (let i = 0; i < rows; i++) {
    lines.push(`${1000 + (i % 50)},2011-01-0${1 + (i % 9)} 10:00:00,${1 + (i % 4)},${i % 7}.5`);
    if (i === 10) lines.push("");
    if (i === 20) lines.push("1001,2011-01-01 10:00:00,1");
  }
  return lines.join("\n") + '\n1002,2011-01-02 10:00:00,"3';
}

/** The file's pre-passes made ahead, once all are in; closed after `fn`. */
async function madeAhead<T>(
  files: { path: string; file: ReturnType<typeof fileConfig> }[],
  fn: (ahead: PrePasses) => T,
): Promise<T> {
  const ahead = new PrePasses();
  try {
    ahead.add(files);
    ahead.seal();
    await ahead.settled;
    return fn(ahead);
  } finally {
    ahead.close();
  }
}

Deno.test("ahead: a file read with its pre-pass made in the worker reads as when scanned here", async () => {
  await withTempDir(async (dir) => {
    const path = write(dir, "a.csv", messyCsv(500));
    const file = fileConfig({ columns: CTQP_COLUMNS });
    await madeAhead([{ path, file }], (ahead) => {
      const scan = ahead.take(path);
      assert.ok(scan, "the pre-pass came back from the worker");
      // The same pre-pass as made here, counts and problem rows included.
      assert.deepEqual(scan, scanDelimited(path, aheadOptions(file)!));
      assert.equal(scan.ragged, 1);
      assert.equal(scan.truncated, 1);
      assert.equal(scan.blankLines, 1);
      const read = ingestFile(path, file, {}, scan);
      const here = ingestFile(path, file);
      assert.ok(read.canonical.frameEqual(here.canonical, true));
      assert.deepEqual(read.summary, here.summary);
      assert.equal(read.rowsRead, 502);
      // Taken once.
      assert.equal(ahead.take(path), undefined);
    });
  });
});

Deno.test("ahead: a malformed file's pre-pass fails in the worker and the reader reports it", async () => {
  await withTempDir(async (dir) => {
    const bad = write(dir, "bad.csv", 'c,t,q,p\n1,2011-01-01 10:00:00,1,"2"x\n');
    const good = write(dir, "good.csv", messyCsv(30));
    const file = fileConfig({ columns: CTQP_COLUMNS });
    await madeAhead(
      [{ path: bad, file: { ...file, name: "bad.csv" } }, { path: good, file }],
      (ahead) => {
        assert.equal(ahead.take(bad), undefined, "no pre-pass for the malformed file");
        assert.ok(ahead.take(good), "the next file's pre-pass is still made");
        inputError(
          () => ingestFile(bad, { ...file, name: "bad.csv" }, {}, ahead.take(bad)),
          "bad.csv",
          /text after a closing quote/,
        );
      },
    );
  });
});

Deno.test("ahead: the reader uses the pre-pass it is given (a planted wrong one changes the outcome)", async () => {
  await withTempDir(async (dir) => {
    const messy = write(dir, "m.csv", messyCsv(40));
    const clean = write(dir, "c.csv", "c,t,q,p\n1,2011-01-01 10:00:00,1,2\n");
    const file = fileConfig({ columns: CTQP_COLUMNS });
    await madeAhead([{ path: messy, file }], (ahead) => {
      const wrong = ahead.take(messy)!;
      // The messy file's pre-pass handed to the clean file: its counts are used, and disagree.
      assert.throws(
        () => ingestFile(clean, file, {}, wrong),
        /the pre-pass counted 40 readable rows but the CSV reader read 1/,
      );
      // A preflight's sample never uses a whole file's pre-pass.
      const sample = openSource(clean, file, 5, wrong);
      sample.close();
      assert.equal(sample.rowsRead, 1);
    });
  });
});

Deno.test("ahead: files whose pre-pass cannot be made ahead start no worker", async () => {
  await withTempDir(async (dir) => {
    const path = write(dir, "w.txt", "c t q p\n1 2011-01-01T10:00:00 1 2\n");
    const latin = write(dir, "l.csv", "c,t,q,p\n1,2011-01-01 10:00:00,1,2\n");
    const files = [
      {
        path,
        file: fileConfig({
          name: "w.txt",
          format: "whitespace",
          header: true,
          columns: CTQP_COLUMNS,
        }),
      },
      {
        path: latin,
        file: fileConfig({ name: "l.csv", encoding: "latin1", columns: CTQP_COLUMNS }),
      },
    ];
    for (const f of files) assert.equal(aheadOptions(f.file), null);
    await madeAhead(files, (ahead) => {
      assert.equal(ahead.take(path), undefined);
      assert.equal(ahead.take(latin), undefined);
    });
  });
});

Deno.test("ahead: files added as they are found are pre-passed in order, until sealed", async () => {
  await withTempDir(async (dir) => {
    const a = write(dir, "a.csv", messyCsv(30));
    const b = write(dir, "b.csv", messyCsv(60));
    const file = fileConfig({ columns: CTQP_COLUMNS });
    const ahead = new PrePasses();
    try {
      let settled = false;
      ahead.settled.then(() => settled = true);
      ahead.add([{ path: a, file }]);
      // Not settled while more files may come, even once the first pre-pass is in.
      await new Promise((done) => setTimeout(done, 50));
      ahead.add([{ path: b, file }]);
      assert.equal(settled, false);
      ahead.seal();
      await ahead.settled;
      assert.deepEqual(ahead.take(a), scanDelimited(a, aheadOptions(file)!));
      assert.deepEqual(ahead.take(b), scanDelimited(b, aheadOptions(file)!));
      assert.throws(() => ahead.add([{ path: a, file }]), /added after seal/);
    } finally {
      ahead.close();
    }
  });
});

Deno.test("ahead: a reader waiting for a running pre-pass gets it; ingestOne waits for it", async () => {
  await withTempDir(async (dir) => {
    const path = write(dir, "a.csv", messyCsv(20_000));
    const file = fileConfig({ columns: CTQP_COLUMNS });
    const ahead = new PrePasses();
    try {
      ahead.add([{ path, file }]);
      const running = ahead.running(path);
      assert.ok(running, "queued and not in yet");
      assert.equal(ahead.take(path), undefined, "not in before it ends");
      await running;
      assert.equal(ahead.running(path), undefined, "no longer running once in");
      assert.equal(ahead.running(`${dir}/never-queued.csv`), undefined);
      const scan = ahead.take(path);
      assert.ok(scan, "in once awaited");
      assert.deepEqual(scan, scanDelimited(path, aheadOptions(file)!));
    } finally {
      ahead.close();
    }
    // The build's step: it yields the running pre-pass, so that the reader takes it.
    const again = new PrePasses();
    try {
      again.add([{ path, file }]);
      const steps = ingestOne(
        dataset({ files: [fileJson({ name: "a.csv", path, columns: CTQP_COLUMNS })] }),
        { file, path },
        new Progress(() => {}),
        ingestCounts(),
        again,
      );
      const first = steps.next();
      assert.equal(first.done, false);
      assert.ok(first.value instanceof Promise, "the step waits for the pre-pass");
      await first.value;
      const last = steps.next();
      assert.equal(last.done, true);
      assert.equal(again.take(path), undefined, "the reader took the pre-pass");
    } finally {
      again.close();
    }
  });
});
