/**
 * Reading circom's `.sym` file: which witness index each named signal has. Used to name the
 * public signals in a manifest, and by tests that forge witnesses.
 */
import { readFile } from "node:fs/promises";

/** Signal name (e.g. `main.disclosed[0]`) → witness index, for signals kept in the witness. */
export async function readSymbols(symPath: string): Promise<Map<string, number>> {
  const symbols = new Map<string, number>();
  for (const line of (await readFile(symPath, "utf8")).split("\n")) {
    if (!line) continue;
    const [, witness, , name] = line.split(",");
    const index = Number(witness);
    if (name !== undefined && index >= 0) symbols.set(name, index);
  }
  return symbols;
}

/**
 * Names of the public signals in snarkjs's `publicSignals` order (witness indices 1..nPublic:
 * outputs first, then public inputs), without the `main.` prefix.
 */
export async function publicSignalNames(symPath: string, nPublic: number): Promise<string[]> {
  const byIndex = new Map<number, string>();
  for (const [name, index] of await readSymbols(symPath)) {
    if (index >= 1 && index <= nPublic && name.startsWith("main.")) {
      byIndex.set(index, name.slice("main.".length));
    }
  }
  const names: string[] = [];
  for (let i = 1; i <= nPublic; i++) {
    const name = byIndex.get(i);
    if (name === undefined) throw new Error(`public signal ${i} has no name in ${symPath}`);
    names.push(name);
  }
  return names;
}
