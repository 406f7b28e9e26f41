import * as assert from 'node:assert/strict';
import { linkForOpenExternal, survivesOpenExternal } from '../../src/providers/auth/authorizationLink';

describe('the sign-in link handed to openExternal', () => {
  it('writes a loopback IPv4 authorization server as 127.0.0.1. in a web workbench, path and query untouched', () => {
    const url = 'http://127.0.0.1:41533/auth?client_id=mailroom-test&redirect_uri=http%3A%2F%2F127.0.0.1%3A40000%2Fcallback&scope=openid+email';
    assert.equal(linkForOpenExternal(url, true), 'http://127.0.0.1.:41533/auth?client_id=mailroom-test&redirect_uri=http%3A%2F%2F127.0.0.1%3A40000%2Fcallback&scope=openid+email');
    assert.equal(new URL(linkForOpenExternal(url, true)).host, '127.0.0.1:41533', 'the browser reads it as the same address');
  });

  it('leaves the link alone on the desktop, for public servers and for names', () => {
    const loopback = 'http://127.0.0.1:41533/auth?x=1';
    assert.equal(linkForOpenExternal(loopback, false), loopback);
    const microsoft = 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=abc';
    assert.equal(linkForOpenExternal(microsoft, true), microsoft);
    const named = 'http://localhost:8080/realms/mail/protocol/openid-connect/auth?x=1';
    assert.equal(linkForOpenExternal(named, true), named);
  });

  it('keeps the default port out and the https scheme in', () => {
    assert.equal(linkForOpenExternal('https://127.0.0.1/device', true), 'https://127.0.0.1./device');
  });

  it('tells which optional values would be changed on the way', () => {
    assert.equal(survivesOpenExternal('alice@example.com'), true);
    assert.equal(survivesOpenExternal('alice+mail@example.com'), false);
    assert.equal(survivesOpenExternal('a&b'), false);
  });
});
