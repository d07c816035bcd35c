/**
 * The `crossproof` command line: one entry point, a sub-command per job.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadCircuitInstances } from "../circuits/instances.js";
import { loadCircuitRelease } from "../core/artifacts.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { documentFingerprint } from "../core/field.js";
import { builtInSchemas } from "../core/schema.js";
import { releaseSnarkjsCurve } from "../core/snarkjs-runtime.js";
import { printError, printJson, usageError } from "./output.js";

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[], json: boolean): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  start: {
    summary:
      "run the whole flow locally: chain, issuer, verifier and prover services; prints a curl walk-through",
    usage: "crossproof start [--records N] [--seed S] [--json]",
    async run(args, json) {
      const { runStartCommand } = await import("./commands/start.js");
      await runStartCommand(args, json);
    },
  },
  demo: {
    summary: "play the cross-boundary scenario over HTTP, step by step",
    usage: "crossproof demo [--verifier URL --prover URL] [--api-key-file FILE] [--json]",
    async run(args, json) {
      const { runDemoCommand } = await import("./commands/start.js");
      await runDemoCommand(args, json);
    },
  },
  verifier: {
    summary: "the verifier service alone: policies, challenges, verifications, receipts",
    usage: "crossproof verifier serve [--port N] [--instances N]",
    async run(args, json) {
      const { runVerifierServe } = await import("./commands/start.js");
      await runVerifierServe(args, json);
    },
  },
  bench: {
    summary:
      "the benchmark suite: circuit matrix, verification throughput, proving, HTTP load (bench/results/)",
    usage: "crossproof bench [--only circuits,throughput,proving,http] [--quick] [--report]",
    async run(args) {
      const { runBench } = await import("../bench/run.js");
      await runBench(args);
    },
  },
  chain: {
    summary:
      "the chain: run the local node, show status, build or deploy contracts, manage issuers",
    usage: [
      "crossproof chain node                           run the local chain node until Ctrl-C",
      "crossproof chain status                         chain id, contracts, issuer",
      "crossproof chain build                          recompile the contracts (artifacts/contracts)",
      "crossproof chain deploy                         deploy the contracts on CROSSPROOF_RPC_URL",
      "crossproof chain register-issuer ADDRESS NAME   (admin) let ADDRESS anchor roots",
      "crossproof chain remove-issuer ADDRESS          (admin) stop ADDRESS from anchoring",
    ].join("\n  "),
    async run(args, json) {
      const { runChain } = await import("./commands/chain.js");
      await runChain(args, json);
    },
  },
  issuer: {
    summary: "the issuer's record vault: import records, anchor the tree root, revoke, status",
    usage: [
      "crossproof issuer import --schema SCHEMA FILE   validate and commit a CSV or JSON Lines file",
      "crossproof issuer anchor                        add new records to the tree, anchor its root",
      "crossproof issuer revoke RECORD_ID              zero the record's leaf, anchor the new root",
      "crossproof issuer status                        records, tree size, latest root and when",
    ].join("\n  "),
    async run(args, json) {
      const { runIssuer } = await import("./commands/issuer.js");
      await runIssuer(args, json);
    },
  },
  prover: {
    summary: "the holder's prover service: presentations over HTTP, proving in a worker pool",
    usage: "crossproof prover serve [--port N] [--workers N]",
    async run(args, json) {
      const { runProverServe } = await import("./commands/prover.js");
      await runProverServe(args, json);
    },
  },
  prove: {
    summary: "prove many presentations from a file of {recordId, challenge} lines",
    usage: "crossproof prove --batch FILE [--out FILE] [--workers N] [--json]",
    async run(args, json) {
      const { runProveBatch } = await import("./commands/prover.js");
      await runProveBatch(args, json);
    },
  },
  "demo-data": {
    summary:
      "synthetic credit reports with record ids (deterministic by seed), for tests and demos",
    usage:
      "crossproof demo-data [--count N] [--seed S] [--as-of YYYY-MM-DD] [--format jsonl|csv] [--out FILE]",
    async run(args) {
      const { runDemoData } = await import("./commands/issuer.js");
      await runDemoData(args);
    },
  },
  setup: {
    summary: "make circuit keys: `setup dev` runs the deterministic development setup",
    usage: "crossproof setup dev [--circuit NAME]... [--out DIR] [--ptau-dir DIR] [--json]",
    async run(args, json) {
      const { positionals, values } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          circuit: { type: "string", multiple: true },
          out: { type: "string" },
          "ptau-dir": { type: "string" },
        },
        strict: true,
      });
      if (positionals[0] !== "dev" || positionals.length !== 1) {
        usageError("only `crossproof setup dev` exists so far (production ceremonies come later)");
      }
      const { setupDev } = await import("../setup/dev.js");
      const options: Parameters<typeof setupDev>[0] = {
        ...(values.circuit ? { circuits: values.circuit } : {}),
        ...(values.out ? { outDir: values.out } : {}),
        ...(values["ptau-dir"] ? { ptauDir: values["ptau-dir"] } : {}),
      };
      const result = await setupDev(options);
      if (json) printJson(Object.fromEntries(result));
      else {
        for (const [name, m] of result) {
          process.stdout.write(
            `${name}: ${m.constraints} constraints, zkey sha256 ${m.files.zkey.sha256}, verification_key.json sha256 ${m.files.verificationKey.sha256}\n`,
          );
        }
      }
      // A new query release has a new Solidity verifier: recompile the deployed contracts too.
      if (!values.out && result.has("query")) {
        const { buildContracts } = await import("../chain/build-contracts.js");
        await buildContracts();
        if (!json) process.stdout.write("contracts rebuilt: artifacts/contracts, chain/abi.ts\n");
      }
    },
  },
  circuits: {
    summary: "list the circuit instances and the state of their committed releases",
    usage: "crossproof circuits [--json]",
    async run(args, json) {
      parseArgs({ args, options: {}, strict: true });
      const rows = [];
      for (const c of loadCircuitInstances()) {
        let release: string;
        if (!c.release) {
          release = "benchmark variant: built on demand by npm run bench:circuits";
        } else {
          try {
            const r = await loadCircuitRelease(c.name);
            release = `${r.manifest.constraints} constraints, ${r.manifest.nPublic} public signals, ${r.manifest.setup.kind} setup`;
          } catch (err) {
            release = err instanceof CrossproofError ? err.code : "unreadable";
          }
        }
        rows.push({
          name: c.name,
          template: `${c.template}(${c.params.join(", ")})`,
          release,
          description: c.description,
        });
      }
      if (json) printJson(rows);
      else {
        const nameWidth = Math.max(...rows.map((r) => r.name.length));
        const templateWidth = Math.max(...rows.map((r) => r.template.length));
        for (const r of rows)
          process.stdout.write(
            `${r.name.padEnd(nameWidth)}  ${r.template.padEnd(templateWidth)}  ${r.release}\n  ${r.description}\n`,
          );
      }
    },
  },
  fingerprint: {
    summary: "fingerprint a document for EQ on a `sha256` field (e.g. documentFingerprint)",
    usage: "crossproof fingerprint FILE [--json]",
    async run(args, json) {
      const { positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {},
        strict: true,
      });
      if (positionals.length !== 1) usageError("give exactly one file");
      const file = positionals[0] as string;
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new CrossproofError(ErrorCode.USAGE, `cannot read ${file}`, { cause: err });
      }
      const { sha256, field } = documentFingerprint(bytes);
      if (json) printJson({ file, sha256, field });
      else
        process.stdout.write(`sha256 ${sha256}
field  ${field}
`);
    },
  },
  schemas: {
    summary: "list the record schemas, their fields and schemaIds",
    usage: "crossproof schemas [--json]",
    async run(args, json) {
      parseArgs({ args, options: {}, strict: true });
      const rows = [...builtInSchemas().values()].map((s) => ({
        id: s.id,
        schemaId: s.schemaId.toString(),
        title: s.document.title,
        fields: s.fields.map((f) => `${f.name}:${f.type}/${f.encoding}`),
      }));
      if (json) printJson(rows);
      else {
        for (const r of rows) {
          process.stdout.write(`${r.id} — ${r.title}\n  schemaId ${r.schemaId}\n`);
          r.fields.forEach((f, i) => {
            process.stdout.write(`  slot ${String(i).padStart(2)}  ${f}\n`);
          });
        }
      }
    },
  },
};

function help(): string {
  const lines = [
    "crossproof — prove facts about committed records with zero-knowledge proofs",
    "",
    "Usage: crossproof <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`),
    "",
    "Options for every command: --json (machine-readable output), --help",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
  ];
  return `${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes("--json");
  const args = argv.filter((a) => a !== "--json");
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help());
    return;
  }
  const command = COMMANDS[name];
  try {
    if (!command) usageError(`unknown command "${name}"; see \`crossproof --help\``);
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return;
    }
    await command.run(rest, json);
  } catch (err) {
    printError(
      err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")
        ? new CrossproofError(ErrorCode.USAGE, err.message)
        : err,
      json,
    );
  } finally {
    await releaseSnarkjsCurve();
  }
}

await main(process.argv.slice(2));
