import { useCallback, useEffect, useState } from "react";
import { api, problemText, type TaskInstance, type TaskLog } from "../api/client";
import { usePolling } from "../usePolling";
import { ProblemBanner } from "./ProblemBanner";
import { StateBadge } from "./StateBadge";
import { TriesAndXCom } from "./TriesAndXCom";

interface PanelProps {
  instance: TaskInstance;
  /** Whether the user may clear and mark it (else the actions are not offered). */
  mayChange: boolean;
  onChanged: () => Promise<void>;
  onClose: () => void;
}

const LOG_REFRESH_MS = 1000;

/** A task instance: its state and timings, its log (refreshed while it runs) and the actions
 * people take on it. */
export function TaskInstancePanel({ instance, mayChange, onChanged, onClose }: PanelProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const [lines, setLines] = useState<TaskLog["content"]>([]);
  const path = {
    dag_id: instance.dag_id,
    dag_run_id: instance.dag_run_id,
    task_id: instance.task_id,
  };
  const tryNumber = Math.max(instance.try_number, 1);

  const loadLog = useCallback(async () => {
    if (instance.try_number < 1) {
      setLines([]);
      return;
    }
    const res = await api.GET(
      "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}",
      {
        params: { path: { ...path, try_number: tryNumber } },
        headers: { Accept: "application/json" },
      },
    );
    if (res.data) setLines((res.data as TaskLog).content);
  }, [instance.dag_id, instance.dag_run_id, instance.task_id, instance.try_number]);

  usePolling(loadLog, LOG_REFRESH_MS);
  useEffect(() => setProblem(null), [instance.task_id, instance.dag_run_id]);

  async function act(call: () => Promise<{ response: Response; error?: unknown }>) {
    const { response, error } = await call();
    setProblem(response.ok ? null : problemText(error, response.status));
    await onChanged();
  }

  const clear = () =>
    act(() =>
      api.POST("/api/v2/dags/{dag_id}/clearTaskInstances", {
        params: { path: { dag_id: instance.dag_id } },
        body: {
          dry_run: false,
          dag_run_id: instance.dag_run_id,
          task_ids: [instance.task_id],
          include_downstream: true,
          only_failed: false,
        },
      }),
    );
  const mark = (new_state: "success" | "failed") =>
    act(() =>
      api.PATCH("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", {
        params: { path },
        body: { new_state },
      }),
    );

  return (
    <aside className="panel" aria-label={`Task instance ${instance.task_id}`}>
      <header>
        <h2>{instance.task_id}</h2>
        <button type="button" onClick={onClose} aria-label="Close the task instance panel">
          ×
        </button>
      </header>
      <dl>
        <dt>State</dt>
        <dd>
          <StateBadge state={instance.state} />
        </dd>
        <dt>Run</dt>
        <dd>{instance.dag_run_id}</dd>
        <dt>Try</dt>
        <dd>
          {instance.try_number} of {instance.max_tries + 1}
        </dd>
        <dt>Started</dt>
        <dd>{instance.start_date ? new Date(instance.start_date).toLocaleString() : "—"}</dd>
        <dt>Duration</dt>
        <dd>{instance.duration != null ? `${instance.duration.toFixed(2)} s` : "—"}</dd>
        <dt>Host</dt>
        <dd>{instance.hostname || "—"}</dd>
      </dl>
      {mayChange && (
        <div className="actions">
          <button type="button" onClick={() => void clear()}>
            Clear with downstream
          </button>
          <button type="button" onClick={() => void mark("success")}>
            Mark success
          </button>
          <button type="button" onClick={() => void mark("failed")}>
            Mark failed
          </button>
        </div>
      )}
      <ProblemBanner message={problem} />
      <TriesAndXCom instance={instance} />
      <h3>Log</h3>
      <pre className="log" aria-live="polite" data-testid="task-log">
        {lines.map((line, index) => (
          <div key={index}>
            {line.timestamp && <time>{new Date(line.timestamp).toLocaleTimeString()} </time>}
            {line.event}
          </div>
        ))}
      </pre>
    </aside>
  );
}
