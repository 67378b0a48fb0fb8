import type { TaskInstance } from "../api/client";

/** When each task instance of a run started and ended, on one time axis. */
export function Gantt({ instances }: { instances: TaskInstance[] }) {
  const timed = instances.filter((ti) => ti.start_date);
  if (timed.length === 0) return <p>No task of this run has started yet.</p>;
  const now = Date.now();
  const start = (ti: TaskInstance) => new Date(ti.start_date!).getTime();
  const end = (ti: TaskInstance) => (ti.end_date ? new Date(ti.end_date).getTime() : now);
  const first = Math.min(...timed.map(start));
  const span = Math.max(Math.max(...timed.map(end)) - first, 1);
  const ordered = [...timed].sort((a, b) => start(a) - start(b));
  return (
    <div className="gantt" role="list" aria-label="Task instances over time">
      <div className="gantt-axis">
        <span>{new Date(first).toLocaleTimeString()}</span>
        <span>{(span / 1000).toFixed(1)} s</span>
      </div>
      {ordered.map((ti) => {
        const left = ((start(ti) - first) / span) * 100;
        const width = Math.max(((end(ti) - start(ti)) / span) * 100, 0.5);
        return (
          <div className="gantt-row" role="listitem" key={ti.task_id}>
            <span className="gantt-task">{ti.task_id}</span>
            <span className="gantt-track">
              <span
                className={`gantt-bar state-${ti.state ?? "none"}`}
                style={{ left: `${left}%`, width: `${width}%` }}
                title={`${ti.task_id}: ${((end(ti) - start(ti)) / 1000).toFixed(2)} s, ${ti.state}`}
              />
            </span>
          </div>
        );
      })}
    </div>
  );
}
