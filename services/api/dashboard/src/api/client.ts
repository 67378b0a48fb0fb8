// The typed client: every path, parameter and body comes from the api's committed
// openapi.json (src/api/schema.ts is generated from it by `npm run gen:api`).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { sessionMiddleware } from "./session";

export type Dag = components["schemas"]["DAGResponse"];
// `trigger` and `triggerer_job` are always null (no deferred tasks), and the typed client
// leaves always-null fields out of its answers.
export type TaskInstance = Omit<
  components["schemas"]["TaskInstanceResponse"],
  "trigger" | "triggerer_job"
>;
export type Grid = components["schemas"]["GridResponse"];
export type GridRun = components["schemas"]["GridRun"];
export type Task = components["schemas"]["TaskResponse"];
export type Pool = components["schemas"]["PoolResponse"];
export type Variable = components["schemas"]["VariableResponse"];
export type Connection = components["schemas"]["ConnectionResponse"];
export type DagSource = components["schemas"]["DAGSourceResponse"];
export type TaskLog = components["schemas"]["TaskInstancesLogResponse"];

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(sessionMiddleware);

/** The human sentence of an RFC 9457 problem document (or of any failed response); a
 * refusal (403) says plainly that the user may not do this, then why, in the api's words. */
export function problemText(error: unknown, status?: number): string {
  if (status === 403) {
    const detail = (error as { detail?: unknown } | undefined)?.detail;
    return typeof detail === "string" ? `You may not do this: ${detail}` : "You may not do this.";
  }
  return describe(error) ?? (status ? `The server answered ${status}.` : "The server could not be reached.");
}

function describe(error: unknown): string | null {
  if (error && typeof error === "object") {
    const body = error as { title?: string; detail?: unknown };
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail
        .map((item: { loc?: unknown[]; msg?: string }) =>
          [item.loc?.slice(1).join("."), item.msg].filter(Boolean).join(": "),
        )
        .join("; ");
    }
    if (body.title) return body.title;
  }
  return null;
}
