// Type-ahead at the checkout, like a till's keyboard buffer: keys typed while the server is still
// answering a change to the sale (a payment, a scan, a line edit) are held, then used in order once
// the answer is drawn. So F4 then Enter straight after a payment pays the NEW amount due from the
// redrawn tender (with its new payment_id), instead of being dropped by htmx or landing in a form
// that is about to be replaced. If that answer is a refusal (or none), the held keys are dropped and
// the message area says which. Scans are not held: the scan field queues them itself (checkout.js).

// --- Which keys are held (pure, tested in tests/js/type-ahead.test.mjs) ---------------------------
export const PASS = "pass"; // let the page have it now
export const HOLD = "hold"; // keep it for when the answer is in
export const REPEAT = "repeat"; // a second press of what is on its way: dropped, as htmx's hx-sync="this:drop" did

// Keys that act on the sale from anywhere on the page: they must see the sale as the answer draws it.
const SALE_KEYS = new Set(["F4", "F8", "F9", "F10"]);
// Keys whose default action type-ahead replays in a field (see `#replayDefault`).
const EDIT_KEYS = new Set(["Enter", "Backspace", "Delete", "Tab"]);
// Other keys the page handles itself; held only behind keys already held, to keep their order.
const PAGE_KEYS = new Set(["Escape", "ArrowUp", "ArrowDown", "F1", "F2", "F3", "F6", "F7"]);

/**
 * What to do with a key pressed now. `key`: the keydown's key and modifiers. `waiting`: an answer
 * that redraws the sale is on its way; `holding`: keys are already held; `inTender`: the focus is in
 * the tender form; `repeat`: the key would send again the form that is on its way (Enter in that
 * tender, Ctrl+Enter or Ctrl+Delete while completing or cancelling).
 */
export function holdDecision(key, { waiting, holding, inTender, repeat }) {
  if (key.isComposing || !key.key) return PASS;
  const modified = key.ctrlKey || key.altKey || key.metaKey;
  const ctrlOnly = key.ctrlKey && !key.altKey && !key.metaKey;
  const saleKey = (!modified && SALE_KEYS.has(key.key)) || (ctrlOnly && (key.key === "Enter" || key.key === "Delete"));
  const typing = !modified && (key.key.length === 1 || EDIT_KEYS.has(key.key));
  if (holding) return saleKey || typing || (!modified && PAGE_KEYS.has(key.key)) ? HOLD : PASS;
  if (!waiting) return PASS;
  if (repeat) return REPEAT;
  if (saleKey || (inTender && typing)) return HOLD;
  return PASS;
}

/** The held keys as the cashier typed them, for the message: "F4 20 Enter". */
export function describeKeys(held) {
  const words = [];
  let typed = "";
  for (const entry of held) {
    if (entry.tender) continue; // where the cashier was, not a key
    if (entry.key?.length === 1 && !entry.ctrlKey && !entry.altKey && !entry.metaKey) {
      typed += entry.key;
      continue;
    }
    if (typed) words.push(typed.trim() ? typed : "Space");
    typed = "";
    if (entry.key) words.push(`${entry.ctrlKey ? "Ctrl+" : ""}${entry.key}`);
    else if (entry.keypad) words.push(entry.keypad);
    else if (entry.cash) words.push(entry.exact ? "Exact" : entry.cash);
  }
  if (typed) words.push(typed);
  return words.join(" ");
}

// --- The page ------------------------------------------------------------------------------------
// Longer than checkout.js's htmx timeout (15 s): an answer not in by then counts as none.
const NO_ANSWER_MS = 20_000;
const $ = (selector) => document.querySelector(selector);
const isTextField = (el) => el?.matches?.("input:not([type]), input[type=text], input[type=search], textarea");
const tenderForm = () => $("#tender-form");
const payDisabled = (form) => form.querySelector(".key--pay")?.disabled !== false;

class TypeAhead {
  #root;
  #keyboardElsewhere;
  #waiting = new Map(); // xhr → "sent" | "answered"
  #held = [];
  #refusal = false; // an answer since the last drain refused something (or never came)
  #messageRedrawn = false; // by the answer being swapped in
  #droppedNote = ""; // which keys were dropped: shown again after redraws until the cashier's next key or tap
  #sentPaymentIds = new Set(); // a held key never posts a tender form whose payment_id was posted

  constructor(root, keyboardElsewhere) {
    this.#root = root;
    this.#keyboardElsewhere = keyboardElsewhere;
  }

  start() {
    const body = document.body;
    // Capture on window: before the page's own keys (checkout.js, the approval modal, htmx's submit).
    window.addEventListener("keydown", (event) => this.#onKeydown(event), true);
    document.addEventListener("click", (event) => this.#onClick(event), true);
    body.addEventListener("htmx:beforeSend", (event) => this.#onSend(event.detail));
    body.addEventListener("htmx:oobAfterSwap", (event) => {
      if (event.detail.target?.id === "message") this.#messageRedrawn = true;
    });
    body.addEventListener("htmx:afterRequest", (event) => this.#onAnswer(event.detail));
  }

  // An answer that redraws the sale: any write, and the whole sale fetched again (its source is #pos).
  // Searches only redraw their results.
  #redrawsSale(detail) {
    const elt = detail.requestConfig?.elt ?? detail.elt;
    return (detail.requestConfig?.verb !== "get" || elt === this.#root) && this.#root.contains(elt);
  }

  #onSend(detail) {
    if (!this.#redrawsSale(detail)) return;
    this.#waiting.set(detail.xhr, "sent");
    // htmx gives up after its timeout (htmx:timeout); an answer it failed to swap in (htmx:onLoadError)
    // has no htmx:afterRequest at all: either way the keys must not wait for ever.
    setTimeout(() => this.#answered(detail.xhr, true), NO_ANSWER_MS);
    const form = detail.requestConfig.elt;
    if (form?.id === "tender-form") this.#sentPaymentIds.add(form.elements.payment_id.value);
  }

  #onAnswer(detail) {
    const redrawn = this.#messageRedrawn;
    this.#messageRedrawn = false;
    if (this.#waiting.get(detail.xhr) !== "sent") return; // not ours, or told twice (htmx re-fires it on a parent)
    // An answer the cashier did not ask for (the sale fetched again on reconnecting) keeps the note.
    if (redrawn && this.#droppedNote) this.#showNote();
    // No answer, an error status (htmx:responseError has shown it; htmx:sendError / htmx:timeout follow
    // this event), or the server's refusal in the message area (read now: htmx gives a swapped element
    // its new class only when it settles, after htmx:oobAfterSwap).
    const refused = !detail.successful || (redrawn && $("#message")?.classList.contains("message--error"));
    this.#answered(detail.xhr, refused);
  }

  #answered(xhr, refused) {
    if (this.#waiting.get(xhr) !== "sent") return;
    this.#waiting.set(xhr, "answered");
    if (refused) this.#refusal = true;
    // After checkout.js's own after-swap work (focus back to the scan field), which is queued already.
    setTimeout(() => {
      this.#waiting.delete(xhr);
      this.#drain();
    }, 0);
  }

  #onKeydown(event) {
    if (!event.isTrusted) return; // a replayed key
    this.#droppedNote = "";
    // The usual case, nothing on its way: straight through.
    if ((!this.#waiting.size && !this.#held.length) || this.#keyboardElsewhere()) return;
    const form = document.activeElement?.closest?.("#tender-form");
    const decision = holdDecision(event, {
      waiting: this.#waiting.size > 0,
      holding: this.#held.length > 0,
      inTender: Boolean(form),
      repeat: this.#sendsAgain(event, form),
    });
    if (decision === PASS) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (decision === REPEAT) return;
    if (!this.#held.length && form) this.#held.push(this.#tenderState(form, document.activeElement));
    const { key, code, ctrlKey, shiftKey, altKey, metaKey } = event;
    this.#held.push({ key, code, ctrlKey, shiftKey, altKey, metaKey });
  }

  // htmx marks the form on its way with .htmx-request.
  #sendsAgain({ key, ctrlKey, altKey, metaKey, shiftKey }, tender) {
    if (key !== "Enter" && key !== "Delete") return false;
    if (!ctrlKey && !altKey && !metaKey && !shiftKey && key === "Enter") {
      return Boolean(tender?.classList.contains("htmx-request"));
    }
    if (!ctrlKey || altKey || metaKey) return false;
    return Boolean($(key === "Enter" ? "#complete-form" : "#cancel-form")?.classList.contains("htmx-request"));
  }

  // The touch keypad and quick-cash notes are keys too.
  #onClick(event) {
    if (!event.isTrusted) return;
    this.#droppedNote = "";
    if (!this.#waiting.size && !this.#held.length) return;
    const button = event.target.closest?.("#tender [data-key], #tender [data-cash]");
    if (!button) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const form = tenderForm();
    if (button.dataset.cash && !this.#held.length && form.classList.contains("htmx-request")) {
      return; // a second tap of a note while the first is on its way
    }
    if (!this.#held.length) this.#held.push(this.#tenderState(form, null));
    if (button.dataset.key) this.#held.push({ keypad: button.dataset.key });
    else this.#held.push({ cash: button.dataset.cash, exact: button.matches(".quick-cash__key--exact") });
  }

  // The tender as the cashier left it, to carry into the redrawn one: its method, the field they were
  // typing in and, unless this form was just sent, what they had typed (amount, reference, caret).
  #tenderState(form, field) {
    const state = { tender: true, focus: isTextField(field) ? field.name : null, method: form.elements.method.value };
    if (!this.#sentPaymentIds.has(form.elements.payment_id.value)) {
      state.values = {
        amount: form.elements.amount.value,
        fresh: form.elements.amount.dataset.fresh === "1",
        reference: form.elements.reference.value,
        selection: isTextField(field) ? [field.selectionStart, field.selectionEnd] : null,
      };
    }
    return state;
  }

  #drain() {
    if (this.#waiting.size) return;
    const refused = this.#refusal;
    this.#refusal = false;
    if (!this.#held.length) return;
    if (refused || this.#keyboardElsewhere()) return this.#drop();
    while (this.#held.length && !this.#waiting.size) {
      const entry = this.#held.shift();
      if (!this.#replay(entry)) return this.#drop(entry);
      // Enter may have posted, a scan only in a moment (scans queue on a promise): look again then.
      if (entry.key === "Enter" || entry.cash) {
        if (this.#held.length) setTimeout(() => this.#drain(), 0);
        return;
      }
    }
  }

  #drop(first = null) {
    const keys = describeKeys(first ? [first, ...this.#held] : this.#held);
    this.#held = [];
    this.#droppedNote = `Not done, type again: ${keys} (typed while waiting for that answer).`;
    this.#showNote();
  }

  // After what the message area says (the refusal, or that the server is away).
  #showNote() {
    const message = $("#message");
    if (!message || message.textContent.includes(this.#droppedNote)) return;
    const said = message.textContent.trim();
    message.textContent = said ? `${said} ${this.#droppedNote}` : this.#droppedNote;
    message.className = "message message--error";
  }

  /** Use one held entry on the page as it is now; false: it cannot be used (the rest is dropped). */
  #replay(entry) {
    if (entry.tender) return this.#replayTender(entry);
    if (entry.keypad) {
      $(`#tender [data-key="${entry.keypad}"]`)?.click();
      return true;
    }
    if (entry.cash) return this.#replayCash(entry);
    const target = document.activeElement ?? document.body;
    const event = new KeyboardEvent("keydown", { ...entry, bubbles: true, cancelable: true });
    if (!target.dispatchEvent(event)) return true;
    return this.#replayDefault(entry, document.activeElement);
  }

  #replayTender({ focus, method, values }) {
    const form = tenderForm();
    if (!form || payDisabled(form)) return true; // the sale was completed: the keys go where the focus is
    const radio = form.querySelector(`input[name=method][value="${method}"]`);
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true })); // checkout.js: labels, amount due
    }
    const { amount, reference } = form.elements;
    if (values) {
      amount.value = values.amount;
      if (values.fresh) amount.dataset.fresh = "1";
      else delete amount.dataset.fresh;
      reference.value = values.reference;
    }
    const field = focus && form.elements[focus];
    if (!field) return true;
    field.focus();
    if (values?.selection) field.setSelectionRange(...values.selection);
    else field.select();
    return true;
  }

  #replayCash({ cash, exact }) {
    const form = tenderForm();
    if (!form || payDisabled(form)) return false;
    if (this.#sentPaymentIds.has(form.elements.payment_id.value)) return false;
    form.querySelector("input[name=method][value=cash]").checked = true;
    form.elements.amount.value = exact ? $("#tender .tender__due").textContent.trim() : cash;
    form.requestSubmit();
    return true;
  }

  // What the browser does with a key nobody prevented: type, delete, submit, move the focus.
  #replayDefault({ key, shiftKey }, field) {
    if (key === "Enter") {
      if (field?.matches("button")) {
        field.click();
        return true;
      }
      const form = field?.form;
      if (!form || !field.matches("input")) return true;
      // Implicit submission does nothing while the form's default button is disabled.
      if (form.querySelector("[type=submit], button:not([type])")?.disabled) return true;
      if (form.id === "tender-form" && this.#sentPaymentIds.has(form.elements.payment_id.value)) return false;
      form.requestSubmit();
    } else if (key === "Tab") {
      moveFocus(field, shiftKey ? -1 : 1);
    } else if (isTextField(field)) {
      if (key.length === 1) typeInto(field, key);
      else if (key === "Backspace" || key === "Delete") deleteIn(field, key === "Backspace" ? -1 : 1);
    }
    return true;
  }
}

function typeInto(field, text) {
  const { selectionStart: start, selectionEnd: end } = field;
  if (field.maxLength > 0 && field.value.length - (end - start) + text.length > field.maxLength) return;
  field.setRangeText(text, start, end, "end");
  field.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
}

function deleteIn(field, direction) {
  let { selectionStart: start, selectionEnd: end } = field;
  if (start === end) {
    if (direction < 0) start = Math.max(0, start - 1);
    else end = Math.min(field.value.length, end + 1);
  }
  if (start === end) return;
  field.setRangeText("", start, end, "end");
  field.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "deleteContent" }));
}

// Tab inside a form: the next (or previous) field or button the cashier can reach.
function moveFocus(field, step) {
  const form = field?.form;
  if (!form) return;
  const reachable = [...form.elements].filter(
    (el) =>
      el.tabIndex >= 0 &&
      !el.disabled &&
      el.type !== "hidden" &&
      (el.type !== "radio" || el.checked) &&
      el.getClientRects().length > 0,
  );
  const next = reachable[reachable.indexOf(field) + step];
  next?.focus();
  if (isTextField(next)) next.select();
}

/** Start holding keys on the checkout page `root`; `keyboardElsewhere()`: a dialog has the keyboard. */
export function startTypeAhead(root, { keyboardElsewhere = () => false } = {}) {
  new TypeAhead(root, keyboardElsewhere).start();
}
