// Signs one XS2A request with Joyent's http-signature (the draft-cavage reference
// implementation), code that neither payterm's bank nor its client uses, so the Go test can
// check that the bank's verifier accepts what an independent signer produces.
//
// stdin:  {"method","path","headers":{name:value},"body","keyPem","keyId","sign":[names]}
// stdout: {"headers":{name:value}} — the input headers plus Digest and Signature.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import httpSignature from 'http-signature';

const input = JSON.parse(readFileSync(0, 'utf8'));
const headers = {};
for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
headers['digest'] = 'SHA-256=' + createHash('sha256').update(Buffer.from(input.body, 'utf8')).digest('base64');
const request = {
  method: input.method,
  path: input.path,
  getHeader: (name) => headers[name.toLowerCase()],
  setHeader: (name, value) => { headers[name.toLowerCase()] = value; },
};
httpSignature.signRequest(request, {
  key: input.keyPem,
  keyId: input.keyId,
  algorithm: 'rsa-sha256',
  headers: input.sign,
  authorizationHeaderName: 'Signature',
});
process.stdout.write(JSON.stringify({ headers }));
