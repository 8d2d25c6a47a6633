// The customer display's same-browser channel: when both screens of a dual-screen register are
// windows of one browser, the checkout page can show the sale on the customer display without the
// server (offline). Online, the server pushes the same events over the display's websocket.
//
//   showOnCustomerDisplay("R1", {type: "display.updated", state: "open", lines: [...], total: "4.87", ...})
//
// The event's shape is documented in sales/broadcasts.py.

/** The BroadcastChannel name of a register's customer display. */
export function customerDisplayChannelName(registerCode) {
  return `retailpos-customer-display:${registerCode}`;
}

/** Show `event` on the register's customer display windows of this browser (no server needed). */
export function showOnCustomerDisplay(registerCode, event) {
  if (!globalThis.BroadcastChannel) return false;
  const channel = new BroadcastChannel(customerDisplayChannelName(registerCode));
  channel.postMessage({ type: "display.updated", ...event });
  channel.close();
  return true;
}
