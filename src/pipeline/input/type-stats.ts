/**
 * What the values of each segment type look like: distinct-value counts and the most common
 * values, for the plan shown before sending, and the "not a segment column" rule of the wide
 * layout. Memory is bounded whatever the file: at most MAX_TYPES types and MAX_DISTINCT distinct
 * values per type are tracked; past that the counts say "more than".
 */

/** Distinct values tracked per type; a type with more is reported as "more than" this. */
export const MAX_DISTINCT = 1000;
/** Types tracked (long and json layouts, where types come from the data). */
export const MAX_TYPES = 1000;
/** The "not a segment column" rule looks only at columns with at least this many values. */
export const ID_LIKE_MIN_VALUES = 50;
/** How many of the most common values the facts list per type. */
const TOP = 3;

export interface TypeStat {
  type: string;
  /** Distinct non-blank values; MAX_DISTINCT + 1 when `distinctCapped` (then: more than MAX_DISTINCT). */
  distinct: number;
  distinctCapped: boolean;
  /** Non-blank values seen. */
  values: number;
  /** The most common values with their counts, most common first (first seen first on ties). */
  top: [string, number][];
}

/** Distinct values per type compared with === before the map is asked (see ValueCounter.first). */
const FIRST_VALUES = 8;

/** The values of one type. */
export class ValueCounter {
  /** Value → count; the count is boxed so that a repeated value costs one lookup, not two. */
  readonly counts = new Map<string, { n: number }>();
  values = 0;
  /** Values seen when the first value beyond the cap of distinct ones came (new values are then not kept). */
  cappedAt: number | undefined;
  /**
   * The type's first FIRST_VALUES distinct values and their boxes (shared with `counts`). A cell's
   * value is a new string each row, which the map would hash before looking it up; a segment
   * column has a handful of values, and comparing a short string with each is cheaper (a tenth of a
   * narrow file's pass 1 was this count).
   */
  private readonly first: string[] = [];
  private readonly firstCounts: { n: number }[] = [];

  constructor(private readonly maxDistinct: number) {}

  add(value: string): void {
    this.values++;
    const { first } = this;
    for (let i = 0; i < first.length; i++) {
      if (first[i] === value) {
        // `as { n: number }`: firstCounts has an entry for every entry of first.
        (this.firstCounts[i] as { n: number }).n++;
        return;
      }
    }
    const count = this.counts.get(value);
    if (count !== undefined) {
      count.n++;
    } else if (this.counts.size < this.maxDistinct) {
      const box = { n: 1 };
      this.counts.set(value, box);
      if (first.length < FIRST_VALUES) {
        first.push(value);
        this.firstCounts.push(box);
      }
    } else {
      this.cappedAt ??= this.values;
    }
  }
}

export class TypeStats {
  private readonly entries = new Map<string, ValueCounter>();
  /** A type beyond maxTypes was seen (and not tracked). */
  typesCapped = false;

  constructor(
    private readonly maxTypes = MAX_TYPES,
    private readonly maxDistinct = MAX_DISTINCT,
  ) {}

  /** Registers a type with no value yet (wide: every segment column, in header order). */
  declare(type: string): void {
    this.counter(type);
  }

  /**
   * The counter of `type` (registered if new), undefined past maxTypes. The wide mapper holds one
   * per column, so that a cell costs no lookup by type name.
   */
  counter(type: string): ValueCounter | undefined {
    let entry = this.entries.get(type);
    if (entry === undefined) {
      if (this.entries.size >= this.maxTypes) {
        this.typesCapped = true;
        return undefined;
      }
      entry = new ValueCounter(this.maxDistinct);
      this.entries.set(type, entry);
    }
    return entry;
  }

  /** One non-blank value of `type`. */
  add(type: string, value: string): void {
    (this.entries.get(type) ?? this.counter(type))?.add(value);
  }

  /** The types seen or declared, in order of first appearance. */
  types(): string[] {
    return [...this.entries.keys()];
  }

  stats(): TypeStat[] {
    return [...this.entries].map(([type, entry]) => {
      const capped = entry.cappedAt !== undefined;
      // Array.prototype.sort is stable: ties keep the order of first appearance.
      const top = [...entry.counts]
        .map(([value, count]): [string, number] => [value, count.n])
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP);
      return { type, distinct: capped ? this.maxDistinct + 1 : entry.counts.size, distinctCapped: capped, values: entry.values, top };
    });
  }

  /**
   * The types whose values look like an identifier (an email, a name, an id, a timestamp), not a
   * segment. The rule: a type is id-like when it has at least ID_LIKE_MIN_VALUES non-blank values
   * and more than half of them are distinct. Segments are a handful of values shared by many
   * customers (tier: gold/silver/bronze); an email or a timestamp is nearly unique per row. Below
   * 50 values a small file cannot tell the two apart, so it is never refused by this rule.
   * With bounded memory the share is measured over the whole column while it has at most
   * MAX_DISTINCT distinct values, and otherwise over the column's values up to (and including)
   * the first one beyond MAX_DISTINCT distinct ones: MAX_DISTINCT + 1 distinct values within
   * fewer than 2 × (MAX_DISTINCT + 1) values is more than half distinct.
   * Limits, on purpose: a column whose values repeat a lot (first names, cities) is not refused
   * by itself, and past the cap the verdict rests on the first values of the column. The rule is
   * a guard against sending obvious identifiers, not a classifier; --segment-columns and
   * --ignore-columns say exactly what is sent and turn it off.
   */
  idLike(): TypeStat[] {
    return this.stats().filter((stat) => {
      if (stat.values < ID_LIKE_MIN_VALUES) return false;
      const entry = this.entries.get(stat.type) as ValueCounter;
      const distinct = stat.distinctCapped ? this.maxDistinct + 1 : stat.distinct;
      const values = entry.cappedAt ?? entry.values;
      return distinct * 2 > values;
    });
  }
}

/** "2000 distinct of 2000 values" / "more than 1000 distinct of 150000 values". */
export function describeDistinct(stat: TypeStat): string {
  const distinct = stat.distinctCapped ? `more than ${stat.distinct - 1}` : String(stat.distinct);
  return `${distinct} distinct of ${stat.values} values`;
}
