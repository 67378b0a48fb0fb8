import type { Grid } from "../api/client";

interface RunChange {
  dag_run_id: string;
  state: string;
}

interface TaskInstanceChange {
  dag_run_id: string;
  task_id: string;
  state: string | null;
}

/** The grid with one state change applied, or null when the change is not on this page
 * (a new run, a task the page does not know): then the page is read again. */
export function applyChange(grid: Grid, kind: string, data: unknown): Grid | null {
  if (kind === "dag_run") {
    const change = data as RunChange;
    const index = grid.dag_runs.findIndex((run) => run.dag_run_id === change.dag_run_id);
    if (index < 0) return null;
    const runs = [...grid.dag_runs];
    runs[index] = { ...runs[index], state: change.state };
    return { ...grid, dag_runs: runs };
  }
  if (kind === "task_instance") {
    const change = data as TaskInstanceChange;
    const index = grid.dag_runs.findIndex((run) => run.dag_run_id === change.dag_run_id);
    const column = grid.task_ids.indexOf(change.task_id);
    const code = grid.state_names.indexOf(change.state ?? "none");
    if (index < 0 || column < 0 || code < 0) return null;
    const runs = [...grid.dag_runs];
    const states = [...runs[index].task_states];
    states[column] = code;
    runs[index] = { ...runs[index], task_states: states };
    return { ...grid, dag_runs: runs };
  }
  return grid;
}
