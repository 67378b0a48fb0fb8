import { useCallback, useState } from "react";
import { api, type TaskInstance } from "../api/client";
import { usePolling } from "../usePolling";
import { StateBadge } from "./StateBadge";

interface Try {
  try_number: number;
  state?: string | null;
  start_date?: string | null;
  duration?: number | null;
  hostname?: string | null;
}

interface Entry {
  key: string;
  value: unknown;
}

const REFRESH_MS = 3000;

/** Every try of a task instance, and the XCom values it left. */
export function TriesAndXCom({ instance }: { instance: TaskInstance }) {
  const [tries, setTries] = useState<Try[]>([]);
  const [entries, setEntries] = useState<Entry[]>([]);
  const { dag_id, dag_run_id, task_id } = instance;

  const load = useCallback(async () => {
    const path = { dag_id, dag_run_id, task_id };
    const [triesRes, xcomRes] = await Promise.all([
      api.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries", {
        params: { path },
      }),
      api.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries", {
        params: { path, query: { limit: 50 } },
      }),
    ]);
    setTries(triesRes.data?.task_instances ?? []);
    const keys = (xcomRes.data?.xcom_entries ?? []).map((entry) => entry.key);
    const values = await Promise.all(
      keys.map(async (xcom_key) => {
        const res = await api.GET(
          "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}",
          { params: { path: { ...path, xcom_key } } },
        );
        return { key: xcom_key, value: res.data?.value };
      }),
    );
    setEntries(values);
  }, [dag_id, dag_run_id, task_id]);
  usePolling(load, REFRESH_MS);

  return (
    <>
      <h3>Tries</h3>
      <table className="tries" aria-label="Tries">
        <thead>
          <tr>
            <th scope="col">Try</th>
            <th scope="col">State</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Host</th>
          </tr>
        </thead>
        <tbody>
          {tries.map((t) => (
            <tr key={t.try_number} data-try={t.try_number}>
              <td>{t.try_number}</td>
              <td>
                <StateBadge state={t.state} />
              </td>
              <td>{t.start_date ? new Date(t.start_date).toLocaleTimeString() : "—"}</td>
              <td>{t.duration != null ? `${t.duration.toFixed(2)} s` : "—"}</td>
              <td>{t.hostname || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>XCom</h3>
      {entries.length === 0 ? (
        <p>No XCom values.</p>
      ) : (
        <dl className="xcom" data-testid="xcom">
          {entries.map((entry) => (
            <div key={entry.key}>
              <dt>{entry.key}</dt>
              <dd>
                <code>{JSON.stringify(entry.value)}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </>
  );
}
