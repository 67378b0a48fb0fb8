import { useCallback, useState } from "react";
import { problemText } from "./api/client";
import { usePolling } from "./usePolling";

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** A resource read from the api now and every `intervalMs`, with the problem of the last
 * failed call (read or change) in the api's words. `read` must be a stable function. */
export function useResource<T>(read: () => Promise<Answer<T>>, intervalMs: number) {
  const [data, setData] = useState<T | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(async () => {
    const answer = await read();
    if (answer.data) {
      setData(answer.data);
      setProblem(null);
    } else setProblem(problemText(answer.error, answer.response.status));
  }, [read]);
  usePolling(load, intervalMs);

  /** Makes a change, shows its problem if it failed, and reads the resource again. */
  const change = useCallback(
    async (call: () => Promise<{ error?: unknown; response: Response }>) => {
      const answer = await call();
      await load();
      setProblem(answer.response.ok ? null : problemText(answer.error, answer.response.status));
      return answer.response.ok;
    },
    [load],
  );
  return { data, problem, change };
}
