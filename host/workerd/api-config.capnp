# The workerd config of ringroute's TS-API Worker (host/workerd/api-worker.js): a TEMPLATE that
# `host/workerd/runner.mjs --api` writes a concrete copy of into a temporary folder, replacing
#   @ADDRESS@  the socket's address, loopback only (127.0.0.1:<free port>)
#   @MODULES@  one line per module: api-worker.js first (the main module), the .wasm, then every
#              dist/bindings/*.js module of dist/bindings/index.web.js's import graph, each named by
#              its repository path so that the relative imports resolve as they do on disk:
#     (name = "host/workerd/api-worker.js", esModule = embed "<path>"),
#     (name = "host/workerd/ringroute.wasm", wasm = embed "<path of build/ringroute.wasm>"),
#     (name = "dist/bindings/index.web.js", esModule = embed "<path>"), ...
# workerd compiles no WebAssembly from bytes at run time: the .wasm is declared here and the
# worker imports it as a WebAssembly.Module, which it hands to init().
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "ringroute", worker = .ringrouteApiWorker) ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "ringroute") ],
);

const ringrouteApiWorker :Workerd.Worker = (
  modules = [
@MODULES@
  ],
  compatibilityDate = "2025-01-01",
);
