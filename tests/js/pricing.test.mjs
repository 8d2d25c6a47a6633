// static/js/pricing.js against the shared vectors, which tests/sales/test_pricing_vectors.py
// checks in Python: the offline register must total every cart as the server does, to the cent.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  currencyExponent,
  decimal,
  priceCart,
  priceLine,
  quantizeMoney,
  settle,
  taxForRate,
} from "../../static/js/pricing.js";

const vectors = JSON.parse(readFileSync(new URL("../pricing_vectors.json", import.meta.url), "utf8"));

function results({ lines, currency, prices_include_tax: pricesIncludeTax, tenders }) {
  const totals = priceCart({ lines, currency, pricesIncludeTax });
  return {
    subtotal: totals.subtotal,
    discount_total: totals.discount_total,
    taxes: totals.taxes,
    tax_total: totals.tax_total,
    total: totals.total,
    lines: totals.lines.map(({ amount, discount_amount }) => ({ amount, discount_amount })),
    ...settle(totals.total, tenders),
  };
}

describe("every vector", () => {
  for (const vector of vectors) {
    test(vector.name, () => assert.deepStrictEqual(results(vector), vector.expect));
  }
});

describe("decimal strings", () => {
  test("parse integers, fractions, signs and keep the scale", () => {
    assert.deepStrictEqual(decimal.parse("1"), { sign: 0, coef: 1n, exp: 0 });
    assert.deepStrictEqual(decimal.parse("1.5"), { sign: 0, coef: 15n, exp: -1 });
    assert.deepStrictEqual(decimal.parse("-0.005"), { sign: 1, coef: 5n, exp: -3 });
    assert.deepStrictEqual(decimal.parse("+2.50"), { sign: 0, coef: 250n, exp: -2 });
    for (const text of ["1", "1.500", "-0.005", "-0.00", "1000", "0.10"]) {
      assert.equal(decimal.format(decimal.parse(text)), text);
    }
  });

  test("refuse exponents, garbage and JS numbers", () => {
    const notDecimals = ["1e3", "1E3", "", " 1", "1 ", "1,5", "1.", ".5", "--1", "1_000", "0x10", "NaN", "abc"];
    for (const text of notDecimals) {
      assert.throws(() => decimal.parse(text), RangeError, text);
    }
    for (const value of [1.5, 10n, null, undefined]) {
      assert.throws(() => decimal.parse(value), TypeError, String(value));
    }
    const line = { quantity: 1, unit_price: "1.00", tax_code: "standard", tax_rate: "19" };
    assert.throws(() => priceLine(line, { currency: "EUR" }), TypeError);
  });
});

describe("rounding money", () => {
  test("half up to the currency's minor unit", () => {
    assert.equal(quantizeMoney("0.005", "EUR"), "0.01");
    assert.equal(quantizeMoney("0.0049999", "EUR"), "0.00");
    assert.equal(quantizeMoney("2.675", "EUR"), "2.68"); // (2.675).toFixed(2) is "2.67"
    assert.equal(quantizeMoney("2.5", "JPY"), "3");
    assert.equal(quantizeMoney("0.0005", "BHD"), "0.001");
    assert.equal(quantizeMoney("7", "EUR"), "7.00");
  });

  test("negative amounts round half away from zero and keep their sign, as Python's do", () => {
    assert.equal(quantizeMoney("-0.005", "EUR"), "-0.01");
    assert.equal(quantizeMoney("-0.0049", "EUR"), "-0.00");
    assert.equal(quantizeMoney("-1.5", "JPY"), "-2");
  });

  test("currency exponents, whatever the case of the code", () => {
    assert.equal(currencyExponent("EUR"), "0.01");
    assert.equal(currencyExponent("jpy"), "1");
    assert.equal(currencyExponent("KWD"), "0.001");
    assert.equal(currencyExponent("XYZ"), "0.01");
  });

  test("more digits than Python's context holds is an error, as in Python", () => {
    assert.throws(() => quantizeMoney("123456789012345678901234567.8", "EUR"), RangeError);
  });
});

describe("Python's 28-digit context", () => {
  const { parse, format, divide, multiply } = decimal;

  test("an inexact quotient has 28 significant digits, rounded half even", () => {
    assert.equal(format(divide(parse("1"), parse("3"))), "0.3333333333333333333333333333");
    assert.equal(format(divide(parse("2"), parse("3"))), "0.6666666666666666666666666667");
  });

  test("an exact quotient keeps the exponent closest to the dividend's minus the divisor's", () => {
    assert.equal(format(divide(parse("3.00"), parse("1.5"))), "2.0");
    assert.equal(format(divide(parse("12.00"), parse("4"))), "3.00");
    assert.equal(format(divide(parse("12.30"), parse("100"))), "0.123");
    assert.equal(format(divide(parse("1"), parse("8"))), "0.125");
  });

  test("a product beyond 28 digits rounds half even", () => {
    const product = multiply(parse("3333333333333333333333333.335"), parse("3"));
    assert.equal(format(product), "10000000000000000000000000.00");
  });
});

describe("the functions on their own", () => {
  test("priceLine echoes its input and defaults the discount to none", () => {
    const line = { quantity: "1.500", unit_price: "2.00", tax_code: "reduced", tax_rate: "7" };
    assert.deepStrictEqual(priceLine(line, { currency: "EUR" }), {
      quantity: "1.500",
      unit_price: "2.00",
      tax_code: "reduced",
      tax_rate: "7",
      discount_percent: "0",
      discount_amount: "0.00",
      amount: "3.00",
    });
  });

  test("taxForRate extracts included tax or adds it on top", () => {
    const included = taxForRate("standard", "19", "11.90", { currency: "EUR", pricesIncludeTax: true });
    assert.deepStrictEqual(included, { code: "standard", rate: "19", net: "10.00", tax: "1.90", gross: "11.90" });
    const added = taxForRate("standard", "19", "10.00", { currency: "EUR", pricesIncludeTax: false });
    assert.deepStrictEqual(added, { code: "standard", rate: "19", net: "10.00", tax: "1.90", gross: "11.90" });
  });

  test("settle without tenders owes the whole total, at the total's scale", () => {
    assert.deepStrictEqual(settle("1000", []), { paid: "0", remaining: "1000", change: "0", non_cash_excess: "0" });
  });
});
