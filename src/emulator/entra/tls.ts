/**
 * TLS material for the emulator's https listeners: a throw-away CA and a loopback server
 * certificate it signed, generated at start with `selfsigned`. The CA is written to a file so a
 * client process can trust it with `NODE_EXTRA_CA_CERTS=<caPath>`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** PEM key and certificate for a loopback https server, and the CA that signed the certificate. */
export interface TlsMaterial {
  /** Server private key (PEM). */
  key: string;
  /** Server certificate (PEM), valid for localhost, 127.0.0.1 and ::1, signed by the CA. */
  cert: string;
  /** CA certificate (PEM). */
  ca: string;
  /** Path of a file holding {@link ca}, for `NODE_EXTRA_CA_CERTS`. */
  caPath: string;
  /** Deletes the CA file's folder. */
  dispose(): void;
}

/**
 * Generates a CA and a server certificate for localhost / 127.0.0.1 / ::1 (EC P-256, SHA-256,
 * valid from one hour ago for one day) and writes the CA to a fresh temporary folder.
 * @throws Error when the temporary folder cannot be written.
 */
export async function generateTlsMaterial(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 3_600_000);
  const notAfterDate = new Date(Date.now() + 86_400_000);
  const ca = await generate([{ name: 'commonName', value: 'graph-bulk emulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'graph-bulk-emulator-tls-'));
  const caPath = join(dir, 'emulator-ca.pem');
  writeFileSync(caPath, ca.cert);
  return {
    key: server.private,
    cert: server.cert,
    ca: ca.cert,
    caPath,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
