#!/usr/bin/env node
// Seam Connect vendor fake (@seamapi/fake-seam-connect) for lockbot's tests.
//
// Usage: node server.mjs [PORT]        (or PORT=<n> node server.mjs; 0/unset = any free port)
//        node server.mjs 0 --no-seed   (start with an empty database)
//
// Binds to 127.0.0.1 ONLY, seeds the default seed data (api key seam_apikey1_token, ...)
// and prints exactly one line to stdout when ready:
//     listening http://127.0.0.1:<port>
// Everything else the fake logs goes to stderr. Exits on SIGTERM/SIGINT, and when
// stdin reaches EOF if started with --exit-on-stdin-eof (so it dies with its parent).
//
// Extra test-control routes (no auth, JSON in/out), handled here, not by the fake:
//   POST /_harness/hold_action_attempts {"hold": true|false}
//       while held, NEW lock_door/unlock_door attempts stay "pending" (the fake otherwise
//       marks them success at once); finish them with POST /_fake/update_action_attempt.
//   POST /_harness/update_device {"device_id": "...", "properties": {"online": false, ...}}
//       shallow-merges device.properties (online, locked, battery, ...); "display_name" renames.
//   POST /_harness/add_event {"event_type": "...", "device_id": "...", ...}
//       records a Seam event (db.addEvent: event_id eventN, created_at/occurred_at now unless
//       given; other fields are kept as sent) so /events/list returns it. 404 for an unknown
//       device_id. /events/list needs `since` or `between` and filters on created_at.
//   POST /_harness/add_device {"device_id": "...", "like": "august_device_1", "display_name": "...",
//       "properties": {...}}   a new lock: a copy of `like` with this id, name and properties
//       (shallow-merged); the demo seeds its building this way. 409 if the id is taken.
//   POST /_harness/reset {}   back to the freshly seeded state (ids restart), hold off.
// PUT/POST /_fake/database is served here as a shallow state MERGE (the fake's own version
// replaces the store and breaks it); GET /_fake/database is the fake's state dump.
import net from "node:net";
import process from "node:process";

const HOST = "127.0.0.1";

// Keep stdout for the single readiness line; route any other stdout output to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

// The fake calls server.listen(port) with no host (= all interfaces). Force every TCP
// listen in this process onto 127.0.0.1; leave unix sockets / handles alone.
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    if (first.path == null && first.handle == null && first._handle == null && first.fd == null) {
      args[0] = { ...first, host: HOST };
    }
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb])
    if (typeof args[1] === "string" || args[1] === undefined || args[1] === null) {
      args.splice(1, 1, HOST);
    } else {
      args.splice(1, 0, HOST);
    }
  } else if (first === undefined || typeof first === "function") {
    // listen() / listen(cb): random port
    args.splice(0, first === undefined ? 1 : 0, 0, HOST);
  }
  return originalListen.apply(this, args);
};

const die = (err) => {
  process.stderr.write(`fake-seam: ${err?.stack ?? err}\n`);
  process.exit(1);
};
process.on("unhandledRejection", die);
process.on("uncaughtException", die);

const FLAGS = new Set(["--no-seed", "--exit-on-stdin-eof"]);
const argv = process.argv.slice(2);
for (const a of argv) {
  if (a.startsWith("--") ? !FLAGS.has(a) : !/^\d+$/.test(a)) die(`unknown argument: ${a}`);
}
const portArg = argv.find((a) => /^\d+$/.test(a)) ?? process.env.PORT ?? "0";
const requestedPort = /^\d+$/.test(portArg) ? Number(portArg) : NaN;
if (!Number.isInteger(requestedPort) || requestedPort > 65535) die(`invalid port: ${portArg}`);

// Ask the kernel for a free loopback port (the fake needs to know it up front).
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", reject);
    originalListen.call(probe, 0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const { createFake } = await import("@seamapi/fake-seam-connect");

const fake = await createFake();
if (!argv.includes("--no-seed")) await fake.seed();

// --- action-attempt hold: suppress the fake's immediate auto-success of new attempts ---
const HELD_TYPES = new Set(["LOCK_DOOR", "UNLOCK_DOOR"]);
let hold = false;
const fresh = new Set(); // attempts created in the current tick while held
const db = fake.database;
const { addActionAttempt, updateActionAttempt } = db.getState();
db.setState({
  addActionAttempt(params) {
    const attempt = addActionAttempt(params);
    if (hold && HELD_TYPES.has(attempt.action_type) && attempt.status === "pending") {
      const id = attempt.action_attempt_id;
      fresh.add(id);
      setImmediate(() => fresh.delete(id));
    }
    return attempt;
  },
  updateActionAttempt(params) {
    // The route calls add then update(status: success) synchronously; skip that one update.
    if (fresh.delete(params.action_attempt_id)) {
      return db.getState().findActionAttempt({ action_attempt_id: params.action_attempt_id });
    }
    return updateActionAttempt(params);
  },
});
const initialState = await fake.toJSON(); // includes the wrapped methods above

const readJson = (req) =>
  new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      try {
        resolve(body.trim() === "" ? {} : JSON.parse(body));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });

const sendJson = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const harness = async (req, res) => {
  const path = req.url.split("?")[0];
  if (req.method !== "POST") return sendJson(res, 405, { ok: false, error: { type: "method_not_allowed" } });
  let body;
  try {
    body = await readJson(req);
  } catch {
    return sendJson(res, 400, { ok: false, error: { type: "invalid_json" } });
  }
  if (path === "/_harness/hold_action_attempts") {
    if (typeof body.hold !== "boolean") {
      return sendJson(res, 400, { ok: false, error: { type: "invalid_input", message: "hold must be a boolean" } });
    }
    hold = body.hold;
    return sendJson(res, 200, { hold, ok: true });
  }
  if (path === "/_harness/update_device") {
    const { device_id, properties, display_name } = body;
    const named = typeof display_name === "string";
    if (typeof device_id !== "string" || (properties == null && !named) || (properties != null && typeof properties !== "object")) {
      return sendJson(res, 400, { ok: false, error: { type: "invalid_input", message: "device_id and properties (or display_name) required" } });
    }
    if (!db.getState().devices.some((d) => d.device_id === device_id)) {
      return sendJson(res, 404, { ok: false, error: { type: "device_not_found", message: "Device not found" } });
    }
    if (properties != null) db.getState().updateDevice({ device_id, properties });
    if (named) {
      const devices = db.getState().devices.map((d) => (d.device_id === device_id ? { ...d, display_name } : d));
      db.setState({ devices });
    }
    const device = db.getState().devices.find((d) => d.device_id === device_id);
    return sendJson(res, 200, { device, ok: true });
  }
  if (path === "/_harness/add_event") {
    // The fake only records events its own routes cause (lock.locked on lock_door); tests need
    // device news (device.disconnected, device.low_battery, lock.unlocked, action_attempt.*) too.
    if (typeof body.event_type !== "string" || body.event_type === "") {
      return sendJson(res, 400, { ok: false, error: { type: "invalid_input", message: "event_type required" } });
    }
    const state = db.getState();
    const device = typeof body.device_id === "string" ? state.devices.find((d) => d.device_id === body.device_id) : undefined;
    if (body.device_id != null && device === undefined) {
      return sendJson(res, 404, { ok: false, error: { type: "device_not_found", message: "Device not found" } });
    }
    // Same shape the fake gives its own events: the device's workspace and account unless given.
    const event = state.addEvent({
      ...(device ? { workspace_id: device.workspace_id, connected_account_id: device.connected_account_id } : {}),
      ...body,
    });
    return sendJson(res, 200, { event, ok: true });
  }
  if (path === "/_harness/add_device") {
    const { device_id, like, display_name, properties } = body;
    const state = db.getState();
    const model = state.devices.find((d) => d.device_id === like);
    if (typeof device_id !== "string" || model === undefined) {
      return sendJson(res, 400, { ok: false, error: { type: "invalid_input", message: "device_id and an existing `like` required" } });
    }
    if (state.devices.some((d) => d.device_id === device_id)) {
      return sendJson(res, 409, { ok: false, error: { type: "device_exists", message: "Device exists" } });
    }
    const device = {
      ...structuredClone(model),
      device_id,
      display_name: display_name ?? model.display_name,
      created_at: new Date().toISOString(),
      properties: { ...structuredClone(model.properties), ...(properties ?? {}) },
    };
    db.setState({ devices: [...state.devices, device] });
    return sendJson(res, 200, { device, ok: true });
  }
  if (path === "/_harness/reset") {
    await fake.loadJSON(initialState);
    hold = false;
    fresh.clear();
    return sendJson(res, 200, { ok: true });
  }
  return sendJson(res, 404, { ok: false, error: { type: "not_found" } });
};

let server;
for (let attempt = 1; ; attempt++) {
  const port = requestedPort || (await freePort());
  try {
    server = await fake.startServer({ port, baseUrl: `http://${HOST}:${port}` });
    break;
  } catch (err) {
    // Lost the race for a probed port: try another one.
    if (requestedPort === 0 && err?.code === "EADDRINUSE" && attempt < 5) continue;
    throw err;
  }
}

const address = server.server.address();
if (address == null || typeof address === "string" || address.address !== HOST) {
  die(`unexpected listen address: ${JSON.stringify(address)}`);
}

// Route /_harness/* to the handler above, everything else to the fake.
const httpServer = server.server;
const fakeHandlers = httpServer.listeners("request");
httpServer.removeAllListeners("request");
httpServer.on("request", (req, res) => {
  // The fake's own PUT/POST /_fake/database REPLACES the whole store, dropping its methods
  // (every later request then 500s). Serve it here as a merge instead (cf. fake.loadJSON).
  if (req.url?.split("?")[0] === "/_fake/database" && req.method !== "GET") {
    readJson(req)
      .then(async (body) => {
        await fake.loadJSON(body);
        sendJson(res, 200, await fake.toJSON());
      })
      .catch(() => sendJson(res, 400, { ok: false, error: { type: "invalid_json" } }));
    return;
  }
  if (req.url?.startsWith("/_harness/")) {
    harness(req, res).catch((err) => sendJson(res, 500, { ok: false, error: { type: "harness_error", message: String(err) } }));
    return;
  }
  for (const handler of fakeHandlers) handler.call(httpServer, req, res);
});

const shutdown = () => {
  server.server.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
if (argv.includes("--exit-on-stdin-eof")) {
  process.stdin.on("end", shutdown).on("error", shutdown).resume();
}

writeStdout(`listening http://${HOST}:${address.port}\n`);
