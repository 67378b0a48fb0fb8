import { api, type Connection } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { useResource } from "../useResource";
import { useSession } from "../session/Session";

const readConnections = () =>
  api.GET("/api/v2/connections", { params: { query: { limit: 100 } } });

/** Connections, their secrets masked by the api (never sent to the browser in clear). */
export function Connections() {
  const { data, problem, change } = useResource(readConnections, 5000);
  const connections = data?.connections ?? [];
  const mayChange = useSession().can("connection:write");
  const remove = (connection: Connection) =>
    change(() =>
      api.DELETE("/api/v2/connections/{connection_id}", {
        params: { path: { connection_id: connection.connection_id } },
      }),
    );

  return (
    <section>
      <h1>Connections</h1>
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">Connection</th>
            <th scope="col">Type</th>
            <th scope="col">Host</th>
            <th scope="col">Login</th>
            <th scope="col">Password</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <tr key={c.connection_id} data-connection={c.connection_id}>
              <td>{c.connection_id}</td>
              <td>{c.conn_type}</td>
              <td>{c.host ?? ""}</td>
              <td>{c.login ?? ""}</td>
              <td>{c.password ?? ""}</td>
              <td>
                {mayChange && (
                  <button type="button" onClick={() => void remove(c)}>
                    Delete <span className="sr-only">{c.connection_id}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
