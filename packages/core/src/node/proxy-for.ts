import { BlockList, isIP } from "node:net";

/**
 * True when a `NO_PROXY` entry `address/prefix` (`10.0.0.0/8`, `fd00::/8`) holds `host`, an IP
 * address. Node's BlockList does the matching (IPv4 and IPv6).
 */
function inRange(host: string, entry: string): boolean {
  const [address, prefixText] = entry.split("/") as [string, string];
  const family = isIP(address);
  const prefix = Number(prefixText);
  const hostFamily = isIP(host);
  if (family === 0 || hostFamily !== family || !/^\d+$/.test(prefixText)) return false;
  if (prefix > (family === 4 ? 32 : 128)) return false;
  const range = new BlockList();
  const type = family === 4 ? "ipv4" : "ipv6";
  range.addSubnet(address, prefix, type);
  return range.check(host, type);
}

/**
 * The proxy a request to `url` should go through, read from the environment as curl and most
 * tools do: `https_proxy`/`HTTPS_PROXY` for https, `http_proxy`/`HTTP_PROXY` for http (the
 * lower-case name wins), none when `no_proxy`/`NO_PROXY` lists the host. A `NO_PROXY` entry is
 * `*`, a host or domain (`example.org` and `.example.org` both cover sub-domains), optionally with
 * `:port`, or an address range `10.0.0.0/8` / `fd00::/8` that covers addresses inside it (as Go,
 * Python's requests and curl ≥ 7.86 read it; a host name is never resolved to check a range).
 */
export function proxyFor(url: string | URL, env: Record<string, string | undefined>): string | undefined {
  const target = typeof url === "string" ? new URL(url) : url;
  const pick = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const proxy = target.protocol === "http:" ? pick("http_proxy") : pick("https_proxy");
  if (!proxy) return undefined;
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = target.port || (target.protocol === "http:" ? "80" : "443");
  for (const raw of (pick("no_proxy") ?? "").split(/[\s,]+/)) {
    const entry = raw.toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return undefined;
    if (entry.includes("/")) {
      if (inRange(host, entry.replace(/^\[|\](?=\/)/g, ""))) return undefined;
      continue;
    }
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    if (match[2] && match[2] !== port) continue;
    const domain = match[1]!.replace(/^\*?\./, "").replace(/^\[|\]$/g, "");
    if (domain !== "" && (host === domain || host.endsWith(`.${domain}`))) return undefined;
  }
  return proxy;
}
