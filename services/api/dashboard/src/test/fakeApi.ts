// Component tests answer the dashboard's calls themselves: each test says what the api
// answers (`answer`), and a call nobody answers fails the test, naming the call. The typed
// client keeps the `fetch` it was created with, so the stand-in is installed here, before
// any test imports it.
import { afterEach } from "vitest";

type Handler = (request: Request) => Response | Promise<Response>;

const handlers = new Map<string, Handler>();
/** Every request made, in order (bodies still readable). */
export const requests: Request[] = [];

export function json(status: number, body: unknown, type = "application/json"): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": type },
  });
}

/** An RFC 9457 problem document, as the api answers errors. */
export function problem(status: number, detail: string): Response {
  return json(status, { type: "about:blank", title: "Problem", status, detail }, "application/problem+json");
}

/** What the api answers to `METHOD /path` from now on. */
export function answer(route: string, handler: Handler | Response): void {
  handlers.set(route, typeof handler === "function" ? handler : () => handler.clone());
}

globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  requests.push(request.clone());
  const route = `${request.method} ${new URL(request.url).pathname}`;
  const handler = handlers.get(route);
  if (!handler) throw new Error(`the test gives no answer to ${route}`);
  return handler(request);
};

afterEach(() => {
  handlers.clear();
  requests.length = 0;
  document.cookie = "tradewind_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
  window.history.replaceState(null, "", "/");
});
