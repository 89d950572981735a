# The workerd config of the start-up probe (host/workerd/startup-worker.js, bench group
# "startup"): a TEMPLATE. host/workerd/startup-runner.mjs writes a concrete copy into a temporary
# folder, replacing
#   @ADDRESS@  the socket's address, loopback only (127.0.0.1:<free port>)
#   @WORKER@   the path of startup-worker.js
#   @WASM@     the path of build/ringroute.wasm (compiled by workerd when it starts)
#   @RIB@      the path of the probe's miniRIB (a data module: its bytes are in hand in the worker)
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "startup", worker = .startupWorker) ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "startup") ],
);

const startupWorker :Workerd.Worker = (
  modules = [
    (name = "startup-worker.js", esModule = embed "@WORKER@"),
    (name = "ringroute.wasm", wasm = embed "@WASM@"),
    (name = "rib.bin", data = embed "@RIB@"),
  ],
  compatibilityDate = "2025-01-01",
);
