import { BENCH_DEFAULTS, parseBenchArgs } from '../../tools/bench/options.js';

describe('parseBenchArgs', () => {
  it('measures 1M rows and the 10M-id index by default', () => {
    expect(parseBenchArgs([])).toEqual({
      ok: true,
      options: {
        rows: 1_000_000,
        quick: false,
        indexIds: 10_000_000,
        rateRequests: BENCH_DEFAULTS.rateRequests,
        overAskedRequests: BENCH_DEFAULTS.overAskedRequests,
        nightCustomers: 2_000_000,
        moonshotCustomers: undefined,
        profileDir: undefined,
        onlyIncremental: false,
      },
    });
  });

  it('skips the id index and shrinks the data with --quick', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ ok: true, options: { rows: BENCH_DEFAULTS.quickRows, indexIds: undefined } });
  });

  it('takes --rows, with or without digit separators', () => {
    expect(parseBenchArgs(['--rows', '250_000'])).toMatchObject({ ok: true, options: { rows: 250_000 } });
    expect(parseBenchArgs(['--quick', '--rows=5000'])).toMatchObject({ ok: true, options: { rows: 5000, quick: true } });
  });

  it.each(['0', '-5', '1e6', 'many', '1.5'])('names --rows and the bad value %s', (value) => {
    expect(parseBenchArgs([`--rows=${value}`])).toEqual({ ok: false, problem: `--rows must be a whole number of at least 1 (got '${value}')` });
  });

  it('measures the incremental night on 2M customers, fewer with --quick, or as many as asked', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ ok: true, options: { nightCustomers: BENCH_DEFAULTS.quickNightCustomers } });
    expect(parseBenchArgs(['--night-customers', '500_000'])).toMatchObject({ ok: true, options: { nightCustomers: 500_000 } });
    expect(parseBenchArgs(['--night-customers', '99'])).toEqual({ ok: false, problem: "--night-customers must be a whole number of at least 100 (got '99')" });
  });

  it('runs the moonshot only when asked, on 10M customers or as many as asked', () => {
    expect(parseBenchArgs(['--moonshot'])).toMatchObject({ ok: true, options: { moonshotCustomers: 10_000_000 } });
    expect(parseBenchArgs(['--moonshot-customers=1_000_000'])).toMatchObject({ ok: true, options: { moonshotCustomers: 1_000_000 } });
    expect(parseBenchArgs(['--moonshot-customers=lots'])).toEqual({ ok: false, problem: "--moonshot-customers must be a whole number of at least 100 (got 'lots')" });
  });

  it('takes a profile dir and --only-incremental', () => {
    expect(parseBenchArgs(['--cpu-prof', '/tmp/p', '--only-incremental'])).toMatchObject({ ok: true, options: { profileDir: '/tmp/p', onlyIncremental: true } });
  });

  it('reports an unknown flag as a problem instead of throwing', () => {
    const parsed = parseBenchArgs(['--row', '5']);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.problem).toMatch(/--row/);
  });
});
