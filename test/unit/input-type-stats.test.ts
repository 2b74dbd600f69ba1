import { ID_LIKE_MIN_VALUES, MAX_DISTINCT, TypeStats, describeDistinct } from '../../src/pipeline/input/type-stats.js';

function feed(stats: TypeStats, type: string, values: Iterable<string>): void {
  for (const value of values) stats.add(type, value);
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

describe('TypeStats', () => {
  test('counts distinct values and lists the 3 most common, first seen first on ties', () => {
    const stats = new TypeStats();
    feed(stats, 'tier', ['silver', 'gold', 'gold', 'bronze', 'silver', 'platinum', 'bronze']);
    expect(stats.stats()).toEqual([
      {
        type: 'tier',
        distinct: 4,
        distinctCapped: false,
        values: 7,
        top: [
          ['silver', 2],
          ['gold', 2],
          ['bronze', 2],
        ],
      },
    ]);
  });

  test('declared types keep their order and appear with no values', () => {
    const stats = new TypeStats();
    stats.declare('tier');
    stats.declare('region');
    stats.add('region', 'north');
    expect(stats.types()).toEqual(['tier', 'region']);
    expect(stats.stats()[0]).toMatchObject({ type: 'tier', distinct: 0, values: 0, top: [] });
  });

  test('stops tracking new values past the cap, and says "more than"', () => {
    const stats = new TypeStats(10, 5);
    feed(
      stats,
      'email',
      range(8, (i) => `u${i}@x`),
    );
    const [stat] = stats.stats();
    expect(stat).toMatchObject({ distinct: 6, distinctCapped: true, values: 8 });
    expect(describeDistinct(stat!)).toBe('more than 5 distinct of 8 values');
  });

  test('tracks at most maxTypes types, and says it was capped', () => {
    const stats = new TypeStats(2);
    for (const type of ['a', 'b', 'c']) stats.add(type, 'v');
    expect(stats.types()).toEqual(['a', 'b']);
    expect(stats.typesCapped).toBe(true);
  });
});

describe('the "not a segment column" rule (TypeStats.idLike)', () => {
  const idLikeTypes = (stats: TypeStats): string[] => stats.idLike().map((s) => s.type);

  test('a unique email column of 2,000 rows is id-like; a tier column with a handful of values is not', () => {
    const stats = new TypeStats();
    feed(
      stats,
      'email',
      range(2000, (i) => `customer${i}@example.com`),
    );
    feed(
      stats,
      'tier',
      range(2000, (i) => ['gold', 'silver', 'bronze', 'platinum'][i % 4] as string),
    );
    expect(idLikeTypes(stats)).toEqual(['email']);
  });

  test(`a column with fewer than ${ID_LIKE_MIN_VALUES} values is never id-like`, () => {
    const stats = new TypeStats();
    feed(
      stats,
      'email',
      range(ID_LIKE_MIN_VALUES - 1, (i) => `u${i}`),
    );
    expect(idLikeTypes(stats)).toEqual([]);
    stats.add('email', 'one more');
    expect(idLikeTypes(stats)).toEqual(['email']);
  });

  test('"more than half distinct" is the line', () => {
    const half = new TypeStats();
    feed(
      half,
      'c',
      range(100, (i) => `v${i % 50}`),
    ); // 50 distinct of 100
    expect(idLikeTypes(half)).toEqual([]);
    const more = new TypeStats();
    feed(
      more,
      'c',
      range(100, (i) => `v${i % 51}`),
    ); // 51 distinct of 100
    expect(idLikeTypes(more)).toEqual(['c']);
  });

  test('past the cap, the share is measured up to the first value beyond the cap', () => {
    // A segment with a long tail (a city: a few big ones, thousands of small ones) is not id-like.
    const city = new TypeStats();
    feed(
      city,
      'city',
      range(200_000, (i) => (i % 10 === 0 ? `town${(i / 10) % 5000}` : `city${i % 20}`)),
    );
    expect(city.stats()[0]).toMatchObject({ distinctCapped: true });
    expect(idLikeTypes(city)).toEqual([]);
    // A timestamp: new values all the time, the cap is reached at once.
    const time = new TypeStats();
    feed(
      time,
      'exported_at',
      range(200_000, (i) => `2026-11-21T02:${String(i).padStart(8, '0')}`),
    );
    expect(idLikeTypes(time)).toEqual(['exported_at']);
    expect(describeDistinct(time.idLike()[0]!)).toBe(`more than ${MAX_DISTINCT} distinct of 200000 values`);
  });

  test('memory stays bounded: at most MAX_DISTINCT values are kept per type', () => {
    const stats = new TypeStats();
    feed(
      stats,
      'id',
      range(50_000, (i) => `id-${i}`),
    );
    const [stat] = stats.stats();
    expect(stat).toMatchObject({ distinct: MAX_DISTINCT + 1, distinctCapped: true, values: 50_000 });
  });
});
