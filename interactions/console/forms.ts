// Form controls the admin pages need beyond layout.ts's text field: a text area, a check box, a
// radio group and a select, each labelled for screen readers.
import { html, type Html } from '../html.ts';

export function textArea(options: { name: string; label: string; value?: string; hint?: string; rows?: number }): Html {
  return html`<div class="field">
  <label for="${options.name}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${options.name}-hint">${options.hint}</p>` : ''}
  <textarea id="${options.name}" name="${options.name}" rows="${options.rows ?? 3}"${options.hint ? html` aria-describedby="${options.name}-hint"` : ''} spellcheck="false">${options.value ?? ''}</textarea>
</div>`;
}

export function checkBox(options: { name: string; label: string; checked?: boolean }): Html {
  return html`<div class="choice"><input type="checkbox" id="${options.name}" name="${options.name}" value="yes"${options.checked ? html` checked` : ''}><label for="${options.name}">${options.label}</label></div>`;
}

export function radios(options: { name: string; legend: string; choices: [string, string][]; value?: string }): Html {
  return html`<fieldset class="choices"><legend>${options.legend}</legend>
${options.choices.map(([value, label], i) => html`<div class="choice"><input type="radio" id="${options.name}-${value}" name="${options.name}" value="${value}"${(options.value ?? options.choices[0]![0]) === value || (!options.value && i === 0) ? html` checked` : ''}><label for="${options.name}-${value}">${label}</label></div>`)}
</fieldset>`;
}

export function select(options: { id: string; name: string; label: string; choices: [string, string][]; value?: string }): Html {
  return html`<label for="${options.id}">${options.label}</label> <select id="${options.id}" name="${options.name}">${options.choices.map(([value, label]) => html`<option value="${value}"${value === options.value ? html` selected` : ''}>${label}</option>`)}</select>`;
}

/** Lines of a text area as a list, blank lines dropped. */
export const lines = (text: string) => text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
