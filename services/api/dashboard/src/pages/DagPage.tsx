import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import {
  api,
  type Dag,
  type DagSource,
  type Grid as GridData,
  type Task,
  type TaskInstance,
  problemText,
} from "../api/client";
import { Gantt } from "../components/Gantt";
import { Graph } from "../components/Graph";
import { SpecView } from "../components/SpecView";
import { type Params, TriggerForm } from "../components/TriggerForm";
import { Grid, type Cell } from "../components/Grid";
import { ProblemBanner } from "../components/ProblemBanner";
import { StateBadge } from "../components/StateBadge";
import { TaskInstancePanel } from "../components/TaskInstancePanel";
import { usePolling } from "../usePolling";
import { useEventStream } from "../useEventStream";
import { LiveStatus } from "../components/LiveStatus";
import { applyChange } from "./gridUpdates";
import { useSession } from "../session/Session";

const RUNS_PER_PAGE = 100;
const VIEWS = ["Grid", "Graph", "Gantt", "Spec"] as const;
type View = (typeof VIEWS)[number];
// State changes arrive on the DAG's event stream; reading the page again is only a safety
// net while live, and the way to stay current while the stream is down.
const REFRESH_LIVE_MS = 15_000;
const REFRESH_OFFLINE_MS = 2000;

/** One DAG: its runs by tasks grid, a page of runs at a time, and the panel of the
 * selected task instance. */
export function DagPage() {
  const dagId = useParams().dagId ?? "";
  const [dag, setDag] = useState<Dag | null>(null);
  const [grid, setGrid] = useState<GridData | null>(null);
  // Pages count back from the newest runs: page 0 is the newest.
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<Cell | null>(null);
  const [instance, setInstance] = useState<TaskInstance | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [view, setView] = useState<View>("Grid");
  const [tasks, setTasks] = useState<Task[]>([]);
  const [params, setParams] = useState<Params>({});
  const [triggering, setTriggering] = useState(false);
  const [runInstances, setRunInstances] = useState<TaskInstance[]>([]);
  const { mayOnDag } = useSession();

  const load = useCallback(async () => {
    const path = { dag_id: dagId };
    const [dagRes, gridRes] = await Promise.all([
      api.GET("/api/v2/dags/{dag_id}", { params: { path } }),
      api.GET("/api/v2/dags/{dag_id}/grid", {
        params: { path, query: { limit: RUNS_PER_PAGE, offset: page * RUNS_PER_PAGE } },
      }),
    ]);
    if (!dagRes.data || !gridRes.data) {
      const failed = dagRes.data ? gridRes : dagRes;
      setProblem(problemText(failed.error, failed.response.status));
      return;
    }
    setProblem(null);
    setDag(dagRes.data);
    setGrid(gridRes.data);
  }, [dagId, page]);

  const loadInstance = useCallback(async () => {
    if (!selected) return;
    const res = await api.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", {
      params: { path: { dag_id: dagId, dag_run_id: selected.runId, task_id: selected.taskId } },
    });
    if (res.data) {
      setInstance(res.data);
    } else if (res.response.status === 404) {
      // Gone behind the page's back (its run or DAG deleted): say so, close the panel.
      setProblem(problemText(res.error, res.response.status));
      setSelected(null);
      setInstance(null);
    }
  }, [dagId, selected]);

  // The run the graph and the Gantt show: the selected cell's, else the newest.
  const shownRunId = selected?.runId ?? grid?.dag_runs[grid.dag_runs.length - 1]?.dag_run_id;

  const loadRun = useCallback(async () => {
    if (view !== "Gantt" || !shownRunId) return;
    const res = await api.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances", {
      params: { path: { dag_id: dagId, dag_run_id: shownRunId } },
    });
    setRunInstances(res.data?.task_instances ?? []);
  }, [dagId, shownRunId, view]);

  useEffect(() => {
    void (async () => {
      const path = { dag_id: dagId };
      const [tasksRes, sourceRes] = await Promise.all([
        api.GET("/api/v2/dags/{dag_id}/tasks", { params: { path } }),
        api.GET("/api/v2/dagSources/{dag_id}", {
          params: { path },
          headers: { Accept: "application/json" },
        }),
      ]);
      setTasks(tasksRes.data?.tasks ?? []);
      try {
        const spec = JSON.parse((sourceRes.data as DagSource | undefined)?.content ?? "{}");
        setParams(spec.params ?? {});
      } catch {
        setParams({});
      }
    })();
  }, [dagId, dag?.latest_dag_version?.version_number]);

  const gridRef = useRef<GridData | null>(null);
  gridRef.current = grid;
  const selectedRef = useRef<Cell | null>(null);
  selectedRef.current = selected;
  const status = useEventStream(
    dagId ? `/api/v2/dags/${encodeURIComponent(dagId)}/events` : null,
    (kind, data) => {
      const current = gridRef.current;
      if (!current || (kind !== "dag_run" && kind !== "task_instance")) return;
      const next = applyChange(current, kind, data);
      if (next === null) void load();
      else {
        // Events come in bursts, faster than React renders: the next one must build on
        // this one, not on the grid of the last render.
        gridRef.current = next;
        setGrid(next);
      }
      const change = data as { dag_run_id?: string; task_id?: string };
      const cell = selectedRef.current;
      if (cell && change.dag_run_id === cell.runId && (kind === "dag_run" || change.task_id === cell.taskId)) {
        void loadInstance();
      }
      if (kind === "task_instance") void loadRun();
    },
  );
  const refresh = status === "live" ? REFRESH_LIVE_MS : REFRESH_OFFLINE_MS;
  usePolling(load, refresh);
  usePolling(loadRun, refresh);
  usePolling(loadInstance, REFRESH_OFFLINE_MS);
  useEffect(() => {
    setSelected(null);
    setPage(0);
  }, [dagId]);

  async function trigger(conf: Record<string, unknown> = {}) {
    const { error, response } = await api.POST("/api/v2/dags/{dag_id}/dagRuns", {
      params: { path: { dag_id: dagId } },
      body: { conf },
    });
    if (!response.ok) setProblem(problemText(error, response.status));
    setTriggering(false);
    await load();
  }

  const hasParams = Object.keys(params).length > 0;
  const shownStates: Record<string, string> = {};
  const shownRun = grid?.dag_runs.find((run) => run.dag_run_id === shownRunId);
  if (grid && shownRun) {
    grid.task_ids.forEach((taskId, index) => {
      shownStates[taskId] = grid.state_names[shownRun.task_states[index]] || "none";
    });
  }

  async function changed() {
    await Promise.all([load(), loadInstance()]);
  }

  const total = grid?.total_runs ?? 0;
  const newest = grid?.dag_runs[grid.dag_runs.length - 1];
  return (
    <section>
      <p>
        <Link to="/">DAGs</Link> / {dagId}
      </p>
      <h1>{dag?.dag_display_name ?? dagId}</h1>
      <ProblemBanner message={problem} />
      {dag && (
        <div className="toolbar">
          <span>{dag.timetable_description ?? "manual"}</span>
          <span>{dag.is_paused ? "paused" : "active"}</span>
          <LiveStatus status={status} />
          {newest && (
            <span>
              Latest run: <StateBadge state={newest.state} />
            </span>
          )}
          {mayOnDag("trigger", dag) && (
            <button
              type="button"
              onClick={() => (hasParams ? setTriggering(true) : void trigger())}
            >
              Trigger
            </button>
          )}
        </div>
      )}
      {triggering && (
        <TriggerForm params={params} onTrigger={trigger} onCancel={() => setTriggering(false)} />
      )}
      <div className="tabs" role="tablist" aria-label="Views of the DAG">
        {VIEWS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={view === name}
            onClick={() => setView(name)}
          >
            {name}
          </button>
        ))}
      </div>
      {grid && view === "Grid" && (
        <nav className="pager" aria-label="Run pages">
          <button
            type="button"
            disabled={(page + 1) * RUNS_PER_PAGE >= total}
            onClick={() => setPage(page + 1)}
          >
            Older runs
          </button>
          <span>
            {grid.dag_runs.length} of {total} runs
          </span>
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer runs
          </button>
        </nav>
      )}
      <div className="dag-body">
        {grid && view === "Grid" && (
          <Grid grid={grid} selected={selected} onSelect={setSelected} />
        )}
        {view === "Graph" && (
          <div className="graph-view">
            <p>Run {shownRunId ?? "(none yet)"}</p>
            <Graph
              tasks={tasks}
              states={shownStates}
              onSelect={(taskId) => shownRunId && setSelected({ runId: shownRunId, taskId })}
            />
          </div>
        )}
        {view === "Gantt" && (
          <div className="graph-view">
            <p>Run {shownRunId ?? "(none yet)"}</p>
            <Gantt instances={runInstances} />
          </div>
        )}
        {view === "Spec" && <SpecView dagId={dagId} />}
        {selected && instance && instance.task_id === selected.taskId && (
          <TaskInstancePanel
            instance={instance}
            mayChange={dag !== null && mayOnDag("edit", dag)}
            onChanged={changed}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
    </section>
  );
}
