import { api } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { useResource } from "../useResource";

const readWorkers = () => api.GET("/api/v2/workers", { params: { query: { limit: 100 } } });

/** The worker fleet: each worker's host, queues, slots in use and last heartbeat. */
export function Workers() {
  const { data, problem } = useResource(readWorkers, 3000);
  const workers = data?.workers ?? [];
  return (
    <section>
      <h1>Workers</h1>
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Host</th>
            <th scope="col">Queues</th>
            <th scope="col">Slots in use</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Alive</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => (
            <tr key={w.worker_id}>
              <td>{w.worker_id}</td>
              <td>{w.hostname}</td>
              <td>{w.queues.join(", ")}</td>
              <td>
                {w.slots_in_use} / {w.slots}
              </td>
              <td>{w.last_heartbeat ? new Date(w.last_heartbeat).toLocaleTimeString() : "—"}</td>
              <td>{w.alive ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
