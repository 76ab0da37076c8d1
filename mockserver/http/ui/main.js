// Wires the views together: which one shows (the URL fragment), the live clock in the header,
// and what refreshes when.

import { refreshClock, refreshConfig, startClock } from "./clock.js";
import { showRequest } from "./detail.js";
import { refreshFaults, startFaults } from "./faults.js";
import { startRequests } from "./requests.js";
import { refreshSessions } from "./sessions.js";
import { seconds, showError } from "./dom.js";

const REFRESH = { faults: refreshFaults, clock: async () => { await refreshClock(); await refreshConfig(); },
                  sessions: refreshSessions, requests: async () => {} };
const REFRESH_MS = 1000;

const status = document.getElementById("status");
const report = (error) => {
  showError(status, error);
  status.classList.toggle("error", Boolean(error));
};

function current() {
  const name = new URLSearchParams(window.location.hash.slice(1)).keys().next().value
    ?? window.location.hash.slice(1);
  return name in REFRESH ? name : "requests";
}

async function show() {
  const name = current();
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== `view-${name}`;
  }
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.view === name);
  }
  try {
    await REFRESH[name]();
  } catch (error) {
    report(error);
  }
}

// The views other than the request list (which polls itself) refresh while shown; the config
// form does not, so that a setting being edited is not overwritten.
async function tick() {
  const name = current();
  try {
    if (name === "faults") await refreshFaults();
    if (name === "sessions") await refreshSessions();
    if (name === "clock") await refreshClock();
  } catch (error) {
    report(error);
  }
  setTimeout(tick, REFRESH_MS);
}

window.addEventListener("hashchange", show);
startRequests({
  pickRequest: (seq) => showRequest(seq).catch(report),
  showNow: (now) => { document.getElementById("now").textContent = `t = ${seconds(now)} s`; },
  reportError: report,
});
startFaults();
startClock({ changed: () => {} });
show();
setTimeout(tick, REFRESH_MS);
