import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import type { Grid as GridData } from "../api/client";

export interface Cell {
  runId: string;
  taskId: string;
}

interface GridProps {
  grid: GridData;
  selected: Cell | null;
  onSelect: (cell: Cell) => void;
}

const CELL = 18;
const LABEL_WIDTH = 220;
const HEADER_HEIGHT = 34;

/** Runs (columns, oldest to newest) by tasks (rows); each cell is a task instance's state,
 * a button that opens its panel. Only the cells in view are in the page, so a thousand
 * runs of a 200-task DAG render as fast as ten. */
export function Grid({ grid, selected, onSelect }: GridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const runs = grid.dag_runs;
  const rows = useVirtualizer({
    count: grid.task_ids.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => CELL,
    overscan: 8,
    initialRect: { width: 1200, height: 600 },
  });
  const columns = useVirtualizer({
    horizontal: true,
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => CELL,
    overscan: 8,
    initialRect: { width: 1200, height: 600 },
  });
  // The newest runs are on the right: start scrolled there.
  const scrolledRight = useRef(false);
  if (!scrolledRight.current && runs.length > 0 && scroller.current) {
    scrolledRight.current = true;
    columns.scrollToIndex(runs.length - 1, { align: "end" });
  }
  const width = LABEL_WIDTH + columns.getTotalSize();
  const height = HEADER_HEIGHT + rows.getTotalSize();

  return (
    <div
      className="grid"
      ref={scroller}
      role="grid"
      aria-label="Runs by tasks"
      aria-rowcount={grid.task_ids.length + 1}
      aria-colcount={runs.length + 1}
    >
      <div style={{ width, height, position: "relative" }}>
        <div className="grid-corner" style={{ width: LABEL_WIDTH, height: HEADER_HEIGHT }}>
          Task
        </div>
        {columns.getVirtualItems().map((column) => {
          const run = runs[column.index];
          return (
            <span
              key={run.dag_run_id}
              role="columnheader"
              className={`run-bar state-${run.state}`}
              title={`${run.dag_run_id}: ${run.state}`}
              aria-label={`${run.dag_run_id}: ${run.state}`}
              style={{ left: LABEL_WIDTH + column.start, width: CELL - 2 }}
            />
          );
        })}
        {rows.getVirtualItems().map((row) => {
          const taskId = grid.task_ids[row.index];
          return (
            <div
              key={taskId}
              role="row"
              aria-rowindex={row.index + 2}
              className="grid-row"
              style={{ top: HEADER_HEIGHT + row.start, height: CELL }}
            >
              <span role="rowheader" className="grid-task" style={{ width: LABEL_WIDTH }}>
                {taskId}
              </span>
              {columns.getVirtualItems().map((column) => {
                const run = runs[column.index];
                const state = grid.state_names[run.task_states[row.index]] || "none";
                const isSelected =
                  selected?.runId === run.dag_run_id && selected.taskId === taskId;
                return (
                  <button
                    key={run.dag_run_id}
                    type="button"
                    role="gridcell"
                    className={`cell state-${state}${isSelected ? " selected" : ""}`}
                    style={{ left: LABEL_WIDTH + column.start }}
                    data-task-id={taskId}
                    data-run-id={run.dag_run_id}
                    data-state={state}
                    aria-label={`${taskId} in ${run.dag_run_id}: ${state}`}
                    aria-pressed={isSelected}
                    onClick={() => onSelect({ runId: run.dag_run_id, taskId })}
                  />
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
