// A self-test of the Google token endpoint stand-in (test/helpers/google-standin.ts): JWTs signed
// here by hand with node:crypto, not with the stand-in's code, get the answers Google documents.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import https from 'node:https';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  ACCESS_TOKEN_SECONDS,
  GMAIL_IMAP_ADMIN_SCOPE,
  GMAIL_SCOPE,
  GOOGLE_ERRORS,
  GOOGLE_TOKEN_URL,
  JWT_BEARER_GRANT,
  startGoogleStandIn,
  type GoogleServiceAccount,
  type GoogleStandIn,
} from './helpers/google-standin.js';
import { testPki } from './helpers/pki.js';

const POSTMASTER = 'postmaster@corp.example';
const ALICE = 'alice@corp.example';
const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';
const GMAIL_SEND_SCOPE = 'https://www.googleapis.com/auth/gmail.send';
const FORM = 'application/x-www-form-urlencoded';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | null;
}

/** POSTs a body over HTTPS, trusting the test CA only. */
function post(url: string, body: string, contentType = FORM, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: testPki().caPem, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | null = null;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A compact JWS signed RS256 with node:crypto. */
function signJwt(privateKeyPem: string, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), privateKeyPem).toString('base64url')}`;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('Google token endpoint stand-in (service accounts, domain-wide delegation)', () => {
  let g: GoogleStandIn;
  let sa: GoogleServiceAccount;

  before(async () => {
    g = await startGoogleStandIn({ domain: 'corp.example', users: [POSTMASTER, ALICE] });
    sa = g.createServiceAccount('postroom-mailer');
    g.grantDelegation(sa.clientId, [GMAIL_SCOPE]);
  });
  after(() => g.close());
  afterEach(() => {
    g.clockOffsetMs = 0;
  });

  /** The claims Postroom would sign: the postmaster's mailbox, Gmail's scope, now. */
  function claims(account: GoogleServiceAccount = sa, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const iat = Math.floor(Date.now() / 1000);
    return { iss: account.clientEmail, sub: POSTMASTER, scope: GMAIL_SCOPE, aud: GOOGLE_TOKEN_URL, iat, exp: iat + 3600, ...overrides };
  }

  function assertionFor(account: GoogleServiceAccount = sa, overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
    return signJwt(account.privateKeyPem, { alg: 'RS256', typ: 'JWT', kid: account.keyId, ...header }, claims(account, overrides));
  }

  function requestToken(assertion: string): Promise<Answer> {
    return post(g.tokenUrl, form({ grant_type: JWT_BEARER_GRANT, assertion }));
  }

  async function expectError(answer: Promise<Answer> | Answer, status: number, error: string, description?: string): Promise<void> {
    const a = await answer;
    assert.equal(a.status, status, `status (body: ${a.text})`);
    assert.equal(a.json?.error, error, `error (body: ${a.text})`);
    if (description !== undefined) assert.equal(a.json?.error_description, description);
    assert.equal(a.json?.access_token, undefined, 'no token with an error');
  }

  async function token(assertion: string): Promise<string> {
    const a = await requestToken(assertion);
    assert.equal(a.status, 200, `token request refused: ${a.text}`);
    return String(a.json?.access_token);
  }

  it('issues a JSON key file shaped as Google issues it', () => {
    const key = JSON.parse(sa.keyJson) as Record<string, string>;
    assert.deepEqual(Object.keys(key), [
      'type',
      'project_id',
      'private_key_id',
      'private_key',
      'client_email',
      'client_id',
      'auth_uri',
      'token_uri',
      'auth_provider_x509_cert_url',
      'client_x509_cert_url',
      'universe_domain',
    ]);
    assert.equal(key.type, 'service_account');
    assert.match(key.client_email ?? '', /^postroom-mailer@[a-z0-9-]+\.iam\.gserviceaccount\.com$/);
    assert.equal(key.client_email, sa.clientEmail);
    assert.match(key.client_id ?? '', /^\d{21}$/);
    assert.equal(key.client_id, sa.clientId);
    assert.match(key.private_key_id ?? '', /^[0-9a-f]{40}$/);
    assert.equal(key.private_key_id, sa.keyId);
    assert.equal(key.private_key, sa.privateKeyPem);
    assert.match(key.private_key ?? '', /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.match(sa.keyJson, /"private_key": "-----BEGIN PRIVATE KEY-----\\n/, 'the PEM newlines are \\n escapes in the file');
    const pk = crypto.createPrivateKey(key.private_key ?? '');
    assert.equal(pk.asymmetricKeyType, 'rsa');
    assert.equal(pk.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(key.token_uri, GOOGLE_TOKEN_URL);
    assert.equal(key.auth_uri, 'https://accounts.google.com/o/oauth2/auth');
    assert.equal(key.client_x509_cert_url, `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(sa.clientEmail)}`);
    assert.equal(key.universe_domain, 'googleapis.com');
    assert.equal(g.tokenUrl, `${g.url}/token`);
    assert.match(g.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers a hand-signed JWT with a token Gmail takes for that mailbox and scope only', async () => {
    const before = g.tokensIssued;
    const a = await requestToken(assertionFor());
    assert.equal(a.status, 200, a.text);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(a.json ?? {}).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(a.json?.expires_in, ACCESS_TOKEN_SECONDS);
    assert.equal(a.json?.token_type, 'Bearer');
    const t = String(a.json?.access_token);
    assert.match(t, /^ya29\./);
    assert.equal(g.tokensIssued, before + 1);
    assert.deepEqual({ ...g.requests.at(-1), at: 0 }, { at: 0, status: 200, error: null, sub: POSTMASTER, scope: GMAIL_SCOPE, iss: sa.clientEmail });

    assert.equal(g.acceptsForMail(POSTMASTER, t), true);
    assert.equal(g.acceptsForMail('PostMaster@Corp.Example', t), true, 'addresses compare without case');
    assert.equal(g.acceptsForMail(POSTMASTER, t, 'imap'), true);
    assert.equal(g.acceptsForMail(ALICE, t), false, 'a token is for the user it was issued for');
    assert.match(g.mailRefusal(ALICE, t) ?? '', /is for postmaster@corp\.example/);
    assert.equal(g.acceptsForMail(POSTMASTER, t + 'x'), false);
  });

  it('takes the JWT with or without kid and typ (gtoken signs with alg alone), and aud = its own URL', async () => {
    await token(assertionFor(sa, {}, { kid: undefined, typ: undefined }));
    await token(signJwt(sa.privateKeyPem, { alg: 'RS256' }, claims()));
    await token(assertionFor(sa, { aud: g.tokenUrl }));
  });

  it('refuses a request that is not a JWT-bearer token request', async () => {
    const assertion = assertionFor();
    await expectError(post(g.tokenUrl, JSON.stringify({ grant_type: JWT_BEARER_GRANT, assertion }), 'application/json'), 400, 'invalid_request');
    await expectError(post(g.tokenUrl, form({ assertion })), 400, 'invalid_request', 'Missing required parameter: grant_type');
    await expectError(post(g.tokenUrl, form({ grant_type: 'client_credentials', assertion })), 400, 'unsupported_grant_type');
    await expectError(post(g.tokenUrl, form({ grant_type: JWT_BEARER_GRANT })), 400, 'invalid_request', 'Missing required parameter: assertion');
    const get = await post(g.tokenUrl, '', FORM, 'GET');
    assert.equal(get.status, 404);
    assert.deepEqual(g.unknownRequests, ['GET /token']);
    g.unknownRequests.length = 0;
  });

  it('refuses a JWT encoded wrongly or not RS256 as "Invalid JWT Signature."', async () => {
    const good = assertionFor();
    const [h, p, s] = good.split('.');
    await expectError(requestToken(`${h}.${p}.${s}==`), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    await expectError(requestToken(`${h}.${p}\n.${s}`), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    await expectError(requestToken('not-a-jwt'), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    const hsInput = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims())}`;
    const hs = `${hsInput}.${crypto.createHmac('sha256', 'secret').update(hsInput).digest('base64url')}`;
    await expectError(requestToken(hs), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    const unsigned = `${b64url({ alg: 'none' })}.${b64url(claims())}.`;
    await expectError(requestToken(unsigned), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
  });

  it('refuses an unknown client email (invalid_client) and a key that is not the account’s', async () => {
    await expectError(requestToken(assertionFor(sa, { iss: 'nobody@postroom-mail-test.iam.gserviceaccount.com' })), 401, 'invalid_client');
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const strangerPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expectError(requestToken(signJwt(strangerPem, { alg: 'RS256', typ: 'JWT', kid: sa.keyId }, claims())), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    await expectError(requestToken(signJwt(strangerPem, { alg: 'RS256', typ: 'JWT' }, claims())), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    // Another account's key, with its kid, claiming to be this account.
    const other = g.createServiceAccount('other-robot');
    await expectError(requestToken(signJwt(other.privateKeyPem, { alg: 'RS256', kid: other.keyId }, claims())), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    // Claims changed after signing.
    const [h, , s] = assertionFor().split('.');
    await expectError(requestToken(`${h}.${b64url(claims(sa, { sub: ALICE }))}.${s}`), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    assert.equal(g.requests.at(-1)?.error, 'invalid_grant');
  });

  it('rotates keys: a new key works beside the old one, a deleted key is "Invalid JWT Signature."', async () => {
    const old = g.createServiceAccount('rotating-robot');
    g.grantDelegation(old.clientId, [GMAIL_SCOPE]);
    const fresh = g.addKey(old.clientEmail);
    assert.equal(fresh.clientEmail, old.clientEmail);
    assert.equal(fresh.clientId, old.clientId);
    assert.notEqual(fresh.keyId, old.keyId);
    assert.equal((JSON.parse(fresh.keyJson) as { private_key_id: string }).private_key_id, fresh.keyId);
    await token(assertionFor(old));
    await token(assertionFor(fresh));
    g.deleteKey(old.keyId);
    await expectError(requestToken(assertionFor(old)), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    await expectError(requestToken(assertionFor(old, {}, { kid: undefined })), 400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    await token(assertionFor(fresh));
    await token(assertionFor(fresh, {}, { kid: undefined }));
    assert.throws(() => g.deleteKey(old.keyId), /no key/);
  });

  it('refuses a disabled key with disabled_client until it is enabled again', async () => {
    g.disableKey(sa.keyId);
    try {
      await expectError(requestToken(assertionFor()), 401, 'disabled_client', GOOGLE_ERRORS.disabledKey);
    } finally {
      g.enableKey(sa.keyId);
    }
    await token(assertionFor());
  });

  it('refuses a wrong aud with invalid_grant', async () => {
    await expectError(requestToken(assertionFor(sa, { aud: 'https://oauth2.googleapis.com/' })), 400, 'invalid_grant', GOOGLE_ERRORS.badAudience);
    await expectError(requestToken(assertionFor(sa, { aud: undefined })), 400, 'invalid_grant', GOOGLE_ERRORS.badAudience);
    g.audiences.delete(g.tokenUrl);
    try {
      await expectError(requestToken(assertionFor(sa, { aud: g.tokenUrl })), 400, 'invalid_grant', GOOGLE_ERRORS.badAudience);
    } finally {
      g.audiences.add(g.tokenUrl);
    }
  });

  it('takes an assertion of up to 65 minutes, refuses longer ones, exp before iat and missing times', async () => {
    const now = Math.floor(Date.now() / 1000);
    await token(assertionFor(sa, { iat: now, exp: now + 65 * 60 }));
    await expectError(requestToken(assertionFor(sa, { iat: now, exp: now + 65 * 60 + 1 })), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    await expectError(requestToken(assertionFor(sa, { iat: now, exp: now - 10 })), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    await expectError(requestToken(assertionFor(sa, { iat: undefined })), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    await expectError(requestToken(assertionFor(sa, { exp: String(now + 3600) })), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    // An expired assertion (signed two hours ago).
    await expectError(requestToken(assertionFor(sa, { iat: now - 7200, exp: now - 3600 })), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
  });

  it('judges iat and exp by its own clock: skew beyond the window is invalid_grant', async () => {
    g.clockOffsetMs = 2 * 3600_000; // Google's clock two hours ahead: the assertion has expired.
    await expectError(requestToken(assertionFor()), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    g.clockOffsetMs = -10 * 60_000; // Ten minutes behind: iat is in Google's future.
    await expectError(requestToken(assertionFor()), 400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    assert.deepEqual({ ...g.requests.at(-1), at: 0 }, { at: 0, status: 400, error: 'invalid_grant', sub: POSTMASTER, scope: GMAIL_SCOPE, iss: sa.clientEmail });
    g.clockOffsetMs = -2 * 60_000; // Two minutes: within the allowance.
    await token(assertionFor());
    g.clockOffsetMs = 30 * 60_000; // Half an hour ahead: still within the assertion's hour.
    await token(assertionFor());
  });

  it('refuses a sub that is not a user of the domain with invalid_grant', async () => {
    await expectError(requestToken(assertionFor(sa, { sub: 'nobody@corp.example' })), 400, 'invalid_grant', GOOGLE_ERRORS.unknownUser);
    await expectError(requestToken(assertionFor(sa, { sub: 'someone@other.example' })), 400, 'invalid_grant', GOOGLE_ERRORS.unknownUser);
    await expectError(requestToken(assertionFor(sa, { sub: 'postmaster' })), 400, 'invalid_grant', GOOGLE_ERRORS.notAnEmail);
    await token(assertionFor(sa, { sub: 'PostMaster@corp.example' }));
  });

  it('needs domain-wide delegation for the numeric client ID and every scope requested', async () => {
    const robot = g.createServiceAccount('undelegated-robot');
    await expectError(requestToken(assertionFor(robot)), 401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
    g.grantDelegation(robot.clientEmail, [GMAIL_SCOPE]); // by its email rather than its client ID
    await expectError(requestToken(assertionFor(robot)), 401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
    g.grantDelegation(robot.clientId, [DRIVE_SCOPE]); // for another scope
    await expectError(requestToken(assertionFor(robot)), 401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
    g.grantDelegation(robot.clientId, [GMAIL_SCOPE]);
    await token(assertionFor(robot));
    // One scope granted, one not.
    await expectError(requestToken(assertionFor(robot, { scope: `${GMAIL_SCOPE} ${DRIVE_SCOPE}` })), 400, 'access_denied');
    g.revokeDelegation(robot.clientId);
    await expectError(requestToken(assertionFor(robot)), 401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
  });

  it('refuses after the delegation is revoked, and a token issued before keeps working until it is revoked', async () => {
    const t = await token(assertionFor());
    g.revokeDelegation(sa.clientId);
    try {
      await expectError(requestToken(assertionFor()), 401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
      assert.equal(g.acceptsForMail(POSTMASTER, t), true, 'the token issued before is still a token');
    } finally {
      g.grantDelegation(sa.clientId, [GMAIL_SCOPE]);
    }
    await token(assertionFor());
  });

  it('refuses a missing, empty or comma-separated scope with invalid_scope', async () => {
    await expectError(requestToken(assertionFor(sa, { scope: undefined })), 400, 'invalid_scope', GOOGLE_ERRORS.badScope);
    await expectError(requestToken(assertionFor(sa, { scope: '' })), 400, 'invalid_scope', GOOGLE_ERRORS.badScope);
    await expectError(requestToken(assertionFor(sa, { scope: `${GMAIL_SCOPE},${DRIVE_SCOPE}` })), 400, 'invalid_scope', GOOGLE_ERRORS.badScope);
  });

  it('gives a service account its own token without delegation, which no mailbox takes', async () => {
    const robot = g.createServiceAccount('lonely-robot');
    const own = await token(assertionFor(robot, { sub: undefined }));
    assert.equal(g.acceptsForMail(POSTMASTER, own), false);
    assert.match(g.mailRefusal(POSTMASTER, own) ?? '', /service account's own/);
    const self = await token(assertionFor(robot, { sub: robot.clientEmail }));
    assert.equal(g.acceptsForMail(robot.clientEmail, self), false);
  });

  it('takes a token for mail only with Gmail’s scope (IMAP also with gmail.imap_admin)', async () => {
    const robot = g.createServiceAccount('scoped-robot');
    g.grantDelegation(robot.clientId, [GMAIL_SCOPE, GMAIL_SEND_SCOPE, GMAIL_IMAP_ADMIN_SCOPE]);
    const send = await token(assertionFor(robot, { scope: GMAIL_SEND_SCOPE }));
    assert.equal(g.acceptsForMail(POSTMASTER, send), false);
    assert.match(g.mailRefusal(POSTMASTER, send) ?? '', /do not include https:\/\/mail\.google\.com\//);
    const imapAdmin = await token(assertionFor(robot, { scope: GMAIL_IMAP_ADMIN_SCOPE }));
    assert.equal(g.acceptsForMail(POSTMASTER, imapAdmin, 'imap'), true);
    assert.equal(g.acceptsForMail(POSTMASTER, imapAdmin, 'smtp'), false);
    const both = await token(assertionFor(robot, { scope: `${GMAIL_SEND_SCOPE} ${GMAIL_SCOPE}` }));
    assert.equal(g.acceptsForMail(POSTMASTER, both), true);
  });

  it('stops taking a token once it expires, is revoked, or its user leaves the domain', async () => {
    const t = await token(assertionFor());
    g.clockOffsetMs = (ACCESS_TOKEN_SECONDS - 5) * 1000;
    assert.equal(g.acceptsForMail(POSTMASTER, t), true, 'still valid just before expires_in');
    g.clockOffsetMs = ACCESS_TOKEN_SECONDS * 1000;
    assert.equal(g.acceptsForMail(POSTMASTER, t), false);
    assert.match(g.mailRefusal(POSTMASTER, t) ?? '', /expired/);
    g.clockOffsetMs = 0;

    const forAlice = await token(assertionFor(sa, { sub: ALICE }));
    assert.equal(g.acceptsForMail(ALICE, forAlice), true);
    g.users.delete(ALICE);
    try {
      assert.equal(g.acceptsForMail(ALICE, forAlice), false);
      await expectError(requestToken(assertionFor(sa, { sub: ALICE })), 400, 'invalid_grant', GOOGLE_ERRORS.unknownUser);
    } finally {
      g.users.add(ALICE);
    }

    const a = await token(assertionFor());
    const b = await token(assertionFor());
    g.revokeAllTokens();
    assert.equal(g.acceptsForMail(POSTMASTER, a), false);
    assert.equal(g.acceptsForMail(POSTMASTER, b), false);
    assert.match(g.mailRefusal(POSTMASTER, a) ?? '', /revoked/);
    const c = await token(assertionFor());
    assert.equal(g.acceptsForMail(POSTMASTER, c), true, 'a token issued after the revocation works');
  });

  it('fails the next requests on demand: 5xx as JSON "Backend Error", 429 as an HTML page', async () => {
    g.failNext(2, 503);
    g.failNext(1, 429, 7);
    const first = await requestToken(assertionFor());
    assert.equal(first.status, 503);
    assert.deepEqual(first.json, { error: 'internal_failure', error_description: 'Backend Error' });
    assert.equal((await requestToken(assertionFor())).status, 503);
    const limited = await requestToken(assertionFor());
    assert.equal(limited.status, 429);
    assert.match(String(limited.headers['content-type']), /^text\/html/);
    assert.equal(limited.headers['retry-after'], '7');
    assert.equal(limited.json, null, 'the 429 body is not JSON');
    assert.deepEqual(
      g.requests.slice(-3).map((r) => [r.status, r.error]),
      [
        [503, 'internal_failure'],
        [503, 'internal_failure'],
        [429, null],
      ],
    );
    await token(assertionFor());
  });
});
