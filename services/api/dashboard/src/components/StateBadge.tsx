/** A run's or task instance's state as a coloured, labelled badge (colour is never the only
 * signal: the state's name is always written). */
export function StateBadge({ state }: { state: string | null | undefined }) {
  const name = state ?? "none";
  return (
    <span className={`state state-${name}`} title={name}>
      {name.replaceAll("_", " ")}
    </span>
  );
}
