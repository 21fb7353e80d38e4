// A foreign TPP for the payterm sandbox, written with Node's standard library, openssl (for the
// transport CSR) and the `jose` npm package only — no payterm code — so a mistake the wallet and
// the sandbox might share cannot hide here.
//
// It registers over HTTPS (POST /tf/register with a CSR), runs discovery and reads the JWKS,
// pushes a delegated-SCA consent (PAR over mTLS, PS256 request object, private_key_jwt client
// assertion, consent PII signed then encrypted to the bank's enc key), has the consent approved,
// exchanges the code (PKCE) for tokens, verifies the id_token, reads the consent back as a signed
// response and verifies it against the JWKS, then checks that another consent id is 404 with a
// client_credentials token.
//
// Usage: node client.mjs --discovery URL --resource BASE --ca FILE --work DIR [--approve auto|browser]
//   auto:    the sandbox runs with auto-approve; the script follows the authorize redirect itself.
//   browser: the script listens on a loopback port, prints "AUTHORIZE <url>" on stdout and waits
//            for a browser (driven by the Go test) to approve on the bank's page.
// On success it prints one line "RESULT <json>" and exits 0; on any failure it prints the reason
// on stderr and exits 1. Secrets (tokens, codes, keys) are never printed.

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import {
  CompactEncrypt, CompactSign, SignJWT, compactVerify, createLocalJWKSet, decodeProtectedHeader,
  exportJWK, generateKeyPair, importJWK, jwtVerify,
} from 'jose';

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0) {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing --${name}`);
  }
  return process.argv[i + 1];
}

const discoveryURL = arg('discovery');
const ca = readFileSync(arg('ca'));
const work = arg('work');
const resourceBase = arg('resource').replace(/\/+$/, '');
const approve = arg('approve', 'auto');
if (!['auto', 'browser'].includes(approve)) throw new Error('--approve must be auto or browser');

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const nowSec = () => Math.floor(Date.now() / 1000);
const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function fail(msg) {
  throw new Error(msg);
}

// request does one HTTP(S) call and resolves with status, headers and the body as text.
function request(method, url, { agent, headers = {}, body } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, agent, headers, timeout: 20000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${u.pathname}: timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const form = (o) => new URLSearchParams(o).toString();

async function main() {
  const steps = [];
  const tlsOnly = new https.Agent({ ca, keepAlive: false });

  // 1. Discovery (no client certificate needed on the issuer host).
  const d = await request('GET', discoveryURL, { agent: tlsOnly });
  if (d.status !== 200) fail(`discovery: HTTP ${d.status}`);
  const disc = JSON.parse(d.body);
  for (const k of ['issuer', 'authorization_endpoint', 'pushed_authorization_request_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint']) {
    if (typeof disc[k] !== 'string' || !disc[k]) fail(`discovery: ${k} missing`);
  }
  if (!discoveryURL.startsWith(disc.issuer)) fail('discovery: issuer is not the host the document came from');
  if (!disc.require_pushed_authorization_requests) fail('discovery: PAR is not required');
  steps.push('discovery');

  // 2. Keys: a PS256 signing key (JWK) and an RSA transport key with a CSR made by openssl.
  const { publicKey: sigPub, privateKey: sigKey } = await generateKeyPair('PS256', { modulusLength: 2048, extractable: true });
  const sigJWK = await exportJWK(sigPub);
  const kid = b64url(createHash('sha256').update(JSON.stringify({ e: sigJWK.e, kty: 'RSA', n: sigJWK.n })).digest());
  const keyFile = join(work, 'transport.key');
  const csr = execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', '/CN=foreign-client'],
    { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

  // 3. Registration with the Trust Framework stand-in.
  const redirectPath = '/foreign/callback';
  const reg = await request('POST', disc.registration_endpoint, {
    agent: tlsOnly,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Foreign Node Client',
      signing_jwks: { keys: [{ ...sigJWK, kid, use: 'sig', alg: 'PS256' }] },
      redirect_uris: ['http://127.0.0.1' + redirectPath],
      csr_pem: csr,
    }),
  });
  if (reg.status !== 201) fail(`register: HTTP ${reg.status} ${reg.body}`);
  const registration = JSON.parse(reg.body);
  const clientID = registration.client_id;
  if (!clientID || !registration.transport_cert_pem) fail('register: no client_id or certificate');
  steps.push('register');
  const mtls = new https.Agent({ ca, cert: registration.transport_cert_pem, key: readFileSync(keyFile), keepAlive: true });

  // 4. The bank's JWKS: its enc key for the PII, its sig keys for responses.
  const j = await request('GET', disc.jwks_uri, { agent: tlsOnly });
  if (j.status !== 200) fail(`jwks: HTTP ${j.status}`);
  const jwks = JSON.parse(j.body);
  const encJWK = jwks.keys.find((k) => k.use === 'enc');
  if (!encJWK) fail('jwks: no enc key');
  const encKey = await importJWK({ ...encJWK, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
  const bankKeys = createLocalJWKSet({ keys: jwks.keys.filter((k) => k.use === 'sig') });
  steps.push('jwks');

  const sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid }).sign(sigKey);
  const assertion = () => sign({ iss: clientID, sub: clientID, aud: disc.issuer, iat: nowSec(), exp: nowSec() + 300, jti: randomUUID() });

  // 5. The redirect target: a loopback listener (browser) or none (auto-approve: read Location).
  let redirectURI = 'http://127.0.0.1' + redirectPath;
  let callback;
  let server;
  if (approve === 'browser') {
    callback = new Promise((resolve) => {
      server = http.createServer((req, res) => {
        const u = new URL(req.url, 'http://127.0.0.1');
        if (u.pathname !== redirectPath) { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><p id="done">Foreign client: consent received.</p>');
        resolve(u.searchParams);
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    redirectURI = `http://127.0.0.1:${server.address().port}${redirectPath}`;
  }

  // 6. PAR: consent PII signed (PS256) then encrypted (RSA-OAEP-256 + A256GCM) to the bank.
  const consentID = randomUUID();
  const pii = {
    Initiation: { Creditor: [{ CreditorAccount: { SchemeName: 'IBAN', Identification: 'AE070331234567890123456', Name: { en: 'Foreign Payee' } } }] },
    Risk: {},
  };
  const piiJWS = await new CompactSign(new TextEncoder().encode(JSON.stringify(pii))).setProtectedHeader({ alg: 'PS256', kid }).sign(sigKey);
  const piiJWE = await new CompactEncrypt(new TextEncoder().encode(piiJWS))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: encJWK.kid }).encrypt(encKey);
  const verifier = b64url(randomBytes(32));
  const state = randomUUID();
  const nonce = randomUUID();
  const now = new Date();
  const requestObject = await sign({
    iss: clientID, aud: disc.issuer, nbf: nowSec() - 10, exp: nowSec() + 300,
    client_id: clientID, response_type: 'code', redirect_uri: redirectURI, scope: 'payments openid',
    code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
    state, nonce,
    authorization_details: [{
      type: 'urn:openfinanceuae:service-initiation-consent:v2.1',
      consent: {
        ConsentId: consentID,
        IsSingleAuthorization: true,
        ExpirationDateTime: rfc3339(new Date(now.getTime() + 180 * 24 * 3600 * 1000)),
        ControlParameters: { IsDelegatedAuthentication: true, ConsentSchedule: {} },
        PersonalIdentifiableInformation: piiJWE,
        PaymentPurposeCode: 'TOF',
      },
    }],
  });
  const par = await request('POST', disc.pushed_authorization_request_endpoint, {
    agent: mtls,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fapi-interaction-id': randomUUID() },
    body: form({ request: requestObject, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(), client_id: clientID }),
  });
  if (par.status !== 200 && par.status !== 201) fail(`PAR: HTTP ${par.status} ${par.body}`);
  const requestURI = JSON.parse(par.body).request_uri;
  if (!requestURI) fail('PAR: no request_uri');
  steps.push('par');

  // 7. The front channel: exactly client_id, response_type, scope, request_uri.
  const authorizeURL = disc.authorization_endpoint + '?' + form({ client_id: clientID, response_type: 'code', scope: 'openid', request_uri: requestURI });
  let cb;
  if (approve === 'browser') {
    process.stdout.write(`AUTHORIZE ${authorizeURL}\n`);
    const timer = setTimeout(() => { console.error('no callback within 60s'); process.exit(1); }, 60000);
    cb = await callback;
    clearTimeout(timer);
    server.close();
  } else {
    const a = await request('GET', authorizeURL);
    if (a.status !== 303 && a.status !== 302) fail(`authorize: HTTP ${a.status} (is the sandbox in auto-approve mode?)`);
    const loc = new URL(a.headers.location);
    if (loc.origin + loc.pathname !== redirectURI) fail('authorize: redirected somewhere else');
    cb = loc.searchParams;
  }
  if (cb.get('error')) fail(`authorize: ${cb.get('error')}`);
  if (cb.get('state') !== state) fail('callback: state mismatch');
  if (cb.get('iss') !== disc.issuer) fail('callback: iss mismatch (RFC 9207)');
  const code = cb.get('code');
  if (!code) fail('callback: no code');
  steps.push('authorize');

  // 8. Token: authorization_code with the PKCE verifier, private_key_jwt, over mTLS.
  const tok = await request('POST', disc.token_endpoint, {
    agent: mtls,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fapi-interaction-id': randomUUID() },
    body: form({ grant_type: 'authorization_code', code, redirect_uri: redirectURI, code_verifier: verifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion() }),
  });
  if (tok.status !== 200) fail(`token: HTTP ${tok.status} ${tok.body}`);
  const tokens = JSON.parse(tok.body);
  if (!tokens.access_token || !tokens.refresh_token) fail('token: access or refresh token missing');
  if (tokens.id_token) {
    const { payload } = await jwtVerify(tokens.id_token, bankKeys, { issuer: disc.issuer, audience: clientID, algorithms: ['PS256'] });
    if (payload.nonce !== nonce) fail('id_token: nonce mismatch');
    steps.push('id_token verified');
  }
  steps.push('token');

  // 9. Read the consent back: a PS256 JWT signed by a key of the bank's JWKS.
  const rs = resourceBase;
  const get = await request('GET', `${rs}/payment-consents/${consentID}`, {
    agent: mtls, headers: { authorization: 'Bearer ' + tokens.access_token, 'x-fapi-interaction-id': randomUUID() },
  });
  if (get.status !== 200) fail(`GET consent: HTTP ${get.status}`);
  if (!String(get.headers['content-type']).startsWith('application/jwt')) fail('GET consent: not application/jwt');
  const header = decodeProtectedHeader(get.body);
  const { payload: raw } = await compactVerify(get.body, bankKeys, { algorithms: ['PS256'] });
  const claims = JSON.parse(new TextDecoder().decode(raw));
  if (claims.iss !== disc.issuer) fail('signed response: iss is not the issuer');
  const aud = [].concat(claims.aud || []);
  if (!aud.includes(clientID)) fail('signed response: aud does not name this client');
  if (!(claims.exp > nowSec() - 30)) fail('signed response: expired');
  const data = claims.message && claims.message.Data;
  if (!data || data.ConsentId !== consentID) fail('signed response: wrong or missing ConsentId');
  steps.push('signed consent verified');

  // 10. A consent that is not ours, with a client_credentials token: 404, nothing leaked.
  const cc = await request('POST', disc.token_endpoint, {
    agent: mtls,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-fapi-interaction-id': randomUUID() },
    body: form({ grant_type: 'client_credentials', scope: 'payments', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion() }),
  });
  if (cc.status !== 200) fail(`client_credentials: HTTP ${cc.status} ${cc.body}`);
  const other = await request('GET', `${rs}/payment-consents/${randomUUID()}`, {
    agent: mtls, headers: { authorization: 'Bearer ' + JSON.parse(cc.body).access_token, 'x-fapi-interaction-id': randomUUID() },
  });
  if (other.status !== 404) fail(`GET unknown consent: HTTP ${other.status}, want 404`);
  steps.push('unknown consent 404');
  mtls.destroy();

  process.stdout.write('RESULT ' + JSON.stringify({
    client_id: clientID, consent_id: consentID, consent_status: data.Status, response_kid: header.kid, response_alg: header.alg, steps,
  }) + '\n');
}

main().catch((e) => {
  console.error('foreign client: ' + (e && e.message ? e.message : String(e)));
  process.exit(1);
});
