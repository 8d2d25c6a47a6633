// static/js/loyalty.js against the shared vectors, which tests/loyalty/test_rules.py checks in
// Python: offline, the register normalises and searches phone numbers as the server does.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  RedemptionRefused,
  customerMatches,
  looksLikeCardNumber,
  normalisePhone,
  offlineRedeemableNow,
  offlineRedemption,
  phoneSearchDigits,
  pointsValue,
  pointsWithin,
  wholePoints,
} from "../../static/js/loyalty.js";

const vectors = JSON.parse(readFileSync(new URL("../loyalty_vectors.json", import.meta.url), "utf8"));

describe("phone numbers (shared vectors)", () => {
  for (const vector of vectors.phones) {
    test(vector.name, () => {
      assert.equal(normalisePhone(vector.input), vector.normalised);
      assert.equal(phoneSearchDigits(vector.input), vector.search_digits);
    });
  }
});

describe("redemption value (shared vectors)", () => {
  for (const vector of vectors.redemption) {
    test(vector.name, () => assert.equal(pointsValue(vector.points, vector.point_value, vector.currency), vector.expect));
  }
});

describe("offline search over the register's copy", () => {
  const ada = { name: "Ada Lovelace", phone: "+491512345678", card_number: "8000000013" };
  test("by name anywhere, any case", () => assert.ok(customerMatches(ada, "lovel")));
  test("by phone dialled nationally or internationally", () => {
    assert.ok(customerMatches(ada, "0151 2345678"));
    assert.ok(customerMatches(ada, "+49 151 234"));
    assert.ok(!customerMatches(ada, "0152 2345678"));
  });
  test("by card number exactly", () => {
    assert.ok(customerMatches(ada, "8000000013"));
    assert.ok(!customerMatches(ada, "800000001"));
  });
  test("a new customer not yet synced has no card number", () =>
    assert.ok(customerMatches({ name: "Max", phone: "+4930123", card_number: null }, "max")));
  test("card numbers", () => assert.ok(looksLikeCardNumber("8000000013") && !looksLikeCardNumber("8000000014")));
});

describe("offline redemption up to the store's cap", () => {
  const base = { balance: 300, cap: 200, pointValue: "0.01", currency: "EUR", name: "Ada" };
  test("refused when the store allows none offline", () =>
    assert.throws(() => offlineRedemption({ ...base, cap: 0, amount: "1.00" }), /cannot be redeemed while the register is offline/));
  test("within the cap and the balance", () => assert.equal(offlineRedemption({ ...base, amount: "2.00" }), 200));
  test("above the cap, counting the sale's earlier points tenders", () => {
    assert.throws(() => offlineRedemption({ ...base, amount: "2.01" }), /at most 200 points \(2\.00 EUR\)/);
    assert.throws(() => offlineRedemption({ ...base, amount: "1.00", alreadyRedeemed: 150 }), /this would be 250/);
  });
  test("above the balance as last synced", () =>
    assert.throws(() => offlineRedemption({ ...base, balance: 50, amount: "1.00" }), /Ada has 50 points/));
  test("whole points only", () => {
    assert.throws(() => offlineRedemption({ ...base, pointValue: "0.05", amount: "0.12" }), RedemptionRefused);
    assert.equal(wholePoints("0.15", "0.05"), 3);
    assert.equal(wholePoints("7", "1.5"), null);
    assert.equal(pointsWithin("11.90", "0.03"), 396);
    assert.equal(pointsWithin("0.00", "0.01"), 0);
  });
  test("what is still redeemable", () => {
    assert.equal(offlineRedeemableNow({ balance: 300, cap: 200, alreadyRedeemed: 50 }), 150);
    assert.equal(offlineRedeemableNow({ balance: 30, cap: 200 }), 30);
    assert.equal(offlineRedeemableNow({ balance: -5, cap: 200 }), 0);
  });
});
