// static/js/local-cart.js: the sale the register rings up by itself, by the server's rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  LocalCart,
  SaleRefused,
  containsCardNumber,
  customerDisplayEvent,
  formatMoney,
  newSaleId,
  plainNumber,
  readDecimal,
  saleReceipt,
} from "../../static/js/local-cart.js";

const EUR = { currency: "EUR", pricesIncludeTax: true };
const MILK = {
  id: 1,
  sku: "MILK",
  barcode: "4000000000017",
  name: "Milk",
  price: "1.19",
  tax_code: "standard",
  tax_rate: "19",
  active: true,
  on_hand: "50",
};
const BREAD = {
  id: 2,
  sku: "BREAD",
  barcode: null,
  name: "Roggenbrot",
  price: "2.14",
  tax_code: "reduced",
  tax_rate: "7",
  active: true,
  on_hand: "20",
};

const refused = (message) => (error) =>
  error instanceof SaleRefused && (message === undefined || error.message === message);

describe("ringing up", () => {
  test("a scan adds a line at the catalogue price, the same product again adds to it", () => {
    const cart = new LocalCart({}, EUR);
    cart.add(MILK);
    cart.add(BREAD);
    cart.add(MILK);
    assert.deepEqual(
      cart.lines.map((line) => [line.product.sku, line.quantity, line.unit_price]),
      [
        ["MILK", "2", "1.19"],
        ["BREAD", "1", "2.14"],
      ],
    );
    assert.equal(cart.totals.total, "4.52");
    assert.equal(cart.itemCount, "3");
    assert.equal(cart.dirty, true);
  });

  test("an inactive product is refused, as online", () => {
    const cart = new LocalCart({}, EUR);
    assert.throws(() => cart.add({ ...MILK, active: false }), refused("Milk is not for sale (inactive)."));
    assert.equal(cart.lines.length, 0);
  });

  test("a line keeps the price it was rung up at: that is what the customer is charged", () => {
    const cart = new LocalCart({}, EUR);
    cart.add(MILK);
    cart.add({ ...MILK, price: "1.29" });
    assert.equal(cart.line(1).unit_price, "1.19");
  });

  test("quantities and discounts as typed at the till, within the server's bounds", () => {
    const cart = new LocalCart({}, EUR);
    cart.add(BREAD);
    cart.setQuantity(2, "2,500");
    assert.equal(cart.line(2).quantity, "2.5");
    cart.setDiscount(2, "10");
    assert.equal(cart.totals.total, "4.82"); // 2.5 × 2.14 = 5.35, −10 % = 4.815 → 4.82 (half up)
    assert.throws(() => cart.setQuantity(2, "0"), refused("Quantity must be greater than zero, got 0."));
    assert.throws(() => cart.setQuantity(2, "100000"), refused("Quantity must be at most 99999, got 100000."));
    assert.throws(() => cart.setQuantity(2, "1.2345"), refused());
    assert.throws(() => cart.setQuantity(2, "two"), refused("Enter a quantity."));
    assert.throws(() => cart.setDiscount(2, "101"), refused("Discount must be between 0 and 100 %, got 101."));
    assert.throws(() => cart.setQuantity(99, "1"), refused("That line is no longer in the cart."));
    cart.remove(2);
    assert.equal(cart.lines.length, 0);
  });

  test("its totals are the shared pricing vectors' (the cart adds nothing to pricing.js)", () => {
    const vectors = JSON.parse(readFileSync(new URL("../pricing_vectors.json", import.meta.url), "utf8"));
    for (const vector of vectors) {
      const lines = vector.lines.map((line, index) => ({
        product: { id: index + 1, sku: `P${index}`, name: "x", tax_code: line.tax_code, tax_rate: line.tax_rate },
        quantity: line.quantity,
        discount_percent: line.discount_percent,
        unit_price: line.unit_price,
      }));
      const cart = new LocalCart({ lines }, { currency: vector.currency, pricesIncludeTax: vector.prices_include_tax });
      const { subtotal, discount_total, taxes, tax_total, total } = cart.totals;
      assert.deepEqual(
        { subtotal, discount_total, taxes, tax_total, total },
        {
          subtotal: vector.expect.subtotal,
          discount_total: vector.expect.discount_total,
          taxes: vector.expect.taxes,
          tax_total: vector.expect.tax_total,
          total: vector.expect.total,
        },
        vector.name,
      );
    }
  });
});

describe("tenders", () => {
  function cartOf(...products) {
    const cart = new LocalCart({}, EUR);
    for (const product of products) cart.add(product);
    return cart;
  }

  test("cash may be more than is due and gives change; the sale is then paid", () => {
    const cart = cartOf(MILK, BREAD, MILK);
    cart.addPayment({ method: "cash", amount: "20" });
    assert.deepEqual(cart.payments, [{ method: "cash", amount: "20.00", reference: "" }]);
    assert.equal(cart.settlement.change, "15.48");
    assert.equal(cart.isPaid, true);
    assert.equal(cart.notCompletable, null);
  });

  test("card and mobile pay at most what is due", () => {
    const cart = cartOf(BREAD);
    assert.throws(
      () => cart.addPayment({ method: "card", amount: "2.15" }),
      refused("Card can pay at most the 2.14 EUR due; only cash can be given back as change."),
    );
    cart.addPayment({ method: "card", amount: "1" });
    assert.throws(() => cart.addPayment({ method: "mobile", amount: "1.15" }), refused());
    assert.equal(cart.notCompletable, "Underpaid: 1.14 EUR still due of 2.14 EUR.");
    assert.deepEqual(cart.quickCash, ["5", "10", "20", "50"]);
    cart.addPayment({ method: "mobile", amount: "1.14" });
    assert.equal(cart.isPaid, true);
    assert.equal(cart.settlement.change, "0.00");
  });

  test("amounts the currency cannot hold, nothing to pay, card numbers as references: refused", () => {
    assert.throws(
      () => cartOf(MILK).addPayment({ method: "cash", amount: "1.005" }),
      refused("1.005 has more decimals than EUR allows."),
    );
    assert.throws(
      () => cartOf(MILK).addPayment({ method: "cash", amount: "0" }),
      refused("Amount must be greater than zero."),
    );
    assert.throws(
      () => cartOf().addPayment({ method: "cash", amount: "5" }),
      refused("Nothing to pay yet: scan an item first."),
    );
    assert.throws(
      () => cartOf(MILK).addPayment({ method: "card", amount: "1", reference: "4111 1111 1111 1111" }),
      refused(),
    );
    assert.equal(new LocalCart({}, EUR).notCompletable, "A sale needs at least one line.");
  });
});

describe("what is sent and printed", () => {
  test("the API payload: the client's id, the prices charged, the register's clock", () => {
    const cart = new LocalCart({ id: "00000000-0000-4000-8000-000000000001" }, EUR);
    cart.add(MILK);
    cart.setDiscount(1, "5");
    cart.addPayment({ method: "cash", amount: "2" });
    assert.deepEqual(cart.salePayload({ register: "R1", createdAt: "2026-11-21T10:00:00.000Z" }), {
      id: "00000000-0000-4000-8000-000000000001",
      register: "R1",
      lines: [{ sku: "MILK", quantity: "1", discount_percent: "5", unit_price: "1.19" }],
      payments: [{ method: "cash", amount: "2.00", reference: "" }],
      created_at: "2026-11-21T10:00:00.000Z",
    });
  });

  test("a sale with a loyalty customer carries the customer's id to the server", () => {
    const cart = new LocalCart({ customer: "5f0c6d1e-0000-4000-8000-00000000abcd" }, EUR);
    cart.add(MILK);
    cart.addPayment({ method: "cash", amount: "2" });
    const payload = cart.salePayload({ register: "R1", createdAt: "2026-11-21T10:00:00.000Z" });
    assert.equal(payload.customer, "5f0c6d1e-0000-4000-8000-00000000abcd");
    assert.equal(LocalCart.fromJSON(JSON.parse(JSON.stringify(cart)), EUR).customer, payload.customer);
  });

  test("points are redeemed offline only once checked against the store's cap, and pay at most what is due", () => {
    const cart = new LocalCart({ customer: "5f0c6d1e-0000-4000-8000-00000000abcd" }, EUR);
    cart.add(MILK); // 1.19
    assert.throws(() => cart.addPayment({ method: "points", amount: "1.00" }), /cannot be redeemed while the register is offline/);
    assert.throws(
      () => cart.addPayment({ method: "points", amount: "1.20", offlineRedemptionChecked: true }),
      /Points can pay at most the 1.19 EUR due/,
    );
    cart.addPayment({ method: "points", amount: "1.00", offlineRedemptionChecked: true });
    cart.addPayment({ method: "cash", amount: "0.19" });
    assert.ok(cart.isPaid);
    assert.deepEqual(cart.salePayload({ register: "R1", createdAt: "2026-11-21T10:00:00.000Z" }).payments, [
      { method: "points", amount: "1.00", reference: "" },
      { method: "cash", amount: "0.19", reference: "" },
    ]);
  });

  test("the receipt document has the server's shape (sales/receipts.py, version 1)", () => {
    const cart = new LocalCart({}, EUR);
    cart.add(MILK);
    cart.addPayment({ method: "cash", amount: "5" });
    const stored = {
      ...cart.salePayload({ register: "R1", createdAt: "2026-11-21T10:00:00.000Z" }),
      offline_receipt_number: "R1-OFF-3fa2c91e-000001",
    };
    const receipt = saleReceipt({
      cart,
      stored,
      store: { code: "main", name: "Main Street", address: "", pricesIncludeTax: true },
      register: { code: "R1", name: "Register 1" },
      cashier: "cashier",
    });
    assert.equal(receipt.version, 1);
    assert.equal(receipt.receipt_number, "R1-OFF-3fa2c91e-000001");
    assert.equal(receipt.offline, true);
    assert.deepEqual(receipt.lines, [
      {
        name: "Milk",
        sku: "MILK",
        quantity: "1",
        unit_price: "1.19",
        discount_percent: "0",
        discount_amount: "0.00",
        amount: "1.19",
        tax_code: "standard",
      },
    ]);
    assert.deepEqual(receipt.taxes, [{ code: "standard", rate: "19", net: "1.00", tax: "0.19" }]);
    assert.deepEqual(
      [receipt.total, receipt.paid_total, receipt.change, receipt.open_drawer],
      ["1.19", "5.00", "3.81", true],
    );
  });

  test("a cart survives sessionStorage (JSON) as it was", () => {
    const cart = new LocalCart({}, EUR);
    cart.add(MILK);
    cart.addPayment({ method: "card", amount: "1", reference: "A1" });
    const again = LocalCart.fromJSON(JSON.parse(JSON.stringify(cart)), EUR);
    assert.deepEqual(again.toJSON(), cart.toJSON());
    assert.equal(again.totals.total, "1.19");
  });
});

describe("helpers", () => {
  test("sale ids are UUID v4", () => {
    assert.match(newSaleId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("numbers as typed and shown", () => {
    assert.equal(readDecimal(" 12,50 ", { places: 2 }), "12.5");
    assert.equal(readDecimal("007", { places: 3 }), "7");
    assert.equal(readDecimal("", { places: 3 }), null);
    assert.equal(readDecimal("1e3", { places: 3 }), null);
    assert.deepEqual(readDecimal("1.001", { places: 2 }), { tooPrecise: true });
    assert.equal(plainNumber("19.00"), "19");
    assert.equal(formatMoney("1234.5", "EUR", "€"), "€1,234.50");
    assert.equal(formatMoney("-1", "EUR", "€"), "−€1.00");
    assert.equal(formatMoney("1000", "JPY", "¥"), "¥1,000");
  });

  test("card numbers: Luhn-valid 13–19 digits, grouped or not", () => {
    assert.equal(containsCardNumber("4111-1111-1111-1111"), true);
    assert.equal(containsCardNumber("approval 4111111111111112"), false);
    assert.equal(containsCardNumber("TX 123456"), false);
  });
});

describe("customer display", () => {
  test("the open sale and then the paid one, in the shape the server pushes (sales/broadcasts.py)", () => {
    const cart = new LocalCart({}, EUR);
    assert.equal(customerDisplayEvent(cart, { register: "R1", symbol: "€" }).state, "idle");
    cart.add(MILK);
    cart.add(MILK);
    cart.add(BREAD);
    cart.addPayment({ method: "card", amount: "1" });
    assert.deepEqual(customerDisplayEvent(cart, { register: "R1", symbol: "€" }), {
      type: "display.updated",
      register: "R1",
      state: "open",
      currency_symbol: "€",
      lines: [
        { name: "Milk", quantity: "2", amount: "2.38" },
        { name: "Roggenbrot", quantity: "1", amount: "2.14" },
      ],
      item_count: "3",
      total: "4.52",
      paid: "1.00",
      remaining: "3.52",
      change: "0.00",
    });
    const receipt = { total: "4.52", paid_total: "10.00", change: "5.48", currency: "EUR", receipt_number: "R1-OFF-1" };
    assert.deepEqual(customerDisplayEvent(cart, { register: "R1", symbol: "€", receipt }), {
      type: "display.updated",
      register: "R1",
      state: "paid",
      currency_symbol: "€",
      lines: [],
      item_count: "0",
      total: "4.52",
      paid: "10.00",
      remaining: "0.00",
      change: "5.48",
      receipt_number: "R1-OFF-1",
    });
  });
});
