// The live request list: polls /__admin/view/requests?after=SEQ (a cursor, so each poll gets
// only what is new), keeps the rows, and filters them by path, status, code, session, client id.

import { api } from "./api.js";
import { el, seconds } from "./dom.js";

const POLL_MS = 500;
const KEEP = 2000; // rows kept in the page; the journal itself keeps more

let cursor = 0;
let rows = [];
let onPick = () => {};
let onNow = () => {};
let selected = null;

function filters() {
  const form = document.getElementById("filters");
  const get = (name) => form.elements[name].value.trim();
  return { path: get("path"), status: get("status"), code: get("code"), session: get("session"),
           client: get("client") };
}

function matches(row, f) {
  if (f.path && !row.path.includes(f.path)) return false;
  if (f.status && String(row.status ?? "") !== f.status) return false;
  if (f.code && String(row.code ?? "") !== f.code) return false;
  if (f.session && !(row.session ?? "").includes(f.session)) return false;
  if (f.client && !(row.client_id ?? "").includes(f.client)) return false;
  return true;
}

function notes(row) {
  const out = [];
  if (row.fault) out.push(el("span", { class: "tag fault" }, row.fault));
  if (row.error) out.push(el("span", { class: "tag error", title: row.error }, "error"));
  if (row.deprecated) out.push(el("span", { class: "tag deprecated", title: row.deprecated }, "deprecated"));
  if (row.events) out.push(el("span", { class: "tag" }, `${row.events} events`));
  if (!row.completed) out.push(el("span", { class: "tag live" }, "open"));
  return out;
}

function rowElement(row) {
  const bad = row.status >= 400 || (row.code !== null && row.code !== 0);
  return el(
    "tr",
    {
      dataset: { seq: row.seq },
      class: [bad ? "bad" : "", selected === row.seq ? "selected" : ""].join(" ").trim(),
      tabindex: 0,
      onclick: () => pick(row.seq),
      onkeydown: (e) => e.key === "Enter" && pick(row.seq),
    },
    el("td", {}, row.seq),
    el("td", { class: "num" }, seconds(row.time)),
    el("td", {}, row.method),
    el("td", { class: "path" }, row.path),
    el("td", {}, row.status ?? "…"),
    el("td", {}, row.code ?? ""),
    el("td", {}, row.client_id ?? ""),
    el("td", {}, notes(row)),
  );
}

function pick(seq) {
  selected = seq;
  render();
  onPick(seq);
}

function render() {
  const f = filters();
  const body = document.querySelector("#requests tbody");
  const shown = rows.filter((r) => matches(r, f));
  body.replaceChildren(...shown.slice().reverse().map(rowElement));
  document.getElementById("requests-empty").hidden = rows.length > 0;
}

// Rows still open (a stream in progress) are fetched again until they complete.
async function poll() {
  const open = rows.filter((r) => !r.completed).map((r) => r.seq);
  const from = open.length ? Math.min(...open) - 1 : cursor;
  const data = await api(`/view/requests?after=${from}`);
  const fresh = new Map(data.requests.map((r) => [r.seq, r]));
  rows = rows.filter((r) => !fresh.has(r.seq)).concat(data.requests).sort((a, b) => a.seq - b.seq);
  rows = rows.slice(-KEEP);
  cursor = Math.max(cursor, data.last);
  onNow(data.now);
  render();
  if (selected !== null && fresh.has(selected)) onPick(selected, { refresh: true });
}

export function forget() {
  rows = [];
  selected = null;
  render();
}

export function startRequests({ pickRequest, showNow, reportError }) {
  onPick = pickRequest;
  onNow = showNow;
  document.getElementById("filters").addEventListener("input", render);
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
  const loop = async () => {
    try {
      await poll();
      reportError(null);
    } catch (error) {
      reportError(error);
    }
    setTimeout(loop, POLL_MS);
  };
  loop();
}
