// One request whole (from /__admin/view/requests/SEQ, tokens already masked by the server) and,
// for a stream, its event timeline on the virtual clock.

import { api } from "./api.js";
import { el, pretty, seconds } from "./dom.js";

const LABELS = {
  heartbeat: "heartbeat",
  text: "text",
  partial: "partial",
  tool_call: "tool call",
  tool_result: "tool result",
  error: "error",
  comment: "comment",
  event: "event",
  stall: "stall",
  cut: "cut",
  end: "end",
};

function what(event) {
  switch (event.kind) {
    case "heartbeat":
      return `form: ${event.form}`;
    case "text":
    case "partial":
    case "error":
    case "comment":
      return event.text ?? "";
    case "tool_call":
    case "tool_result":
      return event.name ?? "";
    case "cut":
      return event.reason ?? "";
    case "stall":
      return "only heartbeats from here (a fault)";
    case "end":
      return "the connection closed";
    default:
      return event.data !== undefined ? JSON.stringify(event.data) : event.text ?? "";
  }
}

function timeline(entry) {
  const events = entry.events;
  const last = events.length ? events[events.length - 1].time : entry.time;
  const span = Math.max(last - entry.time, 1);
  const axis = el("div", { class: "axis", "aria-hidden": "true" });
  for (const event of events) {
    const mark = el("span", { class: `mark ${event.kind}`, title: `${LABELS[event.kind] ?? event.kind} at +${seconds(event.time - entry.time)} s` });
    mark.style.left = `${((event.time - entry.time) / span) * 100}%`;
    axis.append(mark);
  }
  const list = el(
    "ol",
    { id: "timeline", class: "timeline" },
    events.map((event) =>
      el(
        "li",
        { class: event.kind, dataset: { kind: event.kind } },
        el("span", { class: "when" }, `+${seconds(event.time - entry.time)} s`),
        el("span", { class: "kind" }, LABELS[event.kind] ?? event.kind),
        el("span", { class: "what" }, what(event)),
        event.data !== undefined && event.kind !== "event"
          ? el("details", {}, el("summary", {}, "JSON"), el("pre", {}, pretty(event.data)))
          : null,
      ),
    ),
  );
  const dropped = entry.events_dropped
    ? el("p", { class: "hint" }, `${entry.events_dropped} more events were not kept`)
    : null;
  return el("section", { class: "stream" },
    el("h3", {}, `Stream: ${events.length} events, ${seconds(last - entry.time)} virtual s`),
    axis, list, dropped);
}

function pairs(rows) {
  return el("table", { class: "pairs" },
    el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))));
}

function show(entry) {
  const facts = [
    ["arrived", `${seconds(entry.time)} s (virtual)`],
    ["status", entry.status ?? "no answer yet"],
    ["contract code", entry.code ?? "–"],
    ["turn message", entry.message ?? "–"],
    ["fault applied", entry.fault ?? "none"],
    ["error", entry.error ?? "none"],
    ["client", `${entry.client_id ?? "no X-Client-Id"} from ${entry.client ?? "?"}`],
    ["session", entry.session ?? "–"],
  ];
  if (entry.deprecated) facts.push(["deprecated form", entry.deprecated]);
  return [
    el("h2", {}, `#${entry.seq} ${entry.method} ${entry.path}`),
    pairs(facts),
    el("h3", {}, "Request headers"),
    pairs(entry.headers),
    entry.query.length ? [el("h3", {}, "Query"), pairs(entry.query)] : null,
    el("h3", {}, `Body (${entry.body_kind})`),
    el("pre", { class: "body" }, entry.body === null ? "(none)" : pretty(entry.body)),
    entry.events.length || entry.path.endsWith("/run_sse") ? timeline(entry) : null,
  ];
}

export async function showRequest(seq) {
  const pane = document.getElementById("detail");
  const entry = await api(`/view/requests/${seq}`);
  pane.replaceChildren(...show(entry).flat().filter(Boolean));
  pane.dataset.seq = String(seq);
}
