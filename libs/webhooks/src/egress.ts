import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhook deliveries may go. WEBHOOK_ALLOWLIST unset: any host whose addresses are all public. Set: only
 * the host names, addresses and CIDR ranges it lists; a listed address or range may be private (a receiver on
 * the operator's own network), a listed host name may not resolve to a private address unless that address is
 * listed too. Checked on registration and again, after DNS resolution, on every connection (so a name that
 * starts resolving to an internal address is refused).
 */
export class EgressPolicy {
  private readonly hosts = new Set<string>();
  private readonly addresses = new BlockList();
  private readonly restricted: boolean;

  constructor(allowlist: readonly string[]) {
    this.restricted = allowlist.length > 0;
    for (const entry of allowlist) {
      const [address, bits] = entry.split('/');
      const family = isIP(address ?? '');
      if (family === 0) this.hosts.add(entry.toLowerCase());
      else if (bits === undefined) this.addresses.addAddress(address!, family === 4 ? 'ipv4' : 'ipv6');
      else this.addresses.addSubnet(address!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  /** Why `url` may not be called (before resolving it), or undefined. */
  refuseUrl(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http(s) URL';
    if (parsed.username || parsed.password)
      return 'must not carry credentials (sign with the secret instead)';
    const host = hostOf(parsed);
    if (isIP(host) === 0) {
      return this.restricted && !this.hosts.has(host)
        ? `host ${host} is not in WEBHOOK_ALLOWLIST`
        : undefined;
    }
    if (this.restricted && !this.listed(host)) return `address ${host} is not in WEBHOOK_ALLOWLIST`;
    return this.refuseAddress(host);
  }

  /** Why a resolved address may not be connected to, or undefined. */
  refuseAddress(address: string): string | undefined {
    if (this.listed(address)) return undefined;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.refuseAddress(mapped[1]!);
    if (SPECIAL.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) {
      return `address ${address} is private, loopback or link-local (list it in WEBHOOK_ALLOWLIST to allow it)`;
    }
    return undefined;
  }

  private listed(address: string): boolean {
    return this.addresses.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }

  /** Resolves `url`'s host and checks every address it has; why it is refused, or undefined. */
  async refuseDestination(url: string): Promise<string | undefined> {
    const refused = this.refuseUrl(url);
    if (refused) return refused;
    const host = hostOf(new URL(url));
    if (isIP(host) !== 0) return undefined;
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host, { all: true });
    } catch (error) {
      return `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
    }
    for (const { address } of addresses) {
      const reason = this.refuseAddress(address);
      if (reason) return `host ${host}: ${reason}`;
    }
    return undefined;
  }
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** Addresses no webhook goes to unless the operator lists them: private, loopback, link-local and the like. */
const SPECIAL = new BlockList();
for (const [network, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  SPECIAL.addSubnet(network, bits, 'ipv4');
}
for (const [network, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  SPECIAL.addSubnet(network, bits, 'ipv6');
}
