/**
 * The proxy a request to `url` should go through, read from the environment as curl and most
 * tools do: `https_proxy`/`HTTPS_PROXY` for https, `http_proxy`/`HTTP_PROXY` for http (the
 * lower-case name wins), none when `no_proxy`/`NO_PROXY` lists the host. A `NO_PROXY` entry is
 * `*`, a host or domain (`example.org` and `.example.org` both cover sub-domains), optionally with
 * `:port`. Address ranges (`10.0.0.0/8`) are not understood and never match.
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
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    if (match[2] && match[2] !== port) continue;
    const domain = match[1]!.replace(/^\*?\./, "").replace(/^\[|\]$/g, "");
    if (domain !== "" && (host === domain || host.endsWith(`.${domain}`))) return undefined;
  }
  return proxy;
}
