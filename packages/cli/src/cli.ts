import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { VERSION } from "./version.js";
import type {
  ImportOptions as ConvertImportOptions,
  KubeOptions as ConvertKubeOptions,
} from "./commands/convert.js";
import type { Context, GlobalOptions } from "./context.js";

/**
 * The `archy` command. Only commander is loaded up front: each command's
 * module is imported inside its action, so `archy --version` stays fast.
 * Resolves with the exit code (SPEC section 6).
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  let ctx: Context | null = null;
  const program = new Command("archy")
    .description("A crash-safe, desired-state supervisor for the podman containers of one server.")
    .version(VERSION, "-V, --version")
    .addOption(
      new Option("--state-dir <dir>", "state folder (env ARCHY_STATE_DIR; /var/lib/archy as root)"),
    )
    .addOption(
      new Option(
        "--manifests <dir>",
        "manifests folder (env ARCHY_MANIFESTS; /etc/archy/apps as root)",
      ),
    )
    .addOption(
      new Option(
        "--config <file>",
        "archy's config file, its notify: targets (env ARCHY_CONFIG; /etc/archy/archy.yaml as root)",
      ),
    )
    .option("--json", "one JSON document (JSON lines for streams) on stdout")
    .option("-q, --quiet", "only the essential output")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const context = async (): Promise<Context> => {
    const { createContext } = await import("./context.js");
    ctx = createContext(program.opts<GlobalOptions>());
    return ctx;
  };
  const action =
    <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      exitCode = await fn(await context(), ...args);
    };
  const count = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
    return n;
  };

  program
    .command("up")
    .description("one reconcile pass over all manifests; through the daemon when it runs")
    .option("--remove-orphans", "also remove containers of apps that have no manifest")
    .action(
      action(async (c, o: { removeOrphans?: boolean }) =>
        (await import("./commands/up.js")).run(c, o),
      ),
    );
  program
    .command("plan")
    .description("what a pass would do, changing nothing")
    .option("--remove-orphans", "include the removal of orphans")
    .action(
      action(async (c, o: { removeOrphans?: boolean }) =>
        (await import("./commands/plan.js")).run(c, o),
      ),
    );
  const daemonCommand = program
    .command("daemon")
    .description("the supervisor: recovery, passes on events and every interval, the local API")
    .option("--interval <duration>", "safety-net pass period", "30s")
    .option(
      "--update-check-interval <duration>",
      "ask the registries for newer images this often (apps with update.policy notify or auto); off by default",
    )
    .option(
      "--http <addr>",
      "also serve the status page and the API over HTTP on ADDR (host:port, :port; loopback by default), token-protected",
    )
    .action(
      action(async (c, o: { interval: string; http?: string; updateCheckInterval?: string }) =>
        (await import("./commands/daemon.js")).run(c, o),
      ),
    );
  program
    .command("ps")
    .description("apps: id, desired, phase, health, restarts, uptime, image")
    .action(action(async (c) => (await import("./commands/ps.js")).ps(c)));
  program
    .command("status")
    .description("the daemon, the last recovery and every app; or one app in detail")
    .argument("[app]")
    .action(
      action(async (c, id: string | undefined) => (await import("./commands/ps.js")).status(c, id)),
    );
  for (const op of ["start", "stop", "restart"] as const) {
    program
      .command(op)
      .description(`${op} an app; waits for the final phase unless --no-wait`)
      .argument("<app>")
      .option("--no-wait", "return once the operation has begun")
      .action(
        action(async (c, id: string, o: { wait: boolean }) =>
          (await import("./commands/lifecycle.js")).run(c, { op, target: id, wait: o.wait }),
        ),
      );
  }
  program
    .command("logs")
    .description("the app container's log")
    .argument("<app>")
    .option("-n, --lines <n>", "the last N lines", count)
    .option("-f, --follow", "follow the log")
    .action(
      action(async (c, id: string, o: { lines?: number; follow?: boolean }) =>
        (await import("./commands/logs.js")).run(c, id, o),
      ),
    );
  program
    .command("install")
    .description("add a manifest and converge it")
    .argument("<file>")
    .option("--no-wait", "return once the operation has begun")
    .action(
      action(async (c, file: string, o: { wait: boolean }) =>
        (await import("./commands/lifecycle.js")).run(c, {
          op: "install",
          target: file,
          wait: o.wait,
        }),
      ),
    );
  program
    .command("remove")
    .description("stop and remove an app's container and its manifest")
    .argument("<app>")
    .option("--purge", "also remove its named volumes")
    .option("--no-wait", "return once the operation has begun")
    .action(
      action(async (c, id: string, o: { purge?: boolean; wait: boolean }) =>
        (await import("./commands/lifecycle.js")).run(c, {
          op: "remove",
          target: id,
          wait: o.wait,
          purge: o.purge === true,
        }),
      ),
    );
  const snapshot = program.command("snapshot").description("write or print the snapshot");
  snapshot
    .command("save")
    .description("write the snapshot (to FILE, or the state folder's snapshot.json)")
    .argument("[file]")
    .action(
      action(async (c, file: string | undefined) =>
        (await import("./commands/snapshot.js")).save(c, file),
      ),
    );
  snapshot
    .command("show")
    .description("print the snapshot")
    .argument("[file]")
    .action(
      action(async (c, file: string | undefined) =>
        (await import("./commands/snapshot.js")).show(c, file),
      ),
    );
  program
    .command("resurrect")
    .description(
      "restore the manifests and desired states of a snapshot and start what was running",
    )
    .argument("[file]")
    .action(
      action(async (c, file: string | undefined) =>
        (await import("./commands/resurrect.js")).run(c, file),
      ),
    );
  const update = program
    .command("update")
    .description(
      "pull an app's image and replace its container through the gate; rolled back when it fails",
    )
    .argument("[app]")
    .option("--all", "every app pulled from a registry, one after the other")
    .option(
      "--to <ref>",
      "move to this image (a reference, :TAG or sha256:DIGEST), even a blocked one; the manifest names it once it passed the gate",
    )
    .option("--dry-run", "say what would be updated and how (the strategy), change nothing")
    .option("--no-wait", "return once the update has begun")
    .action(
      action(
        async (
          c,
          id: string | undefined,
          o: { all?: boolean; dryRun?: boolean; wait: boolean; to?: string },
        ) => (await import("./commands/update.js")).update(c, id, o),
      ),
    );
  update
    .command("unblock")
    .description("let an image that failed its gate be tried again")
    .argument("<app>")
    .action(action(async (c, id: string) => (await import("./commands/update.js")).unblock(c, id)));
  update
    .command("check")
    .description("which apps have a newer image in their registry (nothing is pulled or changed)")
    .argument("[app]")
    .action(
      action(async (c, app: string | undefined) =>
        (await import("./commands/update.js")).check(c, app),
      ),
    );
  program
    .command("notify")
    .description("notifications (archy's config file, notify: targets)")
    .command("test")
    .description("send one message to each target and say what each answered")
    .action(action(async (c) => (await import("./commands/notify.js")).test(c)));
  program
    .command("events")
    .description("the live stream of state changes, one JSON object per line")
    .action(action(async (c) => (await import("./commands/events.js")).run(c)));
  program
    .command("dashboard")
    .description(
      "print (and open, where a browser is available) the status page's URL with its token",
    )
    .option("--rotate-token", "make a new token: old links and sessions stop working")
    .option("--no-open", "do not open a browser")
    .action(
      action(async (c, o: { rotateToken?: boolean; open: boolean }) =>
        (await import("./commands/dashboard.js")).run(c, o),
      ),
    );
  const importCmd = program
    .command("import")
    .description("convert another tool's files into archy manifests");
  importCmd
    .command("compose")
    .description("one manifest per service of a docker compose file")
    .argument("<file>")
    .option("--out <dir>", "where the manifests go (default: the manifests folder)")
    .option("--project <name>", "project name (default: the file's `name:` or its folder's name)")
    .option("--force", "replace manifests that exist with other content")
    .option("--strict", "what archy cannot express is an error (exit 2), not a warning")
    .action(
      action(async (c, file: string, o: ConvertImportOptions) =>
        (await import("./commands/convert.js")).importComposeFile(c, file, o),
      ),
    );
  const exportCmd = program
    .command("export")
    .description("hand apps to systemd (Quadlet units) or Kubernetes (YAML)");
  exportCmd
    .command("quadlet")
    .description("one Quadlet .container unit per app (and .volume/.network units)")
    .argument("[app]")
    .option("--all", "every app")
    .requiredOption("--out <dir>", "the units' folder, e.g. ~/.config/containers/systemd")
    .option("--prune", "with --all: remove the units of apps that no longer exist")
    .option("--podman-version <x.y>", "the podman the units are for (default: this host's)")
    .action(
      action(
        async (
          c,
          app: string | undefined,
          o: { all?: boolean; out: string; prune?: boolean; podmanVersion?: string },
        ) => (await import("./commands/convert.js")).exportQuadletUnits(c, app, o),
      ),
    );
  exportCmd
    .command("kube")
    .description("Kubernetes YAML that `podman kube play` and a cluster accept")
    .argument("[app]")
    .option("--all", "every app")
    .option("--out <file>", "write it to FILE (default: stdout)")
    .option("--kind <kind>", "Pod (keeps the restart policy) or Deployment", "Pod")
    .option("--wait-image <image>", "image of the init containers that wait for dependencies")
    .option("--no-secrets", "leave the Secrets out (made apart); containers still reference them")
    .option("--podman-version <x.y>", "the podman that plays the file (default: this host's)")
    .action(
      action(async (c, app: string | undefined, o: ConvertKubeOptions) =>
        (await import("./commands/convert.js")).exportKubeYaml(c, app, o),
      ),
    );
  const service = program
    .command("service")
    .description("the daemon as a systemd service (the system's, or your user's with --user)");
  service
    .command("install")
    .description(
      "write archy.service (only when changed), enable and start it; restart it when it changed",
    )
    .option("--user", "your user's service manager instead of the system's")
    .option("--interval <duration>", "the daemon's safety-net pass period", "30s")
    .option("--http <addr>", "the daemon's --http: status page and API over HTTP on ADDR")
    .action(
      action(async (c, o: { user?: boolean; interval: string; http?: string }) =>
        (await import("./commands/service.js")).install(c, o),
      ),
    );
  service
    .command("uninstall")
    .description("stop and disable the service and remove its unit; containers keep running")
    .option("--user", "your user's service manager instead of the system's")
    .action(
      action(async (c, o: { user?: boolean }) =>
        (await import("./commands/service.js")).uninstall(c, o),
      ),
    );
  service
    .command("status")
    .description("installed, enabled, running, main PID, restarts; whether the unit is current")
    .option("--user", "your user's service manager instead of the system's")
    .action(
      action(async (c, o: { user?: boolean }) =>
        (await import("./commands/service.js")).status(c, o),
      ),
    );
  program
    .command("doctor")
    .description("check podman, its version, the store, the state folder and its permissions")
    .action(action(async (c) => (await import("./commands/doctor.js")).run(c)));

  // Options of the whole program are accepted after a subcommand too.
  program.commands.forEach((cmd) => cmd.copyInheritedSettings(program));

  // Ctrl-C ends a command with exit 130; the daemon handles its own signals. Which command
  // runs is what commander dispatches, not a word in argv: in `archy logs daemon`, daemon is an app.
  const onInterrupt = () => {
    process.stderr.write("interrupted\n");
    process.exit(130);
  };
  program.hook("preAction", (_program, command) => {
    if (command !== daemonCommand) process.once("SIGINT", onInterrupt);
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      )
        return 0;
      return 2;
    }
    const { classify } = await import("./errors.js");
    const c = classify(error, (ctx as Context | null)?.stateDir);
    if (c.bug)
      process.stderr.write(
        `archy: unexpected error, this is a bug; please report it with this trace:\n${c.message}\n`,
      );
    else process.stderr.write(`archy: ${c.message}\n`);
    return c.exitCode;
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}
