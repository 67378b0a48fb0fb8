import { useNavigate } from "react-router";
import { useSession } from "../session/Session";

/** Who is signed in, with which role, and the way out. */
export function UserMenu() {
  const { me, signOut } = useSession();
  const navigate = useNavigate();
  if (!me) return null;
  async function leave() {
    await signOut();
    // The next person to sign in starts from the DAG list, not from this user's page.
    navigate("/");
  }
  return (
    <div className="user-menu">
      <span data-testid="current-user">
        {me.username} <span className="role">({me.role})</span>
      </span>
      <button type="button" onClick={() => void leave()}>
        Sign out
      </button>
    </div>
  );
}
