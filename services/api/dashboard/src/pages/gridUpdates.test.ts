import { expect, it } from "vitest";
import type { Grid } from "../api/client";
import { applyChange } from "./gridUpdates";

const grid: Grid = {
  total_runs: 1,
  task_ids: ["a", "b"],
  state_names: ["", "none", "queued", "running", "success"],
  dag_runs: [
    {
      dag_run_id: "r1",
      state: "running",
      run_type: "manual",
      run_after: null,
      start_date: null,
      end_date: null,
      task_states: [3, 1],
    },
  ],
};

it("applies a task instance's new state to its cell", () => {
  const next = applyChange(grid, "task_instance", { dag_run_id: "r1", task_id: "b", state: "queued" });
  expect(next?.dag_runs[0].task_states).toEqual([3, 2]);
  expect(grid.dag_runs[0].task_states).toEqual([3, 1]); // the old grid is left as it was
});

it("applies a run's new state", () => {
  const next = applyChange(grid, "dag_run", { dag_run_id: "r1", state: "success" });
  expect(next?.dag_runs[0].state).toBe("success");
});

it("asks for a reload when the change is not on the page", () => {
  expect(applyChange(grid, "dag_run", { dag_run_id: "r2", state: "queued" })).toBeNull();
  expect(applyChange(grid, "task_instance", { dag_run_id: "r1", task_id: "z", state: "queued" })).toBeNull();
});
