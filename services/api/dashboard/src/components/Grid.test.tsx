import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Grid as GridData } from "../api/client";
import { Grid } from "./Grid";

afterEach(cleanup);

const STATES = ["", "none", "scheduled", "queued", "running", "success", "failed"];
const code = (state: string) => STATES.indexOf(state);

function grid(taskIds: string[], runs: [string, string, string[]][]): GridData {
  return {
    total_runs: runs.length,
    task_ids: taskIds,
    state_names: STATES,
    dag_runs: runs.map(([id, state, cells]) => ({
      dag_run_id: id,
      state,
      run_type: "manual",
      run_after: null,
      start_date: null,
      end_date: null,
      task_states: cells.map(code),
    })),
  };
}

describe("Grid", () => {
  it("shows each task instance's state by run and task, and selects a cell", () => {
    const onSelect = vi.fn();
    const data = grid(
      ["extract", "load"],
      [
        ["r1", "success", ["success", "success"]],
        ["r2", "running", ["running", ""]],
      ],
    );
    render(<Grid grid={data} selected={null} onSelect={onSelect} />);
    expect(screen.getByRole("gridcell", { name: "extract in r2: running" })).toBeTruthy();
    // No instance of the task in that run reads as "none".
    expect(screen.getByRole("gridcell", { name: "load in r2: none" })).toBeTruthy();
    expect(screen.getAllByRole("row")).toHaveLength(2);
    fireEvent.click(screen.getByRole("gridcell", { name: "load in r1: success" }));
    expect(onSelect).toHaveBeenCalledWith({ runId: "r1", taskId: "load" });
  });

  it("marks the selected cell as pressed", () => {
    const data = grid(["a"], [["r1", "failed", ["failed"]]]);
    render(<Grid grid={data} selected={{ runId: "r1", taskId: "a" }} onSelect={() => {}} />);
    const cell = screen.getByRole("gridcell", { name: "a in r1: failed" });
    expect(cell.getAttribute("aria-pressed")).toBe("true");
  });

  it("puts only the cells in view into the page", () => {
    const tasks = Array.from({ length: 200 }, (_, i) => `task_${i}`);
    const runs = Array.from(
      { length: 1000 },
      (_, i) => [`run_${i}`, "success", tasks.map(() => "success")] as [string, string, string[]],
    );
    const { container } = render(
      <Grid grid={grid(tasks, runs)} selected={null} onSelect={() => {}} />,
    );
    // Role queries are slow in jsdom at this size; the cells are the grid's buttons.
    const cells = container.querySelectorAll("button.cell");
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.length).toBeLessThan(10_000); // of 200,000
  });
});
