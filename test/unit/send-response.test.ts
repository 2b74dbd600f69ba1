import { describeOutcome } from '../../src/pipeline/send/post-outcome.js';
import { interpretResponse, type RawResponse } from '../../src/pipeline/send/response.js';

const TOKEN = 'sk-live-5ecret-T0KEN';
const context = { secrets: [TOKEN], nowMs: Date.parse('2025-03-01T12:00:00Z'), maxResponseBytes: 1024 };
const interpret = (response: RawResponse) => interpretResponse(response, context);

describe('interpretResponse', () => {
  it('accepts a 200 holding updatedCustomers as a list of strings', () => {
    expect(interpret({ status: 200, body: '{"updatedCustomers":["a","b"]}' })).toEqual({ kind: 'ok', updated: ['a', 'b'] });
    expect(interpret({ status: 200, body: '\ufeff{"updatedCustomers":[]}' })).toEqual({ kind: 'ok', updated: [] });
  });

  it('treats a 2xx of any other shape as malformed, never as success', () => {
    expect(interpret({ status: 200, body: '<html>ok</html>' })).toEqual({ kind: 'malformed', status: 200, reason: 'body is not JSON' });
    expect(interpret({ status: 200, body: '{"updated":["a"]}' })).toMatchObject({ kind: 'malformed', reason: 'no updatedCustomers array' });
    expect(interpret({ status: 200, body: '{"updatedCustomers":[1]}' })).toMatchObject({ kind: 'malformed' });
    expect(interpret({ status: 202, body: '' })).toMatchObject({ kind: 'malformed', status: 202 });
    expect(interpret({ status: 200, body: undefined })).toMatchObject({ kind: 'malformed', reason: 'body larger than 1024 bytes' });
  });

  it('builds the message of an error from its type, code and details', () => {
    const body = JSON.stringify({ type: 'error', code: 'invalidRequest', details: 'customers[3].segments[0].type is empty' });
    expect(interpret({ status: 400, body })).toEqual({
      kind: 'http',
      status: 400,
      message: 'type=error, code=invalidRequest, details=customers[3].segments[0].type is empty',
    });
  });

  it('falls back to a short single-line excerpt of any other error body', () => {
    const html = `<html>\n<body>${'Service Unavailable '.repeat(50)}</body>\n</html>`;
    const outcome = interpret({ status: 503, body: html });
    expect(outcome).toMatchObject({ kind: 'http', status: 503 });
    const message = (outcome as { message: string }).message;
    expect(message.length).toBeLessThanOrEqual(300);
    expect(message).not.toMatch(/\n/);
    expect(message.startsWith('<html> <body>Service Unavailable')).toBe(true);
    expect(interpret({ status: 500, body: '' })).toMatchObject({ message: '(empty body)' });
  });

  it('never passes on a token the server echoes back', () => {
    const echoes = [`{"details":"bad token ${TOKEN}"}`, `Authorization: Bearer ${TOKEN}`, `Authorization: Bearer some-other-credential`];
    for (const body of echoes) {
      const text = describeOutcome(interpret({ status: 401, body }));
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('some-other-credential');
      expect(text).toContain('[REDACTED]');
    }
  });

  it('carries Retry-After as milliseconds, in seconds or as an HTTP date', () => {
    expect(interpret({ status: 429, retryAfter: '3', body: '' })).toMatchObject({ retryAfterMs: 3000 });
    expect(interpret({ status: 503, retryAfter: 'Sat, 01 Mar 2025 12:00:02 GMT', body: '' })).toMatchObject({ retryAfterMs: 2000 });
    expect(interpret({ status: 429, body: '' })).not.toHaveProperty('retryAfterMs');
  });

  it('explains a redirect, which is never followed', () => {
    const outcome = interpret({ status: 302, location: 'https://login.example/', body: '' });
    expect(describeOutcome(outcome)).toBe('HTTP 302: redirect to https://login.example/ not followed');
  });
});
