/**
 * The circuit instances declared in `circuits/circuits.json`: one place that says which
 * template, with which parameters and public inputs, each named circuit is.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { CIRCUITS_DIR } from "../infra/paths.js";

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

const instanceSchema = z.strictObject({
  file: z.string().regex(/^[a-z0-9_-]+$/),
  template: identifier,
  params: z.array(z.number().int().nonnegative()),
  publicInputs: z.array(identifier),
  ptauPower: z.number().int().min(8).max(28),
  release: z.boolean(),
  description: z.string(),
});

const configSchema = z.strictObject({
  $comment: z.string().optional(),
  circuits: z.record(z.string().regex(/^[a-z0-9_]+$/), instanceSchema),
});

/** One circuit instance: a template applied to parameters, with its public inputs. */
export interface CircuitInstance {
  readonly name: string;
  /** Source file under `circuits/src/`, without `.circom`. */
  readonly file: string;
  readonly template: string;
  readonly params: readonly number[];
  readonly publicInputs: readonly string[];
  /** Power of the Powers of Tau its setup needs (2^power ≥ constraints + public signals). */
  readonly ptauPower: number;
  /** Whether its artifacts are committed under `artifacts/`. */
  readonly release: boolean;
  readonly description: string;
}

/** Path of the instance list. */
export const CIRCUITS_CONFIG = join(CIRCUITS_DIR, "circuits.json");

/** Read and validate `circuits/circuits.json` (or another instance list). */
export function loadCircuitInstances(path = CIRCUITS_CONFIG): CircuitInstance[] {
  const parsed = configSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    throw new ArtifactError(ErrorCode.INVALID_SCHEMA, `invalid circuit list ${path}`, {
      details: { issues: parsed.error.issues },
    });
  }
  return Object.entries(parsed.data.circuits).map(([name, c]) => ({ name, ...c }));
}

/** The instance called `name`; `UNKNOWN_CIRCUIT` when none is declared. */
export function getCircuitInstance(name: string, path = CIRCUITS_CONFIG): CircuitInstance {
  const found = loadCircuitInstances(path).find((c) => c.name === name);
  if (!found) {
    throw new ArtifactError(ErrorCode.UNKNOWN_CIRCUIT, `no circuit named "${name}"`, {
      details: { circuit: name },
    });
  }
  return found;
}

/** The circom source of the `main` component of an instance. */
export function mainSource(instance: CircuitInstance): string {
  const pubs = instance.publicInputs.length
    ? ` {public [${instance.publicInputs.join(", ")}]}`
    : "";
  return [
    "// Generated from circuits/circuits.json by circuits/compile.ts: do not edit.",
    "pragma circom 2.1.5;",
    "",
    `include "src/${instance.file}.circom";`,
    "",
    `component main${pubs} = ${instance.template}(${instance.params.join(", ")});`,
    "",
  ].join("\n");
}
