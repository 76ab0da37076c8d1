// The virtual clock (advance it, change its scale) and the config (switch variants and rates).

import { api } from "./api.js";
import { el, seconds, showError } from "./dom.js";

// Settings the page leaves alone: turning admin off would take the page away with it.
const HIDDEN = new Set(["admin", "extra"]);

export async function refreshClock() {
  const clock = await api("/clock");
  document.getElementById("clock-now").textContent = seconds(clock.now);
  document.getElementById("now").textContent = `t = ${seconds(clock.now)} s`;
  document.getElementById("clock-kind").textContent = clock.kind;
  document.getElementById("clock-scale").textContent =
    clock.scale === null ? "(moves only when advanced)" : `at scale ${clock.scale}`;
  document.getElementById("scale-form").hidden = clock.scale === null;
  return clock;
}

function field(name, value, choices) {
  if (choices) {
    return el("select", { name },
      choices.map((c) => el("option", { value: c, selected: c === value }, c)));
  }
  if (typeof value === "boolean") return el("input", { name, type: "checkbox", checked: value });
  if (typeof value === "number") return el("input", { name, type: "number", step: "any", value });
  return el("input", { name, value: value ?? "" });
}

function valueOf(input, old) {
  if (input.type === "checkbox") return input.checked;
  if (typeof old === "number") return Number(input.value);
  return input.value;
}

function show(input, value) {
  if (input.type === "checkbox") input.checked = value;
  else input.value = value ?? "";
}

// The form is built once; later refreshes set the values in place, except in the field the user
// is in. Rebuilding it after every change replaced the field the user was about to edit (and
// what they had typed in it).
export async function refreshConfig() {
  const { config, choices } = await api("/view/config");
  const form = document.getElementById("config-form");
  const error = document.getElementById("config-error");
  for (const [name, value] of Object.entries(config)) {
    if (HIDDEN.has(name)) continue;
    const shown = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (shown) {
      if (shown !== document.activeElement) show(shown, value); // never under the user's hands
      continue;
    }
    const input = field(name, value, choices[name]);
    input.addEventListener("change", async () => {
      try {
        await api("/config", { method: "PATCH", body: { [name]: valueOf(input, value) } });
        showError(error, null);
      } catch (problem) {
        showError(error, problem);
      }
      await refreshConfig();
    });
    form.append(el("label", {}, el("span", {}, name), input));
  }
}

export function startClock({ changed }) {
  const error = document.getElementById("clock-error");
  const run = (formId, path, name) => {
    document.getElementById(formId).addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = Number(event.target.elements[name].value);
      try {
        await api(path, { method: "POST", body: { [name]: value } });
        showError(error, null);
      } catch (problem) {
        showError(error, problem);
      }
      await refreshClock();
      changed();
    });
  };
  run("advance-form", "/clock/advance", "seconds");
  run("scale-form", "/clock/scale", "scale");
}
