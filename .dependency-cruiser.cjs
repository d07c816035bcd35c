/**
 * The import rules that keep crossproof's layers apart (docs/architecture.md, "Parts and where
 * they live"), checked by `npm test` (`npm run check:deps`). Dependencies point one way:
 *
 *   core  ←  infra  ←  circuits, setup, chain, issuer, prover, verifier  ←  server  ←  deploy  ←  cli
 *
 * client sits beside them and uses only core; bench, reliability, support and test may use
 * anything, and nothing in the product uses them. The web console (console/) is a browser app that
 * talks to the verifier over HTTP only: it imports nothing of the project outside console/.
 */
const PRODUCT =
  "^(core|infra|circuits|setup|chain|issuer|prover|verifier|server|deploy|cli|client)/";
const DOMAIN = "^(circuits|setup|chain|issuer|prover|verifier)/";
const NODE_BUILTINS = `^(node:)?(${require("node:module").builtinModules.join("|")})$`;

module.exports = {
  forbidden: [
    {
      name: "core-is-the-domain",
      comment:
        "core/ (field, schemas, records, commitments, tree, queries, proofs, errors, the wire format) imports nothing else of the project",
      severity: "error",
      from: { path: "^core/" },
      to: {
        path: "^(?!core/|schemas/)[^/]+/",
        pathNot: "node_modules",
        dependencyTypesNot: ["core"],
      },
    },
    {
      name: "core-knows-no-infrastructure",
      comment: "core/ knows no HTTP, chain, database, logging, threads or processes",
      severity: "error",
      from: { path: "^core/" },
      to: {
        path: [
          "node_modules/(koa|@koa|better-sqlite3|pg|ioredis|viem|pino|piscina|rate-limiter-flexible|prom-client|helmet|koa-helmet)/",
        ],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "core-no-process-or-network",
      severity: "error",
      from: { path: "^core/" },
      to: {
        path: "^(child_process|http|https|net|worker_threads|cluster|dgram)$",
        dependencyTypes: ["core"],
      },
    },
    {
      name: "infra-on-core-only",
      comment:
        "infra/ (files, paths, artifacts on disk, SQLite, logs, ports, processes) sits on core alone",
      severity: "error",
      from: { path: "^infra/" },
      to: {
        path: "^(?!core/|infra/|schemas/)[^/]+/",
        pathNot: "node_modules",
        dependencyTypesNot: ["core"],
      },
    },
    {
      name: "domain-not-above",
      comment:
        "chain, issuer, prover, verifier, setup and circuits never reach up to the services, the composition root or the command line",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^(server|deploy|cli|client)/" },
    },
    {
      name: "server-not-above",
      comment: "the HTTP services are wired by deploy/ and run by cli/; they import neither",
      severity: "error",
      from: { path: "^server/" },
      to: { path: "^(deploy|cli)/" },
    },
    {
      name: "deploy-not-cli",
      comment: "the composition root is used by the command line, not the other way round",
      severity: "error",
      from: { path: "^deploy/" },
      to: { path: "^cli/" },
    },
    {
      name: "client-on-core-only",
      comment:
        "the client SDK runs in browsers: it imports only the core (the wire format and encodings)",
      severity: "error",
      from: { path: "^client/" },
      to: {
        path: "^(?!core/|client/|schemas/)[^/]+/",
        pathNot: "node_modules",
        dependencyTypesNot: ["core"],
      },
    },
    {
      name: "client-no-node-builtins",
      comment:
        "the client SDK runs in browsers: no Node.js module, directly or through what it imports",
      severity: "error",
      from: { path: "^client/" },
      to: { path: NODE_BUILTINS, reachable: true },
    },
    {
      name: "console-over-http-only",
      comment:
        "the web console knows the service only through its HTTP API: it imports its own files and its front-end packages, nothing of the product",
      severity: "error",
      from: { path: "^console/" },
      to: {
        path: "^(?!console/)[^/]+/",
        pathNot: "node_modules/(preact|uplot|vite)/",
      },
    },
    {
      name: "console-no-node-builtins",
      comment: "the web console runs in browsers (its Vite config aside)",
      severity: "error",
      from: { path: "^console/src/" },
      to: { path: NODE_BUILTINS },
    },
    {
      name: "product-not-on-support",
      comment:
        "benchmarks, reliability suites, tests and their support code are never imported by the product",
      severity: "error",
      from: { path: PRODUCT },
      to: { path: "^(bench|reliability|support|test)/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".json"],
    },
  },
};
