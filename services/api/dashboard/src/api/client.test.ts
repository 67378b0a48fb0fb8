import { expect, it } from "vitest";
import { problemText } from "./client";

it("uses a problem document's detail", () => {
  expect(problemText({ title: "Conflict", detail: "run r1 is still running" }, 409)).toBe(
    "run r1 is still running",
  );
});

it("names the fields of a validation error", () => {
  const body = { detail: [{ loc: ["body", "conf"], msg: "must be an object" }] };
  expect(problemText(body, 422)).toBe("conf: must be an object");
});

it("says when the server answered without a body", () => {
  expect(problemText(undefined, 503)).toBe("The server answered 503.");
});

it("says plainly that a refused change may not be made, and why", () => {
  expect(problemText({ title: "Forbidden", detail: "you may not trigger the DAG 'x'" }, 403)).toBe(
    "You may not do this: you may not trigger the DAG 'x'",
  );
  expect(problemText(undefined, 403)).toBe("You may not do this.");
});
