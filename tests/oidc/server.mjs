// Test-only OpenID Connect provider (panva/oidc-provider) for the Python tests.
//
// Usage: node server.mjs CONFIG.json
//
// CONFIG.json:
//   {
//     "host": "127.0.0.1",              // default 127.0.0.1
//     "port": 0,                        // 0 = any free port
//     "issuer": "http://127.0.0.1:N",   // default http://<host>:<port actually bound>
//     "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//                  "post_logout_redirect_uris": ["..."]}],   // any further client metadata is passed on
//     "accounts": {"<sub>": {"email": "...", "name": "...", "groups": ["..."]}},
//     "require_pkce": true,             // default true: every authorization request needs S256 PKCE
//     "exit_on_stdin_close": false      // exit when stdin closes (the Python driver sets this)
//   }
//
// Prints `READY <issuer>` on stdout once listening. Login: any account id from "accounts" (the
// password is ignored); an unknown account gets the login form again with status 401.

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node server.mjs CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const host = config.host ?? '127.0.0.1';
const accounts = config.accounts ?? {};

const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;

// --- accounts -------------------------------------------------------------------------------

async function findAccount(ctx, sub) {
  if (!Object.hasOwn(accounts, sub)) return undefined;
  const { groups = [], ...claims } = accounts[sub];
  return {
    accountId: sub,
    // Everything; oidc-provider keeps only what the granted scopes/claims allow.
    async claims() {
      return {
        email_verified: true, ...claims, groups, sub,
      };
    },
  };
}

// --- interactions (login + consent) -----------------------------------------------------------

function readForm(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  });
}

function loginPage(uid, params, error) {
  const hint = params.login_hint ? ` value="${escapeHtml(params.login_hint)}"` : '';
  const message = error ? `<p class="error" id="error">${escapeHtml(error)}</p>\n` : '';
  return page('Sign-in', `${message}<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login">
  <input type="hidden" name="prompt" value="login">
  <label>Account <input type="text" name="login" required autofocus${hint}></label>
  <label>Password <input type="password" name="password"></label>
  <button type="submit">Sign-in</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`);
}

function consentPage(uid, clientId, details) {
  const scopes = (details.missingOIDCScope ?? []).map(escapeHtml).join(' ');
  return page('Authorize', `<p>Client <code>${escapeHtml(clientId)}</code> asks for: <code>${scopes}</code></p>
<form id="consent" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <input type="hidden" name="prompt" value="consent">
  <button type="submit">Continue</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`);
}

async function grantConsent(provider, interaction) {
  const { prompt: { details }, grantId, session, params } = interaction;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  if (details.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  return grant.save();
}

function html(ctx, status, body) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

async function interactions(ctx, next) {
  const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(ctx.path);
  if (!match) return next();
  const [, uid, action] = match;
  const { provider } = ctx.state;
  const { req, res } = ctx;

  let interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (err) {
    return html(ctx, 400, page('Error', `<p id="error">${escapeHtml(err.message)}</p>`));
  }
  if (interaction.uid !== uid) {
    return html(ctx, 400, page('Error', '<p id="error">interaction mismatch</p>'));
  }
  const { prompt, params } = interaction;

  if (!action && ctx.method === 'GET') {
    if (prompt.name === 'login') return html(ctx, 200, loginPage(uid, params));
    if (prompt.name === 'consent') return html(ctx, 200, consentPage(uid, params.client_id, prompt.details));
    return html(ctx, 501, page('Error', `<p id="error">prompt ${escapeHtml(prompt.name)} not implemented</p>`));
  }
  if (ctx.method !== 'POST') return html(ctx, 405, page('Error', '<p id="error">method not allowed</p>'));

  const form = await readForm(req);
  ctx.respond = false; // interactionFinished writes the 303 itself
  try {
    if (action === 'abort') {
      return await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false });
    }
    if (action === 'login' && prompt.name === 'login') {
      const accountId = form.get('login') ?? '';
      if (!Object.hasOwn(accounts, accountId)) {
        ctx.respond = true;
        return html(ctx, 401, loginPage(uid, params, `unknown account: ${accountId}`));
      }
      return await provider.interactionFinished(req, res, { login: { accountId } }, {
        mergeWithLastSubmission: false,
      });
    }
    if (action === 'confirm' && prompt.name === 'consent') {
      const grantId = await grantConsent(provider, interaction);
      return await provider.interactionFinished(req, res, { consent: { grantId } }, {
        mergeWithLastSubmission: true,
      });
    }
    ctx.respond = true;
    return html(ctx, 400, page('Error', `<p id="error">unexpected ${escapeHtml(action)} for prompt ${escapeHtml(prompt.name)}</p>`));
  } catch (err) {
    ctx.respond = true;
    return html(ctx, 500, page('Error', `<p id="error">${escapeHtml(err.message)}</p>`));
  }
}

// --- logout pages (the defaults load web fonts; these are plain) ----------------------------------

async function logoutSource(ctx, form) {
  // `form` is <form id="op.logoutForm" method="post" action="..."> with the hidden xsrf input.
  html(ctx, 200, page('Sign-out', `<p>Do you want to sign-out from ${escapeHtml(ctx.host)}?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`));
}

async function postLogoutSuccessSource(ctx) {
  const client = ctx.oidc.client?.clientId;
  html(ctx, 200, page('Signed out', `<p id="signed-out">Your sign-out${client ? ` from ${escapeHtml(client)}` : ''} was successful.</p>`));
}

async function renderError(ctx, out) {
  const text = out.error_description ? `${out.error}: ${out.error_description}` : out.error;
  html(ctx, ctx.status || 400, page('Error', `<p id="error">${escapeHtml(text)}</p>`));
}

// --- provider -------------------------------------------------------------------------------

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig',
  };
}

function buildProvider(issuer) {
  const requirePkce = config.require_pkce ?? true;
  const clients = (config.clients ?? []).map((client) => ({
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
    ...client,
  }));

  const provider = new Provider(issuer, {
    clients,
    findAccount,
    jwks: { keys: [signingKey()] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Plain http on 127.0.0.1: no `secure` flag is set (oidc-provider adds it only on https), and
      // SameSite=None (v8's default for the session cookie) would need `secure` in a browser.
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale'],
      groups: ['groups'],
    },
    // Scope-requested claims go into the ID token even when an access token is issued too.
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => requirePkce },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    renderError,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 3600,
      RefreshToken: 86400,
      Session: 3600,
    },
  });
  provider.use(async (ctx, next) => {
    ctx.state.provider = provider;
    return interactions(ctx, next);
  });
  return provider;
}

const server = createServer();
server.on('error', (err) => {
  console.error(`server error: ${err.code ?? ''} ${err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(config.port ?? 0, host, () => {
  const { port } = server.address();
  const issuer = config.issuer ?? `http://${host}:${port}`;
  const provider = buildProvider(issuer);
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (config.exit_on_stdin_close) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
