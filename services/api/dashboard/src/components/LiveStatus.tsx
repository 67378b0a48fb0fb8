import type { StreamStatus } from "../useEventStream";

const TEXT: Record<StreamStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost, reconnecting…",
};

/** Whether the page follows changes as they happen, or has lost the api for now. */
export function LiveStatus({ status }: { status: StreamStatus }) {
  return (
    <span className={`live live-${status}`} role="status" data-testid="live-status">
      {TEXT[status]}
    </span>
  );
}
