#!/usr/bin/env node
// A Nemo client in JavaScript (Node 20, no dependencies) that speaks the conformance suite's
// driver protocol (docs/driver-protocol.md): user steps as JSON lines on stdin, what the user
// would see as JSON lines on stdout, a log on stderr. It implements the client side of
// docs/contract.md: token, session, headers, routing, /run_sse, retries, export, credits.

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const VERSION = "1.0.0";
const SKILL = "ai-video-editor-link";
// Read from the environment at start, and again on a `reset` step (the suite reuses one
// process for many runs; see docs/driver-protocol.md).
let API, WEB, SCALE, CONFIG_DIR;
function configure() {
  API = (process.env.NEMO_API_URL || "https://mega-api-prod.nemovideo.ai").replace(/\/+$/, "");
  WEB = (process.env.NEMO_WEB_URL || "https://nemovideo.com").replace(/\/+$/, "");
  SCALE = Number(process.env.NEMO_TIME_SCALE) > 0 ? Number(process.env.NEMO_TIME_SCALE) : 1;
  CONFIG_DIR =
    process.env.NEMO_CONFIG_DIR || path.join(process.env.HOME || ".", ".config", "nemovideo");
}
configure();

// The contract's waits, in contract (virtual) seconds.
const RATE_LIMIT_WAIT = 30, POLL_EVERY = 30, MAX_POLLS = 10, STILL_WORKING_EVERY = 120;
const STALL_AFTER = 600, TURN_LIMIT = 900, RECOVERY_FIRST = 30, RECOVERY_NEXT = 60, RECOVERY_FETCHES = 5;
const STILL_WORKING = "⏳ Still working...";
const NOISE = "I encountered a temporary issue";

// --- output, log, time ---------------------------------------------------------------------

const SECRET = /(nmv_usr_|clm_)[A-Za-z0-9_\-]+|Bearer\s+\S+/g;
const scrub = (text) => String(text).replace(SECRET, "[redacted]");
const show = (kind, text) => process.stdout.write(JSON.stringify({ kind, text: scrub(text) }) + "\n");
const log = (...parts) => process.stderr.write(scrub(parts.join(" ")) + "\n");
// Virtual time: real time multiplied by the scale, so waits agree with the mock's clock.
const now = () => (performance.now() / 1000) * SCALE;
const sleep = (seconds) => new Promise((ok) => setTimeout(ok, (seconds * 1000) / SCALE));

class ApiError extends Error {
  constructor(code, message, { status = 200, retryAfter = null, data = null } = {}) {
    super(`${message} (code ${code})`);
    Object.assign(this, { code, status, retryAfter, data });
  }
}

// --- identity: token, client id, session ---------------------------------------------------

const freshState = () => ({
  token: process.env.NEMO_TOKEN || null,
  tokenSource: process.env.NEMO_TOKEN ? "env" : null,
  userId: null,
  sessionId: null,
  taskId: null,
  clientId: null,
});
const state = freshState();

// A `reset` step: forget everything as if this were a new process started with `env`.
function reset(env) {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
  configure();
  Object.assign(state, freshState());
}

function clientIdFile() {
  return path.join(CONFIG_DIR, "client_id");
}

// One id kept across runs: a new id per run would hit the per-IP token limit.
function clientId() {
  if (state.clientId) return state.clientId;
  if (process.env.NEMO_CLIENT_ID) return (state.clientId = process.env.NEMO_CLIENT_ID);
  try {
    const kept = fs.readFileSync(clientIdFile(), "utf8").trim();
    if (kept && kept.length <= 64) return (state.clientId = kept);
  } catch {
    // no id yet: make one below
  }
  return saveClientId(randomUUID());
}

function saveClientId(id) {
  fs.mkdirSync(CONFIG_DIR, { recursive: true });
  fs.writeFileSync(clientIdFile(), id + "\n");
  return (state.clientId = id);
}

function platform() {
  if (process.env.SKILL_SOURCE) return process.env.SKILL_SOURCE;
  const here = new URL(import.meta.url).pathname;
  if (here.includes("/.clawhub/")) return "clawhub";
  if (here.includes("/.cursor/skills/")) return "cursor";
  return "unknown";
}

function headers(extra = {}, auth = true) {
  const h = { "X-Skill-Source": SKILL, "X-Skill-Version": VERSION, "X-Skill-Platform": platform() };
  if (auth) h.Authorization = `Bearer ${state.token}`;
  return { ...h, ...extra };
}

// --- HTTP with the contract's retry rules ----------------------------------------------------

async function readError(res) {
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the HTTP status says it
  }
  const retryAfter = Number(res.headers.get("retry-after")) || null;
  const extra = { status: res.status, retryAfter, data: body };
  if (res.status === 429 || res.status === 402 || res.status === 400) {
    return new ApiError(res.status, body?.message || body?.error || `HTTP ${res.status}`, extra);
  }
  if (body && typeof body.code === "number" && body.code !== 0) {
    return new ApiError(body.code, body.message || "error", extra);
  }
  if (body && body.success === false) return new ApiError(res.status, body.error || "error", extra);
  if (!res.ok) return new ApiError(res.status, `HTTP ${res.status}`, extra);
  return { body };
}

// Send what `build()` describes until it succeeds or the rules say stop. `build` is called
// again for each retry so that a new token or session is used. `stream` returns the open
// response of a 200 event stream without reading it (only refusals before it are retried).
async function call(build, { auth = true, stream = false, sessionSafe = true } = {}) {
  const retried = new Set();
  for (;;) {
    if (auth) await ensureToken();
    const { method, route, body, form, extra } = build();
    const init = { method, headers: headers(extra, auth) };
    if (form) init.body = form;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const res = await fetch(API + route, init);
    if (stream && res.ok && (res.headers.get("content-type") || "").includes("text/event-stream")) {
      return res;
    }
    const outcome = await readError(res);
    if (!(outcome instanceof ApiError)) return outcome.body?.data ?? outcome.body;
    const error = outcome;
    if (retried.has(error.code)) throw error;
    retried.add(error.code);
    if (error.code === 429) {
      log(`rate limited; waiting ${Math.max(RATE_LIMIT_WAIT, error.retryAfter || 0)} s, once`);
      await sleep(Math.max(RATE_LIMIT_WAIT, error.retryAfter || 0));
    } else if (error.code === 1001 && state.tokenSource === "anonymous") {
      await anonymousToken(); // the same client id gets the same account back
    } else if (error.code === 1002 && sessionSafe && auth) {
      await newSession();
    } else if (error.code === 400 && !auth) {
      saveClientId(randomUUID());
    } else {
      throw error;
    }
  }
}

async function anonymousToken() {
  const data = await call(
    () => ({ method: "POST", route: "/api/auth/anonymous-token", extra: { "X-Client-Id": clientId() } }),
    { auth: false },
  );
  state.token = data.token;
  state.userId = data.user_id;
  state.tokenSource = "anonymous";
  log("got an anonymous token for user", data.user_id);
}

async function ensureToken() {
  if (!state.token) await anonymousToken();
}

async function newSession() {
  const data = await call(() => ({ method: "POST", route: "/api/tasks/me/with-session/nemo_agent", body: { task_name: "project" } }));
  state.sessionId = String(data.session_id);
  state.taskId = data.task_id;
  state.userId = state.userId || data.user_id;
}

async function connect() {
  if (state.sessionId) return;
  show("notice", "Setting things up...");
  await ensureToken();
  await newSession();
  show("notice", "✅ Connected and ready");
}

const sid = () => state.sessionId;
const getState = () => call(() => ({ method: "GET", route: `/api/state/nemo_agent/me/${sid()}/latest` }));

// --- drafts: track summary and diff ----------------------------------------------------------

const secs = (ms) => `${Math.round((Number(ms) || 0) / 100) / 10}`.replace(/\.0$/, "");

const tracksOf = (draft) => (Array.isArray(draft?.t) ? draft.t : []).filter((t) => t && typeof t === "object");
const segmentsOf = (track) => (Array.isArray(track?.sg) ? track.sg : []).filter((s) => s && typeof s === "object");
const trackName = (track) => track.name || (track.tt === 0 ? "Video" : track.tt === 1 ? "BGM" : track.tt === 7 ? "Title" : "Track");
const label = (track, seg) => (track.tt === 7 ? `"${seg.text ?? ""}"` : seg.source ?? seg.text ?? track.name ?? "clip");
const span = (seg) => `${secs(seg.start)}-${secs((Number(seg.start) || 0) + (Number(seg.duration) || 0))}s`;

function segmentLine(track, seg) {
  const volume = track.tt === 1 && typeof seg.volume === "number" ? `, ${Math.round(seg.volume * 100)}%` : "";
  return `${trackName(track)}: ${label(track, seg)} (${span(seg)}${volume})`;
}

function trackLines(draft) {
  return tracksOf(draft).flatMap((track) => segmentsOf(track).map((seg) => segmentLine(track, seg)));
}

const summary = (lines) => lines.map((line, i) => `${i + 1}. ${line}`).join(" ");

// Tracks have no ids: one is the n-th track of its type and name. Segments match by id.
function keyedTracks(draft) {
  const seen = new Map(), keyed = new Map();
  for (const track of tracksOf(draft)) {
    const base = `${track.tt}/${trackName(track)}`;
    const n = (seen.get(base) ?? -1) + 1;
    seen.set(base, n);
    keyed.set(`${base}/${n}`, track);
  }
  return keyed;
}

// The fields a summary names by meaning; any other changed field is named as it is.
const KNOWN = new Set(["id", "start", "duration", "source", "text", "volume", "transition"]);

function segmentChanges(track, old, seg) {
  const noun = trackName(track), out = [];
  const [was, is] = [Number(old.duration) || 0, Number(seg.duration) || 0];
  if (was !== is) out.push(`${noun} ${is < was ? "trimmed" : "extended"}: ${secs(was)}s → ${secs(is)}s`);
  else if ((Number(old.start) || 0) !== (Number(seg.start) || 0)) out.push(`${noun} moved: ${span(old)} → ${span(seg)}`);
  if (label(track, old) !== label(track, seg)) out.push(`${noun} changed: ${label(track, old)} → ${label(track, seg)}`);
  if (old.volume !== seg.volume) out.push(`${noun} volume: ${old.volume ?? "-"} → ${seg.volume ?? "-"}`);
  if (old.transition !== seg.transition) {
    if (old.transition == null) out.push(`Transition added: ${seg.transition}`);
    else if (seg.transition == null) out.push(`Transition removed: ${old.transition}`);
    else out.push(`Transition changed: ${old.transition} → ${seg.transition}`);
  }
  for (const key of new Set([...Object.keys(old), ...Object.keys(seg)])) {
    if (!KNOWN.has(key) && JSON.stringify(old[key]) !== JSON.stringify(seg[key])) {
      out.push(`${noun} ${key}: ${JSON.stringify(old[key] ?? null)} → ${JSON.stringify(seg[key] ?? null)}`);
    }
  }
  return out;
}

function trackChanges(old, track) {
  const out = [], pool = new Map(), loose = [];
  for (const seg of segmentsOf(old)) {
    if (seg.id == null) loose.push(seg);
    else pool.set(seg.id, seg);
  }
  for (const seg of segmentsOf(track)) {
    const match = seg.id != null ? pool.get(seg.id) : loose.shift();
    if (seg.id != null) pool.delete(seg.id);
    if (!match) {
      out.push(`${trackName(track)} added: ${label(track, seg)} (${span(seg)})`);
      if (seg.transition != null) out.push(`Transition added: ${seg.transition}`);
    } else out.push(...segmentChanges(track, match, seg));
  }
  for (const seg of [...pool.values(), ...loose]) out.push(`${trackName(track)} removed: ${label(track, seg)} (${span(seg)})`);
  return out;
}

function metaChanges(before, after) {
  const [m, n] = [before?.m ?? {}, after?.m ?? {}], out = [];
  if (m.width && n.width && (m.width !== n.width || m.height !== n.height)) {
    out.push(`Aspect ratio changed: ${m.width}x${m.height} → ${n.width}x${n.height}`);
  }
  if (m.title && n.title && m.title !== n.title) out.push(`Title changed: "${m.title}" → "${n.title}"`);
  for (const key of new Set([...Object.keys(m), ...Object.keys(n)])) {
    if (!["width", "height", "title"].includes(key) && JSON.stringify(m[key]) !== JSON.stringify(n[key])) {
      out.push(`Project ${key}: ${JSON.stringify(m[key] ?? null)} → ${JSON.stringify(n[key] ?? null)}`);
    }
  }
  return out;
}

function describeChanges(before, after) {
  const was = keyedTracks(before), is = keyedTracks(after), out = [];
  for (const [key, track] of is) out.push(...trackChanges(was.get(key), track));
  for (const [key, track] of was) if (!is.has(key) && segmentsOf(track).length) out.push(`Track removed: ${trackName(track)}`);
  out.push(...metaChanges(before, after));
  return [...new Set(out)];
}

// --- SSE: a WHATWG event-stream parser fed by text chunks -----------------------------------

class SSEParser {
  constructor() {
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.afterCR = false;
  }

  // Returns the events ({data, event}) and comments ({comment}) completed by `chunk`.
  feed(chunk) {
    if (this.afterCR && chunk.startsWith("\n")) chunk = chunk.slice(1); // a CRLF split in two
    this.afterCR = false;
    this.buffer += chunk;
    const out = [];
    let match;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    while ((match = lineEnd.exec(this.buffer))) {
      // A CR at the very end may be the first half of a CRLF: the next chunk decides.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) this.afterCR = true;
      this.line(this.buffer.slice(start, match.index), out);
      start = lineEnd.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  line(line, out) {
    if (line === "") {
      if (this.data.length) out.push({ data: this.data.join("\n"), event: this.event || "message" });
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return void out.push({ comment: line.slice(1) });
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    // id and retry do not matter to a client that never reconnects a stream
  }
}

// Both dialects → {type: text|partial|tool|heartbeat|error|other, text}.
function interpret(data) {
  if (data.trim() === "") return [{ type: "heartbeat" }];
  let obj;
  try {
    obj = JSON.parse(data);
  } catch {
    return [{ type: "other" }];
  }
  if (!obj || typeof obj !== "object") return [{ type: "other" }];
  if (typeof obj.type === "string") {
    if (obj.type === "heartbeat") return [{ type: "heartbeat" }];
    if (obj.type === "text") return [{ type: obj.partial ? "partial" : "text", text: String(obj.content ?? "") }];
    if (obj.type === "tool_call" || obj.type === "tool_result") return [{ type: "tool" }];
    if (obj.type === "error") return [{ type: "error", text: String(obj.error ?? obj.content ?? "error") }];
    return [{ type: "other" }];
  }
  if (typeof obj.error === "string") return [{ type: "error", text: obj.error }];
  const parts = Array.isArray(obj.content?.parts) ? obj.content.parts : [];
  return parts.map((part) => {
    if (part.functionCall || part.functionResponse) return { type: "tool" };
    if (typeof part.text !== "string") return { type: "other" };
    if (obj.author === "system" && part.text.startsWith("Error:")) return { type: "error", text: part.text.slice(6).trim() };
    return { type: obj.partial ? "partial" : "text", text: part.text };
  });
}

// --- translation: keep the content, turn GUI instructions into actions -----------------------

const GUI = [
  ["export", /export\s+button|(click|tap|press|select)\s+(on\s+)?(the\s+)?(export|download)\b|导出按钮|点击\W?(导出|下载)|^\W*导出/i],
  ["credits", /billing|check\s+(your\s+|the\s+)?(account|balance|credits?)|账单|查看(您的|你的)?(账户|余额|积分)/i],
  ["state", /preview\b.{0,60}?(in|on)\s+(the\s+)?timeline|时间线.{0,3}预览|预览.{0,6}时间线/i],
  ["drag", /\bdrag(s|ged|ging)?\b|\bdrop\s+(it|them|this|that|the\s+\w+)\s+(on|onto|into|at|in)\b|拖拽|拖动|拖放/i],
  ["state", /^\W*(please\s+|you\s+can\s+|now\s+|then\s+|just\s+)*open\s|\bopen\s+(the|your)\s+([\w-]+\s+){0,3}?(panel|tab|menu|editor|timeline|settings|window|page)\b|打开/i],
  ["click", /(?<![a-z])(?<!a |the )(click(ing)?|tap|press)\s+(?!sounds?|effects?|tracks?)|点击|单击|双击/i],
];
const PURPOSE = /^\W*(to|if|when|once|so|then|要|如需|如果|以便|即可)(?![a-z])/i;

const guiKind = (text) => GUI.find(([, re]) => re.test(text))?.[0] ?? null;

function translate(text) {
  const actions = [];
  // A period inside a word or number ("0.7s", "v1.2") does not end a sentence.
  const sentences = text.match(/(?:[^.!?。！？\n]|[.!?](?![.!?]*(?:\s|$)))+(?:[.!?]+(?=\s|$)|[。！？]+)?|[.!?]+|\n/g) || [];
  const kept = [];
  for (const sentence of sentences) {
    if (sentence === "\n" || !guiKind(sentence)) {
      kept.push(sentence);
      continue;
    }
    const end = (sentence.match(/[.!?。！？]+$/) || [""])[0];
    const clauses = sentence.slice(0, sentence.length - end.length).split(/\s*[,;，；]\s*|\s+and\s+then\s+|\s+then\s+/);
    const gui = clauses.map((c) => guiKind(c));
    const keep = clauses.filter((c, i) => !gui[i] && !(PURPOSE.test(c) && (gui[i - 1] || gui[i + 1])) && c.trim());
    for (let i = 0; i < clauses.length; i++) if (gui[i]) actions.push({ kind: gui[i], text: clauses[i].trim() });
    if (!gui.some(Boolean)) actions.push({ kind: guiKind(sentence), text: sentence.trim() });
    if (keep.length && gui.some(Boolean)) kept.push(" " + keep.join(", ").trim() + end);
  }
  return { text: kept.join("").replace(/[ \t]+\n/g, "\n").trim(), actions };
}

// A tip ("you can drag…", 可以…, "to fine-tune…") is content, not an order: never carried out.
const TIP = /\byou\s+(can|could|may|might)\b|\bfeel\s+free\b|\bif\s+you\b|\bif\s+needed\b|\boptionally\b|\bto\s+(fine-?\s?tune|tweak|adjust|reorder|rearrange|refine)\b|可以|如需|如果|随时|微调|调整|不妨|试试/i;
// An export completes the request only when the user asked for the file (or the backend says so).
const WANTS_FILE = /\b(export|download|render|send\s+(me|it)|give\s+me)\b|导出|下载|发给我|成片/i;
const ASKED_FOR = /\byou\s+(asked|requested|wanted)\b|你要的|您要的/i;
const NOT_NAMED = new Set(["the", "a", "an", "to", "of", "in", "on", "at", "it", "them", "this", "that", "your", "and", "please", "then", "now", "just", "move", "timeline", "button", "panel", "onto", "into", ..."把将到在上的中里处请您你时间线面板按钮移动"]);

function wordsOf(text) {
  const folded = text.toLowerCase();
  const latin = (folded.match(/[a-z0-9:]+/g) || []).map((w) => (w.length > 3 && w.endsWith("s") ? w.slice(0, -1) : w));
  return new Set([...latin, ...(folded.match(/[\u3400-\u9fff]/g) || [])]);
}

// The whole sentence an edit instruction sends ("Drag the clip to the start" → "Move the clip to
// the start."), or "" when it holds none: a fragment is never sent.
function editSentence(action) {
  const zh = /[\u3400-\u9fff]/.test(action.text);
  let text;
  if (action.kind === "drag") {
    const verb = action.text.match(/^\W*(please\s+|now\s+|just\s+)*(drag(\s*(and|&|\/)\s*drop)?|drop)\b|^(请|您|你)?(拖拽|拖动|拖放)/i);
    if (!verb) return "";
    text = (zh ? "移动" : "Move") + action.text.slice(verb[0].length);
  } else {
    const purpose = action.text.match(zh ? /(以便|以|来)([^，。；！？]{2,})/ : /\bto\s+([a-z][^,.;:!?]*)/i);
    if (!purpose) return "";
    text = purpose[purpose.length - 1];
  }
  text = text.trim().replace(/[,;，；]+$/, "");
  if (!/[.!?。！？]$/.test(text)) text += zh ? "。" : ".";
  text = text[0].toUpperCase() + text.slice(1);
  const body = text.replace(/[.!?。！？]+$/, "");
  const last = zh ? body.slice(-1) : body.split(/\s+/).pop().toLowerCase();
  const dangling = zh ? "可以的把将到在和并就即上" : ["to", "the", "a", "an", "and", "of", "in", "on", "at", "for", "with", "your"];
  const whole = zh ? (body.match(/[\u3400-\u9fff]/g) || []).length >= 3 : body.split(/\s+/).length >= 2;
  return whole && !dangling.includes(last) ? text : "";
}

// What carrying out an action means, or null when the client does nothing (a tip, or an order
// that does not complete what the user asked for).
function editFor(action, request) {
  if (TIP.test(action.text)) return null;
  const exports = action.kind === "export" || (action.kind === "click" && /\b(export|download)\b|导出|下载/i.test(action.text));
  if (exports) return WANTS_FILE.test(request) || ASKED_FOR.test(action.text) ? { route: "export" } : null;
  if (action.kind !== "drag" && action.kind !== "click") return { route: action.kind };
  const edit = editSentence(action);
  const named = [...wordsOf(edit)].filter((w) => !NOT_NAMED.has(w));
  const asked = wordsOf(request);
  return edit && named.length && named.every((w) => asked.has(w)) ? { edit } : null;
}

// --- one /run_sse turn ----------------------------------------------------------------------

async function runTurn(message) {
  const before = (await getState())?.state?.draft ?? {};
  const res = await call(() => ({
    method: "POST",
    route: "/run_sse",
    extra: { Accept: "text/event-stream" },
    body: { app_name: "nemo_agent", user_id: "me", session_id: sid(), new_message: { parts: [{ text: message }] } },
  }), { stream: true });
  // From here on the message is never sent again, whatever happens.
  const { texts, ending, errors } = await listen(res);
  for (const error of errors) show("problem", `The editor reported a problem: ${error}`);
  while (texts.length && texts.length > 0 && texts[texts.length - 1].trim().startsWith(NOISE)) texts.pop();
  const actions = [];
  for (const text of texts) {
    const translated = translate(text);
    if (translated.text) show("reply", translated.text);
    actions.push(...translated.actions);
  }
  if (ending === "stalled") {
    show("problem", "The editor stopped responding (only heartbeats for 10 minutes). Your message was not sent again. Say \"status\" to see the timeline.");
    return { ok: false, actions };
  }
  if (ending === "limit") {
    show("problem", "The edit took longer than the 15-minute limit. Your message was not sent again. Say \"status\" to see the timeline.");
    return { ok: false, actions };
  }
  if (ending === "broken") return { ok: await recover(before), actions };
  if (!texts.length) await silentTurn(before);
  return { ok: true, actions };
}

const squash = (text) => text.replace(/\s+/g, "");

async function listen(res) {
  const parser = new SSEParser();
  const decoder = new TextDecoder("utf-8");
  const reader = res.body.getReader();
  const texts = [], errors = [];
  let partial = "", ending = null;
  const start = now();
  let lastText = start, lastEvent = start, nextStill = start + STILL_WORKING_EVERY;
  // A ticker watches the clock while the read waits: still working, stalled, the 15-minute limit.
  const ticker = setInterval(() => {
    const t = now();
    if (t >= nextStill) {
      show("progress", STILL_WORKING);
      nextStill += STILL_WORKING_EVERY;
    }
    if (t - lastEvent >= STALL_AFTER) ending = "stalled";
    if (t - start >= TURN_LIMIT) ending = "limit";
    if (ending) reader.cancel().catch(() => {});
  }, Math.max(5, (5 * 1000) / SCALE));
  const onText = (text) => {
    lastText = lastEvent = now();
    nextStill = lastText + STILL_WORKING_EVERY;
    return text;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const item of parser.feed(decoder.decode(value, { stream: true }))) {
        if (item.comment !== undefined) continue; // a comment is a heartbeat
        for (const event of interpret(item.data)) {
          if (event.type === "partial") partial += onText(event.text);
          else if (event.type === "text") {
            // ADK repeats the chunks as one final text; the simple dialect never does, so chunks
            // followed by a different whole text (the trailing noise, say) are a reply of their own.
            if (partial.trim() && squash(event.text) !== squash(partial)) texts.push(partial);
            texts.push(onText(event.text));
            partial = "";
          } else if (event.type === "error") errors.push(event.text);
          else if (event.type === "tool") lastEvent = now();
        }
      }
    }
    ending = ending || "closed";
  } catch (error) {
    ending = ending || "broken";
    log("the stream broke:", error?.cause?.code || error?.message || error);
  } finally {
    clearInterval(ticker);
  }
  if (partial) texts.push(partial); // the simple dialect sends only chunks
  void lastText;
  return { texts: texts.filter((t) => t.trim()), ending, errors };
}

async function silentTurn(before) {
  const after = (await getState())?.state?.draft ?? {};
  const changes = describeChanges(before, after);
  show("changes", changes.length ? `Done: ${changes.join("; ")}.` : "The edit finished; the timeline did not change.");
}

// Disconnect recovery: never re-send; watch the state for the edit to land.
async function recover(before) {
  let wait = RECOVERY_FIRST;
  for (let fetches = 0; fetches < RECOVERY_FETCHES; fetches++) {
    await sleep(wait);
    wait = RECOVERY_NEXT;
    const after = (await getState())?.state?.draft ?? {};
    const changes = describeChanges(before, after);
    if (changes.length || JSON.stringify(after) !== JSON.stringify(before)) {
      show("changes", `The connection dropped, but the edit landed: ${changes.join("; ") || "the timeline changed"}.`);
      return true;
    }
  }
  show("problem", "The connection dropped and the edit did not show up in the project. Your message was not sent again; say it again to retry.");
  return false;
}

// --- client actions: export, credits, state, upload -----------------------------------------

async function exportVideo() {
  const draft = (await getState())?.state?.draft ?? {};
  if (!trackLines(draft).length) return show("problem", "The timeline is empty: upload a clip or ask for an edit first.");
  const submit = (id) => call(() => ({ method: "POST", route: "/api/render/proxy/lambda", body: { id, sessionId: sid(), draft, output: { format: "mp4", quality: "high" } } }));
  let job;
  try {
    job = await submit(`render_${Date.now()}`);
  } catch (error) {
    if (error.code === 402 || error.code === 2001 || error.code === 1001) throw error;
    log("render submission failed; retrying once with a new id");
    job = await submit(`render_${Date.now()}_${randomUUID().slice(0, 6)}`);
  }
  const id = job.id;
  show("progress", "⏳ Rendering ~30s");
  let last = -1;
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    await sleep(POLL_EVERY);
    const status = await call(() => ({ method: "GET", route: `/api/render/proxy/lambda/${id}` }));
    const s = status?.status ?? status?.data?.status; // data.status or status, both read
    const progress = Math.round(Number(status?.progress ?? status?.data?.progress) || 0);
    const url = status?.outputUrl ?? status?.data?.outputUrl ?? status?.output?.url;
    if (s === "completed") {
      show("video_ready", `✅ Video ready! ${url}`);
      await projectLink();
      return;
    }
    if (s === "failed" || s === "cancelled") return show("problem", "The render failed. Try exporting again.");
    if (progress !== last && progress > 0) show("progress", `⏳ ${progress}%`);
    last = progress;
  }
  show("problem", `The video is still rendering; check again later (render id ${id}).`);
}

async function projectLink() {
  try {
    const data = await call(() => ({ method: "POST", route: "/api/auth/claim-token", body: { task_id: state.taskId, session_id: sid() } }));
    show("project_link", `Open the project: ${WEB}/workspace/claim?ct=${data.claim_token}`);
  } catch (error) {
    log("no project link:", error.message);
  }
}

async function credits() {
  const c = await call(() => ({ method: "GET", route: "/api/credits/balance/simple" }));
  show("credits", `Credits: ${c.available} available, ${c.frozen} held by work in progress, ${c.total} in total.`);
}

async function tracks() {
  const lines = trackLines((await getState())?.state?.draft ?? {});
  show("tracks", lines.length ? summary(lines) : "The timeline is empty: upload a clip or ask for an edit first.");
}

async function upload(files) {
  if (!files.length) return show("notice", "Attach a file to upload it.");
  show("progress", `⏳ Uploading ${files.length} file${files.length === 1 ? "" : "s"}...`);
  const data = await call(() => {
    const form = new FormData();
    for (const file of files) form.append("files", new Blob([fs.readFileSync(file)]), path.basename(file));
    return { method: "POST", route: `/api/upload-video/nemo_agent/me/${sid()}`, form };
  });
  const list = data?.files ?? data?.uploaded_files ?? [];
  show("uploaded", `✅ Uploaded: ${list.map((f) => `${f.filename} (${f.file_type})`).join(", ")}`);
}

// --- routing: what the user typed → actions ------------------------------------------------

// The table names intents (docs/contract.md): a routing word is the client's action only when its
// clause asks for it. Inside quotes, in a compound noun (white balance, end credits, status bar,
// 状态栏), after an editing verb (add, fix, 加, 调 …), or as an export of an asset ("download the
// music from the library") it belongs to the edit. Truly ambiguous phrases go to the agent.
const words = (en, zh = "", place = "") => {
  const head = place === "after" ? String.raw`\s*(?:-\s*)?` : "";
  const tail = place === "before" ? String.raw`(?:\s*-\s*|\s+)$` : "(?![a-z])";
  const zhPart = zh ? `|${head}(?:${zh})${place === "before" ? "$" : ""}` : "";
  return new RegExp(`${head}(?<![a-z])(?:${en})${tail}${zhPart}`);
};
const EXPORT_VERBS = ["export", "download", "render", "导出", "下载", "渲染"];
const KEYWORDS = {
  upload: ["upload", "上传"],
  state: ["status", String.raw`(?:show|list|see|view)(?: me)?(?: the| all| all the| my)? tracks`, "(?:what|which) tracks", "状态", "轨道"],
  credits: ["credits", "balance", "积分", "余额"],
  export: [...EXPORT_VERBS, "send me the (?:final )?video"],
};
const whole = (list) => new RegExp(list.map((k) => (/^[\x00-\x7f]*$/.test(k) ? `(?<![a-z])${k}(?![a-z])` : k)).join("|"), "g");
const KEYWORD = Object.fromEntries(Object.entries(KEYWORDS).map(([a, list]) => [a, whole(list)]));
const EXPORT_VERB = new RegExp(`^(?:${EXPORT_VERBS.join("|")})$`);
const COMPOUND_AFTER = words("roll|rolls|rolling|sequence|scene|screen|section|text|card|cards|music|song|font|page|bar|bars|line|indicator|icon|icons|badge|quo|update|updates|message|overlay|light|lights|button|buttons|settings|setting|options|option|menu|panel|preset|presets|dialog|window|tab|quality|speed|arrow|prompt|banner|count|counter|date|time|engine|farm|queue|animation|effect|status|progress|job", "栏|条|图标|灯|指示|按钮|按键|键|设置|选项|菜单|面板|榜|牌|板|动画|特效", "after");
const COMPOUND_BEFORE = words("white|color|colour|audio|sound|tonal|tone|volume|stereo|channel|mix|level|levels|exposure|brightness|contrast|skin|end|ending|opening|closing|final|film|movie|rolling|scrolling|intro|outro|crew|cast|title|online|relationship|marital", "白|色|音频|片尾|片头|演职员", "before");
const BALANCE_VERB = /^ (?:of|between|the|it|out|this|that|these|levels?)(?![a-z])/;
const EDIT_VERB = words("add|adding|roll|put|place|insert|include|fix|adjust|correct|tweak|change|make|create|design|animate|overlay|remove|delete|cut|trim|shorten|lengthen|extend|fade|move|resize|style|color|colour|reduce|increase|boost|lower|raise|set|write|type|center|centre|align|use|replace|swap|edit|keep|balance|improve|speed up|slow down|get rid of", "加|添加|插入|放|做|制作|调|修|改|删|去掉|剪|滚动|配|写|打上|设计|换|替换|移|保留");
const PLACED = words("at the end|at the start|at the beginning|on screen|on-screen|onscreen|in the video|to the video|into the video|on the video|in the corner|as a title|as the title|as text|as an overlay|on top|over the|lower third|in the intro|in the outro|at the bottom|at the top", "在视频|在画面|在片尾|在开头|在结尾|画面上|画面里|视频里|视频中|视频上|片尾|片头|作为标题|叠加|屏幕上");
const ASKED = words("my|how many|how much|what's|whats|what is|how's|hows|left|remaining|check|do i have|have i got|i have|account|top up|current|show|see|view|tell|get|display|list|what|which|project's", String.raw`\?|？|查|多少|还有|还剩|剩|我的|账户|帐户|显示|告诉|看看|看一下|吗|呢|怎么样|如何|当前|现在`);
const ASSET = words("music|songs?|soundtrack|audio|sounds?|sfx|effects?|fonts?|stickers?|templates?|images?|photos?|pictures?|gifs?|logo|footage|b-roll|broll|stock|assets?|luts?|filters?|transitions?|text|titles?|captions?|subtitles?|voiceover|narration|emojis?|clipart|icons?|beat|track|loops?|samples?", "音乐|歌|音效|字体|贴纸|模板|图片|照片|素材|背景|字幕|特效");
const DETERMINERS = /^(?:\s*(?:the|a|an|my|this|that|these|those|some|all|of|your|our|one|new|一首|一个|一些|这个|那个|这首|那首|这些|些|首|个)(?![a-z]))*\s*/;
const LIBRARY = /(?<![a-z])from (?:the |a |my |our )?(?:\w+ )?(?:library|stock|internet|web|youtube)(?![a-z])|从.*库|素材库|音乐库|曲库/;
const ARTICLE_BEFORE = /(?<![a-z])(?:the|an?|this|that|your|our)\s+$/;
const REQUEST_VERB = words("start|run|begin|do|kick off|trigger|send|give|get|need|want");
const QUOTED = /"[^"]*"|“[^”]*”|‘[^’]*’|「[^」]*」|『[^』]*』|《[^》]*》|(?<![\w'])'[^']+'(?![\w'])/g;
const BARE_EN = new Set("the a me it this all now please pls ok okay can could would will you i want to just again let lets us project video session render edit".split(" "));
const BARE_ZH = /[请帮我的一下看吧了呀啊把给下个你]|项目|视频/g;
const SEPARATOR = /\s*(?:[,;，、；\n]|[.!?](?=\s|$)|[。！？])\s*(?:(?:and\s+then|and|then)\b\s*)?|\s+(?:and\s+then|and|then|&)\s+|\s*(?:然后|并且|再)\s*/gi;
const FILLER = new Set("please pls ok okay now thanks thank you also so yes great cool i m am done that s all looks good perfect nice alright 好的 好 请 谢谢 现在 好了 可以了 完成了".split(" "));
const isFiller = (clause) => (fold(clause).match(/[\p{L}\p{N}_]+/gu) ?? []).every((w) => FILLER.has(w));

const fold = (text) => text.normalize("NFKC").toLowerCase().replace(QUOTED, (m) => " ".repeat(m.length)).replace(/\s+/g, " ");

function bare(folded, start, end) {
  const rest = `${folded.slice(0, start)} ${folded.slice(end)}`;
  const en = rest.match(/[a-z']+/g) ?? [];
  const zh = (rest.match(/[^\x00-\x7f]/g) ?? []).join("").replace(BARE_ZH, "").replace(/[ ，。！？、]/g, "");
  return en.every((w) => BARE_EN.has(w)) && !zh;
}

function asks(action, folded, start, end) {
  const before = folded.slice(0, start), after = folded.slice(end), word = folded.slice(start, end);
  if ((word === "balance" && BALANCE_VERB.test(after)) || COMPOUND_AFTER.test(after) || COMPOUND_BEFORE.test(before)) return false;
  if (EDIT_VERB.test(before)) return false;
  if (action === "export" && EXPORT_VERB.test(word)) {
    const object = after.slice(after.match(DETERMINERS)[0].length);
    if (new RegExp(`^(?:${ASSET.source})`).test(object) || LIBRARY.test(folded)) return false;
    return ARTICLE_BEFORE.test(before) ? REQUEST_VERB.test(before) : true;
  }
  if (action === "export" || action === "upload") return true;
  if (PLACED.test(folded)) return false;
  return ASKED.test(folded) || bare(folded, start, end);
}

function clauseActions(clause) {
  const folded = fold(clause), found = [];
  let verbless = false;
  for (const [action, pattern] of Object.entries(KEYWORD)) {
    for (const m of folded.matchAll(pattern)) {
      if (asks(action, folded, m.index, m.index + m[0].length)) {
        found.push(action);
        verbless ||= m[0] === "credits" && bare(folded, m.index, m.index + m[0].length) && !ASKED.test(folded);
        break;
      }
    }
  }
  return { found, verbless };
}

function route(text) {
  const pieces = [], seps = [];
  let last = 0;
  for (const m of text.matchAll(SEPARATOR)) {
    if (!m[0]) continue;
    pieces.push(text.slice(last, m.index));
    seps.push(m[0]);
    last = m.index + m[0].length;
  }
  pieces.push(text.slice(last));
  const found = new Set(), kept = [];
  let previousEdit = false;
  pieces.forEach((piece, i) => {
    const asked = i < seps.length && /[?？]/.test(seps[i]) ? "?" : "";
    let { found: hits, verbless } = clauseActions(piece + asked);
    // "add music and credits": a bare "credits" after a plain "and" shares the edit's verb
    if (verbless && i > 0 && /^\s+(?:and|&)\s+$/i.test(seps[i - 1]) && previousEdit) hits = [];
    hits.forEach((h) => found.add(h));
    if (!hits.length && piece.trim()) kept.push(piece.trim());
    previousEdit = !hits.length && EDIT_VERB.test(fold(piece));
  });
  const message = found.size ? kept.filter((c) => !isFiller(c)).join(", ") : text.trim();
  return { message, actions: ["upload", "state", "credits", "export"].filter((a) => found.has(a)) };
}

async function runAction(action, done) {
  if (done.has(action)) return;
  done.add(action);
  if (action === "export") await exportVideo();
  else if (action === "credits") await credits();
  else if (action === "state") await tracks();
}

async function handle(step) {
  await connect();
  const { message, actions } = route(step.text || "");
  if (step.op === "upload" || actions.includes("upload")) await upload(step.files || []);
  const done = new Set();
  if (message) {
    const turn = await runTurn(message);
    if (!turn.ok) return;
    let followed = false;
    for (const action of turn.actions) {
      const todo = editFor(action, step.text || "");
      if (todo?.route) await runAction(todo.route, done);
      else if (todo?.edit && !followed && todo.edit.replace(/[.。]$/, "").toLowerCase() !== message.toLowerCase()) {
        followed = true; // one follow-up per user message: each turn costs credits
        if (!(await runTurn(todo.edit)).ok) return;
      }
    }
  }
  for (const action of actions.filter((a) => a !== "upload")) await runAction(action, done);
}

function problemFor(error) {
  if (!(error instanceof ApiError)) return `Could not reach the Nemo API (${error?.cause?.code || error?.message}). Check NEMO_API_URL and try again.`;
  const c = error.code;
  if (c === 2001) return state.tokenSource === "anonymous" ? `You're out of credits. Register for free to get more: ${WEB}/register?bind=${state.userId}` : `You're out of credits. Top up at ${WEB}.`;
  if (c === 402) return `Export is blocked by your plan's limits (HTTP 402): a subscription tier limit, not credits. Upgrade at ${WEB}.`;
  if (c === 429) return "The service is busy right now (rate limited). Wait a minute and try again.";
  if (c === 1001) return state.tokenSource === "env" ? "Your NEMO_TOKEN is invalid or expired. Set a valid one or unset it." : "The access token expired and could not be renewed. Try again.";
  if (c === 1002) return "The editing session was lost and could not be recreated. Try again.";
  if (c === 4001) return "That file type isn't supported. Accepted formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac.";
  if (c === 4002) return "That file is too large: the limit is 500 MB. Compress or trim it and upload it again.";
  return `The service answered unexpectedly: ${error.message}. Try again.`;
}

// --- the protocol loop ---------------------------------------------------------------------

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of input) {
  if (!line.trim()) continue;
  let step;
  try {
    step = JSON.parse(line);
  } catch {
    log("not a JSON step:", line.slice(0, 80));
    show("problem", "The driver received a step that is not JSON.");
    process.stdout.write('{"kind": "done", "reset": true}\n');
    continue;
  }
  if (step.op === "quit") break;
  if (step.op === "reset") {
    reset(step.env || {});
  } else {
    try {
      await handle(step);
    } catch (error) {
      log("step failed:", error?.message || error);
      show("problem", problemFor(error));
    }
  }
  // "reset": true tells the suite this driver understands the reset step.
  process.stdout.write('{"kind": "done", "reset": true}\n');
}
process.exit(0);
