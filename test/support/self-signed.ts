/**
 * A throwaway self-signed certificate for loopback HTTPS servers in tests, made with the openssl
 * CLI in a temp dir (nothing is committed). Its subject is CN=localhost with no subjectAltName, so
 * a client connecting to https://127.0.0.1 fails on it twice over: not trusted (self-signed) and,
 * once trusted (NODE_EXTRA_CA_CERTS), not matching the address.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface SelfSigned {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file (PEM), e.g. for NODE_EXTRA_CA_CERTS. */
  certFile: string;
  remove(): Promise<void>;
}

export async function selfSignedCert(): Promise<SelfSigned> {
  const dir = await mkdtemp(path.join(tmpdir(), 'segment-sync-cert-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-days',
    '1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return {
    key: await readFile(keyFile),
    cert: await readFile(certFile),
    certFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
