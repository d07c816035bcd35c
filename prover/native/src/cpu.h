// The build's instruction set against the CPU's (see src/cpu.cc and cpu-flags.cjs).
#pragma once

namespace cpn {

/** Whether this CPU has the instructions the field arithmetic was compiled with. */
bool cpu_runs_build();

/** The field arithmetic compiled in: "mulx-adx" or "portable". */
const char* build_arithmetic();

}  // namespace cpn
