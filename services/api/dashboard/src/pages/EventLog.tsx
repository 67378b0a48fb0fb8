import { api } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { useResource } from "../useResource";

const readEvents = () =>
  api.GET("/api/v2/eventLogs", {
    params: { query: { limit: 100, order_by: ["-event_log_id"] } },
  });

/** Every change made through the api, newest first. */
export function EventLog() {
  const { data, problem } = useResource(readEvents, 5000);
  const entries = data?.event_logs ?? [];
  return (
    <section>
      <h1>Event log</h1>
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Who</th>
            <th scope="col">DAG</th>
            <th scope="col">Run</th>
            <th scope="col">Task</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.event_log_id}>
              <td>{new Date(e.when).toLocaleString()}</td>
              <td>{e.event}</td>
              <td>{e.owner ?? ""}</td>
              <td>{e.dag_id ?? ""}</td>
              <td>{e.run_id ?? ""}</td>
              <td>{e.task_id ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
