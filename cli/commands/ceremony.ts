/**
 * `crossproof setup ptau import` and `crossproof ceremony …`: a thin command-line layer over
 * setup/ptau-import.ts and setup/ceremony.ts (which hold every check), for the coordinator and
 * the participants of a phase-2 ceremony. See docs/ceremony.md.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import type { ZkeyContribution } from "../../infra/zkey-file.js";
import {
  acceptContribution,
  contribute,
  finalizeCeremony,
  initCeremony,
  readTranscript,
  releaseCeremony,
  verifyCeremonyZkey,
} from "../../setup/ceremony.js";
import { stderrProgress } from "../../setup/logger.js";
import { importPtau, type VerifyProgress } from "../../setup/ptau-import.js";
import { printJson, progressBar, usageError } from "../output.js";

const DEFAULT_DIR = "ceremony";

/** A progress bar for a ptau verification (a terminal only, not with `--json`). */
function ptauProgress(json: boolean): { onProgress: VerifyProgress; stop(): void } {
  const bar = progressBar("ptau verify", 1000, json, 0);
  return {
    onProgress: (fraction) => bar.update(Math.round(fraction * 1000)),
    stop: () => bar.stop(),
  };
}

function listContributions(contributions: readonly ZkeyContribution[]): string {
  return contributions
    .map(
      (c) =>
        `  #${c.index} ${c.type === "beacon" ? "beacon" : "contribution"} "${c.name}"\n    ${c.hash}${c.beacon ? `\n    beacon ${c.beacon.hash}, 2^${c.beacon.iterationsExp} iterations` : ""}`,
    )
    .join("\n");
}

/** `crossproof setup ptau import FILE [--allow-unknown]`. */
export async function runSetupPtau(args: string[], json: boolean): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { "allow-unknown": { type: "boolean", default: false } },
    strict: true,
  });
  if (positionals[0] !== "import" || positionals.length !== 2) {
    usageError("crossproof setup ptau import FILE [--allow-unknown]");
  }
  const file = positionals[1] as string;
  const progress = ptauProgress(json);
  let identity: Awaited<ReturnType<typeof importPtau>>;
  try {
    identity = await importPtau(file, {
      allowUnknown: values["allow-unknown"],
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }
  if (json) printJson(identity);
  else {
    process.stdout.write(
      `${file}: verified, 2^${identity.power} powers\n  ${identity.published ? `the published ceremony file ${identity.published}` : "NOT a published ceremony file (allowed by --allow-unknown; recorded in the release)"}\n  blake2b ${identity.blake2b}\n  sha256  ${identity.sha256}\n`,
    );
  }
}

/** Read one line of typed entropy from standard input, without echo on a terminal. */
async function readTypedEntropy(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) process.stderr.write("Type some random text, then Enter (not shown): ");
  return new Promise((resolve, reject) => {
    let text = "";
    const raw = stdin.isTTY;
    if (raw) stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    const done = (value: string) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      if (raw) process.stderr.write("\n");
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\u0003") {
          if (raw) stdin.setRawMode(false);
          reject(new CrossproofError(ErrorCode.USAGE, "interrupted"));
          return;
        }
        if (ch === "\n" || ch === "\r") {
          done(text);
          return;
        }
        text += ch;
      }
    };
    const onEnd = () => done(text);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

/** `crossproof ceremony …`. */
export async function runCeremony(args: string[], json: boolean): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ptau: { type: "string" },
      dir: { type: "string", default: DEFAULT_DIR },
      "allow-unknown-ptau": { type: "boolean", default: false },
      name: { type: "string" },
      "typed-entropy": { type: "boolean", default: false },
      accept: { type: "boolean", default: false },
      beacon: { type: "string" },
      iterations: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  const [step, ...rest] = positionals;
  const progress = json ? () => {} : stderrProgress;
  const dir = values.dir;
  switch (step) {
    case "init": {
      if (rest.length !== 1 || !values.ptau) usageError("ceremony init CIRCUIT --ptau FILE");
      const bar = ptauProgress(json);
      let transcript: Awaited<ReturnType<typeof initCeremony>>;
      try {
        transcript = await initCeremony({
          circuit: rest[0] as string,
          ptau: values.ptau,
          dir,
          allowUnknownPtau: values["allow-unknown-ptau"],
          progress,
          onPtauProgress: bar.onProgress,
        });
      } finally {
        bar.stop();
      }
      const first = transcript.zkeys[0]?.file ?? "";
      if (json) printJson(transcript);
      else
        process.stdout.write(
          `ceremony for ${transcript.circuit} started in ${dir}: ${transcript.constraints} constraints, ptau ${transcript.ptau.published ?? `${transcript.ptau.file} (unknown, allowed)`}\n` +
            `  circuit hash ${transcript.circuitHash}\n  publish ${dir}; the first participant contributes to ${join(dir, first)}\n`,
        );
      return;
    }
    case "contribute": {
      if (rest.length !== 2 || !values.name) usageError("ceremony contribute IN OUT --name NAME");
      const typed = values["typed-entropy"] ? await readTypedEntropy() : undefined;
      const result = await contribute({
        input: rest[0] as string,
        output: rest[1] as string,
        name: values.name,
        ...(typed !== undefined ? { typedEntropy: typed } : {}),
        progress,
      });
      if (json) printJson({ hash: result.hash, contributions: result.contributions });
      else
        process.stdout.write(
          `contribution #${result.contributions.length} by "${values.name}" written to ${rest[1]}\n` +
            `contribution hash (publish it):\n  ${result.hash}\n` +
            "The entropy was never written anywhere; it is gone with this process.\n",
        );
      return;
    }
    case "verify": {
      if (rest.length !== 1) usageError("ceremony verify ZKEY [--dir DIR] [--accept]");
      const zkey = rest[0] as string;
      const result = values.accept
        ? await acceptContribution({ dir, zkey, progress })
        : await verifyCeremonyZkey({ dir, zkey, progress });
      if (json) printJson({ ...result, accepted: values.accept });
      else
        process.stdout.write(
          `${zkey}: verified against ${dir} (${result.circuit})\n${listContributions(result.contributions)}\n` +
            (values.accept
              ? "accepted: recorded in the transcript as the latest zkey\n"
              : result.newContributions.length > 0
                ? `${result.newContributions.length} contribution(s) not yet accepted (--accept records one)\n`
                : ""),
        );
      return;
    }
    case "finalize": {
      if (rest.length !== 0 || !values.beacon || !values.iterations)
        usageError("ceremony finalize --beacon HEX --iterations N");
      if (!/^[0-9]{1,2}$/.test(values.iterations)) usageError("--iterations is an integer N (2^N)");
      const transcript = await finalizeCeremony({
        dir,
        beacon: values.beacon,
        iterationsExp: Number(values.iterations),
        progress,
      });
      const last = transcript.contributions.at(-1);
      if (json) printJson(transcript);
      else
        process.stdout.write(
          `finalized ${transcript.circuit} with the beacon ${transcript.beacon?.hash} (2^${transcript.beacon?.iterationsExp} iterations)\n  beacon contribution hash ${last?.hash}\n`,
        );
      return;
    }
    case "release": {
      if (rest.length !== 0) usageError("ceremony release [--dir DIR] [--out DIR]");
      const transcript = await readTranscript(dir);
      const manifest = await releaseCeremony({
        dir,
        ...(values.out ? { outDir: values.out } : {}),
        progress,
      });
      if (json) printJson(manifest);
      else
        process.stdout.write(
          `released ${transcript.circuit} (kind: production) into ${join(values.out ?? "artifacts", transcript.circuit)}\n` +
            `  verification_key.json sha256 ${manifest.files.verificationKey.sha256}\n  zkey sha256 ${manifest.files.zkey.sha256}\n`,
        );
      return;
    }
    default:
      usageError(
        "crossproof ceremony init|contribute|verify|finalize|release (see crossproof ceremony --help)",
      );
  }
}
