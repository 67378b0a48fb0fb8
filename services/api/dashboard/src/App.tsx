import { BrowserRouter, Link, Route, Routes } from "react-router";
import { DagList } from "./pages/DagList";
import { DagPage } from "./pages/DagPage";
import { Connections } from "./pages/Connections";
import { EventLog } from "./pages/EventLog";
import { Pools } from "./pages/Pools";
import { Variables } from "./pages/Variables";
import { Workers } from "./pages/Workers";

export function App() {
  return (
    <BrowserRouter>
      <header className="top">
        <Link to="/" className="brand">
          Tradewind
        </Link>
        <nav aria-label="Main">
          <Link to="/">DAGs</Link>
          <Link to="/pools">Pools</Link>
          <Link to="/workers">Workers</Link>
          <Link to="/variables">Variables</Link>
          <Link to="/connections">Connections</Link>
          <Link to="/events">Event log</Link>
          <a href="/docs">API docs</a>
        </nav>
      </header>
      <main>
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
      </main>
    </BrowserRouter>
  );
}
