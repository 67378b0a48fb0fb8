// Signing in and out of the dashboard, and who the signed-in user is.
import { problemText } from "./client";
import { csrfHeaders } from "./session";

/** The signed-in user as `GET /auth/me` describes them. */
export interface Me {
  username: string;
  role: "Viewer" | "User" | "Op" | "Admin";
  /** What the role allows: `dag:read`, `dag:trigger`, `pool:write`… */
  permissions: string[];
  /** When not empty, the only DAGs the user may act on, and how. */
  dag_grants: { dag_id?: string | null; tag?: string | null; actions: string[] }[];
}

export type SignInAnswer = { me: Me; problem?: undefined } | { me?: undefined; problem: string };

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(path, window.location.origin), {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...csrfHeaders(method),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function json(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** The signed-in user, or null when the session is missing or over. */
export async function whoAmI(): Promise<Me | null> {
  const response = await call("GET", "/auth/me");
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(problemText(await json(response), response.status));
  return (await json(response)) as Me;
}

/** Signs in (the api sets the session and CSRF cookies), or says why not. */
export async function signIn(username: string, password: string): Promise<SignInAnswer> {
  const response = await call("POST", "/auth/login", { username, password });
  const body = await json(response);
  return response.ok ? { me: body as Me } : { problem: problemText(body, response.status) };
}

/** Ends the session: the api revokes its token and clears both cookies. */
export async function signOut(): Promise<void> {
  await call("POST", "/auth/logout");
}
