import { createHmac } from 'node:crypto';
import { sign, verify } from './signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"events":[{"id":"evt_1","type":"document.ready"}]}';

  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, after t=', () => {
    const mac = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(sign(secret, body, 1_700_000_000)).toBe(`t=1700000000,v1=${mac}`);
  });

  it('verifies its own signature, and nothing else', () => {
    const header = sign(secret, body, 1_700_000_000);
    expect(verify(secret, body, header, 1_700_000_010)).toBe(true);
    expect(verify('whsec_other', body, header, 1_700_000_010)).toBe(false);
    expect(verify(secret, `${body} `, header, 1_700_000_010)).toBe(false);
    expect(verify(secret, body, header.replace('t=1700000000', 't=1700000001'), 1_700_000_010)).toBe(false);
  });

  it('refuses a replay older than the tolerance', () => {
    const header = sign(secret, body, 1_700_000_000);
    expect(verify(secret, body, header, 1_700_000_000 + 301)).toBe(false);
  });
});
