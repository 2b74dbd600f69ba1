/** Merges sorted async sources into one sorted stream, holding one item per source in memory. */

/**
 * The sources are shard reports: a handful, so the smallest head is found by a linear scan (a heap
 * only pays off with many sources). Each source must already be sorted by `compare`.
 */
export async function* mergeSorted<T>(sources: readonly AsyncIterable<T>[], compare: (a: T, b: T) => number): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  try {
    const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (;;) {
      const smallest = indexOfSmallest(heads, compare);
      if (smallest === undefined) return;
      yield (heads[smallest] as IteratorYieldResult<T>).value;
      // `as`: heads and iterators are parallel arrays, and `smallest` indexes heads.
      heads[smallest] = await (iterators[smallest] as AsyncIterator<T>).next();
    }
  } finally {
    // Early exit or an error in one source: close the others (their files) too.
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}

function indexOfSmallest<T>(heads: readonly IteratorResult<T>[], compare: (a: T, b: T) => number): number | undefined {
  let smallest: number | undefined;
  let smallestValue: T | undefined;
  heads.forEach((head, index) => {
    if (head.done) return;
    if (smallest === undefined || compare(head.value, smallestValue as T) < 0) {
      smallest = index;
      smallestValue = head.value;
    }
  });
  return smallest;
}
