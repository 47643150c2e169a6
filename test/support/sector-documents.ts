// An app owner's sector identifier documents (OpenID Connect Core section 8.1), served over https
// on loopback as a real server: oidc-provider insists on https for them. Its certificate is made
// by openssl for this run and trusted by this process (tls.setDefaultCACertificates, undone after
// the suite) and by the admin commands it starts (NODE_EXTRA_CA_CERTS), and by nothing else.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

export interface SectorDocuments {
  /** The https URL of a document at `name`, answering `body` with `contentType`. */
  serve(name: string, body: string, contentType?: string): string;
  /** The environment a linkid-admin command needs to fetch them: the certificate, and loopback allowed. */
  readonly commandEnv: Record<string, string>;
}

/** Starts the server before the suite and stops it (and the trust) after. */
export function useSectorDocuments(): SectorDocuments {
  const documents = new Map<string, { body: string; contentType: string }>();
  let server: https.Server | undefined;
  let dir = '';
  let origin = '';
  const before = tls.getCACertificates('default');
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-sector-'));
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'],
      ...['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    tls.setDefaultCACertificates([...before, cert]);
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
      const document = documents.get(req.url ?? '');
      if (!document) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': document.contentType }).end(document.body);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    tls.setDefaultCACertificates(before);
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    serve(name, body, contentType = 'application/json') {
      documents.set(`/${name}`, { body, contentType });
      return `${origin}/${name}`;
    },
    get commandEnv() {
      return { NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'), OUTBOUND_ALLOW_LOOPBACK: 'true' };
    },
  };
}
