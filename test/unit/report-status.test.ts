import { decideStatus, worstStatus } from '../../src/report/index.js';
import type { Counts, RunStatus } from '../../src/types.js';

const counts = (over: Partial<Counts>): Counts => ({ rows: 0, invalid: 0, duplicates: 0, customers: 0, updated: 0, notFound: 0, failed: 0, ...over });
const none = { rejected: false, interrupted: false, authFailed: false };

describe('decideStatus', () => {
  test.each<[string, Partial<Counts>, Partial<typeof none>, RunStatus]>([
    ['every customer updated or not found', { customers: 3, updated: 2, notFound: 1 }, {}, 'succeeded'],
    ['no customers at all (header only)', {}, {}, 'succeeded'],
    ['only invalid and duplicate rows', { rows: 2, invalid: 1, duplicates: 1 }, {}, 'succeeded'],
    ['some customers failed', { customers: 3, updated: 2, failed: 1 }, {}, 'partial'],
    ['only not_found delivered, some failed', { customers: 2, notFound: 1, failed: 1 }, {}, 'partial'],
    ['every customer failed', { customers: 2, failed: 2 }, {}, 'failed'],
    ['credentials rejected', { customers: 2, updated: 1 }, { authFailed: true }, 'failed'],
    ['stopped by a signal', { customers: 2, updated: 1, failed: 1 }, { interrupted: true }, 'interrupted'],
    ['input rejected before sending', { rows: 10, invalid: 9 }, { rejected: true }, 'rejected'],
    ['rejected wins over interrupted', {}, { rejected: true, interrupted: true }, 'rejected'],
    ['interrupted wins over credentials rejected', {}, { interrupted: true, authFailed: true }, 'interrupted'],
  ])('%s → %s', (_name, given, facts, expected) => {
    expect(decideStatus(counts(given), { ...none, ...facts })).toBe(expected);
  });
});

describe('worstStatus', () => {
  test('orders rejected > interrupted > failed > partial > succeeded', () => {
    expect(worstStatus(['succeeded', 'partial', 'succeeded'])).toBe('partial');
    expect(worstStatus(['partial', 'failed'])).toBe('failed');
    expect(worstStatus(['failed', 'interrupted', 'partial'])).toBe('interrupted');
    expect(worstStatus(['interrupted', 'rejected'])).toBe('rejected');
    expect(worstStatus(['succeeded'])).toBe('succeeded');
  });
});
