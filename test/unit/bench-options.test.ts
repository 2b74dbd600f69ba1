import { BENCH_DEFAULTS, choosePhases, parseBenchArgs, PHASES } from '../../tools/bench/options.js';

describe('parseBenchArgs', () => {
  it('measures 1M rows and every phase but the moonshot by default', () => {
    expect(parseBenchArgs([])).toEqual({
      ok: true,
      options: {
        rows: 1_000_000,
        largeCustomers: 10_000_000,
        quick: false,
        phases: ['startup', 'dry', 'rate', 'over-asked', 'index', 'unsorted', 'send', 'send-10m', 'night'],
        skipped: [{ phase: 'moonshot', reason: 'skipped (npm run bench -- --moonshot)' }],
        rateRequests: BENCH_DEFAULTS.rateRequests,
        overAskedRequests: BENCH_DEFAULTS.overAskedRequests,
        nightCustomers: 2_000_000,
        moonshotCustomers: 10_000_000,
        profileDir: undefined,
      },
    });
  });

  it('skips the 10M phases and shrinks the data with --quick, saying how to run each', () => {
    const parsed = parseBenchArgs(['--quick']);
    expect(parsed).toMatchObject({
      ok: true,
      options: { rows: BENCH_DEFAULTS.quickRows, phases: ['startup', 'dry', 'rate', 'over-asked', 'send', 'night'] },
    });
    expect(parsed.ok && 'options' in parsed && parsed.options.skipped).toEqual([
      { phase: 'index', reason: 'skipped (--quick; npm run bench -- --only index)' },
      { phase: 'unsorted', reason: 'skipped (--quick; npm run bench -- --only unsorted)' },
      { phase: 'send-10m', reason: 'skipped (--quick; npm run bench -- --only send-10m)' },
      { phase: 'moonshot', reason: 'skipped (npm run bench -- --moonshot)' },
    ]);
  });

  it('takes --rows, with or without digit separators', () => {
    expect(parseBenchArgs(['--rows', '250_000'])).toMatchObject({ ok: true, options: { rows: 250_000 } });
    expect(parseBenchArgs(['--quick', '--rows=5000'])).toMatchObject({ ok: true, options: { rows: 5000, quick: true } });
  });

  it('takes --large for the 10M phases, at least 1000', () => {
    expect(parseBenchArgs(['--large', '2_000_000'])).toMatchObject({ ok: true, options: { largeCustomers: 2_000_000 } });
    expect(parseBenchArgs(['--large', '999'])).toEqual({
      ok: false,
      problem: "--large must be a whole number of at least 1000 (got '999')",
    });
  });

  it.each(['0', '-5', '1e6', 'many', '1.5'])('names --rows and the bad value %s', (value) => {
    expect(parseBenchArgs([`--rows=${value}`])).toEqual({
      ok: false,
      problem: `--rows must be a whole number of at least 1 (got '${value}')`,
    });
  });

  it('measures the incremental night on 2M customers, fewer with --quick, or as many as asked', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ ok: true, options: { nightCustomers: BENCH_DEFAULTS.quickNightCustomers } });
    expect(parseBenchArgs(['--night-customers', '500_000'])).toMatchObject({ ok: true, options: { nightCustomers: 500_000 } });
    expect(parseBenchArgs(['--night-customers', '99'])).toEqual({
      ok: false,
      problem: "--night-customers must be a whole number of at least 100 (got '99')",
    });
  });

  it('runs the moonshot only when asked, on 10M customers or as many as asked', () => {
    expect(parseBenchArgs(['--moonshot'])).toMatchObject({ ok: true, options: { moonshotCustomers: 10_000_000, skipped: [] } });
    const parsed = parseBenchArgs(['--moonshot-customers=1_000_000']);
    expect(parsed).toMatchObject({ ok: true, options: { moonshotCustomers: 1_000_000 } });
    expect(parsed.ok && 'options' in parsed && parsed.options.phases.at(-1)).toBe('moonshot');
    expect(parseBenchArgs(['--moonshot-customers=lots'])).toEqual({
      ok: false,
      problem: "--moonshot-customers must be a whole number of at least 100 (got 'lots')",
    });
  });

  it('runs only the phases --only names, in the usual order, repeated or comma-separated', () => {
    expect(parseBenchArgs(['--only', 'send,dry'])).toMatchObject({ ok: true, options: { phases: ['dry', 'send'], skipped: [] } });
    expect(parseBenchArgs(['--only', 'rate', '--only=startup'])).toMatchObject({ ok: true, options: { phases: ['startup', 'rate'] } });
  });

  it('runs a 10M phase or the moonshot that --only names, even with --quick', () => {
    expect(parseBenchArgs(['--quick', '--only', 'unsorted,moonshot'])).toMatchObject({
      ok: true,
      options: { phases: ['unsorted', 'moonshot'], skipped: [] },
    });
  });

  it('names an unknown or empty --only phase, with the phases there are', () => {
    expect(parseBenchArgs(['--only', 'dry,fast'])).toEqual({
      ok: false,
      problem: `--only: no phase named 'fast' (any of: ${PHASES.join(', ')})`,
    });
    expect(parseBenchArgs(['--only', ','])).toEqual({
      ok: false,
      problem: `--only needs at least one phase (any of: ${PHASES.join(', ')})`,
    });
  });

  it('takes a profile dir, and --only-incremental as --only night (and moonshot when asked)', () => {
    expect(parseBenchArgs(['--cpu-prof', '/tmp/p', '--only-incremental'])).toMatchObject({
      ok: true,
      options: { profileDir: '/tmp/p', phases: ['night'] },
    });
    expect(parseBenchArgs(['--only-incremental', '--moonshot'])).toMatchObject({ ok: true, options: { phases: ['night', 'moonshot'] } });
  });

  it('reports an unknown flag as a problem instead of throwing', () => {
    const parsed = parseBenchArgs(['--row', '5']);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.problem).toMatch(/--row/);
  });
});

describe('choosePhases', () => {
  it('lists every phase exactly once, run or skipped', () => {
    for (const quick of [false, true]) {
      for (const moonshot of [false, true]) {
        const { phases, skipped } = choosePhases(undefined, quick, moonshot);
        expect([...phases, ...skipped.map((s) => s.phase)].sort()).toEqual([...PHASES].sort());
      }
    }
  });
});
