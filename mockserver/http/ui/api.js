// Every request the page makes goes through api(): one place adds the admin token.
//
// The token comes from the page's fragment (/__admin/ui/#token=...), which browsers never send
// to a server, is kept in sessionStorage for this tab and removed from the address bar at once.
// It travels only in the Authorization header, never in a query string.

const KEY = "nemo-mock-admin-token";
export const ADMIN = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

function takeTokenFromFragment() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(KEY, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? "#" + rest : ""));
  }
}
takeTokenFromFragment();

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// fetch a path under /__admin; JSON in, JSON out; a 4xx/5xx throws ApiError with its text.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(KEY);
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(ADMIN + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const text = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
    throw new ApiError(text, response.status);
  }
  return data;
}
