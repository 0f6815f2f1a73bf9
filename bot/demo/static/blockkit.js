// Block Kit as the demo page shows it: sections (text, fields, an accessory), context, actions
// (buttons, menus), header, divider, and a modal's inputs. Slack's mrkdwn too: *bold*, _italic_,
// ~strike~, `code`, ```blocks```, > quotes, <@U…>, <#C…>, <!date^…|…>, <url|text>.
"use strict";

const esc = (s) => String(s).replace(/[&<>"']/g, (c) =>
  ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const unentity = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function styleRun(text) {
  // `text` is already HTML-escaped; apply Slack's inline styles.
  return text
    .replace(/```([\s\S]*?)```/g, (_, c) => `<pre>${c}</pre>`)
    .replace(/`([^`\n]+)`/g, (_, c) => `<code>${c}</code>`)
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>");
}

function token(inner, names) {
  // One <…> of Slack's: a mention, a channel, a date, a special, or a link.
  const [target, label] = inner.split("|", 2).concat([undefined]).slice(0, 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return `<span class="mention">@${esc(names.people[id] || label || id)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    if (names.people[id]) return '<span class="mention">a direct message</span>'; // a Home lock's DM
    return `<span class="mention">#${esc(names.channels[id] || label || id)}</span>`;
  }
  if (target.startsWith("!date^")) {
    const [, seconds] = target.split("^");
    const when = new Date(Number(seconds) * 1000);
    return `<span class="date" title="${esc(when.toISOString())}">${esc(when.toLocaleString())}</span>`;
  }
  if (target.startsWith("!")) return `<span class="mention">@${esc(label || target.slice(1))}</span>`;
  // Only web links become links: a `javascript:` target would run in the page.
  if (!/^https?:\/\//i.test(target)) return esc(label || target);
  return `<a href="${esc(target)}" target="_blank" rel="noopener">${esc(label || target)}</a>`;
}

export function mrkdwn(text, names) {
  const lines = String(text ?? "").split("\n");
  const out = lines.map((line) => {
    let quote = false;
    if (line.startsWith("&gt; ") || line.startsWith("> ")) {
      quote = true;
      line = line.replace(/^(&gt;|>) /, "");
    }
    let html = "";
    let last = 0;
    for (const m of line.matchAll(/<([^<>]+)>/g)) {
      html += styleRun(esc(unentity(line.slice(last, m.index))));
      html += token(unentity(m[1]), names);
      last = m.index + m[0].length;
    }
    html += styleRun(esc(unentity(line.slice(last))));
    return quote ? `<span class="quote">${html}</span>` : html;
  });
  return out.join("<br>");
}

export function textHtml(obj, names) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, names) : esc(obj.text);
}

function el(tag, cls, html) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

// An interactive element; `act(action_id, value, menu)` is called when it is used.
function element(e, names, act) {
  if (e.type === "button") {
    const b = el("button", `bk-button ${e.style || ""}`, textHtml(e.text, names));
    b.dataset.actionId = e.action_id || "";
    b.addEventListener("click", () => act(e.action_id, e.value ?? "", false, e));
    return b;
  }
  if (e.type === "static_select" || e.type === "overflow") {
    const s = el("select", "bk-select");
    s.dataset.actionId = e.action_id || "";
    const placeholder = e.placeholder ? textHtml(e.placeholder, names) : "Choose…";
    s.append(el("option", "", placeholder));
    s.options[0].value = "";
    const groups = e.option_groups || [{ options: e.options || [] }];
    for (const g of groups) {
      const parent = g.label ? el("optgroup") : s;
      if (g.label) { parent.label = g.label.text; s.append(parent); }
      for (const o of g.options) {
        const opt = el("option", "", esc(o.text.text));
        opt.value = o.value;
        parent.append(opt);
      }
    }
    s.addEventListener("change", () => s.value && act(e.action_id, s.value, true, e));
    return s;
  }
  if (e.type === "image") {
    const i = el("img", "bk-image");
    i.src = e.image_url; i.alt = e.alt_text || "";
    return i;
  }
  return el("span", "bk-unknown", esc(`[${e.type}]`));
}

export function renderBlocks(blocks, names, act) {
  const root = el("div", "blocks");
  for (const b of blocks || []) {
    if (b.type === "section") {
      const sec = el("div", "bk-section");
      const body = el("div", "bk-section-body");
      if (b.text) body.append(el("div", "bk-text", textHtml(b.text, names)));
      if (b.fields) {
        const f = el("div", "bk-fields");
        for (const field of b.fields) f.append(el("div", "bk-field", textHtml(field, names)));
        body.append(f);
      }
      sec.append(body);
      if (b.accessory) sec.append(element(b.accessory, names, act));
      root.append(sec);
    } else if (b.type === "context") {
      const ctx = el("div", "bk-context");
      for (const e of b.elements) {
        ctx.append(e.type === "image" ? element(e, names, act) : el("span", "", textHtml(e, names)));
      }
      root.append(ctx);
    } else if (b.type === "actions") {
      const row = el("div", "bk-actions");
      for (const e of b.elements) row.append(element(e, names, act));
      root.append(row);
    } else if (b.type === "header") {
      root.append(el("div", "bk-header", textHtml(b.text, names)));
    } else if (b.type === "divider") {
      root.append(el("hr", "bk-divider"));
    } else if (b.type === "image") {
      root.append(element(b, names, act));
    } else if (b.type !== "input") {
      root.append(el("div", "bk-unknown", esc(`[${b.type} block]`)));
    }
  }
  return root;
}

// A modal's input block, and how to read its state back as Slack's view.state.values does.
export function renderInput(b, names, channels) {
  const wrap = el("label", "bk-input");
  wrap.dataset.blockId = b.block_id;
  wrap.append(el("div", "bk-label", textHtml(b.label, names) + (b.optional ? " <span class=\"muted\">(optional)</span>" : "")));
  const e = b.element;
  let input;
  if (e.type === "static_select" || e.type === "conversations_select" || e.type === "channels_select") {
    input = el("select", "bk-select");
    input.append(el("option", "", e.placeholder ? esc(e.placeholder.text) : "Choose…"));
    input.options[0].value = "";
    const options = e.type === "static_select"
      ? (e.option_groups || [{ options: e.options || [] }]).flatMap((g) => g.options)
      : channels.map((c) => ({ value: c.id, text: { text: `#${c.name}` } }));
    for (const o of options) {
      const opt = el("option", "", esc(o.text.text));
      opt.value = o.value;
      input.append(opt);
    }
    const initial = e.initial_option?.value ?? e.initial_conversation ?? e.initial_channel;
    if (initial) input.value = initial;
  } else if (e.type === "checkboxes") {
    input = el("div", "bk-checkboxes");
    const chosen = new Set((e.initial_options || []).map((o) => o.value));
    for (const o of e.options) {
      const row = el("label", "bk-checkbox");
      const box = el("input");
      box.type = "checkbox"; box.value = o.value; box.checked = chosen.has(o.value);
      row.append(box, el("span", "", textHtml(o.text, names)));
      input.append(row);
    }
  } else if (e.type === "timepicker") {
    input = el("input", "bk-text-input");
    input.type = "time";
    input.value = e.initial_time || "";
  } else {
    input = el("input", "bk-text-input");
    input.type = "text";
    input.value = e.initial_value || "";
  }
  input.dataset.type = e.type;
  wrap.append(input);
  if (b.hint) wrap.append(el("div", "bk-hint", textHtml(b.hint, names)));
  wrap.append(el("div", "bk-error"));
  return wrap;
}

export function inputState(wrap, block) {
  const e = block.element;
  const input = wrap.querySelector("[data-type]");
  const state = { type: e.type };
  const optionOf = (value) => {
    const all = (e.option_groups || [{ options: e.options || [] }]).flatMap((g) => g.options);
    return all.find((o) => o.value === value) || null;
  };
  if (e.type === "static_select") state.selected_option = input.value ? optionOf(input.value) : null;
  else if (e.type === "conversations_select") state.selected_conversation = input.value || null;
  else if (e.type === "channels_select") state.selected_channel = input.value || null;
  else if (e.type === "checkboxes") {
    state.selected_options = [...input.querySelectorAll("input:checked")].map((x) => optionOf(x.value));
  } else if (e.type === "timepicker") state.selected_time = input.value || null;
  else state.value = input.value || null;
  return { [e.action_id]: state };
}
