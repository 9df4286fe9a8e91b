import { LinkTokens } from './link-token';

describe('survey link tokens', () => {
  const t = new LinkTokens('s'.repeat(40));

  it('are 22 url-safe characters, so the path stays within 30 characters', () => {
    const token = t.tokenFor(t.newNonce());
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new URL(t.url('https://x.example.com/', token)).pathname.length).toBeLessThanOrEqual(30);
  });

  it('re-derive the same token from the stored nonce, and a different one with another secret', () => {
    const nonce = t.newNonce();
    expect(t.tokenFor(nonce)).toBe(t.tokenFor(nonce));
    expect(new LinkTokens('o'.repeat(40)).tokenFor(nonce)).not.toBe(t.tokenFor(nonce));
  });

  it('are unique across many issues and stored only as a SHA-256', () => {
    const tokens = new Set(Array.from({ length: 20000 }, () => t.tokenFor(t.newNonce())));
    expect(tokens.size).toBe(20000);
    const token = [...tokens][0];
    expect(t.hash(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(t.hash(token)).not.toContain(token);
  });
});
