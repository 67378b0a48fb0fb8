import { useEffect, useRef, useState } from "react";
import { useSession } from "../session/Session";

/** The login page, shown in place of whatever page needed a signed-in user: the address
 * stays, so signing in lands on the page the user was on. */
export function Login() {
  const { signIn } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordField = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Sign in · Tradewind";
    return () => {
      document.title = "Tradewind";
    };
  }, []);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      const refused = await signIn(username, password);
      if (refused !== null) {
        setProblem(refused);
        setPassword("");
        passwordField.current?.focus();
      }
    } catch {
      setProblem("The server could not be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="login">
      <h1>Sign in to Tradewind</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in" className="login-form">
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            ref={passwordField}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {problem && (
          <div role="alert" className="problem">
            {problem}
          </div>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </section>
  );
}
