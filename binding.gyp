{
  "variables": {
    "mtest_engine%": "<!(node scripts/build-native.mjs --gyp-engine)"
  },
  "targets": [
    {
      "target_name": "mtest_guard",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/guard/guard.cc"],
          "cflags_cc": ["-std=c++17", "-O2", "-Wall"]
        }, {
          "type": "none",
          "actions": [{
            "action_name": "mtest_guard_not_built",
            "inputs": [],
            "outputs": ["<(INTERMEDIATE_DIR)/mtest_guard-not-built"],
            "action": ["node", "-e", "console.log('mtest_guard is not built here: it uses Linux process controls (prctl, pipe2, gettid); mtest runs on its fallbacks (vm time limits, tree-kill)')"],
            "message": "mtest_guard: not built (Linux only)"
          }]
        }]
      ]
    }
  ],
  "conditions": [
    ["mtest_engine==1", {
      "targets": [
        {
          "target_name": "mtest_engine",
          "sources": ["native/addon.cc", "native/blas.cc", "native/fast.cc", "native/lapack.cc", "native/memory.cc"],
          "include_dirs": [
            "<!(node -p \"require('node-addon-api').include_dir\")",
            "<!@(node scripts/build-native.mjs --gyp-includes)"
          ],
          "libraries": ["<!@(node scripts/build-native.mjs --gyp-libs)"],
          "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
          "cflags!": ["-fno-exceptions"],
          "cflags_cc!": ["-fno-exceptions"],
          "cflags_cc": ["-std=c++17", "-O3", "-Wall"],
          "conditions": [
            ["OS=='mac'", {
              "xcode_settings": {
                "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
                "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
                "MACOSX_DEPLOYMENT_TARGET": "11.0",
                "OTHER_CPLUSPLUSFLAGS": ["-O3"]
              }
            }]
          ]
        }
      ]
    }]
  ]
}
