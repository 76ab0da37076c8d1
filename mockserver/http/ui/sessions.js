// Sessions: the list, and one session's draft as a timeline of tracks and segments (the
// t / tt / sg / d / m model), its uploads, turns, renders and credits.

import { api } from "./api.js";
import { el, pretty, seconds } from "./dom.js";

let open = null;

export async function refreshSessions() {
  const data = await api("/view/sessions");
  document.querySelector("#sessions tbody").replaceChildren(
    ...data.sessions.map((s) =>
      el("tr", {
        dataset: { id: s.session_id },
        class: s.session_id === open ? "selected" : "",
        tabindex: 0,
        onclick: () => showSession(s.session_id),
      },
        el("td", {}, s.session_id),
        el("td", {}, s.user_id),
        el("td", { class: "num" }, seconds(s.created_at)),
        el("td", {}, s.uploads),
        el("td", {}, s.turns),
        el("td", {}, s.renders),
      ),
    ),
  );
  if (open !== null) await showSession(open);
}

function segmentLabel(segment) {
  for (const key of ["text", "name", "title", "source", "src", "id"]) {
    if (typeof segment[key] === "string" && segment[key]) return segment[key];
  }
  return "segment";
}

function draftTimeline(draft, trackTypes) {
  const tracks = Array.isArray(draft.t) ? draft.t : [];
  const ends = tracks.flatMap((t) => (Array.isArray(t.sg) ? t.sg : []))
    .map((s) => (Number(s.start) || 0) + (Number(s.duration) || 0));
  const total = Math.max(Number(draft.d) || 0, ...ends, 1);
  const rows = tracks.map((track, i) =>
    el("div", { class: "track", dataset: { tt: track.tt } },
      el("div", { class: "track-name" },
        `${track.name ?? "track " + i} · tt ${track.tt} (${trackTypes[track.tt] ?? "?"})`),
      el("div", { class: "lane" },
        (Array.isArray(track.sg) ? track.sg : []).map((segment) => {
          const start = Number(segment.start) || 0;
          const duration = Number(segment.duration) || 0;
          const box = el("div", {
            class: "segment",
            title: `${pretty(segment)}`,
          }, segmentLabel(segment));
          box.style.left = `${(start / total) * 100}%`;
          box.style.width = `${Math.max((duration / total) * 100, 0.5)}%`;
          return box;
        })),
    ),
  );
  return el("div", { class: "draft" },
    el("p", {}, `d = ${draft.d ?? "?"} ms · ${tracks.length} tracks · m = `,
      el("code", {}, JSON.stringify(draft.m ?? {}))),
    rows.length ? rows : el("p", { class: "empty" }, "No tracks yet."),
    el("details", {}, el("summary", {}, "draft JSON"), el("pre", {}, pretty(draft))));
}

function table(headings, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c))))));
}

export async function showSession(id) {
  open = id;
  const s = await api(`/view/sessions/${encodeURIComponent(id)}`);
  const credits = s.credits
    ? `${s.credits.available} available · ${s.credits.frozen} frozen · ${s.credits.total} total`
    : "unknown account";
  document.getElementById("session").replaceChildren(
    el("h2", {}, `Session ${s.session_id}`),
    el("p", { id: "credits" }, `Credits: ${credits}`),
    el("h3", {}, "Draft"),
    draftTimeline(s.draft, s.track_types),
    el("h3", {}, `Uploads (${s.upload_list.length})`),
    table(["file", "type", "duration (s)", "size (bytes)", "width × height"], s.upload_list.map((u) =>
      [u.filename ?? "?", u.file_type ?? "", u.duration ?? "", u.size ?? "",
       u.width ? `${u.width} × ${u.height}` : ""])),
    el("h3", {}, `Turns (${s.turn_list.length})`),
    table(["#", "kind", "start (s)", "end (s)", "message"], s.turn_list.map((t) =>
      [t.index, t.kind, seconds(t.start), seconds(t.end), t.message])),
    el("h3", {}, `Renders (${s.render_list.length})`),
    el("div", { id: "renders" }, table(["id", "status", "progress", "submitted (s)", "output"],
      s.render_list.map((r) => [r.id, el("span", { class: `render ${r.status}` }, r.status),
        `${r.progress} %`, seconds(r.created_at), r.outputUrl ?? "–"]))),
  );
}
