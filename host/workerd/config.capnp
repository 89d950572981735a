# The workerd config of ringroute's Worker host (host/workerd/worker.js): a TEMPLATE.
# host/workerd/runner.mjs writes a concrete copy into a temporary folder, replacing
#   @ADDRESS@  the socket's address, loopback only (127.0.0.1:<free port>)
#   @WORKER@   the path of worker.js
#   @WASM@     the path of build/ringroute.wasm
# workerd compiles no WebAssembly from bytes at run time: the module is declared here and the
# worker imports it (`import mod from "./ringroute.wasm"` → a WebAssembly.Module).
# By hand:  sed the three fields, then  workerd serve config.capnp
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "ringroute", worker = .ringrouteWorker) ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "ringroute") ],
);

const ringrouteWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "@WORKER@"),
    (name = "ringroute.wasm", wasm = embed "@WASM@"),
  ],
  compatibilityDate = "2025-01-01",
);
