/**
 * The reference the neighbour-search tests compare with: brute force over every point, ranked by
 * (squared weighted distance, index), keeping the shortest prefix holding `k` customers (each
 * point stands for `mass[i]` customers).
 */
export function bruteMass(
  points: number[][],
  mass: number[],
  w: number[],
  q: number[],
  k: number,
): { index: number; distance: number; take: number }[] {
  const all = points.map((p, index) => {
    let s = 0;
    for (let j = 0; j < q.length; j++) {
      if (w[j] === 0) continue;
      const t = q[j] * Math.sqrt(w[j]) - p[j] * Math.sqrt(w[j]);
      s += t * t;
    }
    return { index, sq: s };
  });
  all.sort((a, b) => a.sq - b.sq || a.index - b.index);
  const out: { index: number; distance: number; take: number }[] = [];
  let cum = 0;
  for (const a of all) {
    if (cum >= k) break;
    const take = Math.min(mass[a.index], k - cum);
    cum += take;
    out.push({ index: a.index, distance: Math.sqrt(a.sq), take });
  }
  return out;
}
