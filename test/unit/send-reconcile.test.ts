import { reconcile } from '../../src/pipeline/send/reconcile.js';

describe('reconcile', () => {
  it('marks listed ids updated and sent ids left out not_found, aligned with the request', () => {
    const result = reconcile(['a', 'b', 'c'], ['c', 'a']);
    expect(result.outcomes).toEqual(['updated', 'not_found', 'updated']);
    expect(result.unexpectedIds).toEqual([]);
  });

  it('reports ids the answer lists but the request did not hold, once each', () => {
    const result = reconcile(['a'], ['a', 'ghost', 'ghost', 'other']);
    expect(result.outcomes).toEqual(['updated']);
    expect(result.unexpectedIds).toEqual(['ghost', 'other']);
  });

  it('treats an empty answer as nobody found', () => {
    expect(reconcile(['a', 'b'], []).outcomes).toEqual(['not_found', 'not_found']);
  });
});
