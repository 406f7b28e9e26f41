// oidc-provider ships no types; the fixture uses a narrow interface of its own (test/fixtures/oauthServer.ts).
declare module 'oidc-provider';
