// Form controls for a model's parameters, built from the JSON Schema the API publishes.
// Enums become selects, booleans checkboxes, numbers number inputs with their bounds;
// optional values ("anyOf [..., null]") may stay empty and are then not sent.

import { field, h } from "./dom.js";

function mainType(schema) {
  if (schema.anyOf) {
    const inner = schema.anyOf.find((s) => s.type !== "null") || {};
    return { ...inner, optional: true };
  }
  return { ...schema, optional: false };
}

function hintFor(type, schema) {
  const parts = [];
  if (type.minimum !== undefined && type.maximum !== undefined) {
    parts.push(`${type.minimum} to ${type.maximum}`);
  }
  if (type.maxLength) parts.push(`up to ${type.maxLength} characters`);
  if (schema.default !== undefined && schema.default !== null) parts.push(`default ${schema.default}`);
  if (type.optional) parts.push("optional");
  return parts.join(", ");
}

function control(name, schema) {
  const type = mainType(schema);
  if (type.enum) {
    const select = h("select", { name });
    for (const option of type.enum) {
      select.append(h("option", { value: option, selected: option === schema.default }, option));
    }
    return { el: select, read: () => select.value };
  }
  if (type.type === "boolean") {
    const box = h("input", { type: "checkbox", name, checked: schema.default === true });
    return { el: box, read: () => box.checked, checkbox: true };
  }
  if (type.type === "integer" || type.type === "number") {
    const input = h("input", {
      type: "number",
      name,
      inputmode: type.type === "integer" ? "numeric" : "decimal",
      min: type.minimum,
      max: type.maximum,
      step: type.type === "integer" ? 1 : "any",
      value: schema.default ?? "",
    });
    return {
      el: input,
      read: () => (input.value === "" ? undefined : Number(input.value)),
      valid: () => input.checkValidity(),
    };
  }
  const input = h("input", { type: "text", name, maxlength: type.maxLength, value: schema.default ?? "" });
  return { el: input, read: () => input.value.trim() || undefined };
}

/**
 * A fieldset for `schema` (a JSON Schema object). Returns {element, values()} where values()
 * gives the parameters to send (empty optional ones left out) or throws naming a bad field.
 */
export function paramsForm(schema) {
  const properties = (schema && schema.properties) || {};
  const controls = [];
  const fields = Object.entries(properties).map(([name, prop]) => {
    const made = control(name, prop);
    const label = prop.title || name;
    controls.push({ name, label, ...made });
    if (made.checkbox) {
      made.el.id = `param-${name}`;
      return h("div", { class: "field checkbox" }, made.el, h("label", { for: made.el.id }, label));
    }
    return field(label, made.el, hintFor(mainType(prop), prop));
  });
  const element = h(
    "fieldset",
    { class: "params" },
    h("legend", {}, "Settings"),
    fields.length ? fields : h("p", { class: "hint" }, "This model has no settings."),
  );
  function values() {
    const params = {};
    for (const c of controls) {
      if (c.valid && !c.valid()) {
        c.el.focus();
        throw new Error(`${c.label}: ${c.el.validationMessage}`);
      }
      const value = c.read();
      if (value !== undefined) params[c.name] = value;
    }
    return params;
  }
  return { element, values };
}
