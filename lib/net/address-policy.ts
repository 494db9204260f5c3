/**
 * Which IP addresses a server-side fetch may reach, and which host:port pairs an operator has
 * opened up anyway. Plain Node: no framework imports, so the engine host, services, worker and
 * tests can all use it.
 *
 * The rule is an allowlist of address kinds, not a blocklist: an address is public only if it
 * is ordinary global unicast. Everything else (loopback, private, link-local, shared, reserved,
 * multicast, documentation, unassigned IPv6 space…) is refused, and IPv6 forms that carry an
 * IPv4 address inside them are judged by that IPv4 address.
 */
import ipaddr from "ipaddr.js";

/** The verdict on one address. `reason` is short, readable and safe to show to users. */
export type AddressVerdict =
  | { public: true }
  | { public: false; range: string; reason: string };

/** Readable words for the ranges ipaddr.js names (plus a few of ours). */
const RANGE_WORDS: Record<string, string> = {
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address",
  loopback: "a loopback address",
  carrierGradeNat: "a shared (carrier-grade NAT) address",
  private: "a private network address",
  reserved: "a reserved address",
  as112: "a reserved address",
  as112v6: "a reserved address",
  amt: "a reserved address",
  benchmarking: "a reserved address",
  uniqueLocal: "a unique-local address",
  deprecatedSiteLocal: "a site-local address",
  discard: "a reserved address",
  orchid2: "a reserved address",
  deprecatedOrchid: "a reserved address",
  droneRemoteIdProtocolEntityTags: "a reserved address",
  segmentRouting: "a reserved address",
  nat64Local: "a local-use NAT64 address",
  unassigned: "a reserved address",
  invalid: "not a valid IP address",
};

function refuse(range: string): AddressVerdict {
  return { public: false, range, reason: RANGE_WORDS[range] ?? "a reserved address" };
}

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

function checkV4(addr: ipaddr.IPv4): AddressVerdict {
  const range = addr.range();
  return range === "unicast" ? { public: true } : refuse(range);
}

function v4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo), if any. */
function embeddedV4(addr: ipaddr.IPv6, range: string): ipaddr.IPv4[] | null {
  const p = addr.parts;
  // ::a.b.c.d (IPv4-compatible, deprecated), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated).
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && ((p[4] === 0 && (p[5] === 0 || p[5] === 0xffff)) || (p[4] === 0xffff && p[5] === 0))) {
    return [v4FromParts(p[6], p[7])];
  }
  if (addr.match(NAT64_WELL_KNOWN)) return [v4FromParts(p[6], p[7])];
  if (range === "6to4") return [v4FromParts(p[1], p[2])];
  if (range === "teredo") {
    // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC — the relay server in clear, the client's
    // address inverted. Both must be public.
    return [v4FromParts(p[2], p[3]), v4FromParts(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  }
  return null;
}

function checkV6(addr: ipaddr.IPv6): AddressVerdict {
  const range = addr.range();
  // Plain special ranges first, so ::1 reads as loopback and :: as unspecified.
  if (range === "loopback" || range === "unspecified") return refuse(range);
  const inner = embeddedV4(addr, range);
  if (inner) {
    for (const v4 of inner) {
      const verdict = checkV4(v4);
      if (!verdict.public) return { public: false, range: verdict.range, reason: `an IPv6 address embedding ${verdict.reason}` };
    }
    return { public: true };
  }
  if (range === "rfc6052") return refuse("nat64Local"); // 64:ff9b:1::/48, local-use prefixes
  if (range !== "unicast") return refuse(range);
  // Outside 2000::/3 nothing is assigned for global unicast.
  return addr.match(GLOBAL_UNICAST_V6) ? { public: true } : refuse("unassigned");
}

/**
 * Judges one IP address (IPv4 dotted quad or IPv6, optionally in brackets). Anything that does
 * not parse as an address is not public.
 */
export function checkAddress(ip: string): AddressVerdict {
  const text = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(text);
  } catch {
    return refuse("invalid");
  }
  return addr.kind() === "ipv4" ? checkV4(addr as ipaddr.IPv4) : checkV6(addr as ipaddr.IPv6);
}

/** Whether a server-side fetch may connect to this address without an allowlist entry. */
export function isPublicAddress(ip: string): boolean {
  return checkAddress(ip).public;
}

// ---------------------------------------------------------------------------------------------
// Allowlist: host:port pairs that may be reached even though they resolve to a private address.

/** Environment variable holding the allowlist, e.g. `127.0.0.1:4010,llm.internal:8080,[::1]:9000`. */
export const FETCH_ALLOW_ENV = "FLOWDECK_FETCH_ALLOW";

/** A parsed allowlist: normalized `host:port` keys (IPv6 hosts in brackets). */
export type AllowList = ReadonlySet<string>;

/** A malformed allowlist entry. */
export class AllowListError extends Error {
  readonly code = "invalid_allowlist";
  constructor(message: string) {
    super(message);
    this.name = "AllowListError";
  }
}

/**
 * The key a URL host and port are matched by: the host as the WHATWG URL parser normalizes it
 * (lower case, punycode, IPv6 compressed and bracketed) plus the port as a number.
 */
export function allowKey(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

/** Parses allowlist entries (`host:port`, IPv6 as `[addr]:port`); throws AllowListError on a bad one. */
export function parseAllowList(entries: Iterable<string>): AllowList {
  const keys = new Set<string>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    const m = /^(\[[^\]]+\]|[^:[\]/\s]+):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new AllowListError(`Invalid ${FETCH_ALLOW_ENV} entry '${entry}': expected host:port, e.g. 127.0.0.1:4010 or [::1]:9000`);
    }
    let hostname: string;
    try {
      hostname = new URL(`http://${m[1]}/`).hostname;
    } catch {
      throw new AllowListError(`Invalid ${FETCH_ALLOW_ENV} entry '${entry}': '${m[1]}' is not a host name or address`);
    }
    keys.add(allowKey(hostname, port));
  }
  return keys;
}

/** Parses a comma-separated allowlist such as the value of FLOWDECK_FETCH_ALLOW. */
export function parseAllowListText(text: string | undefined): AllowList {
  return parseAllowList((text ?? "").split(","));
}

/** The port a URL connects to: its explicit port, or the scheme's default. */
export function effectivePort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** Whether the allowlist opens this URL's host and effective port. */
export function isAllowListed(url: URL, allow: AllowList): boolean {
  return allow.size > 0 && allow.has(allowKey(url.hostname, effectivePort(url)));
}
