import { useState } from "react";

/** A DAG's `params`, as Airflow writes them: a plain value, or a Param shape with
 * `default`, `type` and `description`. */
export type Params = Record<string, unknown>;

interface Field {
  name: string;
  kind: "number" | "boolean" | "text" | "json";
  value: string;
  description?: string;
}

function fields(params: Params): Field[] {
  return Object.entries(params).map(([name, raw]) => {
    const shaped =
      raw !== null && typeof raw === "object" && !Array.isArray(raw) && ("default" in raw || "type" in raw);
    const param = shaped ? (raw as { default?: unknown; type?: string; description?: string }) : null;
    const value = param ? param.default : raw;
    const kind =
      typeof value === "number" || param?.type === "number" || param?.type === "integer"
        ? "number"
        : typeof value === "boolean" || param?.type === "boolean"
          ? "boolean"
          : typeof value === "string" || value == null
            ? "text"
            : "json";
    return {
      name,
      kind,
      value: kind === "json" ? JSON.stringify(value) : String(value ?? ""),
      description: param?.description,
    };
  });
}

interface TriggerFormProps {
  params: Params;
  onTrigger: (conf: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}

/** The form generated from a DAG's params: each becomes a field of the run's `conf`. */
export function TriggerForm({ params, onTrigger, onCancel }: TriggerFormProps) {
  const [values, setValues] = useState(() => fields(params));
  const [error, setError] = useState<string | null>(null);

  function conf(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of values) {
      if (field.kind === "number") {
        const n = Number(field.value);
        if (field.value.trim() === "" || Number.isNaN(n)) throw new Error(`${field.name}: not a number`);
        out[field.name] = n;
      } else if (field.kind === "boolean") {
        out[field.name] = field.value === "true";
      } else if (field.kind === "json") {
        try {
          out[field.name] = JSON.parse(field.value);
        } catch {
          throw new Error(`${field.name}: not valid JSON`);
        }
      } else {
        out[field.name] = field.value;
      }
    }
    return out;
  }

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    try {
      await onTrigger(conf());
    } catch (problem) {
      setError((problem as Error).message);
    }
  }

  const set = (index: number, value: string) =>
    setValues(values.map((f, i) => (i === index ? { ...f, value } : f)));

  return (
    <form className="trigger-form" onSubmit={(e) => void submit(e)} aria-label="Trigger a run">
      {values.map((field, index) => (
        <label key={field.name}>
          {field.name}
          {field.kind === "boolean" ? (
            <select value={field.value} onChange={(e) => set(index, e.target.value)}>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              type={field.kind === "number" ? "number" : "text"}
              value={field.value}
              onChange={(e) => set(index, e.target.value)}
            />
          )}
          {field.description && <small>{field.description}</small>}
        </label>
      ))}
      {error && (
        <div role="alert" className="problem">
          {error}
        </div>
      )}
      <div className="actions">
        <button type="submit">Trigger</button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
