// What a Quadlet unit cannot say as archy means it. Such an app is refused,
// with a ConvertError that names the app, the field and why; the other apps
// still export. It is never exported as a unit that would run another
// command. Each rule was found by running podman 5.4.2's own generator
// (`/usr/libexec/podman/quadlet -dryrun`) on exported units, and
// test/quadlet-refusals.p5.test.ts shows each one happening there.
//
// What the generator does keep is not refused: an empty word inside
// Entrypoint (PodmanArgs=--entrypoint=<JSON>) or a health check command
// (HealthCmd=<JSON>) reaches podman as one JSON word, and a host path with
// blanks is written so that systemd reads it whole (storage.ts).
import { isSecretKey, type AppManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";

/** The error of one field of one app that a unit cannot hold. */
export function refusal(app: AppManifest, field: string, why: string): ConvertError {
  return new ConvertError("EUNSUPPORTED", `app ${app.id}: ${field} ${why}`, {
    app: app.id,
    field,
  });
}

const EMPTY_WORD =
  "is an empty word: Quadlet's Exec= drops it and every word after it (podman 5.4's generator turns `redis-server --save \"\"` into `redis-server --save`), so the unit would run another command";
const SEMICOLON =
  'is a lone ";": Quadlet writes it unquoted into the service\'s ExecStart=, where systemd reads it as the end of one command and the start of another (and refuses the unit, a notify service with two)';
const NUL = "holds a NUL character, which no process argument can hold";
const LINE_BREAK =
  "is a secret value with a line break: it goes into the app's env file, where podman reads a value to the end of its line";

/** Every field of `app` that no Quadlet unit can say as archy means it; empty when it exports. */
export function quadletRefusals(app: AppManifest): ConvertError[] {
  const c = app.container;
  const out: ConvertError[] = [];
  (c.command ?? []).forEach((word, i) => {
    const field = `container.command[${i}]`;
    if (word === "") out.push(refusal(app, field, EMPTY_WORD));
    else if (word === ";") out.push(refusal(app, field, SEMICOLON));
  });
  const words: [string, readonly string[] | undefined][] = [
    ["container.command", c.command],
    ["container.entrypoint", c.entrypoint],
    ["container.healthcheck.cmd", c.healthcheck?.kind === "cmd" ? c.healthcheck.cmd : undefined],
  ];
  for (const [field, list] of words)
    (list ?? []).forEach((word, i) => {
      if (word.includes("\u0000")) out.push(refusal(app, `${field}[${i}]`, NUL));
    });
  for (const [key, value] of Object.entries(c.env)) {
    const field = `container.env.${key}`;
    if (value.includes("\u0000")) out.push(refusal(app, field, NUL));
    else if (isSecretKey(key) && /[\n\r]/.test(value)) out.push(refusal(app, field, LINE_BREAK));
  }
  return out;
}
