import { useEffect, useRef, useState } from "react";

export type StreamStatus = "connecting" | "live" | "reconnecting";

/** Follows a server-sent event stream of the api. The browser reconnects by itself after a
 * lost connection (sending Last-Event-ID, so nothing is missed); the status says whether the
 * page is live right now. */
export function useEventStream(
  url: string | null,
  onEvent: (kind: string, data: unknown) => void,
): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    if (!url) return;
    setStatus("connecting");
    const source = new EventSource(url);
    source.onopen = () => setStatus("live");
    source.onerror = () => setStatus("reconnecting");
    const listen = (kind: string) =>
      source.addEventListener(kind, (event) => {
        setStatus("live");
        try {
          handler.current(kind, JSON.parse((event as MessageEvent<string>).data));
        } catch {
          // A frame that is not JSON is not ours to show.
        }
      });
    // Not "error": that name is also the browser's own event for a lost connection, which
    // `onerror` shows; the api's `event: error` (a reader too slow, dropped) ends the
    // stream, so the browser reconnects and `onerror` fires as well.
    for (const kind of ["dag_run", "task_instance", "end"]) listen(kind);
    return () => source.close();
  }, [url]);

  return status;
}
