import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { App } from "../App";
import { answer, json, problem, requests } from "../test/fakeApi";
import { ADMIN, VIEWER } from "../test/users";

afterEach(cleanup);

const POOL = {
  name: "reports",
  slots: 3,
  description: null,
  include_deferred: false,
  occupied_slots: 0,
  running_slots: 0,
  queued_slots: 0,
  scheduled_slots: 0,
  open_slots: 3,
  deferred_slots: 0,
};
const DAG = {
  dag_id: "nightly",
  dag_display_name: "nightly",
  is_paused: false,
  tags: [{ name: "sales", dag_id: "nightly" }],
  timetable_description: null,
  next_dagrun_run_after: null,
};

async function signIn() {
  fireEvent.change(await screen.findByLabelText("Username"), { target: { value: "admin" } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: "s3cret" } });
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

it("shows the login page when any call answers 401, and comes back to the same page", async () => {
  window.history.replaceState(null, "", "/pools");
  answer("GET /auth/me", json(200, ADMIN));
  // The session ended behind the page's back (expired, revoked).
  answer("GET /api/v2/pools", problem(401, "the access token has expired"));
  render(<App />);
  expect(await screen.findByRole("heading", { name: "Sign in to Tradewind" })).toBeTruthy();
  expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();

  answer("POST /auth/login", json(200, ADMIN));
  answer("GET /api/v2/pools", json(200, { pools: [POOL], total_entries: 1 }));
  await signIn();

  expect(await screen.findByRole("heading", { name: "Pools" })).toBeTruthy();
  expect(await screen.findByRole("cell", { name: "reports" })).toBeTruthy();
  expect(window.location.pathname).toBe("/pools");
});

it("sends the CSRF cookie's value with every change, and signs out", async () => {
  document.cookie = "tradewind_csrf=csrf-value-1; path=/";
  answer("GET /auth/me", json(200, ADMIN));
  answer("GET /api/v2/pools", json(200, { pools: [POOL], total_entries: 1 }));
  answer("DELETE /api/v2/pools/reports", new Response(null, { status: 204 }));
  answer("POST /auth/logout", new Response(null, { status: 204 }));
  window.history.replaceState(null, "", "/pools");
  render(<App />);

  fireEvent.click(await screen.findByRole("button", { name: "Delete reports" }));
  await screen.findByRole("heading", { name: "Pools" });
  await expect.poll(() => requests.some((r) => r.method === "DELETE")).toBe(true);
  const reads = requests.filter((r) => r.method === "GET" && r.url.includes("/api/v2/"));
  expect(reads.every((r) => !r.headers.has("X-CSRF-Token"))).toBe(true);
  const deletion = requests.find((r) => r.method === "DELETE")!;
  expect(deletion.headers.get("X-CSRF-Token")).toBe("csrf-value-1");

  fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
  expect(await screen.findByRole("heading", { name: "Sign in to Tradewind" })).toBeTruthy();
  const logout = requests.find((r) => r.url.endsWith("/auth/logout"))!;
  expect(logout.headers.get("X-CSRF-Token")).toBe("csrf-value-1");
  expect(window.location.pathname).toBe("/");
});

it("says plainly when the role may not do something", async () => {
  answer("GET /auth/me", json(200, ADMIN));
  answer("GET /api/v2/pools", json(200, { pools: [POOL], total_entries: 1 }));
  answer("DELETE /api/v2/pools/reports", problem(403, "your role (Viewer) may not do this"));
  window.history.replaceState(null, "", "/pools");
  render(<App />);
  fireEvent.click(await screen.findByRole("button", { name: "Delete reports" }));
  expect((await screen.findByRole("alert")).textContent).toBe(
    "You may not do this: your role (Viewer) may not do this",
  );
});

it("offers a Viewer nothing their role may not do", async () => {
  answer("GET /auth/me", json(200, VIEWER));
  answer("GET /api/v2/dags", json(200, { dags: [DAG], total_entries: 1 }));
  answer("GET /api/v2/dags/nightly/grid", json(200, { dag_runs: [], task_ids: [], state_names: [], total_runs: 0 }));
  render(<App />);

  expect(await screen.findByRole("link", { name: "nightly" })).toBeTruthy();
  expect(screen.getByTestId("current-user").textContent).toBe("vera (Viewer)");
  expect(screen.queryByRole("button", { name: /Trigger/ })).toBeNull();
  expect((screen.getByLabelText("nightly active") as HTMLInputElement).disabled).toBe(true);
  // Pages the role may not read are not offered either.
  const nav = screen.getByRole("navigation", { name: "Main" });
  expect(nav.textContent).toContain("Pools");
  expect(nav.textContent).not.toContain("Variables");
  expect(nav.textContent).not.toContain("Connections");
});
