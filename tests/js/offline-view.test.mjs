// The DOM-free parts of static/js/offline-view.js: what the header says about the outbox, and the
// sync problems as the cashier reads and exports them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { answerText, describeQueue, formatAge, formatTime, problemsCsv } from "../../static/js/offline-view.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const hoursAgo = (hours) => new Date(NOW - hours * 3_600_000).toISOString();

describe("queue status", () => {
  test("empty, queued with the age of the oldest, overdue from the configured age on", () => {
    assert.deepEqual(describeQueue({ count: 0, oldestQueuedAt: null }, { now: NOW }), {
      text: "No sales queued",
      state: "empty",
      age: null,
    });
    assert.equal(
      describeQueue({ count: 1, oldestQueuedAt: hoursAgo(0.01) }, { now: NOW }).text,
      "1 sale queued · oldest <1 min",
    );
    const queued = describeQueue({ count: 3, oldestQueuedAt: hoursAgo(11.5) }, { now: NOW, warnHours: 12 });
    assert.deepEqual([queued.text, queued.state], ["3 sales queued · oldest 11 h 30 min", "queued"]);
    const overdue = describeQueue({ count: 3, oldestQueuedAt: hoursAgo(12) }, { now: NOW, warnHours: 12 });
    assert.equal(overdue.state, "overdue");
    assert.match(overdue.text, /oldest 12 h — not sent for over 12 h/);
    assert.equal(
      describeQueue({ count: 1, oldestQueuedAt: hoursAgo(1) }, { now: NOW, warnHours: 0.5 }).state,
      "overdue",
    );
  });

  test("new customers added offline are counted apart from the sales", () => {
    const oldest = hoursAgo(0.01);
    assert.equal(describeQueue({ count: 3, customers: 1, oldestQueuedAt: oldest }, { now: NOW }).text, "2 sales and 1 new customer queued · oldest <1 min");
    assert.equal(describeQueue({ count: 2, customers: 2, oldestQueuedAt: oldest }, { now: NOW }).text, "2 new customers queued · oldest <1 min");
  });

  test("ages", () => {
    assert.deepEqual(
      [formatAge(42_000), formatAge(300_000), formatAge(7_500_000), formatAge(97_200_000), formatAge(86_400_000)],
      ["<1 min", "5 min", "2 h 5 min", "1 d 3 h", "1 d"],
    );
  });

  test("times in the store's zone", () => {
    assert.equal(formatTime("2026-11-21T10:00:00Z", "Europe/Berlin"), "2026-11-21 11:00");
    assert.equal(formatTime("2026-07-01T23:30:00Z", "Europe/Berlin"), "2026-07-02 01:30");
  });
});

describe("sync problems", () => {
  const problem = {
    sale: {
      id: "00000000-0000-4000-8000-000000000001",
      register: "R1",
      offline_receipt_number: "R1-OFF-3fa2c91e-000007",
      created_at: "2026-11-21T10:00:00.000Z",
      lines: [{ sku: "MILK", quantity: "2", unit_price: "1.19", discount_percent: "0" }],
      payments: [{ method: "cash", amount: "5.00", reference: "" }],
    },
    queued_at: "2026-11-21T10:00:01.000Z",
    refused_at: "2026-11-21T11:00:00.000Z",
    status: 409,
    answer: {
      id: ["Sale 0000… was already booked with different content."],
      lines: { 0: { sku: ["Unknown SKU 'MILK'."] } },
    },
  };

  test("the server's answer in one line", () => {
    assert.equal(
      answerText(problem.answer),
      "id: Sale 0000… was already booked with different content.; lines.0.sku: Unknown SKU 'MILK'.",
    );
    assert.equal(answerText("Bad Gateway"), "Bad Gateway");
  });

  test("CSV for a spreadsheet: a header and one row per refused sale, quoted where needed", () => {
    const [header, row, end] = problemsCsv([problem]).split("\r\n");
    assert.equal(
      header,
      "offline_receipt_number,sale_id,register,created_at,queued_at,refused_at,status,answer,lines,payments,customer",
    );
    assert.ok(
      row.startsWith("R1-OFF-3fa2c91e-000007,00000000-0000-4000-8000-000000000001,R1,2026-11-21T10:00:00.000Z,"),
    );
    assert.ok(
      row.includes(",409,id: Sale 0000… was already booked with different content.; lines.0.sku: Unknown SKU 'MILK'.,"),
    );
    assert.ok(row.endsWith(",2 × MILK @ 1.19 −0%,cash 5.00,"));
    assert.equal(end, "");
    const quoted = problemsCsv([{ ...problem, answer: 'a, "b"' }]).split("\r\n")[1];
    assert.ok(quoted.includes(',409,"a, ""b""",'));
  });

  test("a customer added offline whose phone the server had: reported with its owner", () => {
    const customer = { id: "c0ffee00-0000-4000-8000-000000000001", name: "Max", phone: "+4930123456" };
    const existing = { id: "e0000000-0000-4000-8000-000000000002", name: "Ada", phone: "+4930123456", card_number: "8000000013" };
    const row = problemsCsv([
      { customer, resolved_to: existing, status: 409, answer: {}, queued_at: hoursAgo(1), refused_at: hoursAgo(0) },
    ]).split("\r\n")[1];
    assert.ok(row.includes(",409,Phone +4930123456 was already Ada's (card 8000000013): not added again; the sales for Max are booked for Ada.,"));
    assert.ok(row.endsWith(`,new: Max +4930123456 (${customer.id}) → ${existing.id}`));
  });
});
