/**
 * Tests of the spreadsheet-safe CSV writer (src/lib/csv.ts): formula-like cells are neutralised,
 * numbers and every other byte stay as they were, and the result reads back with polars.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { csvField, isFormulaLike, safeCsv } from "../../src/lib/csv.ts";

Deno.test("csv: every trigger character is neutralised, plain numbers are not", () => {
  for (
    const v of ["=1+2", "+1+2", "-1+2", "@SUM(A1:A9)", "\tcmd", "\rcmd", "=", "-", "+x", "-e5"]
  ) {
    assert.equal(isFormulaLike(v), true, JSON.stringify(v));
  }
  for (const v of ["-12.5", "+3", "-0", "-.5", "1e-5", "-2E+10", "42", "Loyal", "", "a=b", " =1"]) {
    assert.equal(isFormulaLike(v), false, JSON.stringify(v));
  }
});

Deno.test("csv: a neutralised cell gets an apostrophe and quotes; quotes inside are doubled", () => {
  assert.equal(csvField(`=HYPERLINK("http://x","y")`), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvField("@evil"), `"'@evil"`);
  assert.equal(csvField("\t=1"), `"'\t=1"`);
  assert.equal(csvField("a,b"), `"a,b"`);
  assert.equal(csvField("line\nbreak"), `"line\nbreak"`);
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("-7"), "-7");
});

Deno.test("csv: a text without formula-like cells comes back byte for byte", () => {
  const texts = [
    "",
    "a,b\n1,2\n",
    'id,name\n1,"Smith, John"\n2,"say ""hi"""\n',
    "x,y\r\n-1.5,+2\r\n3,-4e3\r\n",
    'a,b\n"multi\nline",2\n',
    "a,b,\n1,2,\n",
    "no final newline,1",
  ];
  for (const t of texts) assert.equal(safeCsv(t), t, JSON.stringify(t));
});

Deno.test("csv: formula-like cells are neutralised wherever they are, the rest is untouched", () => {
  const text = [
    "customer_id,country,monetary,note",
    "=1+2,@evil,-12.5,ok",
    '42,"=cmd|\' /C calc\'!A0",3,"+sum, with comma"',
    '7,"\tlead tab",-0.25,"-x\nnext line"',
    "8,DE,+5,-",
    "",
  ].join("\n");
  const expected = [
    "customer_id,country,monetary,note",
    `"'=1+2","'@evil",-12.5,ok`,
    `42,"'=cmd|' /C calc'!A0",3,"'+sum, with comma"`,
    `7,"'\tlead tab",-0.25,"'-x\nnext line"`,
    `8,DE,+5,"'-"`,
    "",
  ].join("\n");
  assert.equal(safeCsv(text), expected);
  // CRLF line endings and a carriage return at the start of a quoted cell.
  assert.equal(safeCsv('a,b\r\n"\rx",1\r\n'), `a,b\r\n"'\rx",1\r\n`);
  // Idempotent: a neutralised text is left as it is.
  assert.equal(safeCsv(expected), expected);
});

Deno.test("csv: a malformed quoted field is an error, not silently wrong output", () => {
  assert.throws(() => safeCsv('a\n"=open'), /unterminated quoted field/);
  assert.throws(() => safeCsv('a\n"=x"y'), /unexpected character after a quoted field/);
});

Deno.test("csv: polars' own CSV of hostile text reads back as text, numbers stay numbers", () => {
  const df = pl.DataFrame({
    customer_id: ["=1+1", "+44 20 7946", "-5", "@bob", "\tx", "plain, with comma", 'q"uote'],
    monetary: [-12.5, 3, -0.25, 0, 1e6, 2, -7],
    frequency: [1, 2, 3, 4, 5, 6, 7],
  });
  const text = safeCsv(df.writeCSV().toString());
  const back = pl.readCSV(text, { quoteChar: '"' });
  assert.deepEqual(back.getColumn("customer_id").toArray(), [
    "'=1+1",
    "'+44 20 7946",
    "-5", // a number in a text column: a spreadsheet reads it as the number it is
    "'@bob",
    "'\tx",
    "plain, with comma",
    'q"uote',
  ]);
  assert.deepEqual(back.getColumn("monetary").toArray(), [-12.5, 3, -0.25, 0, 1e6, 2, -7]);
  assert.deepEqual(back.getColumn("frequency").toArray().map(Number), [1, 2, 3, 4, 5, 6, 7]);
});
