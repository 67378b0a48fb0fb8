// What the signed-in user may do, as the api decides it (its policy is the authority: the
// dashboard only hides what would be refused anyway).
import type { Me } from "../api/auth";

export type DagAction = "read" | "edit" | "trigger" | "delete";

/** A DAG as far as permissions go: its id and tags. */
export interface DagRef {
  dag_id: string;
  tags?: { name: string }[];
}

/** Whether the user's role allows `permission` (`pool:write`, `variable:read`…). */
export function can(me: Me | null, permission: string): boolean {
  return me !== null && me.permissions.includes(permission);
}

/** Whether the user may take `action` on the DAG: with DAG grants, those grants alone
 * decide (by DAG id or tag); without any, the role does. */
export function mayOnDag(me: Me | null, action: DagAction, dag: DagRef): boolean {
  if (me === null) return false;
  if (me.dag_grants.length === 0) return can(me, `dag:${action}`);
  const tags = new Set((dag.tags ?? []).map((tag) => tag.name));
  return me.dag_grants.some(
    (grant) =>
      grant.actions.includes(action) &&
      (grant.dag_id != null ? grant.dag_id === dag.dag_id : grant.tag != null && tags.has(grant.tag)),
  );
}
