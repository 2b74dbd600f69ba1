import { runFingerprint, type FingerprintInput } from '../../src/state/fingerprint.js';

const base: FingerprintInput = {
  inputs: [{ sha256: 'a'.repeat(64) }, { sha256: 'b'.repeat(64) }],
  endpoint: 'http://127.0.0.1:8080/api/v3/customers/segments',
  idColumn: 'document_id',
  layout: 'wide',
  delimiter: ',',
  skipEmpty: false,
  shard: { index: 0, count: 2 },
};

describe('runFingerprint', () => {
  it('is a stable hex sha256 for the same inputs and options', () => {
    const fingerprint = runFingerprint(base);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(runFingerprint({ ...base, inputs: base.inputs.map((i) => ({ ...i })) })).toBe(fingerprint);
  });

  it('does not depend on key order or on unset options being omitted versus undefined', () => {
    const { layout: _layout, delimiter: _delimiter, shard: _shard, ...rest } = base;
    const reordered = { skipEmpty: rest.skipEmpty, idColumn: rest.idColumn, endpoint: rest.endpoint, inputs: rest.inputs };
    expect(runFingerprint(reordered)).toBe(runFingerprint({ ...rest, layout: undefined, delimiter: undefined, shard: undefined }));
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['an input content changes', { inputs: [{ sha256: 'a'.repeat(64) }, { sha256: 'c'.repeat(64) }] }],
    ['the inputs come in another order', { inputs: [{ sha256: 'b'.repeat(64) }, { sha256: 'a'.repeat(64) }] }],
    ['an input is added', { inputs: [...base.inputs, { sha256: 'd'.repeat(64) }] }],
    ['the endpoint changes', { endpoint: 'http://127.0.0.1:9090/api/v3/customers/segments' }],
    ['the id column changes', { idColumn: 'customer_id' }],
    ['the layout changes', { layout: 'long' }],
    ['the layout becomes detected', { layout: undefined }],
    ['the delimiter changes', { delimiter: ';' }],
    ['--skip-empty changes', { skipEmpty: true }],
    ['the shard index changes', { shard: { index: 1, count: 2 } }],
    ['the shard count changes', { shard: { index: 0, count: 4 } }],
    ['sharding is turned off', { shard: undefined }],
  ])('changes when %s', (_what, change) => {
    expect(runFingerprint({ ...base, ...change })).not.toBe(runFingerprint(base));
  });

  it('ignores options that only change how customers are sent, such as the batch size', () => {
    const withSendingOptions = { ...base, batchSize: 10, rate: 50, concurrency: 8 } as FingerprintInput;
    expect(runFingerprint(withSendingOptions)).toBe(runFingerprint(base));
  });
});
