// Signing in and out of the dashboard, and who the signed-in user is, through the typed
// client (its session middleware adds the CSRF header to the sign-out).
import { api, problemText } from "./client";
import type { components } from "./schema";

/** The signed-in user as `GET /auth/me` describes them: their role, what it allows
 * (`dag:read`, `pool:write`…), and their DAG grants (when any, the only DAGs they may act
 * on, and how). */
export type Me = components["schemas"]["MeResponse"];

export type SignInAnswer = { me: Me; problem?: undefined } | { me?: undefined; problem: string };

/** The signed-in user, or null when the session is missing or over. */
export async function whoAmI(): Promise<Me | null> {
  const { data, error, response } = await api.GET("/auth/me");
  if (response.status === 401) return null;
  if (!data) throw new Error(problemText(error, response.status));
  return data;
}

/** Signs in (the api sets the session and CSRF cookies), or says why not. */
export async function signIn(username: string, password: string): Promise<SignInAnswer> {
  const { data, error, response } = await api.POST("/auth/login", { body: { username, password } });
  return data ? { me: data } : { problem: problemText(error, response.status) };
}

/** Ends the session: the api revokes its token and clears both cookies. */
export async function signOut(): Promise<void> {
  await api.POST("/auth/logout");
}
