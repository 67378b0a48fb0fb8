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
