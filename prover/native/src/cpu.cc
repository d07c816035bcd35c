// Whether this CPU runs what the addon was compiled for. Compiled without BMI2/ADX (the pragma),
// so that the check itself runs anywhere, before any MULX/ADX instruction does.
#pragma GCC target("no-bmi2,no-adx")
#include "cpu.h"

#include <cpuid.h>

namespace cpn {

bool cpu_runs_build() {
#if defined(CPN_ADX)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool bmi2 = (b >> 8) & 1;
  const bool adx = (b >> 19) & 1;
  return bmi2 && adx;
#else
  return true;
#endif
}

const char* build_arithmetic() {
#if defined(CPN_ADX)
  return "mulx-adx";
#else
  return "portable";
#endif
}

}  // namespace cpn
