// Progressive enhancement for the sign-in pages. Every page works without this file; with it the
// error summary gets focus, its links focus their field, password fields get a show-password
// button, a channel choice shows only its own field, and a resend button waits visibly.
// Switching language keeps what was typed in fields that hold no secret (member number, e-mail,
// mobile, username, the channel chosen), never passwords or codes: kept in this tab's
// sessionStorage for the page the switch opens, and filled in there once.
const KEEP = new Set(['identifier', 'member_number', 'email', 'mobile', 'username', 'channel']);
const keptKey = (path) => `hk-typed:${path}`;
for (const link of document.querySelectorAll('a.lang')) {
  link.addEventListener('click', () => {
    const typed = {};
    for (const input of document.querySelectorAll('form input')) {
      if (!KEEP.has(input.name) || input.type === 'password' || input.type === 'hidden') continue;
      if (input.type === 'radio') {
        if (input.checked) typed[input.name] = input.value;
      } else if (input.value) typed[input.name] = input.value;
    }
    try {
      sessionStorage.setItem(keptKey(new URL(link.href).pathname), JSON.stringify(typed));
    } catch {
      // Storage refused (private mode): the switch still works, only without the typed values.
    }
  });
}
try {
  const kept = JSON.parse(sessionStorage.getItem(keptKey(location.pathname)) ?? 'null');
  sessionStorage.removeItem(keptKey(location.pathname));
  for (const [name, value] of Object.entries(kept ?? {})) {
    if (!KEEP.has(name) || typeof value !== 'string') continue;
    for (const input of document.querySelectorAll(`form input[name="${CSS.escape(name)}"]`)) {
      if (input.type === 'radio') input.checked = input.value === value;
      else if (input.type !== 'password' && input.type !== 'hidden' && !input.value) input.value = value;
    }
  }
} catch {
  // Nothing kept, or storage unavailable.
}

// Focus moves to the error summary (where `autofocus` on a non-form element did not do it).
const summary = document.querySelector('.error-summary');
if (summary && document.activeElement !== summary) summary.focus();

// A summary link focuses its field and scrolls its label (or its group's legend) into view.
for (const link of document.querySelectorAll('.error-summary a[href^="#"]')) {
  link.addEventListener('click', (event) => {
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    const legend = target.closest('fieldset')?.querySelector('legend');
    const label = document.querySelector(`label[for="${CSS.escape(target.id)}"]`);
    (legend ?? label ?? target).scrollIntoView();
    target.focus({ preventScroll: true });
  });
}

// One show-password button per form, after its first password field; it shows or hides them all.
const showLabel = document.body.dataset.showPassword;
for (const form of document.querySelectorAll('form')) {
  const fields = [...form.querySelectorAll('input[type="password"]')];
  if (!fields.length || !showLabel) continue;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'show-password';
  button.textContent = showLabel;
  button.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-controls', fields.map((field) => field.id).join(' '));
  const show = (visible) => {
    for (const field of fields) field.type = visible ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(visible));
  };
  button.addEventListener('click', () => show(button.getAttribute('aria-pressed') !== 'true'));
  // Hidden again before sending, so no browser keeps a shown password in its form history.
  form.addEventListener('submit', () => show(false));
  fields[0].insertAdjacentElement('afterend', button);
}

// A choice of channel shows only the chosen channel's field (without script, both are shown).
for (const group of document.querySelectorAll('[data-reveal]')) {
  const radios = [...group.querySelectorAll('input[type="radio"]')];
  const update = () => {
    for (const radio of radios) {
      const revealed = document.getElementById(radio.dataset.controls ?? '');
      if (revealed) revealed.hidden = !radio.checked;
    }
  };
  for (const radio of radios) radio.addEventListener('change', update);
  update();
}

// "Send a new code": the button waits, counting down, until the server will accept it.
for (const note of document.querySelectorAll('[data-wait]')) {
  const button = document.getElementById(note.dataset.button ?? '');
  let left = Number(note.dataset.wait);
  if (!button || !(left > 0)) continue;
  button.disabled = true;
  // The wording for each plural category ("1 sekund", "2 sekunder"), picked by the page language's rules.
  const forms = JSON.parse(note.dataset.plural ?? '{}');
  const plural = new Intl.PluralRules(document.documentElement.lang);
  const tick = () => {
    if (left <= 0) {
      clearInterval(timer);
      button.disabled = false;
      note.textContent = note.dataset.ready ?? '';
      return;
    }
    note.textContent = forms[plural.select(left)]?.replace('{seconds}', String(left)) ?? '';
    left -= 1;
  };
  const timer = setInterval(tick, 1000);
  tick();
}
