import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, expect, it } from "vitest";
import { StateBadge } from "./StateBadge";

afterEach(cleanup);

it("writes the state's name, not only its colour", () => {
  render(<StateBadge state="up_for_retry" />);
  const badge = screen.getByText("up for retry");
  expect(badge.className).toContain("state-up_for_retry");
});

it("shows a missing state as none", () => {
  render(<StateBadge state={null} />);
  expect(screen.getByText("none")).toBeTruthy();
});
