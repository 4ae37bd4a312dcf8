// `archy update APP --to REF`: the reference the app moves to. A digest or a
// tag alone (`sha256:…`, `@sha256:…`, `:1.27`) stays in the app's repository;
// anything else is a whole reference.
import { ReconcilerError } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { IMAGE } from "../manifest/schema.js";

const DIGEST = /^@?(sha256:[0-9a-f]{64})$/;
const TAG = /^:([\w][\w.-]{0,127})$/;

/** The reference without its tag or digest (`localhost/app:1.0@sha256:…` → `localhost/app`). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

/** The reference `to` names for an app whose image is `current`; EBADREF when it names none. */
export function updateTarget(current: string, to: string, app?: string): string {
  const digest = DIGEST.exec(to);
  if (digest) return `${repositoryOf(current)}@${digest[1]}`;
  const tag = TAG.exec(to);
  if (tag) return `${repositoryOf(current)}:${tag[1]}`;
  if (!IMAGE.test(to) || /^@?sha256:/.test(to) || /^:|[:@]$/.test(to))
    throw new ReconcilerError(
      "EBADREF",
      `--to ${JSON.stringify(to)}: expected an image reference (localhost/app:2.0), a tag of the same image (:2.0) or a digest (sha256:<64 hex>)`,
      app === undefined ? undefined : { app },
    );
  return to;
}

/** The app as it is once it runs `image` (the manifest's image changed, nothing else). */
export const withImage = (app: AppManifest, image: string): AppManifest => ({
  ...app,
  container: { ...app.container, image },
});
