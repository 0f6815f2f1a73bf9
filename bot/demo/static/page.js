// The demo page: a small Slack for lockbot. It keeps what the bot said (from the feed), shows
// it as the acting person would see it, and tells the demo's server what that person did.
import { renderBlocks, renderInput, inputState, textHtml } from "/blockkit.js";

const $ = (sel) => document.querySelector(sel);
const post = (path, body) => fetch(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
}).then((r) => r.json());

const state = {
  people: [], channels: [], office: "", alerts: "",
  me: "", view: { kind: "channel", id: "" }, tab: "home",
  messages: new Map(), // "channel|ts" → {channel, ts, thread_ts, text, blocks, seq, edited}
  private: [], // what one person alone sees: {user, channel, key, text, blocks, seq, typed}
  homes: new Map(), // user → the newest published Home view
  modal: null, // {user, view}
  unread: new Map(), world: null, seq: 0,
  opened: 0, // feed events before this page opened: their forms were someone else's moment
};
const names = { people: {}, channels: {} };
const TRIES = ["/lock front door", "/lock", "/lock status floor 2", "/lock floor 2",
  "/lock list", "/lock schedule floor 2 weekdays at 22:00", "/lock schedule", "/lock help"];

function parseJson(v) { return typeof v === "string" ? JSON.parse(v) : v; }

// -- the feed: each call the bot made to Slack, and the answers to what people did ----------
function take(ev, id) {
  state.seq += 1;
  ev.fresh = id >= state.opened;
  const seq = state.seq;
  if (ev.kind === "world") { state.world = ev.state; return renderWorld(); }
  if (ev.kind === "typed") {
    state.private.push({ user: ev.user, channel: ev.channel, key: ev.key, text: ev.text, seq, typed: true });
  } else if (ev.kind === "ack") {
    const body = ev.body || {};
    if (body.text || body.blocks) {
      state.private.push({ user: ev.user, channel: ev.channel, key: ev.key, text: body.text, blocks: body.blocks, seq });
    }
  } else if (ev.kind === "call") {
    takeCall(ev, seq);
  }
  render();
}

function takeCall(ev, seq) {
  const a = ev.args || {};
  const r = ev.response || {};
  if (ev.failed) return;
  if (ev.method === "chat.postMessage") {
    const m = { channel: a.channel, ts: r.ts, thread_ts: a.thread_ts, text: a.text, blocks: parseJson(a.blocks), seq };
    state.messages.set(`${a.channel}|${r.ts}`, m);
    if (!(state.view.kind === "channel" && state.view.id === a.channel)) {
      state.unread.set(a.channel, (state.unread.get(a.channel) || 0) + 1);
    }
  } else if (ev.method === "chat.update") {
    const m = state.messages.get(`${a.channel}|${a.ts}`);
    if (m) Object.assign(m, { text: a.text, blocks: parseJson(a.blocks), edited: true, flash: seq });
  } else if (ev.method === "chat.delete") {
    state.messages.delete(`${a.channel}|${a.ts}`);
  } else if (ev.method === "chat.postEphemeral") {
    state.private.push({ user: a.user, channel: a.channel, text: a.text, blocks: parseJson(a.blocks), seq });
  } else if (ev.method === "response_url") {
    takeResponse(ev.path || "", a, seq);
  } else if (ev.method === "views.publish") {
    state.homes.set(a.user_id, parseJson(a.view));
  } else if (ev.method === "views.open" && ev.fresh) {
    const user = String(a.trigger_id || "").split(".").slice(1).join(".");
    state.modal = { user, view: { ...parseJson(a.view), id: (r.view || {}).id } };
  }
}

function takeResponse(path, a, seq) {
  // The stand-in's response_url names say whose and where: /response/demo/<user>/<channel>/<key>
  const [user, channel, key] = path.split("/").slice(3);
  const mine = (p) => p.user === user && p.key === key && !p.typed;
  if (a.delete_original === true || a.delete_original === "true") {
    state.private = state.private.filter((p) => !mine(p));
    return;
  }
  const message = { user, channel, key, text: a.text, blocks: parseJson(a.blocks), seq };
  const replace = a.replace_original === true || a.replace_original === "true";
  const old = replace ? state.private.find(mine) : null;
  if (old) Object.assign(old, message, { seq: old.seq });
  else state.private.push(message);
}

// -- showing it ------------------------------------------------------------------------------
function act(where) {
  return (action_id, value, menu, element) => {
    if (element && element.url) { followLink(element.url); }
    return post("/api/action", { user: state.me, action_id, value, menu, ...where });
  };
}

function followLink(url) {
  const m = /archives\/([^/]+)\/p(\d+)(\d{6})$/.exec(url);
  if (!m) return;
  show({ kind: "channel", id: m[1] });
  const node = document.querySelector(`[data-ts="${m[2]}.${m[3]}"]`);
  if (node) { node.scrollIntoView(); node.classList.add("highlight"); }
}

function messageNode(m, avatar) {
  const node = document.createElement("div");
  node.className = "message";
  node.dataset.ts = m.ts;
  node.innerHTML = `<div class="avatar">${avatar}</div><div class="body"><div class="who">lockbot <span class="muted">APP</span>${m.edited ? '<span class="edited">(edited)</span>' : ""}</div></div>`;
  const body = node.querySelector(".body");
  const act1 = act({ where: "message", channel: m.channel, ts: m.ts });
  body.append(m.blocks && m.blocks.length ? renderBlocks(m.blocks, names, act1) : textBlock(m.text));
  if (m.flash && m.flash === state.seq) node.classList.add("highlight");
  return node;
}

function textBlock(text) {
  const d = document.createElement("div");
  d.innerHTML = textHtml({ type: "mrkdwn", text: text || "" }, names);
  return d;
}

function privateNode(p) {
  const node = document.createElement("div");
  if (p.typed) {
    node.className = "typed";
    node.textContent = `${names.people[p.user]}: ${p.text}`;
    return node;
  }
  node.className = "ephemeral";
  node.innerHTML = '<div class="note">👁 Only visible to you</div>';
  const where = act({ where: "ephemeral", channel: p.channel, key: p.key });
  node.append(p.blocks && p.blocks.length ? renderBlocks(p.blocks, names, where) : textBlock(p.text));
  return node;
}

function renderTimeline(channel) {
  const box = $("#timeline");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren();
  const all = [...state.messages.values()].filter((m) => m.channel === channel);
  const roots = all.filter((m) => !m.thread_ts || !state.messages.has(`${channel}|${m.thread_ts}`));
  const items = [
    ...roots.map((m) => ({ seq: m.seq, node: () => rootNode(m, all) })),
    ...state.private.filter((p) => p.user === state.me && p.channel === channel)
      .map((p) => ({ seq: p.seq, node: () => privateNode(p) })),
  ].sort((x, y) => x.seq - y.seq);
  for (const item of items) box.append(item.node());
  if (atBottom || state.scrollDown) box.scrollTop = box.scrollHeight;
  state.scrollDown = false;
}

function rootNode(m, all) {
  const wrap = document.createElement("div");
  wrap.className = "root";
  wrap.append(messageNode(m, "🔐"));
  const replies = all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts).sort((x, y) => x.seq - y.seq);
  if (replies.length) {
    const thread = document.createElement("div");
    thread.className = "thread";
    thread.dataset.thread = m.ts;
    for (const r of replies) thread.append(messageNode(r, "🔐"));
    wrap.append(thread);
  }
  return wrap;
}

function renderHome() {
  const box = $("#home");
  box.replaceChildren();
  const view = state.homes.get(state.me);
  if (!view) { box.innerHTML = '<p class="muted">Opening the Home tab…</p>'; return; }
  box.append(renderBlocks(view.blocks, names, act({ where: "home" })));
}

function renderModal() {
  const back = $("#modal");
  const m = state.modal;
  if (!m || m.user !== state.me) { back.hidden = true; back.replaceChildren(); return; }
  if (back.dataset.shown === m.view.id && !back.hidden) return; // keep what is being typed
  back.dataset.shown = m.view.id;
  back.hidden = false;
  const v = m.view;
  const box = document.createElement("div");
  box.className = "modal";
  box.innerHTML = `<div class="modal-title">${textHtml(v.title, names)}</div><div class="modal-body"></div><div class="modal-foot"></div>`;
  const body = box.querySelector(".modal-body");
  const inputs = [];
  for (const b of v.blocks || []) {
    if (b.type === "input") {
      const node = renderInput(b, names, state.channels);
      inputs.push([node, b]);
      body.append(node);
    } else {
      body.append(renderBlocks([b], names, act({ where: "modal" })));
    }
  }
  const foot = box.querySelector(".modal-foot");
  const close = document.createElement("button");
  close.className = "bk-button";
  close.innerHTML = v.close ? textHtml(v.close, names) : "Close";
  close.addEventListener("click", () => { state.modal = null; renderModal(); });
  foot.append(close);
  if (v.submit) {
    const submit = document.createElement("button");
    submit.className = "bk-button primary";
    submit.innerHTML = textHtml(v.submit, names);
    submit.addEventListener("click", async () => {
      const values = {};
      for (const [node, b] of inputs) values[b.block_id] = inputState(node, b);
      const { answer } = await post("/api/submit", { user: state.me, view: v, values });
      for (const [node] of inputs) node.querySelector(".bk-error").textContent = "";
      if (answer && answer.response_action === "errors") {
        for (const [node, b] of inputs) {
          node.querySelector(".bk-error").textContent = (answer.errors || {})[b.block_id] || "";
        }
      } else if (answer && answer.response_action === "update") {
        state.modal = { user: state.me, view: { ...answer.view, id: `${v.id}+` } };
        renderModal();
      } else {
        state.modal = null;
        renderModal();
      }
    });
    foot.append(submit);
  }
  back.replaceChildren(box);
}

function renderSidebar() {
  const list = $("#channels");
  list.replaceChildren();
  for (const c of state.channels) {
    const li = document.createElement("li");
    const unread = state.unread.get(c.id);
    const active = state.view.kind === "channel" && state.view.id === c.id;
    li.innerHTML = `<a href="#" data-channel="${c.id}" class="${active ? "active" : ""}"># ${c.name}${unread ? `<span class="unread">${unread}</span>` : ""}</a>`;
    li.querySelector("a").addEventListener("click", (e) => { e.preventDefault(); show({ kind: "channel", id: c.id }); });
    list.append(li);
  }
  $("#app-link").classList.toggle("active", state.view.kind === "app");
}

function render() {
  renderSidebar();
  const app = state.view.kind === "app";
  $("#tabs").hidden = !app;
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === state.tab);
  const homeShown = app && state.tab === "home";
  $("#home").hidden = !homeShown;
  $("#timeline").hidden = homeShown;
  $("#composer").hidden = homeShown;
  if (app) $("#title").textContent = "🔐 lockbot";
  else $("#title").textContent = `# ${names.channels[state.view.id]}`;
  if (homeShown) renderHome();
  else renderTimeline(app ? state.me : state.view.id);
  renderModal();
}

function renderWorld() {
  const w = state.world;
  const box = $("#locks");
  box.replaceChildren();
  for (const l of w.locks) {
    const row = document.createElement("div");
    row.className = `lock-row${l.online ? "" : " offline"}`;
    row.dataset.device = l.device_id;
    row.innerHTML = `<span class="lock-name">${l.online ? "🟢" : "🔴"} ${l.name}</span>`;
    const power = document.createElement("button");
    power.textContent = l.online ? "Take offline" : "Bring online";
    power.className = "power";
    power.addEventListener("click", () => post("/api/world", { what: l.online ? "offline" : "online", device_id: l.device_id }));
    const unlock = document.createElement("button");
    unlock.textContent = "Unlock by hand";
    unlock.className = "unlock";
    unlock.addEventListener("click", () => post("/api/world", { what: "unlock", device_id: l.device_id }));
    row.append(power, unlock);
    box.append(row);
  }
  $("#fail-next").classList.toggle("armed", w.next_lock_fails);
  $("#slow").checked = w.slow;
}

function show(view) {
  state.view = view;
  if (view.kind === "channel") state.unread.delete(view.id);
  if (view.kind === "app" && state.tab === "home") post("/api/home", { user: state.me });
  state.scrollDown = true;
  render();
}

async function send(text) {
  const t = text.trim();
  if (!t) return;
  if (!/^\/lock(\s|$)/.test(t)) { alert("Only /lock works here."); return; }
  const channel = state.view.kind === "app" ? state.me : state.view.id;
  state.scrollDown = true;
  await post("/api/command", { user: state.me, channel, text: t.replace(/^\/lock\s*/, "") });
}

async function main() {
  const setup = await (await fetch("/api/setup")).json();
  Object.assign(state, { people: setup.people, channels: setup.channels, office: setup.office, alerts: setup.alerts, world: setup.world, opened: setup.events });
  for (const p of setup.people) names.people[p.id] = p.name;
  for (const c of setup.channels) names.channels[c.id] = c.name;
  const person = $("#person");
  for (const p of setup.people) person.append(new Option(p.name, p.id));
  state.me = setup.people[0].id;
  const describe = () => { $("#role").textContent = setup.people.find((p) => p.id === state.me).role; };
  describe();
  person.addEventListener("change", () => { state.me = person.value; describe(); show(state.view); });
  for (const t of TRIES) {
    const li = document.createElement("li");
    li.innerHTML = `<a href="#" class="try"></a>`;
    li.querySelector("a").textContent = t;
    li.querySelector("a").addEventListener("click", (e) => { e.preventDefault(); $("#message").value = t; $("#message").focus(); });
    $("#tries").append(li);
  }
  $("#app-link").addEventListener("click", (e) => { e.preventDefault(); show({ kind: "app" }); });
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => { state.tab = t.dataset.tab; show({ kind: "app" }); });
  $("#composer").addEventListener("submit", (e) => { e.preventDefault(); const v = $("#message").value; $("#message").value = ""; send(v); });
  $("#fail-next").addEventListener("click", () => post("/api/world", { what: "fail_next" }));
  $("#slow").addEventListener("change", (e) => post("/api/world", { what: "slow", on: e.target.checked }));
  for (const b of document.querySelectorAll(".shortcut")) b.addEventListener("click", () => post("/api/shortcut", { user: state.me, callback_id: b.dataset.callback }));
  renderWorld();
  show({ kind: "channel", id: setup.office });
  const feed = new EventSource("/api/feed");
  feed.onmessage = (e) => take(JSON.parse(e.data), Number(e.lastEventId));
  document.body.dataset.ready = "true";
}

main();
