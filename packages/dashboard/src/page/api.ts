// The daemon's HTTP API, same origin, relative URLs only (the server's cookie
// authenticates every request).
import type { AppStatus, Op } from "./types.js";

/** A request the daemon refused (its `{error: {message}}`) or did not answer. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    message: string,
    /** The HTTP status; 0 when the daemon did not answer. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Fetched<T> {
  body: T;
  /** The answer's `Date` header (the daemon's clock). */
  date: string | null;
}

/** What the page's controller needs of the API (a test passes a fake). */
export interface Api {
  get<T>(path: string): Promise<Fetched<T>>;
  operate(id: string, op: Op): Promise<AppStatus>;
}

async function request<T>(method: "GET" | "POST", path: string): Promise<Fetched<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      cache: "no-store",
      credentials: "same-origin",
      headers:
        method === "POST"
          ? { accept: "application/json", "content-type": "application/json" }
          : { accept: "application/json" },
      ...(method === "POST" ? { body: "{}" } : {}),
    });
  } catch (error) {
    throw new ApiError(`the daemon did not answer (${(error as Error).message})`, 0);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the status says enough
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw new ApiError(
      typeof message === "string" ? message : `${method} ${path}: HTTP ${res.status}`,
      res.status,
    );
  }
  return { body: body as T, date: res.headers.get("date") };
}

export const httpApi: Api = {
  get: <T>(path: string) => request<T>("GET", path),
  async operate(id, op) {
    const { body } = await request<{ app: AppStatus }>(
      "POST",
      `/v1/apps/${encodeURIComponent(id)}/${op}`,
    );
    return body.app;
  },
};
