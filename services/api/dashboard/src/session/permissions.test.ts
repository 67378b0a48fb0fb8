import { expect, it } from "vitest";
import type { Me } from "../api/auth";
import { ADMIN, VIEWER } from "../test/users";
import { can, mayOnDag } from "./permissions";

const nightly = { dag_id: "nightly", tags: [{ name: "sales" }] };

it("follows the role when the user has no DAG grants", () => {
  expect(mayOnDag(ADMIN, "trigger", nightly)).toBe(true);
  expect(mayOnDag(VIEWER, "read", nightly)).toBe(true);
  expect(mayOnDag(VIEWER, "trigger", nightly)).toBe(false);
  expect(can(VIEWER, "pool:read")).toBe(true);
  expect(can(VIEWER, "pool:write")).toBe(false);
  expect(can(null, "dag:read")).toBe(false);
});

it("lets DAG grants alone decide, by DAG id or by tag", () => {
  const ops: Me = {
    ...VIEWER,
    dag_grants: [
      { dag_id: "nightly", tag: null, actions: ["read", "trigger"] },
      { dag_id: null, tag: "finance", actions: ["read", "edit"] },
    ],
  };
  expect(mayOnDag(ops, "trigger", nightly)).toBe(true);
  expect(mayOnDag(ops, "edit", nightly)).toBe(false);
  expect(mayOnDag(ops, "edit", { dag_id: "ledger", tags: [{ name: "finance" }] })).toBe(true);
  expect(mayOnDag(ops, "read", { dag_id: "other", tags: [] })).toBe(false);
});
