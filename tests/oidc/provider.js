// A real OpenID provider (oidc-provider) on loopback for the test suite; never deployed.
//
// Environment: PORT (required), CONFIG (JSON: {clients: [...], accounts: {login: {...claims, password}}}).
// Besides the standard endpoints it serves a plain login page for interactions and one test-only
// control route, POST /__test__/mode {"mode": ...}, which makes the NEXT token response carry a
// crafted ID token, so the relying party's validation can be tested against each failure:
//   tamper       payload changed after signing (signature no longer matches)
//   foreign_key  signed with a key that is not in the provider's JWKS (same kid)
//   audience     properly signed, but for another client (aud)
//   audience_azp like audience, with an azp claim that names the relying party
//   expired      properly signed, but expired half an hour ago
//   nonce        properly signed, but with another nonce
//   alg_none     unsigned ("alg": "none")
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const config = JSON.parse(process.env.CONFIG || '{}');
const issuer = `http://127.0.0.1:${port}`;
const accounts = config.accounts || {};

const kid = 'test-signing-key';
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
const { privateKey: foreignKey } = await jose.generateKeyPair('RS256');

let nextMode = null;

const provider = new Provider(issuer, {
  clients: config.clients || [],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(16).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // A first-party test client: grant the requested scopes without a consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  async findAccount(_ctx, sub) {
    const entry = Object.values(accounts).find((a) => a.sub === sub);
    if (!entry) return undefined;
    const { password: _password, ...claims } = entry;
    return { accountId: sub, claims: async () => claims };
  },
  // Claims in the ID token itself (not only from userinfo), as most enterprise IdPs do.
  conformIdTokenClaims: false,
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
});

function b64(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

async function craft(idToken, mode) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  const sign = (c, key = privateKey) => new jose.SignJWT(c).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  switch (mode) {
    case 'tamper':
      return `${header}.${b64({ ...claims, email: 'mallory@evil.example' })}.${signature}`;
    case 'foreign_key':
      return sign(claims, foreignKey);
    case 'audience':
      return sign({ ...claims, aud: 'some-other-client' });
    case 'audience_azp':
      // Another audience, but an azp naming us: only an explicit audience check catches it.
      return sign({ ...claims, aud: 'some-other-client', azp: claims.aud });
    case 'expired':
      return sign({ ...claims, iat: now - 3600, exp: now - 1800 });
    case 'nonce':
      return sign({ ...claims, nonce: 'not-the-nonce-you-sent' });
    case 'alg_none':
      return `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    default:
      return idToken;
  }
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title>
<style>body{font:16px system-ui,sans-serif;background:#eef2f7;display:grid;place-items:center;min-height:90vh}
form{background:#fff;padding:2rem 2.5rem;border-radius:10px;box-shadow:0 2px 12px #0002;display:grid;gap:.7rem;min-width:320px}
input{padding:.5rem;font-size:1rem}button{padding:.6rem;background:#2f5bd3;color:#fff;border:0;border-radius:6px;font-size:1rem}
.err{color:#b00020}</style></head><body>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<h1>Example Corp sign-in</h1><p>Test identity provider on loopback</p>
${error ? `<p class="err">${escapeHtml(error)}</p>` : ''}
<label>Username <input name="login" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button></form></body></html>`;
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test__/mode' && ctx.method === 'POST') {
    const form = await readForm(ctx.req);
    nextMode = form.get('mode') || null;
    ctx.body = { mode: nextMode };
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (match) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') {
      // Consent is granted by loadExistingGrant; anything else just continues.
      const redirectTo = await provider.interactionResult(ctx.req, ctx.res, {}, { mergeWithLastSubmission: true });
      ctx.status = 303;
      ctx.redirect(redirectTo);
      return;
    }
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid);
      return;
    }
    const form = await readForm(ctx.req);
    const account = accounts[form.get('login') || ''];
    if (!account || account.password !== form.get('password')) {
      ctx.type = 'html';
      ctx.status = 401;
      ctx.body = loginPage(details.uid, 'Unknown user or wrong password.');
      return;
    }
    const redirectTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(redirectTo);
    return;
  }
  await next();
  if (ctx.path === '/token' && nextMode && ctx.body && ctx.body.id_token) {
    const mode = nextMode;
    nextMode = null;
    ctx.body = { ...ctx.body, id_token: await craft(ctx.body.id_token, mode) };
  }
});

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
