// The dashboard's side of the api's cookie session: the session cookie itself is HttpOnly
// (the browser sends it, scripts never see it); the CSRF cookie is readable so that every
// change can echo it in a header, which a page on another site cannot do.
import type { Middleware } from "openapi-fetch";

export const CSRF_COOKIE = "tradewind_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// A wrong password is a problem for the login form to show, not a lost session.
const SIGN_IN_PATH = "/auth/login";

/** The value of the CSRF cookie, or null before signing in. */
export function csrfToken(): string | null {
  for (const pair of document.cookie.split(";")) {
    const [name, ...value] = pair.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** Headers an unsafe request made with the session cookie must carry. */
export function csrfHeaders(method: string): Record<string, string> {
  const token = csrfToken();
  return token && !SAFE_METHODS.has(method.toUpperCase()) ? { [CSRF_HEADER]: token } : {};
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Calls `listener` whenever the api says the caller is not signed in (any 401); returns
 * the function that stops listening. */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export function signedOut(): void {
  for (const listener of signedOutListeners) listener();
}

/** For every call of the typed client: the CSRF header on changes, and a 401 (session
 * expired, revoked, or never there) sends the user to the login page. */
export const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    for (const [name, value] of Object.entries(csrfHeaders(request.method))) {
      request.headers.set(name, value);
    }
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && new URL(request.url).pathname !== SIGN_IN_PATH) signedOut();
    return response;
  },
};
