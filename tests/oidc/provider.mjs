// An OpenID provider on loopback for Keydesk's company-login test (tests/it/team_oidc.rs):
// panva's oidc-provider (pinned in package.json, installed by scripts/test.sh), with one
// client for OpenBao and the provider's own development login form, which signs in whoever
// types a name. Each person's `groups` claim comes from KEYDESK_TEST_OIDC_GROUPS
// ("bo=marketing;cy=readers"), their email is NAME@example.test.
//
// Usage: node provider.mjs PORT   (the client's secret in OIDC_CLIENT_SECRET; prints "ready")
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const secret = process.env.OIDC_CLIENT_SECRET;
if (!port || !secret) {
  console.error('usage: OIDC_CLIENT_SECRET=... node provider.mjs PORT');
  process.exit(2);
}
const groups = new Map(
  (process.env.KEYDESK_TEST_OIDC_GROUPS || '')
    .split(';')
    .filter(Boolean)
    .map((pair) => {
      const [name, list] = pair.split('=');
      return [name, (list || '').split(',').filter(Boolean)];
    }),
);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'openbao',
      client_secret: secret,
      // A native client: its loopback redirect address is accepted on any port (RFC 8252).
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/oidc/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  // The ID token carries the scopes' claims (OpenBao reads them there).
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true, groups: groups.get(id) || [] };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => console.log('ready'));
