// Keydesk's content script: a small mark on the focused text or password field of an https
// page; a click on it lists the keys Keydesk offers this page (by label, provider and
// integration), and a click on one fills the field. During a rotation, an integration
// already holding the new key also offers "Mark as tested". The value is set through the field's
// own (native) setter and announced with `input` and `change` events, so the page's React
// or Angular form sees it as typed. The key is never stored, logged or put on the clipboard.
"use strict";

(() => {
  const FIELD_TYPES = new Set(["text", "password", "search", ""]);
  let field = null;
  let host = null;
  let shadow = null;

  function isFillable(element) {
    if (element instanceof HTMLTextAreaElement) {
      return !element.readOnly && !element.disabled;
    }
    return (
      element instanceof HTMLInputElement &&
      FIELD_TYPES.has((element.getAttribute("type") || "").toLowerCase()) &&
      !element.readOnly &&
      !element.disabled
    );
  }

  // Sets the value as the browser would when typed: the prototype's setter (React keeps its
  // own on the element), then the events forms listen to.
  function fill(target, value) {
    const prototype = target instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    const setter = Object.getOwnPropertyDescriptor(prototype, "value").set;
    target.focus();
    setter.call(target, value);
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function close() {
    if (host !== null) {
      host.remove();
      host = null;
      shadow = null;
    }
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("mousedown", (event) => event.preventDefault()); // keep the field focused
    b.addEventListener("click", (event) => {
      if (event.isTrusted) {
        onClick();
      }
    });
    return b;
  }

  function say(text) {
    const list = shadow.querySelector(".list");
    list.replaceChildren();
    const p = document.createElement("p");
    p.textContent = text;
    list.append(p);
  }

  function roleNote(role) {
    if (role === "rotation_new") return " — new key (rotation)";
    if (role === "rotation_old") return " — old key (being replaced)";
    return "";
  }

  function showOffers(reply) {
    if (!reply || reply.type !== "offers") {
      say(reply && reply.error ? reply.error : "Keydesk did not answer.");
      return;
    }
    if (reply.offers.length === 0) {
      say("Keydesk has no key for this page. Add this page's address to a key's integrations in Keydesk.");
      return;
    }
    const list = shadow.querySelector(".list");
    list.replaceChildren();
    for (const offer of reply.offers) {
      const target = field;
      const text = `${offer.label} (${offer.provider}) · ${offer.integration}${roleNote(offer.role)}`;
      list.append(
        button(text, () => {
          chrome.runtime.sendMessage({ type: "fill", key: offer.key, integration: offer.integration }, (answer) => {
            if (answer && answer.type === "fill" && typeof answer.value === "string" && target.isConnected) {
              fill(target, answer.value);
              close();
            } else {
              say(answer && answer.error ? answer.error : "Keydesk did not answer.");
            }
          });
        }),
      );
      if (offer.to_test === true) {
        // A rotation's new key is in this integration already: once the page works with it,
        // one click ticks "tested" in Keydesk's rotation checklist.
        list.append(
          button(`Mark as tested: ${offer.integration} works with the new key`, () => {
            chrome.runtime.sendMessage({ type: "tested", key: offer.key, integration: offer.integration }, (answer) => {
              if (answer && answer.type === "tested" && typeof answer.said === "string") {
                say(answer.said);
              } else {
                say(answer && answer.error ? answer.error : "Keydesk did not answer.");
              }
            });
          }),
        );
      }
    }
  }

  function mark(target) {
    close();
    field = target;
    host = document.createElement("keydesk-fill");
    shadow = host.attachShadow({ mode: "closed" });
    const rect = target.getBoundingClientRect();
    const style = document.createElement("style");
    style.textContent = `
      :host { all: initial; position: absolute; z-index: 2147483647; }
      .mark { font: 12px sans-serif; padding: 2px 6px; border-radius: 4px; border: 1px solid #555;
              background: #1d3557; color: #fff; cursor: pointer; }
      .list { font: 13px sans-serif; background: #fff; color: #111; border: 1px solid #555;
              border-radius: 4px; margin-top: 2px; max-width: 28em; }
      .list:empty { display: none; }
      .list button { display: block; width: 100%; text-align: left; font: inherit; padding: 6px 8px;
                     border: 0; background: #fff; color: #111; cursor: pointer; }
      .list button:hover, .list button:focus { background: #e8eef7; }
      .list p { margin: 0; padding: 6px 8px; }`;
    host.style.left = `${window.scrollX + rect.right - 64}px`;
    host.style.top = `${window.scrollY + rect.top + 2}px`;
    const list = document.createElement("div");
    list.className = "list";
    const open = button("Keydesk", () => {
      say("Asking Keydesk…");
      chrome.runtime.sendMessage({ type: "offers" }, showOffers);
    });
    open.className = "mark";
    open.title = "Fill a key from Keydesk";
    shadow.append(style, open, list);
    document.documentElement.append(host);
  }

  document.addEventListener(
    "focusin",
    (event) => {
      const target = event.composedPath()[0];
      if (target instanceof Element && isFillable(target) && target !== field) {
        mark(target);
      }
    },
    true,
  );
  document.addEventListener(
    "focusout",
    (event) => {
      if (event.relatedTarget === null || event.relatedTarget !== host) {
        // Leave the mark a moment so a click on it still lands.
        setTimeout(() => {
          if (document.activeElement !== field && document.activeElement !== host) {
            close();
            field = null;
          }
        }, 200);
      }
    },
    true,
  );
})();
