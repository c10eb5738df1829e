/** The one redaction function for everything that leaves the engine as text. */

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'cookie', 'set-cookie']);
const SECRET_QUERY_PARAMS = new Set(['key', 'api_key', 'apikey', 'api-key', 'token', 'access_token']);

/**
 * Keys registered at run time, so they are masked even where they appear in free text, with the
 * number of holders of each. Several profiles and engines (the doctor creates its own) can hold
 * the same key, so a key stays masked until every `registerSecret` has its `forgetSecret`.
 */
const knownSecrets = new Map<string, number>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) knownSecrets.set(secret, (knownSecrets.get(secret) ?? 0) + 1);
}

/** Releases one registration of `secret`. The key stays masked while other registrations remain. */
export function forgetSecret(secret: string | undefined): void {
  if (!secret) return;
  const holders = knownSecrets.get(secret);
  if (holders === undefined) return;
  if (holders > 1) knownSecrets.set(secret, holders - 1);
  else knownSecrets.delete(secret);
}

/** Masks keys in URLs (query parameters and user information), bearer tokens and registered secrets. */
export function redactText(text: string): string {
  let result = text;
  for (const secret of knownSecrets.keys()) result = result.split(secret).join('****');
  result = result.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi, '$1****');
  result = result.replace(/\b(sk|rk|pk)-[A-Za-z0-9_-]{8,}/g, '$1-****');
  result = result.replace(/\bAIza[0-9A-Za-z_-]{20,}/g, 'AIza****');
  result = result.replace(/([?&](?:key|api_key|apikey|api-key|token|access_token)=)[^&#\s"']+/gi, '$1****');
  // User information in URLs, also where the scheme is missing or malformed (`http//user:password@host`).
  // The placeholder "password" stays, so fixing advice can show the form of a proxy URL.
  // A match starts only where a run of user-name characters starts, and the runs are bounded, so a
  // long text without "@" takes linear time rather than quadratic (4 MB took minutes).
  result = result.replace(/(?<![^\s/@:'"<>])([^\s/@:'"<>]{1,256}):([^\s/@'"<>]{1,2048})@/g, (match: string, user: string, password: string) => (password === 'password' ? match : `${user}:****@`));
  return result;
}

/**
 * Masks the password, or the user name where there is no password (some proxies take a token as
 * the user name), and secret query parameters, then applies `redactText`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    else if (parsed.username) parsed.username = '****';
    for (const name of [...parsed.searchParams.keys()]) {
      if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) parsed.searchParams.set(name, '****');
    }
    return redactText(parsed.toString());
  } catch {
    return redactText(url);
  }
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    result[name] = SECRET_HEADERS.has(name.toLowerCase()) ? '****' : redactText(value);
  }
  return result;
}
