/**
 * The value check of a URL flag (`--endpoint`): an absolute `http://` or `https://` URL with a
 * host. Returns the value unchanged; throws an `Error` saying in words what is wrong, which the
 * CLI reports as a usage error naming the flag. Checked when the flag is parsed, so a bad URL
 * never reaches the proxy lookup or an HTTP client.
 */
export function parseUrlFlag(value: string): string {
  return checkUrl(value, "https://s3.example.org");
}

/** {@link parseUrlFlag} for a flag whose messages show `example` (a URL of that kind of server). */
export function urlFlag(example: string): (value: string) => string {
  return (value) => checkUrl(value, example);
}

function checkUrl(value: string, exampleUrl: string): string {
  const example = `e.g. ${exampleUrl} or http://127.0.0.1:9000`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const reason = /\s/.test(value.trim())
      ? "it contains a space"
      : /\[[^\]]*$/.test(value)
        ? 'its "[" of an IPv6 address is not closed'
        : !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)
          ? "it does not start with http:// or https://"
          : "it does not parse as a URL";
    throw new Error(
      `${JSON.stringify(value)} is not a URL: ${reason}; expected http(s)://host[:port], ${example}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(
      `${JSON.stringify(value)} uses ${url.protocol}//, not http:// or https://; expected http(s)://host[:port], ${example}`,
    );
  if (url.hostname === "") throw new Error(`${JSON.stringify(value)} names no host; ${example}`);
  return value;
}
