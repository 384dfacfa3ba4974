/**
 * The process's secrets and their redaction: the values it holds (bearer tokens it sends, the client
 * secret and certificate password it signs in with, secrets in the environment) are remembered here,
 * process-wide, and {@link redactSecrets} removes them — and anything shaped like a credential — from
 * text before it reaches a log, a results file or an error message.
 *
 * The one module-level registry of the product: it lives here, below every other module, so that
 * the pure Graph functions (src/graph) and everything else can redact without holding state.
 */

const REDACTED = '<redacted>';
const SECRET_KEYS = 'client_secret|client_assertion|access_token|refresh_token|id_token|password';

/** Shortest value {@link rememberSecret} keeps: shorter ones are too likely to be ordinary text. */
export const MIN_REMEMBERED_SECRET_CHARS = 8;
/** Most values {@link rememberSecret} keeps (the oldest is forgotten first): tokens are renewed in long runs. */
export const MAX_REMEMBERED_SECRETS = 64;
const remembered = new Set<string>();

/**
 * Remembers secret values this process holds — bearer tokens it sends, the client secret and
 * certificate password it signs in with — so that {@link redactSecrets} removes them wherever they
 * appear, also where no pattern would find them (a server message echoing the bare token, an
 * identity library's error quoting a password), also percent-encoded or JSON-escaped. Process-wide;
 * `undefined`, non-strings and values shorter than {@link MIN_REMEMBERED_SECRET_CHARS} characters are
 * ignored; at most {@link MAX_REMEMBERED_SECRETS} forms are kept (the least recently remembered go first).
 */
export function rememberSecret(...values: ReadonlyArray<string | undefined>): void {
  for (const raw of values) {
    if (typeof raw !== 'string') continue;
    const value = raw.trim();
    if (value.length < MIN_REMEMBERED_SECRET_CHARS) continue;
    // Also as it appears in a form body or URL (`%2B`) and inside a JSON string (`\"`).
    for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) {
      remembered.delete(form); // re-added as the newest
      remembered.add(form);
    }
    while (remembered.size > MAX_REMEMBERED_SECRETS) remembered.delete(remembered.values().next().value!);
  }
}

/** Environment variables whose values are secrets (docs/graph-behaviour.md §4; @azure/identity's EnvironmentCredential). */
export const SECRET_ENVIRONMENT_VARIABLES: readonly string[] = [
  'GRAPH_ACCESS_TOKEN',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'AZURE_PASSWORD',
];

/** {@link rememberSecret} for the values of {@link SECRET_ENVIRONMENT_VARIABLES} in `env`. */
export function rememberEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  rememberSecret(...SECRET_ENVIRONMENT_VARIABLES.map((name) => env[name]));
}

/**
 * Replace credentials in free text with `<redacted>` before server or request text lands in a log or
 * results file:
 * - every value given to {@link rememberSecret}, wherever it appears;
 * - quoted JSON-ish members `"Authorization": "…"` (any case, single or double quotes), and the same for
 *   `client_secret`, `client_assertion`, `access_token`, `refresh_token`, `id_token`, `password`;
 * - header lines `Authorization: …` (to end of line);
 * - `Bearer <token>` → `Bearer <redacted>` (any case);
 * - JWT-looking strings `eyJ….….…` (the signature part may be empty) → `<redacted>`;
 * - form/query pairs `client_secret=…` (and the other keys above) up to `&`, whitespace, quote or `;`;
 * - the password of `scheme://user:password@host` URLs (proxy and Redis URLs).
 * Idempotent; text without secrets is returned unchanged.
 */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string' || text === '') return text;
  let out = text;
  for (const secret of remembered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return (
    out
      // "Authorization": "…", 'client_secret': '…'
      .replace(
        new RegExp(`((["'])(?:authorization|${SECRET_KEYS})\\2\\s*:\\s*)(["'])(?:\\\\.|(?!\\3)[^\\\\])*\\3`, 'gi'),
        `$1$3${REDACTED}$3`,
      )
      // Authorization: Bearer … (header line)
      .replace(/(\bauthorization[ \t]*:[ \t]*)(?![ \t]*["'<])[^\r\n]+/gi, `$1${REDACTED}`)
      .replace(/\b(bearer)[ \t]+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`)
      .replace(/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED)
      .replace(new RegExp(`\\b(${SECRET_KEYS})=(?!${REDACTED})[^&\\s"';]+`, 'gi'), `$1=${REDACTED}`)
      // scheme://user:password@host (proxy and Redis URLs)
      .replace(new RegExp(`(\\b[a-z][a-z0-9+.-]*://[^\\s/:@]*:)(?!${REDACTED}@)[^\\s/@]+@`, 'gi'), `$1${REDACTED}@`)
  );
}
