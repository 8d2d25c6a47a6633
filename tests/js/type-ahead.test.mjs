// static/js/type-ahead.js: which keys wait for the server's answer, and how the dropped ones are named.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HOLD, PASS, REPEAT, describeKeys, holdDecision } from "../../static/js/type-ahead.js";

const key = (name, modifiers = {}) => ({ key: name, ctrlKey: false, altKey: false, metaKey: false, ...modifiers });
const idle = { waiting: false, holding: false, inTender: false, repeat: false };
const waiting = { ...idle, waiting: true };

test("with nothing on its way every key goes straight to the page", () => {
  for (const name of ["F4", "Enter", "7", "Backspace", "Escape"]) {
    assert.equal(holdDecision(key(name), { ...idle, inTender: true }), PASS);
  }
});

test("while an answer is on its way the tender keys wait for it, the scan field's do not", () => {
  for (const name of ["F4", "F8", "F9", "F10"]) assert.equal(holdDecision(key(name), waiting), HOLD);
  assert.equal(holdDecision(key("Enter", { ctrlKey: true }), waiting), HOLD); // complete
  assert.equal(holdDecision(key("Delete", { ctrlKey: true }), waiting), HOLD); // cancel
  // A scanner typing into the scan field while the last scan is answered: untouched.
  for (const name of ["4", "0", "Enter", "Backspace"]) assert.equal(holdDecision(key(name), waiting), PASS);
  // Search, diagnostics, Esc: nothing to do with the answer.
  for (const name of ["F1", "F2", "Escape", "ArrowDown"]) assert.equal(holdDecision(key(name), waiting), PASS);
});

test("typing in the tender while it is redrawn waits, to be typed into the new one", () => {
  const inTender = { ...waiting, inTender: true };
  for (const name of ["2", ".", "Backspace", "Delete", "Tab", "Enter"]) assert.equal(holdDecision(key(name), inTender), HOLD);
  assert.equal(holdDecision(key("c", { ctrlKey: true }), inTender), PASS); // copy: the browser's
});

test("Enter again on the payment on its way is a repeat, never a second payment", () => {
  assert.equal(holdDecision(key("Enter"), { ...waiting, inTender: true, repeat: true }), REPEAT);
  assert.equal(holdDecision(key("Enter", { ctrlKey: true }), { ...waiting, repeat: true }), REPEAT);
  // After another key it is a new Enter: held behind it.
  assert.equal(holdDecision(key("Enter"), { ...waiting, holding: true, inTender: true, repeat: true }), HOLD);
});

test("behind held keys every key the page knows waits its turn", () => {
  const holding = { ...waiting, holding: true };
  for (const name of ["7", "Enter", "Escape", "F2", "ArrowUp", "Tab"]) assert.equal(holdDecision(key(name), holding), HOLD);
  assert.equal(holdDecision(key("Shift"), holding), PASS);
  assert.equal(holdDecision(key("F5"), holding), PASS); // the browser's
  assert.equal(holdDecision({ ...key("a"), isComposing: true }, holding), PASS);
});

test("the dropped keys read as typed", () => {
  const held = [{ tender: true, focus: "amount", method: "card" }, key("F4"), key("2"), key("0"), key("Enter")];
  assert.equal(describeKeys(held), "F4 20 Enter");
  assert.equal(describeKeys([key("Enter", { ctrlKey: true })]), "Ctrl+Enter");
  assert.equal(describeKeys([{ keypad: "5" }, { cash: "20.00", exact: false }, { cash: "4.52", exact: true }]), "5 20.00 Exact");
});
