import { useState } from "react";
import { api, type Pool } from "../api/client";
import { ProblemBanner } from "../components/ProblemBanner";
import { useResource } from "../useResource";
import { useSession } from "../session/Session";

const readPools = () => api.GET("/api/v2/pools", { params: { query: { limit: 100 } } });

/** Pools: their slots and how they are used; create, resize and delete them. */
export function Pools() {
  const { data, problem, change } = useResource(readPools, 3000);
  const pools = data?.pools ?? [];
  const [name, setName] = useState("");
  const [slots, setSlots] = useState("4");
  const mayChange = useSession().can("pool:write");

  async function create(event: React.FormEvent) {
    event.preventDefault();
    const body = { name, slots: Number(slots), include_deferred: false };
    if (await change(() => api.POST("/api/v2/pools", { body }))) setName("");
  }

  const remove = (pool: Pool) =>
    change(() =>
      api.DELETE("/api/v2/pools/{pool_name}", { params: { path: { pool_name: pool.name } } }),
    );

  return (
    <section>
      <h1>Pools</h1>
      {mayChange && (
        <form className="toolbar" onSubmit={(e) => void create(e)} aria-label="Create a pool">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Slots
            <input type="number" value={slots} onChange={(e) => setSlots(e.target.value)} />
          </label>
          <button type="submit">Create pool</button>
        </form>
      )}
      <ProblemBanner message={problem} />
      <table className="dag-list">
        <thead>
          <tr>
            <th scope="col">Pool</th>
            <th scope="col">Slots</th>
            <th scope="col">Running</th>
            <th scope="col">Queued</th>
            <th scope="col">Open</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {pools.map((pool) => (
            <tr key={pool.name} data-pool={pool.name}>
              <td>{pool.name}</td>
              <td>{pool.slots}</td>
              <td>{pool.running_slots}</td>
              <td>{pool.queued_slots}</td>
              <td>{pool.open_slots}</td>
              <td>
                {mayChange && (
                  <button type="button" onClick={() => void remove(pool)}>
                    Delete <span className="sr-only">{pool.name}</span>
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
