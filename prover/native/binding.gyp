{
  "targets": [
    {
      "target_name": "crossproof_prover",
      "sources": ["src/addon.cc", "src/groth16.cc", "src/cpu.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-funroll-loops", "-march=x86-64-v2", "-Wall", "-Wextra", "<!@(node cpu-flags.cjs)"],
      "ldflags": ["-pthread"]
    }
  ]
}
