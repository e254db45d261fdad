/** The text that replaces a secret value. */
export const MASK = "[MASKED]";

/**
 * Values shorter than this are not masked: masking `a` or `1` would garble every message
 * and such values are no secret anyway. (GitLab itself refuses to mask values under 8.)
 */
const MIN_SECRET_LENGTH = 4;

/**
 * Parts of a variable name that say its value is a secret. One list for both uses: the masker
 * hides the values of such environment variables, and the site config refuses job variables
 * named so (their values would be written into the generated pipeline).
 */
export const SECRET_NAME_PARTS = [
  "TOKEN",
  "SECRET",
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "PRIVATE",
  "ACCESS_KEY",
  "API_KEY",
  "CREDENTIAL",
  "AUTH",
] as const;

const SECRET_NAME = new RegExp(SECRET_NAME_PARTS.join("|"), "i");

/** True when a variable's name says it holds a secret (it contains one of {@link SECRET_NAME_PARTS}). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Collects the secret values to mask: every env var whose name looks secret plus every
 * variable the caller names (for instance the site config's `credentials.*_var`).
 */
export function collectSecretValues(
  env: Record<string, string | undefined>,
  names: Iterable<string> = [],
): string[] {
  const wanted = new Set(names);
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    if (wanted.has(name) || isSecretName(name)) values.push(value);
  }
  return values;
}

/** A function that removes secrets from a text before it is printed or written. */
export type SecretMasker = (text: string) => string;

/**
 * Returns a masker that replaces every given secret value with `[MASKED]`, and the password of
 * any `scheme://user:password@host` URL. Every printer (CLI stdout/stderr, logs, reports) runs
 * its text through one of these.
 */
export function createSecretMasker(secrets: Iterable<string>): SecretMasker {
  const raw = [...secrets].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  // Also the JSON-escaped form: text is often masked after JSON.stringify (--json, reports), where
  // a secret holding `"` or `\` no longer appears verbatim.
  const escaped = raw.map((secret) => JSON.stringify(secret).slice(1, -1));
  // Longest first, so a secret that contains another is masked whole.
  const values = [...new Set([...raw, ...escaped])].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const value of values) out = out.split(value).join(MASK);
    return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s/]+@/gi, `$1${MASK}@`);
  };
}
