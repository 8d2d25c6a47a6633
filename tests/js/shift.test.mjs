// static/js/shift.js: the running total of a count by denomination, in minor units (never floats).
import assert from "node:assert/strict";
import { test } from "node:test";

import { countTotal } from "../../static/js/shift.js";

test("a euro count totals to the cent however many coins", () => {
  assert.equal(countTotal([["20.00", "2"], ["0.50", "5"], ["0.10", "3"]]), "42.80");
  assert.equal(countTotal([["0.01", "99999"], ["0.10", "3"]]), "1000.29");
  assert.equal(countTotal([["0.10", "3"], ["0.20", "3"]]), "0.90"); // 0.1 + 0.2 in floats is not 0.3
});

test("empty, negative and fractional counts add nothing (the server names them)", () => {
  assert.equal(countTotal([["20.00", ""], ["5.00", "-1"], ["1.00", "1.5"], ["2.00", " 1 "]]), "2.00");
  assert.equal(countTotal([]), "0");
});

test("currencies without and with three decimals", () => {
  assert.equal(countTotal([["1000", "3"], ["5", "2"]]), "3010");
  assert.equal(countTotal([["0.005", "3"], ["5.000", "1"]]), "5.015");
});
