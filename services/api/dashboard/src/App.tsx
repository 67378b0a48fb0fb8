import { BrowserRouter, Link, Route, Routes } from "react-router";
import { ProblemBanner } from "./components/ProblemBanner";
import { UserMenu } from "./components/UserMenu";
import { DagList } from "./pages/DagList";
import { DagPage } from "./pages/DagPage";
import { Connections } from "./pages/Connections";
import { EventLog } from "./pages/EventLog";
import { Login } from "./pages/Login";
import { Pools } from "./pages/Pools";
import { Variables } from "./pages/Variables";
import { Workers } from "./pages/Workers";
import { SessionProvider, useSession } from "./session/Session";

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </BrowserRouter>
  );
}

// The admin pages, each shown to those whose role may read it.
const ADMIN_PAGES = [
  { to: "/pools", label: "Pools", permission: "pool:read" },
  { to: "/workers", label: "Workers", permission: "worker:read" },
  { to: "/variables", label: "Variables", permission: "variable:read" },
  { to: "/connections", label: "Connections", permission: "connection:read" },
  { to: "/events", label: "Event log", permission: "event_log:read" },
];

function Shell() {
  const session = useSession();
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          Tradewind
        </Link>
        {session.status === "signed-in" && (
          <>
            <nav aria-label="Main">
              <Link to="/">DAGs</Link>
              {ADMIN_PAGES.filter((page) => session.can(page.permission)).map((page) => (
                <Link key={page.to} to={page.to}>
                  {page.label}
                </Link>
              ))}
              <a href="/docs">API docs</a>
            </nav>
            <UserMenu />
          </>
        )}
      </header>
      <main>
        {session.status === "signed-in" && <Pages />}
        {session.status === "signed-out" && <Login />}
        {session.status === "checking" && <p role="status">Checking who is signed in…</p>}
        {session.status === "unreachable" && (
          <>
            <ProblemBanner message="The server could not be reached." />
            <button type="button" onClick={session.recheck}>
              Try again
            </button>
          </>
        )}
      </main>
    </>
  );
}

function Pages() {
  return (
    <Routes>
      <Route path="/" element={<DagList />} />
      <Route path="/dags/:dagId" element={<DagPage />} />
      <Route path="/pools" element={<Pools />} />
      <Route path="/workers" element={<Workers />} />
      <Route path="/variables" element={<Variables />} />
      <Route path="/connections" element={<Connections />} />
      <Route path="/events" element={<EventLog />} />
      <Route path="*" element={<p>Nothing here. <Link to="/">Back to the DAGs</Link></p>} />
    </Routes>
  );
}
