/** src/core/secrets.ts: the registry of secret values and every way one is hidden. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkEndpointUrl } from '../../src/config/run-options.js';
import { resolveToken } from '../../src/config/token.js';
import { resolvePushTarget } from '../../src/config/push-target.js';
import { processSecrets, publicOptions, REDACTED, redactText, redactUrl, SecretRegistry } from '../../src/core/secrets.js';

const registryWith = (...secrets: string[]): SecretRegistry => {
  const registry = new SecretRegistry();
  for (const secret of secrets) registry.add(secret);
  return registry;
};

describe('SecretRegistry', () => {
  it('hides every occurrence of a registered secret, and nothing else', () => {
    const registry = registryWith('tok_live_123');
    expect(registry.redactText('sent tok_live_123, echoed tok_live_123')).toBe(`sent ${REDACTED}, echoed ${REDACTED}`);
    expect(registry.redactText('nothing secret here')).toBe('nothing secret here');
  });

  it('ignores empty secrets', () => {
    expect(registryWith('').redactText('nothing secret here')).toBe('nothing secret here');
    expect(new SecretRegistry().redactText('abc', [''])).toBe('abc');
  });

  it('hides secrets known only to the caller as well as the registered ones', () => {
    expect(registryWith('one').redactText('one two', ['two'])).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('hides any Bearer credential, known or not', () => {
    expect(new SecretRegistry().redactText('Authorization: Bearer some-other-credential')).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it('leaves nothing of a longer secret that contains a shorter one', () => {
    const registry = registryWith('abc123', 'abc123-rotated-xyz');
    expect(registry.redactText('first abc123-rotated-xyz then abc123')).toBe(`first ${REDACTED} then ${REDACTED}`);
  });

  it('leaves no fragment of two secrets that overlap', () => {
    // Replaced one after the other, the first would leave 'ef' (the end of the second) behind.
    const registry = registryWith('abcd', 'cdef');
    expect(registry.redactText('x abcdef y')).toBe(`x ${REDACTED} y`);
    expect(registryWith('aa').redactText('aaa')).toBe(REDACTED);
  });

  it('hides a secret inside JSON-escaped text', () => {
    const secret = 'pa"ss\\word';
    const body = JSON.stringify({ details: `bad token ${secret}` });
    expect(body).not.toContain(secret);
    const clean = registryWith(secret).redactText(body);
    expect(clean).toBe(`{"details":"bad token ${REDACTED}"}`);
    expect(JSON.parse(clean)).toEqual({ details: `bad token ${REDACTED}` });
  });

  it('hides a token in a URL query, percent-encoded or not', () => {
    const token = 'ab+c/d=';
    const registry = registryWith(token);
    expect(registry.redactText(`https://sso.example/?access_token=${encodeURIComponent(token)}&x=1`)).toBe(
      `https://sso.example/?access_token=${REDACTED}&x=1`,
    );
    expect(registry.redactText(`https://sso.example/?token=${token}`)).toBe(`https://sso.example/?token=${REDACTED}`);
  });

  it("registers a URL's password as written and decoded, never its user name", () => {
    const registry = new SecretRegistry();
    registry.addUrlPassword(new URL('http://metrics:p%40ss@gateway:9091'));
    expect(registry.redactText('echoed p%40ss and p@ss by metrics')).toBe(`echoed ${REDACTED} and ${REDACTED} by metrics`);
    registry.addUrlPassword(new URL('http://gateway:9091'));
    expect(registry.forms()).toEqual(expect.arrayContaining(['p%40ss', 'p@ss']));
  });

  it('redacts values deeply, keys included, and leaves a value with nothing to hide as it was', () => {
    const registry = registryWith('tok');
    expect(registry.redactValue({ a: ['tok', 1, null], tok: { b: 'Bearer tok' } })).toEqual({
      a: [REDACTED, 1, null],
      [REDACTED]: { b: `Bearer ${REDACTED}` },
    });
    const error = new Error('x');
    expect(registry.redactValue({ error }, [])).toEqual({ error });
    expect((registry.redactValue({ error }) as { error: unknown }).error).toBe(error);
  });
});

describe('rotated tokens', () => {
  it('are registered as they are read, the old ones kept', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'secrets-'));
    const file = path.join(dir, 'token');
    await fs.writeFile(file, 'token-before-rotation\n');
    const token = await resolveToken({ file }, {});
    expect(redactText('token-before-rotation')).toBe(REDACTED);
    await fs.writeFile(file, 'token-after-rotation\n');
    expect(await token.reload()).toBe(true);
    expect(redactText('old token-before-rotation, new token-after-rotation')).toBe(`old ${REDACTED}, new ${REDACTED}`);
    expect(processSecrets.forms()).toEqual(expect.arrayContaining(['token-before-rotation', 'token-after-rotation']));
    await fs.rm(dir, { recursive: true });
  });
});

describe('URL passwords', () => {
  it('are registered when the Pushgateway URL is read, and kept out of its display', () => {
    const resolved = resolvePushTarget({ url: 'http://metrics:gw-pass-1@gateway:9091', jobName: 'segment-sync' });
    expect(resolved).toMatchObject({ ok: true, value: { display: `http://${REDACTED}@gateway:9091/metrics/job/segment-sync` } });
    expect(redactText('echo gw-pass-1')).toBe(`echo ${REDACTED}`);
  });

  it('are registered when an endpoint URL carrying one is refused', () => {
    expect(() => checkEndpointUrl('https://user:ep-pass-2@api.example/v3', false)).toThrow(/must not contain credentials/);
    expect(redactText('echo ep-pass-2')).toBe(`echo ${REDACTED}`);
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://user:pw@gateway:9091/', `http://${REDACTED}@gateway:9091/`],
    ['http://user@gateway:9091', `http://${REDACTED}@gateway:9091/`],
    ['ftp://user:hunter2@gateway:2121', `ftp://${REDACTED}@gateway:2121/`],
    ['https://api.example/v3?token=abc#frag', `https://api.example/v3?${REDACTED}#${REDACTED}`],
    ['https://api.example/v3/customers/segments', 'https://api.example/v3/customers/segments'],
  ])('shows %j as %j', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
    expect(redactUrl(new URL(url))).toBe(shown);
  });

  it('hides a value that is not a URL whole', () => {
    expect(redactUrl('user:pw@ not a url')).toBe(REDACTED);
  });

  it('is idempotent', () => {
    const once = redactUrl('http://user:pw@gateway:9091/?a=b');
    expect(redactUrl(once)).toBe(once);
  });
});

describe('publicOptions', () => {
  it('drops secret keys at any depth and keeps the path of a token file', () => {
    const secret = 's3cr3t-token-value';
    const options = {
      token: { value: secret },
      tokenFile: '/run/secrets/token',
      nested: { 'token-file-content': secret, Authorization: `Bearer ${secret}` },
      tokenValue: secret,
      batchSize: 7,
    };
    expect(publicOptions(options)).toEqual({ tokenFile: '/run/secrets/token', nested: {}, batchSize: 7 });
  });

  it('shows the Pushgateway and any URL with credentials through redactUrl', () => {
    expect(
      publicOptions({ pushgateway: 'https://ops:pw@gw.example', other: ['http://u:p@h/'], endpoint: 'https://api.example/v3' }),
    ).toEqual({
      pushgateway: `https://${REDACTED}@gw.example/`,
      other: [`http://${REDACTED}@h/`],
      endpoint: 'https://api.example/v3',
    });
    expect(publicOptions({ pushgateway: 'https://gw.example' })).toEqual({ pushgateway: 'https://gw.example/' });
  });

  it('hides registered secrets in any value', () => {
    const registry = registryWith('hunter2');
    expect(registry.publicOptions({ reportDir: 'reports/hunter2', n: 1 })).toEqual({ reportDir: `reports/${REDACTED}`, n: 1 });
  });
});
