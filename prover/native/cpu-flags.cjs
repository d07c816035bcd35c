// Compiler flags for the build machine's CPU, printed for binding.gyp (`<!@(node cpu-flags.cjs)`):
// `-mbmi2 -madx -DCPN_ADX=1` when the CPU has MULX and ADX (every x86-64 CPU since 2013-2015),
// nothing otherwise or with CROSSPROOF_NATIVE_PORTABLE=1. The addon checks the CPU it is loaded
// on (src/cpu.cc) and refuses to load, rather than crash, on one without them.
const { readFileSync } = require("node:fs");

function flags() {
  if (process.env.CROSSPROOF_NATIVE_PORTABLE === "1" || process.arch !== "x64") return "";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const line = info.split("\n").find((l) => l.startsWith("flags")) ?? "";
    const have = new Set(line.split(/\s+/));
    return have.has("bmi2") && have.has("adx") ? "-mbmi2 -madx -DCPN_ADX=1" : "";
  } catch {
    return "";
  }
}

process.stdout.write(`${flags()}\n`);
