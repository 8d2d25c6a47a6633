// Loyalty rules the register needs offline, as loyalty/rules.py has them: phone numbers
// normalised and searched as the server does (shared vectors: tests/loyalty_vectors.json, checked
// in tests/js/loyalty.test.mjs and tests/loyalty/test_rules.py), card numbers, and what may be
// redeemed while the server is away (the store's offline cap).

import { decimal, quantizeMoney } from "./pricing.js";

const PHONE_LIKE = /^[\p{Nd}\s+()/.-]+$/u;
const NOT_A_DIGIT = /\P{Nd}/gu; // Python's \D on str: any Unicode decimal digit counts
export const PHONE_SEARCH_MIN_DIGITS = 4;

/** Digits with a leading + kept: "+49 (30) 123-45" → "+493012345"; "0049…" → "+49…"; no digits → "". */
export function normalisePhone(phone) {
  phone = String(phone ?? "")
    .normalize("NFKC")
    .trim();
  const digits = phone.replace(NOT_A_DIGIT, "");
  if (!digits) return "";
  if (phone.startsWith("00")) return `+${digits.slice(2)}`;
  return (phone.startsWith("+") ? "+" : "") + digits;
}

/** The digits to look for in stored phones when `query` looks like a phone (else ""): no +, no leading 0s. */
export function phoneSearchDigits(query) {
  query = String(query ?? "")
    .normalize("NFKC")
    .trim();
  if (!PHONE_LIKE.test(query)) return "";
  const digits = normalisePhone(query).replace(/^\+/, "").replace(/^0+/, "");
  return digits.length >= PHONE_SEARCH_MIN_DIGITS ? digits : "";
}

/** Does `customer` ({name, phone, card_number}) match what the cashier typed, as the server's search does? */
export function customerMatches(customer, query) {
  query = String(query ?? "").trim();
  if (!query) return false;
  if (customer.card_number && customer.card_number === query) return true;
  if (customer.name.toLocaleLowerCase().includes(query.toLocaleLowerCase())) return true;
  const digits = phoneSearchDigits(query);
  return Boolean(digits && customer.phone?.includes(digits));
}

// A loyalty card of ours: 10 digits starting with 8 and a GS1 check digit (loyalty/rules.py).
export function looksLikeCardNumber(code) {
  if (!/^8\d{9}$/.test(code)) return false;
  const digits = code.slice(0, -1);
  let total = 0;
  [...digits].reverse().forEach((digit, index) => {
    total += Number(digit) * (index % 2 === 0 ? 3 : 1);
  });
  return (10 - (total % 10)) % 10 === Number(code.at(-1));
}

export class RedemptionRefused extends Error {}

/**
 * The points `amount` pays offline, or a RedemptionRefused saying why not. Offline a register may
 * redeem up to the store's cap per sale (`cap` points; 0: none) and never more than the balance it
 * last synced (`balance`, already lowered by this register's own offline redemptions).
 * `alreadyRedeemed`: points of this sale's earlier points tenders.
 */
export function offlineRedemption({ amount, balance, cap, pointValue, currency, alreadyRedeemed = 0, name = "The customer" }) {
  if (!cap) {
    throw new RedemptionRefused(
      "Points cannot be redeemed while the register is offline at this store. Take another tender.",
    );
  }
  const points = wholePoints(amount, pointValue);
  if (points === null) {
    throw new RedemptionRefused(
      `${amount} ${currency} is not a whole number of points (a point is worth ${pointValue} ${currency}).`,
    );
  }
  const total = alreadyRedeemed + points;
  if (total > cap) {
    throw new RedemptionRefused(
      `Offline at most ${cap} points (${pointsValue(cap, pointValue, currency)} ${currency}) can be redeemed ` +
        `per sale; this would be ${total}. Take another tender for the rest.`,
    );
  }
  if (total > balance) {
    throw new RedemptionRefused(`${name} has ${balance} points (as last synced); paying this needs ${total}.`);
  }
  return points;
}

/** Most points one sale may still redeem offline: min(cap, balance) less what it redeemed already. */
export function offlineRedeemableNow({ balance, cap, alreadyRedeemed = 0 }) {
  return Math.max(0, Math.min(cap, balance) - alreadyRedeemed);
}

/** Money `points` are worth, rounded half up to the currency's minor unit (rules.redemption_value). */
export function pointsValue(points, pointValue, currency) {
  return quantizeMoney(decimal.format(decimal.multiply(decimal.parse(String(points)), decimal.parse(pointValue))), currency);
}

/** The most whole points `amount` (a decimal string) can take: what is due paid in points, at most. */
export function pointsWithin(amount, pointValue) {
  const value = decimal.parse(pointValue);
  if (decimal.compare(value, decimal.parse("0")) <= 0) return 0;
  const points = decimal.format(decimal.divide(decimal.parse(amount), value));
  return points.startsWith("-") ? 0 : Number(points.split(".")[0]);
}

/** The whole number of points that pay exactly `amount` (a decimal string), or null (rules.points_for_amount). */
export function wholePoints(amount, pointValue) {
  const value = decimal.parse(pointValue);
  if (decimal.compare(value, decimal.parse("0")) <= 0) return null;
  const points = decimal.format(decimal.divide(decimal.parse(amount), value));
  const match = /^(\d+)(?:\.0*)?$/.exec(points);
  return match ? Number(match[1]) : null;
}
