// Building the page with DOM APIs only: text is always a text node, never parsed as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled") {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("p", {class: "hint"}, "text", otherNode). Strings become text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

let ids = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field: <div class="field"><label/>control<p hint/></div>. */
export function field(label, control, hint) {
  control.id ||= uid();
  const children = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hintEl = h("p", { class: "hint", id: uid("hint") }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    children.push(hintEl);
  }
  return h("div", { class: "field" }, children);
}

/** An error box that screen readers announce. Empty = hidden. */
export function errorBox() {
  const box = h("div", { class: "error", role: "alert", hidden: true });
  box.show = (message) => {
    box.textContent = message || "";
    box.hidden = !message;
  };
  /** A refused form: each field's message named by its label (`labelOf(key)`), else the
   * error's own message. `messages`: {key: text} from the 422's fields. */
  box.showFields = (error, messages, labelOf) => {
    const named = Object.keys(messages).map((k) => `${labelOf(k)}: ${messages[k]}`);
    box.show(named.length ? `Please check the form. ${named.join(" ")}` : error.message);
  };
  return box;
}

/**
 * A form's submit handler: the page stays put, the last error goes, the button is off while
 * `work` runs, and a failure is shown in `error` (an errorBox) as `explain(e)` says.
 */
export function submitting(button, error, work, explain = (e) => String(e.message || e)) {
  return async (event) => {
    event.preventDefault();
    error.show("");
    button.disabled = true;
    try {
      await work();
    } catch (e) {
      error.show(explain(e));
    } finally {
      button.disabled = false;
    }
  };
}
