import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import { TriggerForm } from "./TriggerForm";

afterEach(cleanup);

it("turns the DAG's params into fields and their values into the run's conf", async () => {
  const onTrigger = vi.fn(async () => {});
  render(
    <TriggerForm
      params={{ day: "monday", retries: { default: 3, type: "integer", description: "How many" }, full: false }}
      onTrigger={onTrigger}
      onCancel={() => {}}
    />,
  );
  fireEvent.change(screen.getByLabelText(/retries/), { target: { value: "5" } });
  fireEvent.change(screen.getByLabelText(/full/), { target: { value: "true" } });
  fireEvent.click(screen.getByRole("button", { name: "Trigger" }));
  await vi.waitFor(() => expect(onTrigger).toHaveBeenCalled());
  expect(onTrigger).toHaveBeenCalledWith({ day: "monday", retries: 5, full: true });
});

it("says which field is wrong instead of triggering", async () => {
  const onTrigger = vi.fn(async () => {});
  render(<TriggerForm params={{ size: 1 }} onTrigger={onTrigger} onCancel={() => {}} />);
  fireEvent.change(screen.getByLabelText(/size/), { target: { value: "" } });
  fireEvent.click(screen.getByRole("button", { name: "Trigger" }));
  expect(await screen.findByRole("alert")).toHaveProperty("textContent", "size: not a number");
  expect(onTrigger).not.toHaveBeenCalled();
});
