import { useEffect, useRef } from "react";

/** Calls `load` now and every `intervalMs` while the page is open; never two at once, so a
 * slow answer is not overtaken by a newer request. */
export function usePolling(load: () => Promise<void>, intervalMs: number) {
  const busy = useRef(false);
  useEffect(() => {
    let stopped = false;
    async function tick() {
      if (busy.current || stopped) return;
      busy.current = true;
      try {
        await load();
      } finally {
        busy.current = false;
      }
    }
    void tick();
    const timer = window.setInterval(() => void tick(), intervalMs);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [load, intervalMs]);
}
