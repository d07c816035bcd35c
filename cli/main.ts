/**
 * The `crossproof` command line: one entry point, a sub-command per job.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadCircuitInstances } from "../circuits/instances.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { documentFingerprint } from "../core/field.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { loadStoredSchemas } from "../infra/schema-store.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { printError, printJson, usageError } from "./output.js";

interface Command {
  readonly summary: string;
  readonly usage: string;
  /** A command group's subcommands: the group alone prints its help and exits 64. */
  readonly subcommands?: readonly string[];
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
    subcommands: ["serve"],
    async run(args, json) {
      const { runVerifierServe } = await import("./commands/start.js");
      await runVerifierServe(args, json);
    },
  },
  bench: {
    summary:
      "the benchmark suite: circuit matrix, verification throughput, proving, HTTP load (bench/results/)",
    usage: [
      "crossproof bench [--only SECTION,...] [--quick] [--report]",
      "crossproof bench circuit FILE.circom --input INPUT.json [--proofs N] [--json]",
      "",
      "  Sections, in order (each prints a table and writes JSON in bench/results/):",
      "    circuits     the circuit matrix: query at depth 10/20/32 x K 1/4/8/16, and commitment;",
      "                 its first run builds the 11 variants (about 15 min here, once)",
      "    throughput   verifications per second: snarkjs loop, single, batched, the worker pool",
      "    proving      proofs per second: in-process snarkjs against the pool, 1 and 2 workers",
      "    http         the verifier service under HTTP load (autocannon)",
      "  --only a,b     run only these sections",
      "  --quick        fewer runs and shorter loads: a smoke run of a few minutes, not figures to publish",
      "  --report       only redo the CSV, the SVG charts and summary.json from the results",
      "  circuit        your own circuit (its `component main` inside, circomlib on the include",
      "                 path): compiled, given a development key (cached by source and input",
      "                 shape), then constraints, witness, proving with both engines, verification",
      "                 and proof size; writes bench/results/circuit-<name>.json",
      "  How long: the whole suite took 16 min on this project's 2-core machine with the variants",
      "  built (BENCHMARKS.md has that run's figures).",
    ].join("\n"),
    async run(args, json) {
      const { runBenchCommand } = await import("./commands/bench.js");
      await runBenchCommand(args, json);
    },
  },
  audit: {
    summary: "the receipt log, as an auditor: export it, verify an export against the chain",
    usage: [
      "crossproof audit export --url URL [--key-file FILE] [--out FILE] [--after SEQ]",
      "                                                the log as JSON Lines (auditor or admin key)",
      "crossproof audit verify FILE --rpc URL [--contract ADDR --anchorer ADDR | --url URL]",
      "                                                check an export against the anchors on chain;",
      "                                                exit 65 (LOG_TAMPERED) naming each problem",
    ].join("\n  "),
    subcommands: ["export", "verify"],
    async run(args, json) {
      const { runAudit } = await import("./commands/audit.js");
      await runAudit(args, json);
    },
  },
  chain: {
    summary:
      "the chain: run the local node, show status, build or deploy contracts, manage issuers and circuit releases",
    usage: [
      "crossproof chain node                           run the local chain node until Ctrl-C",
      "crossproof chain status                         chain id, contracts, issuer",
      "crossproof chain build                          recompile the contracts (artifacts/contracts)",
      "crossproof chain deploy                         deploy the contracts on CROSSPROOF_RPC_URL",
      "crossproof chain register-issuer ADDRESS NAME   (admin) let ADDRESS anchor roots",
      "crossproof chain remove-issuer ADDRESS          (admin) stop ADDRESS from anchoring",
      "crossproof chain release list                   circuit releases registered on chain",
      "crossproof chain release register NAME VERSION [--artifacts DIR | --vkey FILE]",
      "                                                (admin) accept a release (ours, or an external key)",
      "crossproof chain release retire NAME VERSION --grace SECONDS",
      "                                                (admin) stop accepting it after the grace period",
    ].join("\n  "),
    subcommands: [
      "node",
      "status",
      "build",
      "deploy",
      "register-issuer",
      "remove-issuer",
      "release",
    ],
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
    subcommands: ["import", "anchor", "revoke", "status"],
    async run(args, json) {
      const { runIssuer } = await import("./commands/issuer.js");
      await runIssuer(args, json);
    },
  },
  prover: {
    summary: "the holder's prover service: presentations over HTTP, proving in a worker pool",
    usage: "crossproof prover serve [--port N] [--workers N]",
    subcommands: ["serve"],
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
      "synthetic records of a shipped schema with record ids (deterministic by seed), for tests and demos",
    usage:
      "crossproof demo-data [--schema ID] [--count N] [--seed S] [--as-of YYYY-MM-DD] [--format jsonl|csv] [--out FILE]",
    async run(args) {
      const { runDemoData } = await import("./commands/issuer.js");
      await runDemoData(args);
    },
  },
  setup: {
    summary:
      "make circuit keys: `setup dev` (deterministic development setup), `setup ptau import` (check a public ptau)",
    usage: [
      "crossproof setup dev [--circuit NAME]... [--out DIR] [--ptau-dir DIR] [--json]",
      "crossproof setup ptau import FILE [--allow-unknown]   check a Powers of Tau against the published hashes, verify it",
    ].join("\n  "),
    subcommands: ["dev", "ptau"],
    async run(args, json) {
      if (args[0] === "ptau") {
        const { runSetupPtau } = await import("./commands/ceremony.js");
        await runSetupPtau(args.slice(1), json);
        return;
      }
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
        usageError(
          "crossproof setup dev | setup ptau import FILE (production keys: `crossproof ceremony`)",
        );
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
  ceremony: {
    summary:
      "the multi-party phase-2 ceremony for production keys: init, contribute, verify, finalize, release",
    usage: [
      "crossproof ceremony init CIRCUIT --ptau FILE [--dir DIR] [--allow-unknown-ptau]",
      "crossproof ceremony contribute IN OUT --name NAME [--typed-entropy]",
      "crossproof ceremony verify ZKEY [--dir DIR] [--accept]",
      "crossproof ceremony finalize --beacon HEX --iterations N [--dir DIR]",
      "crossproof ceremony release [--dir DIR] [--out DIR]",
    ].join("\n  "),
    async run(args, json) {
      const { runCeremony } = await import("./commands/ceremony.js");
      await runCeremony(args, json);
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
  policies: {
    summary:
      "sample verifier policies: one per shipped schema, a set-membership one and one linked across two bureaus, ready to post to /v1/policies",
    usage: [
      "crossproof policies [--json]                                the sample policies and their schemas",
      "crossproof policies sample ID --issuer ADDRESS [--issuer …]   one sample as JSON, accepting those issuers",
      "  [--linked-issuer ADDRESS …]                                  (a linked policy) its linked records' issuers (default: --issuer's)",
    ].join("\n  "),
    async run(args, json) {
      const { runPolicies } = await import("./commands/schemas.js");
      runPolicies(args, json);
    },
  },
  schemas: {
    summary: "the record schemas: list them, show one, add an operator's own",
    usage: [
      "crossproof schemas [list] [--json]            every schema, its fields and schemaId",
      "crossproof schemas show ID [--json]           one schema's document, schemaId and slots",
      "crossproof schemas add FILE [--json]          validate an operator's schema and store it in the data folder",
    ].join("\n  "),
    async run(args, json) {
      const { runSchemas } = await import("./commands/schemas.js");
      await runSchemas(args, json);
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
    "Exit codes: 0 done; 64 a usage error (an unknown command, subcommand or flag, a missing",
    "subcommand, an unknown schema); 65 a tampered receipt log (audit verify); 78 a bad",
    "configuration variable; 1 any other failure.",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * A command that needs a package a production install (`npm ci --omit=dev`) leaves out: the
 * circuit compiler and the trusted setup (`setup dev`), the contract compiler (`chain build`).
 * Say what to install instead of showing Node's module error.
 */
function missingDependency(err: unknown): CrossproofError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return undefined;
  const name = /Cannot find (?:package|module) '([^']+)'/.exec(String((err as Error).message))?.[1];
  const pkg = name?.replace(/^((?:@[^/]+\/)?[^/]+).*$/, "$1") ?? "a development package";
  return new CrossproofError(
    ErrorCode.DEPENDENCY_MISSING,
    `this command needs ${pkg}, a development dependency: run \`npm ci\` (without --omit=dev) in a crossproof checkout`,
    { details: { package: pkg } },
  );
}

function commandHelp(command: Command): string {
  return `${command.summary}\n\nUsage: ${command.usage}\n`;
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
      process.stdout.write(commandHelp(command));
      return;
    }
    if (command.subcommands && (rest[0] === undefined || rest[0].startsWith("-"))) {
      // A group alone: its help, on stderr since nothing was done, and the usage exit code.
      process.stderr.write(commandHelp(command));
      process.exitCode = 64;
      return;
    }
    // The operator's own schemas (`crossproof schemas add`), for every command that names one.
    await loadStoredSchemas();
    await command.run(rest, json);
  } catch (err) {
    printError(
      err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")
        ? new CrossproofError(ErrorCode.USAGE, err.message)
        : (missingDependency(err) ?? err),
      json,
    );
  } finally {
    await releaseSnarkjsCurve();
  }
}

await main(process.argv.slice(2));
