import type { Me } from "../api/auth";

// The permissions are the api's own for each role (its access policy).
const VIEWER_PERMISSIONS = ["dag:read", "event_log:read", "import_error:read", "pool:read", "worker:read"];
const OP_PERMISSIONS = [
  ...VIEWER_PERMISSIONS,
  "config:read",
  "connection:read",
  "connection:write",
  "dag:delete",
  "dag:edit",
  "dag:trigger",
  "pool:write",
  "variable:read",
  "variable:write",
];

export const ADMIN: Me = {
  username: "admin",
  role: "Admin",
  permissions: [...OP_PERMISSIONS, "user:admin"],
  dag_grants: [],
};

export const VIEWER: Me = {
  username: "vera",
  role: "Viewer",
  permissions: VIEWER_PERMISSIONS,
  dag_grants: [],
};
