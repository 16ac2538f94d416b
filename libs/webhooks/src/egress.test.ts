import { EgressPolicy } from './egress';

describe('EgressPolicy', () => {
  const open = new EgressPolicy([]);

  it('refuses what is not a plain http(s) URL', () => {
    expect(open.refuseUrl('ftp://example.com/x')).toBe('must be an http(s) URL');
    expect(open.refuseUrl('not a url')).toBe('is not a URL');
    expect(open.refuseUrl('https://user:pw@example.com/')).toMatch(/credentials/);
  });

  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0'])(
    'refuses the private or special address %s by default',
    (address) => {
      expect(open.refuseUrl(`http://${address}/hook`)).toMatch(/private, loopback or link-local/);
    },
  );

  it.each(['[::1]', '[fe80::1]', '[fd00::1]', '[::ffff:127.0.0.1]', '[::ffff:a9fe:a9fe]'])(
    'refuses the IPv6 address %s by default (mapped IPv4 included)',
    (address) => {
      expect(open.refuseUrl(`http://${address}/hook`)).toMatch(/private, loopback or link-local/);
    },
  );

  it('allows public addresses when no allow-list is set', () => {
    expect(open.refuseUrl('https://93.184.216.34/hook')).toBeUndefined();
    expect(open.refuseUrl('https://hooks.example.com/x')).toBeUndefined();
  });

  it('with an allow-list, allows only what it lists, private addresses included when listed', () => {
    const policy = new EgressPolicy(['127.0.0.1', '10.8.0.0/16', 'hooks.example.com']);
    expect(policy.refuseUrl('http://127.0.0.1:9000/hook')).toBeUndefined();
    expect(policy.refuseUrl('http://10.8.4.2/hook')).toBeUndefined();
    expect(policy.refuseUrl('https://hooks.example.com/x')).toBeUndefined();
    expect(policy.refuseUrl('http://10.9.0.1/hook')).toBe('address 10.9.0.1 is not in WEBHOOK_ALLOWLIST');
    expect(policy.refuseUrl('https://93.184.216.34/hook')).toBe(
      'address 93.184.216.34 is not in WEBHOOK_ALLOWLIST',
    );
    expect(policy.refuseUrl('https://other.example.com/x')).toBe(
      'host other.example.com is not in WEBHOOK_ALLOWLIST',
    );
  });

  it('checks the addresses a listed name resolves to: a name pointing inside is refused', async () => {
    const policy = new EgressPolicy(['localhost']);
    expect(policy.refuseUrl('http://localhost:9/hook')).toBeUndefined();
    await expect(policy.refuseDestination('http://localhost:9/hook')).resolves.toMatch(
      /^host localhost: address (127\.0\.0\.1|::1) is private, loopback or link-local/,
    );
    const both = new EgressPolicy(['localhost', '127.0.0.1', '::1']);
    await expect(both.refuseDestination('http://localhost:9/hook')).resolves.toBeUndefined();
  });
});
