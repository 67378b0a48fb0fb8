/** Shows what went wrong, in the words the api used. */
export function ProblemBanner({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div role="alert" className="problem">
      {message}
    </div>
  );
}
