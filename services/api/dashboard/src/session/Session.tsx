import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { type Me, signIn as postLogin, signOut as postLogout, whoAmI } from "../api/auth";
import { onSignedOut } from "../api/session";
import { type DagAction, type DagRef, can, mayOnDag } from "./permissions";

export type SessionStatus = "checking" | "signed-in" | "signed-out" | "unreachable";

export interface Session {
  status: SessionStatus;
  me: Me | null;
  /** Signs in; answers the problem in the api's words, or null when signed in. */
  signIn: (username: string, password: string) => Promise<string | null>;
  signOut: () => Promise<void>;
  /** Asks the api again who is signed in (after it could not be reached). */
  recheck: () => void;
  can: (permission: string) => boolean;
  mayOnDag: (action: DagAction, dag: DagRef) => boolean;
}

const nobody: Session = {
  status: "checking",
  me: null,
  signIn: async () => "not ready",
  signOut: async () => {},
  recheck: () => {},
  can: () => false,
  mayOnDag: () => false,
};

const SessionContext = createContext<Session>(nobody);

/** Who is signed in, from `GET /auth/me` at start and from every answer after: any 401
 * of the api means the session is over (expired, revoked, signed out elsewhere). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionStatus>("checking");
  const [me, setMe] = useState<Me | null>(null);
  const [checks, setChecks] = useState(0);

  useEffect(() => {
    let current = true;
    setStatus("checking");
    whoAmI().then(
      (user) => {
        if (!current) return;
        setMe(user);
        setStatus(user ? "signed-in" : "signed-out");
      },
      () => current && setStatus("unreachable"),
    );
    return () => {
      current = false;
    };
  }, [checks]);

  useEffect(
    () =>
      onSignedOut(() => {
        setMe(null);
        setStatus("signed-out");
      }),
    [],
  );

  const signIn = useCallback(async (username: string, password: string) => {
    const answer = await postLogin(username, password);
    if (answer.problem !== undefined) return answer.problem;
    setMe(answer.me);
    setStatus("signed-in");
    return null;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await postLogout();
    } finally {
      setMe(null);
      setStatus("signed-out");
    }
  }, []);

  const session = useMemo<Session>(
    () => ({
      status,
      me,
      signIn,
      signOut,
      recheck: () => setChecks((n) => n + 1),
      can: (permission) => can(me, permission),
      mayOnDag: (action, dag) => mayOnDag(me, action, dag),
    }),
    [status, me, signIn, signOut],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}
