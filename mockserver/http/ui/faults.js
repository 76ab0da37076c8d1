// Faults: list, add (validated by the mock; its error is shown next to the form), remove, clear.

import { api } from "./api.js";
import { el, showError } from "./dom.js";

const NUMBERS = ["times", "status", "code", "retry_after", "delay", "cut_after"];

function action(rule) {
  const parts = [];
  if (rule.status !== null) parts.push(`status ${rule.status}`);
  if (rule.code !== null) parts.push(`code ${rule.code}`);
  if (rule.delay) parts.push(`delay ${rule.delay} s`);
  if (rule.drop) parts.push("drop");
  if (rule.cut_after !== null) parts.push(`cut after ${rule.cut_after}`);
  if (rule.stall) parts.push("stall");
  if (rule.retry_after !== null) parts.push(`Retry-After ${rule.retry_after}`);
  return parts.join(", ");
}

// The form as the admin API's JSON: empty fields are left out; the mock judges the rest.
function ruleOf(form) {
  const rule = {};
  for (const name of ["method", "path", "message"]) {
    const value = form.elements[name].value.trim();
    if (value) rule[name] = value;
  }
  for (const name of NUMBERS) {
    const value = form.elements[name].value.trim();
    if (value !== "") rule[name] = Number(value);
  }
  for (const name of ["drop", "stall"]) if (form.elements[name].checked) rule[name] = true;
  const body = form.elements.body.value.trim();
  if (body) {
    try {
      rule.body = JSON.parse(body);
    } catch {
      throw new Error(`body is not JSON: ${body}`);
    }
  }
  return rule;
}

export async function refreshFaults() {
  const data = await api("/faults");
  document.querySelector("#faults tbody").replaceChildren(
    ...data.faults.map((rule) =>
      el("tr", { dataset: { id: rule.id } },
        el("td", {}, rule.id),
        el("td", {}, rule.method),
        el("td", {}, rule.path),
        el("td", {}, action(rule)),
        el("td", {}, rule.remaining),
        el("td", {}, el("button", {
          type: "button",
          "aria-label": `remove ${rule.id}`,
          onclick: async () => {
            await api(`/faults/${encodeURIComponent(rule.id)}`, { method: "DELETE" });
            await refreshFaults();
          },
        }, "Remove")),
      ),
    ),
  );
}

export function startFaults() {
  const form = document.getElementById("fault-form");
  const error = document.getElementById("fault-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/faults", { method: "POST", body: ruleOf(form) });
      showError(error, null);
    } catch (problem) {
      showError(error, problem);
    }
    await refreshFaults();
  });
  document.getElementById("faults-clear").addEventListener("click", async () => {
    await api("/faults", { method: "DELETE" });
    await refreshFaults();
  });
}
