import dagre from "@dagrejs/dagre";
import { useMemo } from "react";
import type { Task } from "../api/client";

interface GraphProps {
  tasks: Task[];
  states: Record<string, string>;
  onSelect?: (taskId: string) => void;
}

const NODE_WIDTH = 170;
const NODE_HEIGHT = 36;

/** The DAG laid out left to right, each task coloured by its state in the chosen run. */
export function Graph({ tasks, states, onSelect }: GraphProps) {
  const layout = useMemo(() => {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 48, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const task of tasks) g.setNode(task.task_id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    for (const task of tasks) {
      for (const down of task.downstream_task_ids) g.setEdge(task.task_id, down);
    }
    dagre.layout(g);
    const size = g.graph();
    return {
      width: size.width ?? 0,
      height: size.height ?? 0,
      nodes: g.nodes().map((id) => ({ id, ...g.node(id) })),
      edges: g.edges().map((e) => ({
        key: `${e.v}->${e.w}`,
        points: (g.edge(e).points ?? []) as { x: number; y: number }[],
      })),
    };
  }, [tasks]);

  return (
    <svg
      className="graph"
      role="img"
      aria-label="The DAG's tasks and their dependencies"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" className="edge-head" />
        </marker>
      </defs>
      {layout.edges.map((edge) => (
        <polyline
          key={edge.key}
          className="edge"
          markerEnd="url(#arrow)"
          points={edge.points.map((p) => `${p.x},${p.y}`).join(" ")}
        />
      ))}
      {layout.nodes.map((node) => {
        const state = states[node.id] ?? "none";
        return (
          <g
            key={node.id}
            transform={`translate(${node.x - NODE_WIDTH / 2},${node.y - NODE_HEIGHT / 2})`}
            className={`node state-${state}`}
            data-task-id={node.id}
            data-state={state}
            role="button"
            tabIndex={0}
            aria-label={`${node.id}: ${state}`}
            onClick={() => onSelect?.(node.id)}
            onKeyDown={(event) => {
              if (event.key === "Enter" || event.key === " ") onSelect?.(node.id);
            }}
          >
            <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
            <text x={10} y={NODE_HEIGHT / 2 + 5}>
              {node.id.length > 22 ? `${node.id.slice(0, 21)}…` : node.id}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
