import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadManifests, snapshotStateStore } from "@archy/reconciler";
import { EXIT, exitCodeFor } from "../cli-error.js";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { tokenPath } from "../daemon/token.js";
import { serviceCheck, type DaemonIdentity, type ServiceSystem } from "./service.js";

interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
}

/** Checks podman, its version, the store, the state folder and its permissions, the service. */
export async function run(ctx: Context, sys?: ServiceSystem): Promise<number> {
  const checks: Check[] = [];
  const add = (name: string, status: Check["status"], detail: string) =>
    checks.push({ name, status, detail });
  let podmanMissing = false;
  const runtime = ctx.runtime();
  try {
    const version = await runtime.version();
    const major = Number(version.split(".")[0]);
    add(
      "podman",
      major >= 4 ? "ok" : "warn",
      `podman ${version} (${runtime.podmanPath}${runtime.globalArgs.length ? ` ${runtime.globalArgs.join(" ")}` : ""})${major >= 4 ? "" : "; archy needs 4.3 or newer"}`,
    );
    try {
      const containers = await runtime.listContainers();
      const images = await runtime.listImages();
      add("podman store", "ok", `${containers.length} containers, ${images.length} images`);
    } catch (error) {
      add("podman store", "fail", (error as Error).message);
    }
  } catch (error) {
    // podman missing or not answering (EPODMANUNAVAILABLE, EPODMANTIMEOUT), by code.
    podmanMissing = exitCodeFor((error as { code?: string }).code) === EXIT.podman;
    add("podman", "fail", (error as Error).message);
  }

  const st = await stat(ctx.stateDir).catch(() => null);
  if (!st)
    add("state folder", "warn", `${ctx.stateDir} does not exist yet (created 0700 on first use)`);
  else if (!st.isDirectory()) add("state folder", "fail", `${ctx.stateDir} is not a folder`);
  else {
    const mode = st.mode & 0o777;
    const mine = typeof process.getuid !== "function" || st.uid === process.getuid();
    add(
      "state folder",
      mode === 0o700 && mine ? "ok" : "fail",
      `${ctx.stateDir} mode ${mode.toString(8).padStart(4, "0")}${mode === 0o700 ? "" : " (expected 0700)"}${mine ? "" : ", owned by another user"}`,
    );
    for (const f of ["desired.json", "snapshot.json", "manifests.cache.json"]) {
      const fs = await stat(join(ctx.stateDir, f)).catch(() => null);
      if (fs && (fs.mode & 0o077) !== 0)
        add(
          f,
          "fail",
          `mode ${(fs.mode & 0o777).toString(8)}: it may hold environment values; expected 0600`,
        );
    }
    const token = await stat(tokenPath(ctx.stateDir)).catch(() => null);
    if (token && (token.mode & 0o077) !== 0)
      add(
        "dashboard.token",
        "fail",
        `mode ${(token.mode & 0o777).toString(8)}: whoever reads it can use the status page; expected 0600 (\`archy dashboard --rotate-token\` makes a new one)`,
      );
    // Corrupt state files archy moved aside (never deleted): the owner should look at them.
    const aside = (await readdir(ctx.stateDir)).filter((f) => /\.json\.corrupt-/.test(f)).sort();
    for (const f of aside)
      add(
        f.slice(0, f.indexOf(".corrupt-")),
        "warn",
        `was corrupt and is kept aside as ${join(ctx.stateDir, f)}; archy went on from its backup or without it (delete the file once looked at)`,
      );
  }

  const answer = await DaemonClient.get<DaemonIdentity & { startedAt: string }>(
    ctx.socketPath,
    "/v1/daemon",
  );
  const info = answer?.body ?? null;
  if (info) {
    const unit = info.systemd ? `, under systemd as ${info.systemd.unit ?? "a unit"}` : "";
    add("daemon", "ok", `running, PID ${info.pid}, since ${info.startedAt}${unit}`);
  } else {
    const marker = await readFile(join(ctx.stateDir, "archy.pid"), "utf8").catch(() => null);
    add(
      "daemon",
      "warn",
      marker
        ? "not running; the last one did not exit cleanly (the next start runs recovery)"
        : "not running",
    );
  }

  // Installed? Enabled? Running, and is it the daemon that answers? Never a failure.
  const service = await serviceCheck(ctx, info, sys);
  add("service", service.status, service.detail);

  try {
    const loaded = await snapshotStateStore(join(ctx.stateDir, "snapshot.json")).load();
    add(
      "snapshot",
      loaded ? "ok" : "warn",
      loaded
        ? `${loaded.data.apps.length} apps, saved ${new Date(loaded.savedAt).toISOString()}`
        : "none yet",
    );
  } catch (error) {
    add("snapshot", "fail", (error as Error).message);
  }

  try {
    const { apps, errors } = await loadManifests(ctx.manifestsDir);
    add(
      "manifests",
      errors.length ? "fail" : apps.length ? "ok" : "warn",
      `${ctx.manifestsDir}: ${apps.length} valid, ${errors.length} error${errors.length === 1 ? "" : "s"}${errors[0] ? ` (first: ${errors[0].file}:${errors[0].line}:${errors[0].column} ${errors[0].message})` : ""}`,
    );
  } catch (error) {
    add("manifests", "fail", (error as Error).message);
  }

  if (ctx.json) ctx.out.document({ checks });
  else {
    const paint = { ok: ctx.out.c.green, warn: ctx.out.c.yellow, fail: ctx.out.c.red };
    ctx.out.table(
      ["CHECK", "STATUS", "DETAIL"],
      checks.map((c) => [c.name, paint[c.status](c.status), c.detail]),
    );
  }
  if (podmanMissing) return EXIT.podman;
  return checks.some((c) => c.status === "fail") ? EXIT.failed : EXIT.ok;
}
