// Cart maths for the offline register: the same rules as sales/pricing.py, so a sale rung up
// offline has the totals the server books, to the cent. Shared vectors in
// tests/pricing_vectors.json are checked against both (tests/js/, tests/sales/).
//
// Amounts, quantities and rates are decimal strings ("12.34", "1.500", "5.5"), never JS numbers:
// a float cannot hold 0.1. Inside, a decimal is { sign, coef, exp } (value = ±coef × 10^exp,
// coef a BigInt), the shape of Python's Decimal, so that signs, zeros and exponents come out as
// Python's do. Results use the field names of the Python dataclasses, in snake_case, as the
// vectors file does; money in results always has the currency's decimals ("0.00", "1000").

// --- Decimal arithmetic, as Python's default context does it -----------------------------------
// Python rounds every +, −, ×, ÷ to 28 significant digits (half even) before pricing.py
// quantises half up; mirroring that, not computing exactly, is what makes the results equal
// for every input, however many digits it has.

const PRECISION = 28;
const HALF_EVEN = "half-even";
const HALF_UP = "half-up";
const NUMBER = /^([+-]?)(\d+)(?:\.(\d+))?$/;

function parseDecimal(text) {
  if (typeof text !== "string") throw new TypeError(`Expected a decimal string, got ${typeof text}.`);
  const match = NUMBER.exec(text);
  if (!match) throw new RangeError(`Not a decimal number: ${JSON.stringify(text)}.`);
  const [, sign, whole, fraction = ""] = match;
  return { sign: sign === "-" ? 1 : 0, coef: BigInt(whole + fraction), exp: fraction ? -fraction.length : 0 };
}

// Plain notation always: a till shows "1000", where Python's str() may say "1E+3".
function formatDecimal({ sign, coef, exp }) {
  let digits = coef.toString();
  if (exp > 0) {
    digits += "0".repeat(exp);
  } else if (exp < 0) {
    digits = digits.padStart(1 - exp, "0");
    digits = `${digits.slice(0, exp)}.${digits.slice(exp)}`;
  }
  return (sign ? "-" : "") + digits;
}

const pow10 = (n) => 10n ** BigInt(n);
const digitCount = (coef) => coef.toString().length;
const signed = ({ sign, coef }) => (sign ? -coef : coef);
const fromSigned = (value, exp) => ({ sign: value < 0n ? 1 : 0, coef: value < 0n ? -value : value, exp });

// Drop the last `count` digits of a non-negative coefficient, rounding the rest.
function roundOff(coef, count, rounding) {
  const unit = pow10(count);
  const kept = coef / unit;
  const twiceRest = (coef % unit) * 2n;
  const up = twiceRest > unit || (twiceRest === unit && (rounding === HALF_UP || kept % 2n === 1n));
  return up ? kept + 1n : kept;
}

function fitPrecision(d) {
  const excess = digitCount(d.coef) - PRECISION;
  if (excess <= 0) return d;
  const coef = roundOff(d.coef, excess, HALF_EVEN);
  // 999…9 rounded up gains a digit: drop the new trailing zero as Python does.
  if (digitCount(coef) > PRECISION) return { sign: d.sign, coef: coef / 10n, exp: d.exp + excess + 1 };
  return { sign: d.sign, coef, exp: d.exp + excess };
}

function add(a, b) {
  const exp = Math.min(a.exp, b.exp);
  const sum = signed(a) * pow10(a.exp - exp) + signed(b) * pow10(b.exp - exp);
  // An exact zero is negative only when both operands were (Python's rule outside ROUND_FLOOR).
  if (sum === 0n) return { sign: a.sign & b.sign, coef: 0n, exp };
  return fitPrecision(fromSigned(sum, exp));
}

const negate = (d) => ({ ...d, sign: d.sign ^ 1 });
const subtract = (a, b) => add(a, negate(b));

function multiply(a, b) {
  return fitPrecision({ sign: a.sign ^ b.sign, coef: a.coef * b.coef, exp: a.exp + b.exp });
}

// Python's algorithm: one digit more than the precision, then round; an exact quotient keeps
// the exponent closest to a.exp − b.exp ("3.00" / "1.5" is "2.0").
function divide(a, b) {
  if (b.coef === 0n) throw new RangeError("Division by zero.");
  const sign = a.sign ^ b.sign;
  const idealExp = a.exp - b.exp;
  if (a.coef === 0n) return { sign, coef: 0n, exp: idealExp };
  const shift = digitCount(b.coef) - digitCount(a.coef) + PRECISION + 1;
  const dividend = shift >= 0 ? a.coef * pow10(shift) : a.coef;
  const divisor = shift >= 0 ? b.coef : b.coef * pow10(-shift);
  let coef = dividend / divisor;
  let exp = idealExp - shift;
  if (dividend % divisor !== 0n) {
    // Inexact: a last digit of 0 or 5 would pass for an exact zero or tie when rounding.
    if (coef % 5n === 0n) coef += 1n;
  } else {
    while (exp < idealExp && coef % 10n === 0n) {
      coef /= 10n;
      exp += 1;
    }
  }
  return fitPrecision({ sign, coef, exp });
}

function compare(a, b) {
  const exp = Math.min(a.exp, b.exp);
  const x = signed(a) * pow10(a.exp - exp);
  const y = signed(b) * pow10(b.exp - exp);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Python's max(): the first argument unless the second is strictly greater.
const larger = (a, b) => (compare(b, a) > 0 ? b : a);

const sum = (values, start) => values.reduce(add, start);

// Round half up, i.e. half away from zero ("-0.005" → "-0.01"); the sign survives ("-0.001" → "-0.00").
function quantize(d, exp) {
  let coef = 0n;
  if (d.coef !== 0n) coef = exp <= d.exp ? d.coef * pow10(d.exp - exp) : roundOff(d.coef, exp - d.exp, HALF_UP);
  if (digitCount(coef) > PRECISION) throw new RangeError(`${formatDecimal(d)} has too many digits to quantize.`);
  return { sign: d.sign, coef, exp };
}

// --- Money ----------------------------------------------------------------------------------------

// ISO 4217 minor units that differ from the usual two decimals (as retailpos/money.py).
export const CURRENCY_DECIMALS = Object.freeze({
  BHD: 3, CLP: 0, ISK: 0, JOD: 3, JPY: 0, KRW: 0, KWD: 3,
  OMR: 3, PYG: 0, TND: 3, UGX: 0, VND: 0, XAF: 0, XOF: 0,
});

export function currencyDecimals(currency) {
  const code = currency.toUpperCase();
  return Object.hasOwn(CURRENCY_DECIMALS, code) ? CURRENCY_DECIMALS[code] : 2;
}

// The currency's minor unit as a decimal string: "0.01", "1", "0.001".
export function currencyExponent(currency) {
  return formatDecimal({ sign: 0, coef: 1n, exp: -currencyDecimals(currency) });
}

export function quantizeMoney(amount, currency) {
  return formatDecimal(quantize(parseDecimal(amount), -currencyDecimals(currency)));
}

const roundMoney = (d, currency) => quantize(d, -currencyDecimals(currency));
const moneyZero = (currency) => ({ sign: 0, coef: 0n, exp: -currencyDecimals(currency) });

// --- Pricing (sales/pricing.py) -------------------------------------------------------------------

const ZERO = parseDecimal("0");
const HUNDRED = parseDecimal("100");
const CASH = "cash";

// line: { quantity, unit_price, tax_code, tax_rate, discount_percent? } → the line with its
// discount_amount and amount (after discount, on the store's price basis).
export function priceLine(line, { currency }) {
  const quantity = parseDecimal(line.quantity);
  const unitPrice = parseDecimal(line.unit_price);
  const taxRate = parseDecimal(line.tax_rate);
  const discountPercent = parseDecimal(line.discount_percent ?? "0");
  // The operations in Python's order: each rounds to 28 digits, the money rounds once at the end.
  const extended = multiply(unitPrice, quantity);
  const undiscounted = roundMoney(extended, currency);
  const amount = roundMoney(divide(multiply(extended, subtract(HUNDRED, discountPercent)), HUNDRED), currency);
  return {
    quantity: formatDecimal(quantity),
    unit_price: formatDecimal(unitPrice),
    tax_code: line.tax_code,
    tax_rate: formatDecimal(taxRate),
    discount_percent: formatDecimal(discountPercent),
    discount_amount: formatDecimal(subtract(undiscounted, amount)),
    amount: formatDecimal(amount),
  };
}

// Tax of one rate's summed line amounts: included in them or added on top, rounded once.
export function taxForRate(code, rate, amount, { currency, pricesIncludeTax }) {
  const percent = parseDecimal(rate);
  const base = parseDecimal(amount);
  if (pricesIncludeTax) {
    const tax = roundMoney(divide(multiply(base, percent), add(HUNDRED, percent)), currency);
    return taxLine(code, percent, { net: subtract(base, tax), tax, gross: base });
  }
  const tax = roundMoney(divide(multiply(base, percent), HUNDRED), currency);
  return taxLine(code, percent, { net: base, tax, gross: add(base, tax) });
}

function taxLine(code, rate, { net, tax, gross }) {
  const [netText, taxText, grossText] = [net, tax, gross].map(formatDecimal);
  return { code, rate: formatDecimal(rate), net: netText, tax: taxText, gross: grossText };
}

// "19" and "19.00" are one rate, as equal Decimals are one dict key in Python.
function rateKey(code, rate) {
  let { coef, exp } = rate;
  while (coef !== 0n && coef % 10n === 0n) {
    coef /= 10n;
    exp += 1;
  }
  return JSON.stringify([code, coef === 0n ? "0" : `${rate.sign ? "-" : ""}${coef}e${exp}`]);
}

// Python orders strings by code point; JS's < compares UTF-16 units, which differ above U+FFFF.
function compareText(a, b) {
  const x = Array.from(a, (char) => char.codePointAt(0));
  const y = Array.from(b, (char) => char.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

export function priceCart({ lines, currency, pricesIncludeTax }) {
  const priced = lines.map((line) => priceLine(line, { currency }));
  const byRate = new Map();
  for (const line of priced) {
    const key = rateKey(line.tax_code, parseDecimal(line.tax_rate));
    // The first line of a rate names it, as the first key stays in a Python dict.
    const group = byRate.get(key) ?? { code: line.tax_code, rate: parseDecimal(line.tax_rate), amount: ZERO };
    group.amount = add(group.amount, parseDecimal(line.amount));
    byRate.set(key, group);
  }
  const groups = [...byRate.values()].sort((a, b) => compare(a.rate, b.rate) || compareText(a.code, b.code));
  const taxes = groups.map(({ code, rate, amount }) =>
    taxForRate(code, formatDecimal(rate), formatDecimal(amount), { currency, pricesIncludeTax }),
  );
  // Sums start at the currency's zero, so an empty cart shows "0.00" where Python has "0".
  const zero = moneyZero(currency);
  const subtotal = sum(priced.map((line) => parseDecimal(line.amount)), zero);
  const taxTotal = sum(taxes.map((tax) => parseDecimal(tax.tax)), zero);
  return {
    lines: priced,
    subtotal: formatDecimal(subtotal),
    discount_total: formatDecimal(sum(priced.map((line) => parseDecimal(line.discount_amount)), zero)),
    taxes,
    tax_total: formatDecimal(taxTotal),
    total: formatDecimal(pricesIncludeTax ? subtotal : add(subtotal, taxTotal)),
  };
}

// Split tender: card and mobile pay up to the total; only cash can exceed it (change).
// tenders: [{ method, amount }]. Results have the total's decimals ("0.00" rather than "0").
export function settle(total, tenders) {
  const due = parseDecimal(total);
  const zero = { sign: 0, coef: 0n, exp: due.exp };
  const sumOf = (picked) => sum(tenders.filter(picked).map((t) => parseDecimal(t.amount)), zero);
  const nonCash = sumOf((t) => t.method !== CASH);
  const paid = add(nonCash, sumOf((t) => t.method === CASH));
  return {
    paid: formatDecimal(paid),
    remaining: formatDecimal(larger(subtract(due, paid), zero)),
    change: formatDecimal(compare(nonCash, due) <= 0 ? larger(subtract(paid, due), zero) : zero),
    non_cash_excess: formatDecimal(larger(subtract(nonCash, due), zero)),
  };
}

// The arithmetic on its own, for tests and for code that must add up money the same way.
export const decimal = Object.freeze({
  parse: parseDecimal,
  format: formatDecimal,
  add,
  subtract,
  multiply,
  divide,
  compare,
  quantize,
});
