// The supervisor's PIN modal (templates/sales/partials/approval-modal.html): it takes the focus when
// it opens, Esc or Cancel close it, and Enter approves. Pages with the modal load this module.

const modal = () => document.getElementById("approval-modal");

export function approvalModalOpen() {
  return Boolean(modal()?.querySelector("form"));
}

/** Focus the first empty field of the open modal (the supervisor's name, else the PIN). */
export function focusApprovalModal() {
  const form = modal()?.querySelector("form");
  if (!form) return false;
  const field = form.elements.supervisor.value ? form.elements.pin : form.elements.supervisor;
  field.focus();
  return true;
}

export function closeApprovalModal() {
  const element = modal();
  if (!element?.firstElementChild) return;
  element.replaceChildren();
  document.dispatchEvent(new CustomEvent("pos:approval-closed"));
}

function init() {
  // Capture: Esc closes the modal before the page's own keys see it.
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Escape" && approvalModalOpen()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        closeApprovalModal();
      }
    },
    true,
  );
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-approval-cancel]") && approvalModalOpen()) {
      event.preventDefault();
      closeApprovalModal();
    }
  });
  document.body.addEventListener("htmx:oobAfterSwap", (event) => {
    if (event.detail.target?.id === "approval-modal") focusApprovalModal();
  });
  focusApprovalModal();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
