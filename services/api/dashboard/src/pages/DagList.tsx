import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { api, type Dag, type GridRun, problemText } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { StateBadge } from "../components/StateBadge";
import { useSession } from "../session/Session";

const PAGE = 50;
const RECENT_RUNS = 5;

/** Every DAG: search by id, filter by tag, pause or unpause, see its recent runs, trigger. */
export function DagList() {
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [dags, setDags] = useState<Dag[]>([]);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [recent, setRecent] = useState<Record<string, GridRun[]>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const { mayOnDag } = useSession();

  const load = useCallback(async () => {
    const { data, error, response } = await api.GET("/api/v2/dags", {
      params: {
        query: {
          limit: PAGE,
          offset,
          dag_id_pattern: search || undefined,
          tags: tag ? [tag] : undefined,
        },
      },
    });
    if (!data) {
      setProblem(problemText(error, response.status));
      return;
    }
    setProblem(null);
    setDags(data.dags);
    setTotal(data.total_entries);
    const runs = await Promise.all(
      data.dags.map(async (dag) => {
        const res = await api.GET("/api/v2/dags/{dag_id}/grid", {
          params: { path: { dag_id: dag.dag_id }, query: { limit: RECENT_RUNS } },
        });
        return [dag.dag_id, res.data?.dag_runs ?? []] as const;
      }),
    );
    setRecent(Object.fromEntries(runs));
  }, [offset, search, tag]);

  useEffect(() => {
    void load();
  }, [load]);

  async function togglePause(dag: Dag) {
    const { error, response } = await api.PATCH("/api/v2/dags/{dag_id}", {
      params: { path: { dag_id: dag.dag_id } },
      body: { is_paused: !dag.is_paused },
    });
    if (!response.ok) setProblem(problemText(error, response.status));
    await load();
  }

  async function trigger(dag: Dag) {
    const { error, response } = await api.POST("/api/v2/dags/{dag_id}/dagRuns", {
      params: { path: { dag_id: dag.dag_id } },
      body: {},
    });
    if (!response.ok) setProblem(problemText(error, response.status));
    await load();
  }

  const tags = [...new Set(dags.flatMap((dag) => dag.tags.map((t) => t.name)))].sort();

  return (
    <section>
      <h1>DAGs</h1>
      <div className="toolbar">
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="DAG id"
            onChange={(event) => {
              setOffset(0);
              setSearch(event.target.value);
            }}
          />
        </label>
        <label>
          Tag
          <select value={tag} onChange={(event) => setTag(event.target.value)}>
            <option value="">all</option>
            {tags.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
      </div>
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">DAG</th>
            <th scope="col">Schedule</th>
            <th scope="col">Next run</th>
            <th scope="col">Recent runs</th>
            <th scope="col">Active</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {dags.map((dag) => (
            <tr key={dag.dag_id} data-dag-id={dag.dag_id}>
              <td>
                <Link to={`/dags/${encodeURIComponent(dag.dag_id)}`}>{dag.dag_display_name}</Link>
                <div className="tags">
                  {dag.tags.map((t) => (
                    <span className="tag" key={t.name}>
                      {t.name}
                    </span>
                  ))}
                </div>
              </td>
              <td>{dag.timetable_description ?? "manual"}</td>
              <td>{dag.next_dagrun_run_after ? formatDate(dag.next_dagrun_run_after) : "—"}</td>
              <td className="recent-runs">
                {(recent[dag.dag_id] ?? []).map((run) => (
                  <StateBadge key={run.dag_run_id} state={run.state} />
                ))}
              </td>
              <td>
                <label className="switch">
                  <input
                    type="checkbox"
                    checked={!dag.is_paused}
                    onChange={() => void togglePause(dag)}
                    disabled={!mayOnDag("edit", dag)}
                    aria-label={`${dag.dag_id} active`}
                  />
                  {dag.is_paused ? "paused" : "active"}
                </label>
              </td>
              <td>
                {mayOnDag("trigger", dag) && (
                  <button type="button" onClick={() => void trigger(dag)}>
                    Trigger <span className="sr-only">{dag.dag_id}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="DAG pages">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(offset - PAGE)}>
          Previous
        </button>
        <span>
          {total === 0 ? 0 : offset + 1}–{Math.min(offset + PAGE, total)} of {total}
        </span>
        <button
          type="button"
          disabled={offset + PAGE >= total}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next
        </button>
      </nav>
    </section>
  );
}

export function formatDate(value: string): string {
  return new Date(value).toLocaleString();
}
