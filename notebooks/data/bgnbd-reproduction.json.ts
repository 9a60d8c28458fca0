/**
 * Data loader: the check of the workspace's BG/NBD implementation against its published
 * benchmark, for the Loyalty page. Fader, Hardie & Lee (2005) fit the model to the CDNOW 1/10th
 * sample (2,357 customers, 39-week calibration period ending 1997-09-30, weeks as the time unit)
 * and publish r = 0.243, α = 4.414, a = 0.793, b = 2.426 and a log-likelihood of −9,582.4; this
 * loader fits `src/model/bgnbd.ts` (the code of the BG/NBD baseline) to the same file and gives
 * both, with whether each estimate agrees at the published precision.
 *
 * The sample is looked for where the datasets are mirrored (`$RFM_DATA_MIRROR/cdnow/`, then
 * `../shared/datasets/cdnow/`); without it: `{"available": false, "looked": [...]}`.
 */
import { join, resolve } from "node:path";
import { fitBgNbd, summariseCalibration } from "../../src/model/bgnbd.ts";
import { emit, ROOT } from "./_outputs.ts";
import { MIRROR_ENV } from "../../src/acquire/resolve.ts";

/** The published estimates and the precision they are given to (decimals). */
const PUBLISHED = [
  { name: "r", value: 0.243, decimals: 3 },
  { name: "alpha", value: 4.414, decimals: 3 },
  { name: "a", value: 0.793, decimals: 3 },
  { name: "b", value: 2.426, decimals: 3 },
  { name: "logLikelihood", value: -9582.4, decimals: 1 },
] as const;

const mirror = Deno.env.get(MIRROR_ENV);
const looked = [
  ...(mirror ? [join(resolve(mirror), "cdnow", "CDNOW_sample.txt")] : []),
  resolve(ROOT, "..", "shared", "datasets", "cdnow", "CDNOW_sample.txt"),
];
let text: string | null = null;
let path = "";
for (const p of looked) {
  try {
    text = await Deno.readTextFile(p);
    path = p;
    break;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw new Error(`${p}: ${(e as Error).message}`);
  }
}

if (text === null) {
  emit({
    available: false,
    looked: looked.map((p) => p.replace(`${resolve(ROOT, "..")}/`, "../")),
  });
} else {
  // master id, sample id (1–2,357), YYYYMMDD, CDs, dollars; whitespace separated, no header.
  const purchases = text.split("\n").filter((l) => l.trim() !== "").map((line, i) => {
    const [, id, d] = line.trim().split(/\s+/);
    if (!/^\d+$/.test(id ?? "") || !/^\d{8}$/.test(d ?? "")) {
      throw new Error(`${path}: line ${i + 1} is not "master-id sample-id YYYYMMDD …"`);
    }
    return { customer: Number(id), date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` };
  });
  const data = summariseCalibration(purchases, "1997-09-30", 7);
  const model = fitBgNbd(data);
  const estimates = PUBLISHED.map((p) => {
    const value = model[p.name];
    return {
      name: p.name,
      published: p.value,
      decimals: p.decimals,
      estimate: Math.round(value * 1e6) / 1e6,
      agrees: value.toFixed(p.decimals) === p.value.toFixed(p.decimals),
    };
  });
  emit({
    available: true,
    file: "CDNOW_sample.txt",
    purchases: purchases.length,
    customers: data.customers.length,
    repeatPurchases: data.x.reduce((s, v) => s + v, 0),
    calibrationEnd: "1997-09-30",
    unitDays: 7,
    converged: model.converged,
    estimates,
    allAgree: model.converged && estimates.every((e) => e.agrees),
    reference:
      "Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). “Counting your customers” the easy way: an alternative to the Pareto/NBD model. Marketing Science 24(2), 275–284.",
  });
}
