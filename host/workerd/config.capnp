# The workerd config of ringroute's Worker hosts (host/workerd/worker.js: the flat ABI;
# api-worker.js: the typed web entry): a TEMPLATE that host/workerd/runner.mjs writes a concrete
# copy of into a temporary folder, replacing
#   @ADDRESS@  the socket's address, loopback only (127.0.0.1:<free port>)
#   @MODULES@  one line per module: the worker first (the main module), the .wasm, then every
#              module of the worker's import graph (http.js, host/fixture-loop.js, and with
#              api-worker.js the web entry's dist/bindings/*.js), each named by its repository
#              path so that the relative imports resolve as they do on disk:
#     (name = "host/workerd/worker.js", esModule = embed "<path>"),
#     (name = "host/workerd/ringroute.wasm", wasm = embed "<path of build/ringroute.wasm>"),
#     (name = "host/workerd/http.js", esModule = embed "<path>"), ...
# workerd compiles no WebAssembly from bytes at run time: the .wasm is declared here and the
# worker imports it as a WebAssembly.Module.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "ringroute", worker = .ringrouteWorker) ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "ringroute") ],
);

const ringrouteWorker :Workerd.Worker = (
  modules = [
@MODULES@
  ],
  compatibilityDate = "2025-01-01",
);
