import { useState } from "react";
import { api, type Variable } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { useResource } from "../useResource";
import { useSession } from "../session/Session";

const readVariables = () => api.GET("/api/v2/variables", { params: { query: { limit: 100 } } });

/** Variables: create, change and delete them. Secret-looking values come back masked. */
export function Variables() {
  const { data, problem, change } = useResource(readVariables, 5000);
  const variables = data?.variables ?? [];
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const mayChange = useSession().can("variable:write");

  async function create(event: React.FormEvent) {
    event.preventDefault();
    if (await change(() => api.POST("/api/v2/variables", { body: { key, value } }))) {
      setKey("");
      setValue("");
    }
  }

  const remove = (variable: Variable) =>
    change(() =>
      api.DELETE("/api/v2/variables/{variable_key}", {
        params: { path: { variable_key: variable.key } },
      }),
    );

  return (
    <section>
      <h1>Variables</h1>
      {mayChange && (
        <form className="toolbar" onSubmit={(e) => void create(e)} aria-label="Create a variable">
          <label>
            Key
            <input value={key} onChange={(e) => setKey(e.target.value)} required />
          </label>
          <label>
            Value
            <input value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit">Create variable</button>
        </form>
      )}
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
            <th scope="col">Description</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {variables.map((variable) => (
            <tr key={variable.key} data-variable={variable.key}>
              <td>{variable.key}</td>
              <td>
                <code>{variable.value}</code>
              </td>
              <td>{variable.description ?? ""}</td>
              <td>
                {mayChange && (
                  <button type="button" onClick={() => void remove(variable)}>
                    Delete <span className="sr-only">{variable.key}</span>
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
