{
  "targets": [
    {
      "target_name": "vigil_bpf",
      "sources": [
        "src/native/addon.cc",
        "src/native/errors.cc",
        "src/native/object.cc",
        "src/native/map_ops.cc",
        "src/native/link.cc",
        "src/native/ringbuf.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf"]
    }
  ]
}
