// The registry's HTTP API as the pages use it: the key kept for this browser session, sent as a bearer token;
// problem+json answers thrown as ApiProblem; a lost connection shown in the banner.
const KEY = "modelregistry.key";

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
};

export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.type = problem.type;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || "";
    this.errors = problem.errors || {};
  }
}

const listeners = new Set();
/** Calls back with true when the server answers again after a failure, false when it cannot be reached. */
export function onConnection(listener) { listeners.add(listener); return () => listeners.delete(listener); }
let reachable = true;
function connection(ok) {
  if (ok !== reachable) { reachable = ok; listeners.forEach(l => l(ok)); }
}

function headers(extra = {}) {
  const h = { Accept: "application/json", ...extra };
  if (session.key) h.Authorization = `Bearer ${session.key}`;
  return h;
}

/**
 * Sends a request and answers { status, data, etag }; throws ApiProblem for a 4xx/5xx.
 * `ifMatch` is a stream version (sent as If-Match: "<v>"), `body` is sent as JSON.
 */
export async function api(path, { method = "GET", body, ifMatch, signal } = {}) {
  const extra = {};
  if (body !== undefined) extra["Content-Type"] = "application/json";
  if (ifMatch !== undefined && ifMatch !== null) extra["If-Match"] = `"${ifMatch}"`;
  let response;
  try {
    response = await fetch(path, { method, headers: headers(extra), body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name !== "AbortError") connection(false);
    throw error;
  }
  connection(true);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok && response.status !== 304) throw new ApiProblem(response.status, data || {});
  return { status: response.status, data, etag: response.headers.get("ETag") };
}

/** A model name as routes take it: each part encoded, the '/' between namespace and name kept. */
export function modelPath(name) { return `/api/v1/models/${name.split("/").map(encodeURIComponent).join("/")}`; }

/**
 * Reads a server-sent event stream with the key as bearer (EventSource cannot send headers), resuming with
 * Last-Event-ID after a dropped connection until `close()` is called. `onEvent({ id, event, data })`.
 */
export function stream(path, onEvent, { onEnd } = {}) {
  const controller = new AbortController();
  let lastId = null;
  let closed = false;
  const run = async () => {
    while (!closed) {
      try {
        const extra = { Accept: "text/event-stream" };
        if (lastId) extra["Last-Event-ID"] = lastId;
        const response = await fetch(path, { headers: headers(extra), signal: controller.signal });
        connection(true);
        if (!response.ok) throw new ApiProblem(response.status, await response.json().catch(() => ({})));
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const message = { id: null, event: "message", data: "" };
            for (const line of block.split("\n")) {
              const colon = line.indexOf(":");
              if (colon === 0) continue;
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "id") message.id = val;
              else if (field === "event") message.event = val;
              else if (field === "data") message.data += (message.data ? "\n" : "") + val;
            }
            if (message.id) lastId = message.id;
            if (message.data || message.event !== "message") onEvent(message);
          }
        }
        if (onEnd && onEnd() === false) return;
      } catch (error) {
        if (closed || error.name === "AbortError") return;
        if (error instanceof ApiProblem) { onEnd?.(error); return; }
        connection(false);
      }
      await new Promise(r => setTimeout(r, 1000));
    }
  };
  run();
  return { close() { closed = true; controller.abort(); } };
}
