import { fileOf, formatProfile, summariseProfile, type CpuProfile } from '../../tools/bench/profile.js';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

describe('fileOf', () => {
  it('shortens our files, packages, Node internals and VM entries', () => {
    expect(fileOf('file:///work/main/dist/state/segment-state.js', 'x')).toBe('dist/state/segment-state.js');
    expect(fileOf('file:///w/node_modules/better-sqlite3/lib/methods/wrappers.js', 'x')).toBe('node_modules/better-sqlite3');
    expect(fileOf('file:///w/node_modules/@swc/core/index.js', 'x')).toBe('node_modules/@swc/core');
    expect(fileOf('node:internal/streams/readable', 'x')).toBe('node:internal/streams/readable');
    expect(fileOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(fileOf('', 'run')).toBe('(native)');
  });
});

describe('summariseProfile', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '') },
      { id: 2, callFrame: frame('parse', 'file:///w/node_modules/csv-parse/dist/esm/index.js', 69) },
      { id: 3, callFrame: frame('stage', 'file:///w/dist/state/segment-state.js', 9) },
      { id: 4, callFrame: frame('record', 'file:///w/dist/state/segment-state.js', 19) },
      { id: 5, callFrame: frame('(garbage collector)', '') },
    ],
    samples: [2, 3, 2, 4, 5, 2],
    timeDeltas: [1000, 2000, 1000, 500, 500, 1000],
  };

  it('adds up self time per file and per function, largest first, with shares', () => {
    const s = summariseProfile(profile);
    expect(s.totalMs).toBe(6);
    expect(s.byFile).toEqual([
      { name: 'node_modules/csv-parse', selfMs: 3, share: 0.5 },
      { name: 'dist/state/segment-state.js', selfMs: 2.5, share: 2.5 / 6 },
      { name: '(garbage collector)', selfMs: 0.5, share: 0.5 / 6 },
    ]);
    expect(s.byFunction.map((f) => f.name)).toEqual([
      'parse node_modules/csv-parse:70',
      'stage dist/state/segment-state.js:10',
      '(garbage collector)',
      'record dist/state/segment-state.js:20',
    ]);
  });

  it('prints the top entries with their shares', () => {
    const text = formatProfile(summariseProfile(profile), 1);
    expect(text.split('\n')).toEqual([
      'Sampled 0.01 s. Self time by file:',
      '   50.0%     0.00 s  node_modules/csv-parse',
      'Self time by function:',
      '   50.0%     0.00 s  parse node_modules/csv-parse:70',
    ]);
  });
});
