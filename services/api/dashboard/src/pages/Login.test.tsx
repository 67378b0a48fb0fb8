import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { App } from "../App";
import { answer, json, problem, requests } from "../test/fakeApi";
import { ADMIN } from "../test/users";

afterEach(cleanup);

function signedOut() {
  answer("GET /auth/me", problem(401, "sign in first"));
  answer("GET /api/v2/dags", json(200, { dags: [], total_entries: 0 }));
}

async function fillIn(username: string, password: string) {
  fireEvent.change(await screen.findByLabelText("Username"), { target: { value: username } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: password } });
}

it("asks for a username and a password, and signs in with Enter", async () => {
  signedOut();
  answer("POST /auth/login", json(200, ADMIN));
  render(<App />);
  expect(await screen.findByRole("heading", { name: "Sign in to Tradewind" })).toBeTruthy();
  // Nothing of the dashboard shows before signing in.
  expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
  expect(screen.getByLabelText("Password").getAttribute("type")).toBe("password");

  await fillIn("admin", "s3cret");
  // Enter in a field submits the form.
  fireEvent.submit(screen.getByRole("form", { name: "Sign in" }));

  expect(await screen.findByRole("heading", { name: "DAGs" })).toBeTruthy();
  expect(screen.getByTestId("current-user").textContent).toBe("admin (Admin)");
  expect(screen.getByRole("button", { name: "Sign out" })).toBeTruthy();
  const login = requests.find((r) => r.url.endsWith("/auth/login"))!;
  expect(await login.json()).toEqual({ username: "admin", password: "s3cret" });
});

it("shows the api's words when the password is wrong, and stays", async () => {
  signedOut();
  answer("POST /auth/login", problem(401, "wrong username or password"));
  render(<App />);
  await fillIn("admin", "guess");
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

  expect((await screen.findByRole("alert")).textContent).toBe("wrong username or password");
  expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
  expect((screen.getByLabelText("Username") as HTMLInputElement).value).toBe("admin");
  expect(screen.queryByRole("heading", { name: "DAGs" })).toBeNull();
});

it("says so when the server cannot be reached", async () => {
  signedOut();
  answer("POST /auth/login", () => Promise.reject(new TypeError("Failed to fetch")));
  render(<App />);
  await fillIn("admin", "s3cret");
  fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
  expect((await screen.findByRole("alert")).textContent).toBe("The server could not be reached.");
});
