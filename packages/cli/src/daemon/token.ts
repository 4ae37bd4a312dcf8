import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { nodeFs, writeFileDurably } from "@archy/durable-fs";

/** The status page's access token: `<state>/dashboard.token`, mode 0600. */
export const tokenPath = (stateDir: string) => join(stateDir, "dashboard.token");

/** 32 random bytes, base64url (43 characters). */
export const newToken = () => randomBytes(32).toString("base64url");

/** What a token file may hold: base64url, at least 32 characters (a hand-written short one is refused). */
const VALID = /^[A-Za-z0-9_-]{32,512}$/;

/** The token in `file`, or null when it is missing or not a valid token. */
export async function readToken(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const token = text.trim();
  return VALID.test(token) ? token : null;
}

/**
 * Writes `token` to `file` atomically and durably (durable-fs: a temporary
 * file created 0600 and synced, renamed over the old one, the folder synced):
 * a kill or a power cut at any instant leaves the old token or the new one.
 */
export async function writeToken(file: string, token: string): Promise<void> {
  await writeFileDurably(nodeFs, file, `${token}\n`, { mode: 0o600 });
}

/** The token of `stateDir`, created when there is none (or the file holds no valid one). */
export async function ensureToken(stateDir: string): Promise<string> {
  const file = tokenPath(stateDir);
  const token = await readToken(file);
  if (token !== null) {
    // A token file others can read is no secret: back to 0600.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return token;
  }
  const created = newToken();
  await writeToken(file, created);
  return created;
}

/** A new token for `stateDir`: every cookie and link of the old one stops working. */
export async function rotateToken(stateDir: string): Promise<string> {
  const token = newToken();
  await writeToken(tokenPath(stateDir), token);
  return token;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Equal strings, compared in constant time (their SHA-256 digests, so lengths do not matter). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** The session cookie's value for `token`: an HMAC of it, so a new token invalidates old cookies. */
export const sessionFor = (token: string) =>
  createHmac("sha256", token).update("archy dashboard session v1").digest("base64url");

/**
 * The token as the daemon checks it: the file is stat'ed on every check and
 * read again when it changed (inode, size, mtime), so `archy dashboard
 * --rotate-token` takes effect at the next request, with no timer and no
 * message to the daemon. A missing or invalid file lets nobody in.
 */
export class TokenFile {
  private key = "";
  private token: string | null = null;

  constructor(readonly path: string) {}

  async current(): Promise<string | null> {
    const st = await stat(this.path, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (!st) {
      this.key = "";
      return (this.token = null);
    }
    const key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (key !== this.key) {
      this.token = await readToken(this.path);
      this.key = key;
    }
    return this.token;
  }

  /** Whether `candidate` is the current token (constant time). */
  async checkToken(candidate: string): Promise<boolean> {
    const token = await this.current();
    return token !== null && safeEqual(candidate, token);
  }

  /** Whether `candidate` is the session cookie of the current token (constant time). */
  async checkSession(candidate: string): Promise<boolean> {
    const token = await this.current();
    return token !== null && safeEqual(candidate, sessionFor(token));
  }
}
