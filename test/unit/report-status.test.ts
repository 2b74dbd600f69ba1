import { decideOutcome, NOT_CONFIRMED_MESSAGE, worstStatus, type RunFacts, type RunOutcome } from '../../src/pipeline/run-outcome.js';
import { AuthError, EndpointError, LocalStorageError, RequestsRejectedError } from '../../src/core/errors.js';
import { outageTooLong } from '../../src/pipeline/send/unavailable.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import type { Counts, RunStatus } from '../../src/core/types.js';

const counts = (over: Partial<Counts>): Counts => ({
  rows: 0,
  invalid: 0,
  duplicates: 0,
  customers: 0,
  toClear: 0,
  updated: 0,
  notFound: 0,
  failed: 0,
  rejected: 0,
  notSent: 0,
  repeatedHeaders: 0,
  ...over,
});

const authError = new AuthError('The endpoint rejected the access token (HTTP 401).', 401);
const notFoundGuard = { notFound: 180, answered: 200, threshold: '50%' };
const requestsRejected = new RequestsRejectedError(
  'The endpoint rejects the requests themselves (type=error, code=unsupportedPayload).',
  'type=error, code=unsupportedPayload',
);
const storageError = new LocalStorageError(
  'cannot write results.csv in /data/reports/x: no space left on the device (ENOSPC).',
  '/data/reports/x',
  'ENOSPC',
);
const unavailable = outageTooLong(601_000, 600_000, 'HTTP 503: x');
const endpointError = new EndpointError('https://api.example/v3 answered HTTP 404.', 'https://api.example/v3', 'HTTP 404', 404);

describe('decideOutcome: status and exit code', () => {
  test.each<[string, Partial<Counts>, RunFacts, RunStatus, number]>([
    ['every customer updated or not found', { customers: 3, updated: 2, notFound: 1 }, {}, 'succeeded', ExitCode.Ok],
    ['no customers at all (header only)', {}, {}, 'succeeded', ExitCode.Ok],
    ['only invalid and duplicate rows', { rows: 2, invalid: 1, duplicates: 1 }, {}, 'succeeded', ExitCode.Ok],
    ['only not_found delivered', { customers: 2, notFound: 2 }, {}, 'succeeded', ExitCode.Ok],
    ['some customers failed', { customers: 3, updated: 2, failed: 1 }, {}, 'partial', ExitCode.PartialFailure],
    ['only not_found delivered, some failed', { customers: 2, notFound: 1, failed: 1 }, {}, 'partial', ExitCode.PartialFailure],
    ['some customers not sent, none failed', { customers: 3, updated: 2, notSent: 1 }, {}, 'partial', ExitCode.PartialFailure],
    ['every customer failed', { customers: 2, failed: 2 }, {}, 'failed', ExitCode.PartialFailure],
    ['every customer not sent', { customers: 2, notSent: 2 }, {}, 'failed', ExitCode.PartialFailure],
    ['failed and not sent, none delivered', { customers: 2, failed: 1, notSent: 1 }, {}, 'failed', ExitCode.PartialFailure],
    [
      'input rejected before sending',
      { rows: 10, invalid: 9, customers: 1, notSent: 1 },
      { rejected: 'too many invalid rows' },
      'rejected',
      ExitCode.InputRejected,
    ],
    [
      'stopped by SIGINT',
      { customers: 2, updated: 1, notSent: 1 },
      { interruptedWith: ExitCode.Interrupted },
      'interrupted',
      ExitCode.Interrupted,
    ],
    [
      'stopped by SIGTERM',
      { customers: 2, updated: 1, notSent: 1 },
      { interruptedWith: ExitCode.Terminated },
      'interrupted',
      ExitCode.Terminated,
    ],
    ['stopped by SIGHUP', { customers: 2, updated: 1, notSent: 1 }, { interruptedWith: ExitCode.HungUp }, 'interrupted', ExitCode.HungUp],
    ['a report file could not be written', { customers: 2, updated: 2 }, { localStorage: storageError }, 'failed', ExitCode.LocalStorage],
    [
      'the journal could not be written while sending',
      { customers: 2, updated: 1, notSent: 1 },
      { fatal: storageError },
      'failed',
      ExitCode.LocalStorage,
    ],
    [
      'local storage wins over a signal and a rejection',
      { customers: 2, notSent: 2 },
      { localStorage: storageError, interruptedWith: ExitCode.Terminated, rejected: 'x' },
      'failed',
      ExitCode.LocalStorage,
    ],
    [
      'stopped by a signal with every customer answered',
      { customers: 1, updated: 1 },
      { interruptedWith: ExitCode.Terminated },
      'interrupted',
      ExitCode.Terminated,
    ],
    ['credentials rejected', { customers: 2, updated: 1, notSent: 1 }, { fatal: authError }, 'failed', ExitCode.AuthRejected],
    [
      'credentials rejected even with nothing left undelivered',
      { customers: 1, updated: 1 },
      { fatal: authError },
      'failed',
      ExitCode.AuthRejected,
    ],
    ['endpoint misconfigured', { customers: 2, notSent: 2 }, { fatal: endpointError }, 'failed', ExitCode.Usage],
    [
      'endpoint unavailable beyond --max-outage, some delivered',
      { customers: 3, updated: 1, notSent: 2 },
      { fatal: unavailable },
      'partial',
      ExitCode.PartialFailure,
    ],
    [
      'endpoint unavailable beyond --max-outage, none delivered',
      { customers: 2, notSent: 2 },
      { fatal: unavailable },
      'failed',
      ExitCode.PartialFailure,
    ],
    [
      'not-found guard tripped',
      { customers: 500, notFound: 180, updated: 20, notSent: 300 },
      { notFoundGuard },
      'failed',
      ExitCode.NotFoundGuard,
    ],
    ['confirmation declined', { customers: 2, notSent: 2 }, { notConfirmed: true }, 'rejected', ExitCode.Usage],
    ['rejected wins over confirmation declined', {}, { rejected: 'x', notConfirmed: true }, 'rejected', ExitCode.InputRejected],
    [
      'confirmation declined wins over interrupted',
      {},
      { notConfirmed: true, interruptedWith: ExitCode.Interrupted },
      'rejected',
      ExitCode.Usage,
    ],
    ['rejected wins over interrupted', {}, { rejected: 'x', interruptedWith: ExitCode.Interrupted }, 'rejected', ExitCode.InputRejected],
    [
      'interrupted wins over credentials rejected',
      {},
      { interruptedWith: ExitCode.Interrupted, fatal: authError },
      'interrupted',
      ExitCode.Interrupted,
    ],
    ['credentials rejected wins over the not-found guard', {}, { fatal: authError, notFoundGuard }, 'failed', ExitCode.AuthRejected],
    [
      'interrupted wins over the not-found guard',
      {},
      { interruptedWith: ExitCode.Terminated, notFoundGuard },
      'interrupted',
      ExitCode.Terminated,
    ],
    [
      'only rejected customers undelivered',
      { customers: 5, updated: 3, notFound: 1, rejected: 1 },
      {},
      'partial',
      ExitCode.CustomersRejected,
    ],
    ['every customer rejected one by one', { customers: 2, rejected: 2 }, {}, 'failed', ExitCode.CustomersRejected],
    [
      'rejected and failed: the retry can still deliver the failed ones',
      { customers: 5, updated: 3, rejected: 1, failed: 1 },
      {},
      'partial',
      ExitCode.PartialFailure,
    ],
    [
      'rejected and not sent: a rerun sends the rest',
      { customers: 5, updated: 3, rejected: 1, notSent: 1 },
      {},
      'partial',
      ExitCode.PartialFailure,
    ],
    [
      'the endpoint rejects the requests themselves',
      { customers: 250, notSent: 250 },
      { fatal: requestsRejected },
      'failed',
      ExitCode.EndpointRejectsRequests,
    ],
    [
      'requests rejected mid-run, some delivered',
      { customers: 250, updated: 50, notSent: 200 },
      { fatal: requestsRejected },
      'failed',
      ExitCode.EndpointRejectsRequests,
    ],
    [
      'interrupted wins over requests rejected',
      {},
      { interruptedWith: ExitCode.Interrupted, fatal: requestsRejected },
      'interrupted',
      ExitCode.Interrupted,
    ],
    [
      'a summary from before counts.rejected existed',
      { customers: 1, updated: 1, rejected: undefined as unknown as number },
      {},
      'succeeded',
      ExitCode.Ok,
    ],
  ])('%s → %s', (_name, given, facts, status, exitCode) => {
    expect(decideOutcome(counts(given), facts)).toMatchObject({ status, exitCode });
  });
});

describe('decideOutcome: messages', () => {
  const message = (given: Partial<Counts>, facts: RunFacts): RunOutcome['message'] => decideOutcome(counts(given), facts).message;

  test('only rejected customers undelivered: how many, rejects.csv, and that a resend cannot help', () => {
    expect(message({ customers: 4, updated: 2, rejected: 2 }, {})).toBe(
      'the endpoint rejected 2 customers one by one (HTTP 400 sent alone), every other customer was delivered: see rejects.csv for each reason. ' +
        'Fix them at the source; resending them unchanged cannot help.',
    );
    expect(message({ customers: 1, rejected: 1 }, {})).toMatch(
      /^the endpoint rejected 1 customer one by one \(HTTP 400 sent alone\): see rejects.csv/,
    );
  });

  test("requests rejected: the endpoint's reason, in the sender's own message", () => {
    const text = message({ customers: 2, notSent: 2 }, { fatal: requestsRejected, stoppedAfter: '0 of 2 customers were answered' });
    expect(text).toBe(requestsRejected.message);
    expect(text).toContain('code=unsupportedPayload');
  });

  test('a local storage failure gives its own message (naming the directory) and where sending stopped', () => {
    expect(
      decideOutcome(counts({ customers: 4, updated: 1, notSent: 3 }), {
        fatal: storageError,
        stoppedAfter: '1 of 4 customers were answered',
      }),
    ).toEqual({
      status: 'failed',
      exitCode: 8,
      message: `${storageError.message} Sending stopped after 1 of 4 customers were answered.`,
    });
  });

  test('a rejected run says why, as given', () => {
    expect(message({}, { rejected: '60 of 60 (100%) rows are invalid' })).toBe('60 of 60 (100%) rows are invalid');
  });

  test('an interrupted run says where it stopped and how to resume', () => {
    expect(message({}, { interruptedWith: ExitCode.Interrupted, stoppedAfter: '3 of 10 customers' })).toBe(
      'interrupted after 3 of 10 customers; rerun the same command to resume.',
    );
    expect(message({}, { interruptedWith: ExitCode.Terminated })).toBe('interrupted; rerun the same command to resume.');
  });

  test('a declined confirmation says nothing was sent and how to send', () => {
    expect(message({}, { notConfirmed: true })).toBe(NOT_CONFIRMED_MESSAGE);
    expect(NOT_CONFIRMED_MESSAGE).toContain('--yes');
  });

  test('a token refused gives the status, where sending stopped, and the advice to resume', () => {
    expect(message({}, { fatal: authError, stoppedAfter: '4 of 9 customers' })).toBe(
      'authentication rejected (401); stopped sending after 4 of 9 customers. Check the token, then rerun the same command to resume.',
    );
    expect(message({}, { fatal: authError })).toBe(
      'authentication rejected (401); stopped sending. Check the token, then rerun the same command to resume.',
    );
  });

  test('another fatal error keeps its own exit code and message (which already says it stopped)', () => {
    const notTheEndpoint = new EndpointError(
      'The URL does not answer like the segments endpoint.',
      'https://api.example/v3',
      'HTTP 404',
      404,
    );
    expect(decideOutcome(counts({}), { fatal: notTheEndpoint, stoppedAfter: '0 of 5 customers' })).toEqual({
      status: 'failed',
      exitCode: notTheEndpoint.exitCode,
      message: 'The URL does not answer like the segments endpoint.',
    });
  });

  test('the not-found guard names the option, the numbers and the likely causes', () => {
    const text = message({}, { notFoundGuard });
    expect(text).toContain('180 of the first 200 customers answered were not found, more than --max-not-found 50%');
    expect(text).toContain('--env/--endpoint');
    expect(text).toContain('--id-column');
    expect(text).toContain('a retry cannot help');
  });

  test('a run decided by its counts has no message', () => {
    expect(message({ customers: 1, updated: 1 }, {})).toBeUndefined();
    expect(message({ customers: 2, updated: 1, notSent: 1 }, {})).toBeUndefined();
  });
});

describe('worstStatus', () => {
  test('orders rejected > interrupted > failed > partial > succeeded', () => {
    expect(worstStatus(['succeeded', 'partial', 'succeeded'])).toBe('partial');
    expect(worstStatus(['partial', 'failed'])).toBe('failed');
    expect(worstStatus(['failed', 'interrupted', 'partial'])).toBe('interrupted');
    expect(worstStatus(['interrupted', 'rejected'])).toBe('rejected');
    expect(worstStatus(['succeeded'])).toBe('succeeded');
    expect(worstStatus([])).toBe('succeeded');
  });
});
