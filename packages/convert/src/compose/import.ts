// `archy import compose`: a compose file into one archy manifest per service.
// Read -> interpolate (environment over the `.env` beside the file) ->
// validate against the compose specification -> map each service -> render,
// and check every manifest with archy's own parser.
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { parseManifest } from "@archy/reconciler";
import { ConvertError, formatLocated, type SourceLocation } from "../errors.js";
import { collector, isDict, type Collected, type MapContext } from "./context.js";
import { readEnvFile } from "./env-files.js";
import { interpolateDocument, type Lookup } from "./interpolate.js";
import { warnNetworkDefinitions } from "./map-links.js";
import { mapService } from "./map-service.js";
import { warnVolumeDefinitions } from "./map-volumes.js";
import { appIdOf, projectName } from "./names.js";
import {
  composeData,
  composeError,
  locatedAt,
  parseComposeYaml,
  type Located,
} from "./positions.js";
import { renderManifest } from "./render.js";
import { validateCompose } from "./validate.js";
import { asText } from "./values.js";

export interface ComposeImportOptions {
  /** Path of the compose file. */
  file: string;
  /** Its content when already read (else it is read). */
  text?: string;
  /** Project name; default: COMPOSE_PROJECT_NAME, the top-level `name:`, or the folder's name, normalised like compose does. */
  project?: string;
  /** Default `process.env`; the `.env` beside the file fills what it lacks. */
  env?: Record<string, string | undefined>;
  /** Warnings become one ConvertError("EUNSUPPORTED") listing them all. */
  strict?: boolean;
}

export interface ComposeWarning extends SourceLocation {
  message: string;
}

export interface ImportedManifest {
  id: string;
  service: string;
  /** `${id}.yaml` */
  fileName: string;
  /** The manifest's YAML. */
  text: string;
}

export interface ComposeImportResult {
  project: string;
  manifests: ImportedManifest[];
  warnings: ComposeWarning[];
}

/** Top-level keys that need no warning: used, or only informative. */
const TOP_LEVEL = ["version", "name", "services", "volumes", "networks"];

const byPlace = (a: Located, b: Located) =>
  (a.file === b.file ? 0 : a.file < b.file ? -1 : 1) || a.line - b.line || a.column - b.column;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new ConvertError("ECOMPOSE", `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Converts a compose file into archy manifests, one per service. */
export async function importCompose(opts: ComposeImportOptions): Promise<ComposeImportResult> {
  const file = opts.file;
  const dir = dirname(resolve(file));
  const text = opts.text ?? (await readText(file));
  const env = opts.env ?? process.env;
  const src = parseComposeYaml(file, text);

  const shell: Lookup = (name) => env[name];
  const dotenv = await readEnvFile(join(dir, ".env"), shell);
  const lookup: Lookup = (name) => env[name] ?? dotenv?.values[name];
  const warnings: Located[] = [...(dotenv?.warnings ?? [])];
  warnings.push(...interpolateDocument(src, lookup));
  const data = composeData(src);
  validateCompose(src, data);
  const services = isDict(data.services) ? data.services : {};
  if (Object.keys(services).length === 0)
    throw composeError(file, [
      locatedAt(
        src,
        isDict(data.services) ? ["services"] : [],
        "expected at least one service under services:",
      ),
    ]);

  const project = projectName({
    ...(opts.project !== undefined ? { project: opts.project } : {}),
    ...(lookup("COMPOSE_PROJECT_NAME") ? { fromEnv: lookup("COMPOSE_PROJECT_NAME") } : {}),
    ...(asText(data.name) ? { fromFile: asText(data.name) } : {}),
    dir,
  });
  if (project === "")
    throw new ConvertError(
      "ECOMPOSE",
      `cannot make a project name for ${file}: give one with --project`,
    );

  const collected: Collected = { warnings, invalid: [], unsupported: [] };
  const sink = collector(src, collected);
  const ids = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const name of Object.keys(services)) {
    const id = appIdOf(project, name);
    if (id === null) {
      sink.unsupported(
        ["services", name],
        `"${project}-${name}" cannot be made an archy app id (at most 63 letters, digits and "-"): give a shorter --project`,
      );
      continue;
    }
    const other = owners.get(id);
    if (other !== undefined)
      sink.unsupported(
        ["services", name],
        `services "${other}" and "${name}" would both become the app "${id}"`,
      );
    owners.set(id, name);
    ids.set(name, id);
  }
  const ctx: MapContext = {
    src,
    dir,
    project,
    data,
    lookup,
    appId: (service) => ids.get(service) ?? `${project}-${service}`,
    ...sink,
  };

  for (const key of Object.keys(data))
    if (!TOP_LEVEL.includes(key))
      ctx.warn(
        [key],
        key.startsWith("x-")
          ? `the extension "${key}" means nothing to archy (what services merge from it is imported); it is left out`
          : `archy cannot express the top-level "${key}"; it is left out`,
      );
  warnVolumeDefinitions(ctx);
  warnNetworkDefinitions(ctx);

  const fileWarnings: Located[] = [];
  const mapped = [];
  for (const name of Object.keys(services))
    mapped.push({ name, manifest: await mapService(ctx, name, fileWarnings) });
  warnings.push(...fileWarnings);
  if (collected.invalid.length > 0) throw composeError(file, collected.invalid);
  if (collected.unsupported.length > 0)
    throw composeError(file, collected.unsupported, "EUNSUPPORTED");

  const manifests: ImportedManifest[] = mapped.map(({ name, manifest }) => {
    const id = manifest.app.id;
    const fileName = `${id}.yaml`;
    const text = renderManifest(manifest, file, name);
    const check = parseManifest(text, join(dir, fileName));
    if (check.errors.length > 0)
      throw new ConvertError(
        "EUNSUPPORTED",
        `the manifest made of service "${name}" is not valid for archy:\n${check.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`,
      );
    return { id, service: name, fileName, text };
  });

  const sorted = [...warnings].sort(byPlace);
  if (opts.strict && sorted.length > 0)
    throw new ConvertError(
      "EUNSUPPORTED",
      `--strict: ${sorted.length} warning${sorted.length === 1 ? "" : "s"} for ${file}:\n${sorted.map((w) => `  ${formatLocated(w)}`).join("\n")}`,
      { locations: sorted },
    );
  return { project, manifests, warnings: sorted };
}
