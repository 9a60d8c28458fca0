/**
 * A small deterministic gradient-boosted trees classifier (multi-class, softmax loss), the
 * "standard model" baseline of the loyalty model. Pure, no dependency, no randomness.
 *
 * Each feature is cut into at most `bins` bins at its training quantiles (distinct values only);
 * every round fits one regression tree per class to the softmax loss's gradients, grown level by
 * level to `depth` with second-order (Newton) split gains G²/(H + λ), λ = 1, leaves of at least
 * `minLeaf` rows, leaf values −G/(H + λ) · (C − 1)/C scaled by the learning rate (Friedman's
 * multi-class boosting, as in XGBoost / LightGBM's histogram method). Ties between splits go to
 * the first feature, then the lower threshold, so a fit depends only on its data.
 *
 * @module
 */
import { firstAtLeast } from "../lib/sorted.ts";

/** One tree: internal nodes split `feature ≤ threshold` (bin index), leaves hold values. */
export interface GbmTree {
  /** Per node: feature index, or −1 for a leaf. */
  feature: number[];
  /** Per node: the largest bin index going left. */
  bin: number[];
  /** Per node: left and right child (−1 for a leaf). */
  left: number[];
  right: number[];
  /** Per node: the leaf value (0 for internal nodes). */
  value: number[];
}

/** A fitted model (plain data). */
export interface GbmModel {
  nClasses: number;
  /** Per feature, the bin upper edges (a value ≤ edges[b] falls in bin b or lower). */
  edges: number[][];
  /** Initial score per class (log of the class shares). */
  init: number[];
  /** Per round, one tree per class. */
  trees: GbmTree[][];
}

/** Options of {@link fitGbm}. */
export interface GbmOptions {
  rounds: number;
  depth: number;
  learningRate: number;
  bins: number;
  minLeaf: number;
}

const LAMBDA = 1;

/** Quantile bin edges of one column: up to `bins − 1` distinct cut values (the last bin is open). */
function binEdges(values: ArrayLike<number>, bins: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const v = sorted[Math.min(n - 1, Math.floor((b * n) / bins))];
    if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
  }
  // The largest value needs no edge (it is in the open last bin).
  while (edges.length > 0 && edges[edges.length - 1] >= sorted[n - 1]) edges.pop();
  return edges;
}

/** Bin of a value: the number of edges strictly below it. */
function binOf(edges: readonly number[], v: number): number {
  return firstAtLeast(edges, v);
}

/** Bin indices, row-major (n × d): each row's bins lie together, as a histogram pass reads them. */
function binRows(X: readonly (readonly number[])[], edges: readonly number[][]): Uint8Array {
  const d = edges.length;
  const out = new Uint8Array(X.length * d);
  X.forEach((r, i) => {
    for (let j = 0; j < d; j++) out[i * d + j] = binOf(edges[j], r[j]);
  });
  return out;
}

/** Per row, the index of its group of rows with the same bins (first-seen order). */
function binGroups(
  binned: Uint8Array,
  n: number,
  d: number,
): { group: Int32Array; groups: number } {
  const at = new Map<string, number>();
  const group = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = String.fromCharCode(...binned.subarray(i * d, i * d + d));
    let q = at.get(key);
    if (q === undefined) {
      q = at.size;
      at.set(key, q);
    }
    group[i] = q;
  }
  return { group, groups: at.size };
}

function softmax(scores: readonly number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const t = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / t);
}

/** What every tree of a fit shares: histogram layout, the root's bin counts, scratch space. */
interface Root {
  offset: Int32Array;
  width: number;
  /** Per row and feature (row-major, n × d): 2 × the bin's place in the histograms. */
  slot: Int32Array;
  /** Per feature and row (column-major, d × n): the bin index (for splitting a node's rows). */
  columns: Uint8Array;
  counts: Int32Array;
  /** The rows of the nodes of a level, each node a range (reused by every tree). */
  order: Int32Array;
  /** Scratch space for splitting a node's rows. */
  right: Int32Array;
}

/** A node being grown: its rows (a range of `Root.order`) and histograms (features in turn). */
interface Growing {
  id: number;
  start: number;
  end: number;
  /** Gradient and hessian sums per bin, interleaved: G at 2b, H at 2b + 1. */
  GH: Float64Array;
  N: Int32Array;
  sumG: number;
  sumH: number;
}

/**
 * Grows one tree on gradients g and hessians h over binned columns, level by level. A node's
 * histograms are built by one pass over its rows for the smaller child of a split, and by
 * subtraction from the parent for the larger one. A node's rows are a range of `root.order`, in
 * ascending row order (every sum runs in row order).
 */
function growTree(
  nBins: number[],
  g: Float64Array,
  h: Float64Array,
  opts: GbmOptions,
  scale: number,
  root: Root,
  leafOf: Int32Array,
): GbmTree {
  const n = g.length;
  const d = nBins.length;
  const { offset, width, slot, columns, order } = root;
  const tree: GbmTree = { feature: [-1], bin: [0], left: [-1], right: [-1], value: [0] };
  // The same sums in the same order as one pass per node over its rows (in row order).
  // Rows order[start..end) added to their bins' gradient and hessian sums (and to the bin counts
  // N, when given), in row order; returns the node's sums.
  const accumulate = (GH: Float64Array, N: Int32Array | null, start: number, end: number) => {
    let sumG = 0;
    let sumH = 0;
    for (let t = start; t < end; t++) {
      const i = order[t];
      const gi = g[i];
      const hi = h[i];
      sumG += gi;
      sumH += hi;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const b = slot[base + j];
        GH[b] += gi;
        GH[b + 1] += hi;
        if (N) N[b >> 1]++;
      }
    }
    return { sumG, sumH };
  };
  const histogram = (id: number, start: number, end: number): Growing => {
    const GH = new Float64Array(2 * width);
    const N = new Int32Array(width);
    return { id, start, end, GH, N, ...accumulate(GH, N, start, end) };
  };
  const noBins = new Float64Array(0);
  const noCounts = new Int32Array(0);
  // A node that will not be split (the last level): its sums only, in the same order.
  const sums = (id: number, start: number, end: number): Growing => {
    let sumG = 0;
    let sumH = 0;
    for (let t = start; t < end; t++) {
      const i = order[t];
      sumG += g[i];
      sumH += h[i];
    }
    return { id, start, end, GH: noBins, N: noCounts, sumG, sumH };
  };
  // The root: every row in order; its bin counts do not depend on the gradients.
  const rootNode = (): Growing => {
    for (let i = 0; i < n; i++) order[i] = i;
    const GH = new Float64Array(2 * width);
    return { id: 0, start: 0, end: n, GH, N: root.counts, ...accumulate(GH, null, 0, n) };
  };
  const leaves: Growing[] = [];
  let frontier: Growing[] = [rootNode()];
  for (let level = 0; level < opts.depth && frontier.length > 0; level++) {
    const next: Growing[] = [];
    const last = level === opts.depth - 1;
    for (const node of frontier) {
      const { GH, N, sumG, sumH } = node;
      const total = node.end - node.start;
      const parent = (sumG * sumG) / (sumH + LAMBDA);
      let bestGain = 1e-12;
      let bestJ = -1;
      let bestB = -1;
      for (let j = 0; j < d; j++) {
        let gl = 0;
        let hl = 0;
        let nl = 0;
        const base = offset[j];
        for (let b = 0; b < nBins[j] - 1; b++) {
          gl += GH[2 * (base + b)];
          hl += GH[2 * (base + b) + 1];
          nl += N[base + b];
          const nr = total - nl;
          if (nl < opts.minLeaf) continue;
          if (nr < opts.minLeaf) break;
          const gr = sumG - gl;
          const hr = sumH - hl;
          const gain = (gl * gl) / (hl + LAMBDA) + (gr * gr) / (hr + LAMBDA) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestJ = j;
            bestB = b;
          }
        }
      }
      if (bestJ < 0) {
        leaves.push(node);
        continue;
      }
      // A stable partition of the node's range: left rows in place, right rows after them
      // (both sides stay in ascending row order).
      const col = bestJ * n;
      const right = root.right;
      let a = node.start;
      let c = 0;
      for (let t = node.start; t < node.end; t++) {
        const i = order[t];
        if (columns[col + i] <= bestB) order[a++] = i;
        else right[c++] = i;
      }
      const mid = a;
      order.set(right.subarray(0, c), mid);
      const nLeft = mid - node.start;
      const l = tree.feature.length;
      const r = l + 1;
      for (let k = 0; k < 2; k++) {
        tree.feature.push(-1);
        tree.bin.push(0);
        tree.left.push(-1);
        tree.right.push(-1);
        tree.value.push(0);
      }
      tree.feature[node.id] = bestJ;
      tree.bin[node.id] = bestB;
      tree.left[node.id] = l;
      tree.right[node.id] = r;
      // The smaller child by a pass over its rows, the larger by subtraction; on the last level
      // the children are leaves, which need their sums only.
      const leftSmaller = nLeft <= total - nLeft;
      const pass = last ? sums : histogram;
      const small = leftSmaller ? pass(l, node.start, mid) : pass(r, mid, node.end);
      let GH2 = noBins;
      let N2 = noCounts;
      if (!last) {
        GH2 = new Float64Array(2 * width);
        N2 = new Int32Array(width);
        for (let b = 0; b < 2 * width; b++) GH2[b] = GH[b] - small.GH[b];
        for (let b = 0; b < width; b++) N2[b] = N[b] - small.N[b];
      }
      const large: Growing = {
        id: leftSmaller ? r : l,
        start: leftSmaller ? mid : node.start,
        end: leftSmaller ? node.end : mid,
        GH: GH2,
        N: N2,
        sumG: sumG - small.sumG,
        sumH: sumH - small.sumH,
      };
      next.push(...(leftSmaller ? [small, large] : [large, small]));
    }
    frontier = next;
  }
  for (const node of [...leaves, ...frontier]) {
    tree.value[node.id] = (-node.sumG / (node.sumH + LAMBDA)) * scale;
    for (let t = node.start; t < node.end; t++) leafOf[order[t]] = node.id;
  }
  return tree;
}

/** The leaf value of a tree for one binned row. */
function treeValue(tree: GbmTree, bins: ArrayLike<number>): number {
  const { feature, bin, left, right } = tree;
  let node = 0;
  while (feature[node] !== -1) {
    node = bins[feature[node]] <= bin[node] ? left[node] : right[node];
  }
  return tree.value[node];
}

/**
 * Fits gradient-boosted trees.
 *
 * @example
 * ```ts
 * import { fitGbm, predictGbm } from "./gbm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const X = Array.from({ length: 60 }, (_, i) => [i % 30, (i * 7) % 11]);
 * const y = X.map((r) => (r[0] < 10 ? 0 : r[0] < 20 ? 1 : 2));
 * const m = fitGbm(X, y, 3, { rounds: 30, depth: 2, learningRate: 0.3, bins: 16, minLeaf: 2 });
 * const p = predictGbm(m, [[2, 5], [15, 5], [28, 5]]);
 * deepEqual(p.map((q) => q.indexOf(Math.max(...q))), [0, 1, 2]);
 * ```
 *
 * @param X training rows (finite numbers)
 * @param y class per row
 * @param nClasses number of classes
 * @param opts rounds, depth, learning rate, bins, minimum rows per leaf
 */
export function fitGbm(
  X: readonly (readonly number[])[],
  y: readonly number[],
  nClasses: number,
  opts: GbmOptions,
): GbmModel {
  const n = X.length;
  if (n === 0 || y.length !== n) throw new RangeError("need rows with one class each");
  const d = X[0].length;
  const edges = Array.from(
    { length: d },
    (_, j) => binEdges(X.map((r) => r[j]), Math.min(opts.bins, 255)),
  );
  const binned = binRows(X, edges);
  const nBins = edges.map((e) => e.length + 1);
  const offset = new Int32Array(d + 1);
  for (let j = 0; j < d; j++) offset[j + 1] = offset[j] + nBins[j];
  const width = offset[d];
  const rootCounts = new Int32Array(width);
  const slot = new Int32Array(n * d);
  const columns = new Uint8Array(d * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const bin = binned[i * d + j];
      rootCounts[offset[j] + bin]++;
      slot[i * d + j] = 2 * (offset[j] + bin);
      columns[j * n + i] = bin;
    }
  }
  const root: Root = {
    offset,
    width,
    slot,
    columns,
    counts: rootCounts,
    order: new Int32Array(n),
    right: new Int32Array(n),
  };
  const counts = new Array<number>(nClasses).fill(0);
  for (const c of y) counts[c]++;
  const init = counts.map((c) => Math.log(Math.max(c, 1) / n));
  // Rows with the same bins fall in the same leaves: they share scores and probabilities, kept
  // once per group of such rows (row-major, groups × C).
  const { group, groups } = binGroups(binned, n, d);
  const F = new Float64Array(groups * nClasses);
  for (let q = 0; q < groups; q++) {
    for (let c = 0; c < nClasses; c++) F[q * nClasses + c] = init[c];
  }
  const P = new Float64Array(groups * nClasses);
  const trees: GbmTree[][] = [];
  const scale = opts.learningRate * (nClasses - 1) / nClasses;
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const leafOf = new Int32Array(n);
  const leafOfGroup = new Int32Array(groups);
  for (let round = 0; round < opts.rounds; round++) {
    for (let q = 0; q < groups; q++) {
      const o = q * nClasses;
      let m = -Infinity;
      for (let c = 0; c < nClasses; c++) m = Math.max(m, F[o + c]);
      let t = 0;
      for (let c = 0; c < nClasses; c++) {
        const e = Math.exp(F[o + c] - m);
        P[o + c] = e;
        t += e;
      }
      for (let c = 0; c < nClasses; c++) P[o + c] /= t;
    }
    const roundTrees: GbmTree[] = [];
    for (let c = 0; c < nClasses; c++) {
      for (let i = 0; i < n; i++) {
        const p = P[group[i] * nClasses + c];
        g[i] = p - (y[i] === c ? 1 : 0);
        h[i] = Math.max(p * (1 - p), 1e-12);
      }
      const tree = growTree(nBins, g, h, opts, scale, root, leafOf);
      roundTrees.push(tree);
      for (let i = 0; i < n; i++) leafOfGroup[group[i]] = leafOf[i];
      for (let q = 0; q < groups; q++) F[q * nClasses + c] += tree.value[leafOfGroup[q]];
    }
    trees.push(roundTrees);
  }
  return { nClasses, edges, init, trees };
}

/**
 * Class probabilities of a fitted model.
 *
 * @param model fitted model
 * @param X rows
 * @returns probabilities per row
 */
export function predictGbm(model: GbmModel, X: readonly (readonly number[])[]): number[][] {
  return X.map((r) => {
    const bins = r.map((v, j) => binOf(model.edges[j], v));
    const F = [...model.init];
    for (const round of model.trees) {
      round.forEach((tree, c) => (F[c] += treeValue(tree, bins)));
    }
    return softmax(F);
  });
}
