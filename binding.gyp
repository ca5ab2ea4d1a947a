{
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
    },
    {
      "target_name": "mtest_guard",
      "sources": ["native/guard/guard.cc"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall"],
      "conditions": [
        ["OS=='mac'", { "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0" } }]
      ]
    }
  ]
}
