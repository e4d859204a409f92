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

/**
 * Messages tied to their fields: a hidden message under each of `wrappers`; the returned
 * `show({key: text})` fills them, marks each of `controls` aria-invalid (a fieldset of
 * checkboxes is described, not marked) and links it by aria-describedby; `show({})` clears.
 */
export function fieldErrors(wrappers, controls) {
  const boxes = {};
  for (const [key, wrapper] of Object.entries(wrappers)) {
    boxes[key] = h("p", { class: "field-error", id: uid("err"), hidden: true });
    wrapper.append(boxes[key]);
  }
  return (messages) => {
    for (const [key, box] of Object.entries(boxes)) {
      const message = messages[key];
      box.textContent = message || "";
      box.hidden = !message;
      const control = controls[key];
      const described = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== box.id);
      if (message) described.push(box.id);
      if (message && control.tagName !== "FIELDSET") control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    }
  };
}

/**
 * The catalogue's models as labelled checkboxes in a fieldset (`legend`, a `hint` tied to
 * it), those of `allowed` ticked; `attrs` go on the fieldset. Returns {set, boxes}; the
 * ticked values: `boxes.filter((b) => b.checked).map((b) => b.value)`.
 */
export function modelChoices(models, allowed, legend, hint, attrs = {}) {
  const ticked = new Set(allowed || []);
  const boxes = models.map((m) => h("input", { type: "checkbox", value: m.key, checked: ticked.has(m.key), id: uid("model") }));
  const hintEl = h("p", { class: "hint", id: uid("hint") }, hint);
  const set = h(
    "fieldset",
    { ...attrs, "aria-describedby": hintEl.id },
    h("legend", {}, legend),
    hintEl,
    boxes.map((box, i) => h("div", { class: "field checkbox" }, box, h("label", { for: box.id }, models[i].title))),
  );
  return { set, boxes };
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
