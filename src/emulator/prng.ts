/**
 * mulberry32: a tiny seeded PRNG. Fault injection draws from it instead of Math.random so that a
 * failing fault run can be replayed with the same seed.
 */
export type Random = () => number;

/** Returns a generator of floats in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * True with probability `share`. Draws nothing when the fault is off, so a run with one fault
 * enabled makes the same choices whatever other faults exist but are off.
 */
export function chance(random: Random, share: number): boolean {
  return share > 0 && random() < share;
}

export function pick<T>(random: Random, choices: readonly [T, ...T[]]): T {
  return choices[Math.floor(random() * choices.length)] ?? choices[0];
}
