import { useEffect, useState } from "react";
import { api, type DagSource, problemText } from "../api/client";
import { ProblemBanner } from "./ProblemBanner";

/** The DAG's stored spec, any version of it. */
export function SpecView({ dagId }: { dagId: string }) {
  const [versions, setVersions] = useState<number[]>([]);
  const [version, setVersion] = useState<number | null>(null);
  const [content, setContent] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void (async () => {
      const res = await api.GET("/api/v2/dags/{dag_id}/dagVersions", {
        params: { path: { dag_id: dagId }, query: { limit: 100, order_by: "-version_number" } },
      });
      const numbers = (res.data?.dag_versions ?? []).map((v) => v.version_number);
      setVersions(numbers);
      setVersion(numbers[0] ?? null);
    })();
  }, [dagId]);

  useEffect(() => {
    if (version === null) return;
    void (async () => {
      const res = await api.GET("/api/v2/dagSources/{dag_id}", {
        params: { path: { dag_id: dagId }, query: { version_number: version } },
        headers: { Accept: "application/json" },
      });
      if (!res.data) {
        setProblem(problemText(res.error, res.response.status));
        return;
      }
      setProblem(null);
      setContent(pretty((res.data as DagSource).content ?? ""));
    })();
  }, [dagId, version]);

  return (
    <div className="spec">
      <label>
        Version{" "}
        <select value={version ?? ""} onChange={(e) => setVersion(Number(e.target.value))}>
          {versions.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <ProblemBanner message={problem} />
      <pre className="spec-source" data-testid="dag-spec">
        {content}
      </pre>
    </div>
  );
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
