import type { execa as Execa } from "execa";

let loading: Promise<typeof Execa> | null = null;

/**
 * execa, imported on first use: it takes about 0.1 s to load, which a
 * program that never calls podman (or a CLI answered by a daemon) should not pay.
 */
export function loadExeca(): Promise<typeof Execa> {
  loading ??= import("execa").then((m) => m.execa);
  return loading;
}
