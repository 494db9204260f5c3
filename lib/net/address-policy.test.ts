import { describe, expect, it } from "vitest";
import {
  AllowListError, checkAddress, effectivePort, isAllowListed, isPublicAddress, parseAllowList, parseAllowListText,
} from "./address-policy";

describe("checkAddress", () => {
  it.each([
    ["8.8.8.8"],
    ["1.1.1.1"],
    ["172.32.0.1"], // just past 172.16/12
    ["100.128.0.1"], // just past 100.64/10
    ["2001:4860:4860::8888"],
    ["2606:4700:4700::1111"],
    ["::ffff:8.8.8.8"], // mapped, public inside
    ["64:ff9b::808:808"], // NAT64 of a public address
    ["2002:808:808::1"], // 6to4 of a public address
    ["2001:0:808:808:0:0:f7f7:f7f7"], // Teredo: server 8.8.8.8, client 8.8.8.8
  ])("treats %s as public", (ip) => {
    expect(checkAddress(ip)).toEqual({ public: true });
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["100.127.255.255", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.10", "reserved"], // TEST-NET-1
    ["198.51.100.7", "reserved"], // TEST-NET-2
    ["203.0.113.99", "reserved"], // TEST-NET-3
    ["198.18.0.1", "reserved"], // benchmarking
    ["240.0.0.1", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["fe80::1", "linkLocal"],
    ["febf::1", "linkLocal"],
    ["fc00::1", "uniqueLocal"],
    ["fd00:ec2::254", "uniqueLocal"], // AWS metadata over IPv6
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"], // documentation
    ["3fff::1", "reserved"], // documentation (RFC 9637)
    ["100::1", "discard"],
    ["4000::1", "unassigned"], // outside 2000::/3
    ["64:ff9b:1::a", "nat64Local"],
  ])("refuses %s (%s)", (ip, range) => {
    const verdict = checkAddress(ip);
    expect(verdict.public).toBe(false);
    expect(verdict).toMatchObject({ range });
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback"], // IPv4-mapped
    ["::ffff:7f00:1", "loopback"], // the same, in hex
    ["::ffff:169.254.169.254", "linkLocal"],
    ["::ffff:10.1.2.3", "private"],
    ["::127.0.0.1", "loopback"], // IPv4-compatible
    ["::10.0.0.1", "private"],
    ["::ffff:0:7f00:1", "loopback"], // IPv4-translated
    ["64:ff9b::7f00:1", "loopback"], // NAT64 well-known prefix
    ["64:ff9b::a9fe:a9fe", "linkLocal"],
    ["2002:7f00:1::", "loopback"], // 6to4
    ["2002:c0a8:101::1", "private"],
    ["2001:0:7f00:1::1", "loopback"], // Teredo server part
    ["2001:0:808:808:0:0:80ff:fffe", "loopback"], // Teredo client part (inverted 127.0.0.1)
  ])("refuses %s, an IPv6 form embedding a non-public IPv4 (%s)", (ip, range) => {
    const verdict = checkAddress(ip);
    expect(verdict).toMatchObject({ public: false, range });
    expect(verdict.public === false && verdict.reason).toMatch(/^an IPv6 address embedding /);
  });

  it("refuses what is not an address", () => {
    expect(checkAddress("example.com")).toMatchObject({ public: false, range: "invalid" });
    expect(checkAddress("")).toMatchObject({ public: false });
  });
});

describe("allowlist", () => {
  it("parses host:port entries and normalizes hosts like the URL parser", () => {
    const list = parseAllowListText(" 127.0.0.1:4010 , LLM.Internal:8080,[0:0::1]:9000,,");
    expect([...list]).toEqual(["127.0.0.1:4010", "llm.internal:8080", "[::1]:9000"]);
    expect(parseAllowListText(undefined).size).toBe(0);
  });

  it.each([["localhost"], ["localhost:"], ["localhost:0"], ["localhost:70000"], ["::1:9000"], ["http://a:1"], ["a b:1"]])(
    "rejects the malformed entry %j",
    (entry) => {
      expect(() => parseAllowList([entry])).toThrow(AllowListError);
    },
  );

  it("matches on the URL's host and effective port", () => {
    const list = parseAllowList(["127.0.0.1:4010", "llm.internal:80", "secure.internal:443", "[::1]:9000"]);
    expect(isAllowListed(new URL("http://127.0.0.1:4010/x"), list)).toBe(true);
    expect(isAllowListed(new URL("http://127.0.0.1:4011/x"), list)).toBe(false);
    expect(isAllowListed(new URL("http://LLM.internal/v1"), list)).toBe(true);
    expect(isAllowListed(new URL("https://llm.internal/v1"), list)).toBe(false);
    expect(isAllowListed(new URL("https://secure.internal/"), list)).toBe(true);
    expect(isAllowListed(new URL("http://[0::1]:9000/"), list)).toBe(true);
    // The entry names a host, not what it resolves to.
    expect(isAllowListed(new URL("http://localhost:4010/"), list)).toBe(false);
  });

  it("knows the default ports", () => {
    expect(effectivePort(new URL("http://a/"))).toBe(80);
    expect(effectivePort(new URL("https://a/"))).toBe(443);
    expect(effectivePort(new URL("https://a:8443/"))).toBe(8443);
  });
});
