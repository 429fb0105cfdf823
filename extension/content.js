// Keydesk's content script: a small mark on the focused text or password field of an https
// page; a click on it lists the keys Keydesk offers this page (by label, provider and
// integration), and a click on one fills the field. During a rotation, an integration
// already holding the new key also offers "Mark as tested". A page no key is offered on can
// be proposed for one key's integrations ("Add this page to a key's integrations…"), which
// Keydesk's window asks the user to confirm. The toolbar button's popup (popup.js) asks
// through this script too, and its fill takes the same path as the mark's, into the field
// focused on the page: the key never reaches the popup. The value is set through the field's
// own (native) setter and announced with `input` and `change` events, so the page's React
// or Angular form sees it as typed. The key is never stored, logged or put on the clipboard.
// The leak guard (off unless turned on in Keydesk): when the user pastes a text shaped like
// a key into a field, Keydesk is asked whether the guard is on, and only then is the text
// sent, with the page's origin, to be looked up; a key pasted into a page that is not one of
// its integrations is named in a small notice beside the field. The paste always goes ahead.
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

  // Asks the background worker, which adds this page's origin from the browser's own record.
  function ask(message) {
    return new Promise((resolve) => {
      chrome.runtime.sendMessage(message, (reply) => {
        // Reading lastError marks it handled: no answer is said as such below.
        resolve(chrome.runtime.lastError === undefined && reply !== undefined ? reply : null);
      });
    });
  }

  function errorOf(reply) {
    return reply && typeof reply.error === "string" ? reply.error : "Keydesk did not answer.";
  }

  // The one path of a fill, for the mark's list and the toolbar button's: the key Keydesk
  // answers set into `target`. Answers null once filled, or the sentence to show.
  async function fillOffer(target, offer) {
    const answer = await ask({ type: "fill", key: offer.key, integration: offer.integration });
    if (answer && answer.type === "fill" && typeof answer.value === "string") {
      if (!target.isConnected) {
        return "The field left the page before the key came: click into it, then try again.";
      }
      fill(target, answer.value);
      return null;
    }
    return errorOf(answer);
  }

  async function markTested(offer) {
    const answer = await ask({ type: "tested", key: offer.key, integration: offer.integration });
    return answer && answer.type === "tested" && typeof answer.said === "string" ? answer.said : errorOf(answer);
  }

  async function proposePage(key) {
    const answer = await ask({ type: "add_page", key });
    return answer && answer.type === "add_page" && typeof answer.said === "string" ? answer.said : errorOf(answer);
  }

  // The field a fill from the toolbar button goes into: the one the mark is on, or else the
  // fillable field focused on the page.
  function focusedField() {
    if (field !== null && field.isConnected && isFillable(field)) {
      return field;
    }
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) {
      active = active.shadowRoot.activeElement;
    }
    return active instanceof Element && isFillable(active) ? active : null;
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

  // The keys this page could be added to, each proposing it to Keydesk's window.
  async function showKeys() {
    say("Asking Keydesk…");
    const reply = await ask({ type: "keys" });
    if (shadow === null) return;
    if (!reply || reply.type !== "keys") {
      say(errorOf(reply));
      return;
    }
    if (reply.keys.length === 0) {
      say("Keydesk has no key this page can be added to.");
      return;
    }
    const list = shadow.querySelector(".list");
    list.replaceChildren();
    for (const key of reply.keys) {
      list.append(
        button(`Add to ${key.label} (${key.provider})`, async () => {
          const said = await proposePage(key.key);
          if (shadow !== null) say(said);
        }),
      );
    }
  }

  function showOffers(reply) {
    if (!reply || reply.type !== "offers") {
      say(errorOf(reply));
      return;
    }
    if (reply.offers.length === 0) {
      say("Keydesk has no key for this page. Add this page's address to a key's integrations in Keydesk.");
      shadow.querySelector(".list").append(button("Add this page to a key's integrations…", showKeys));
      return;
    }
    const list = shadow.querySelector(".list");
    list.replaceChildren();
    for (const offer of reply.offers) {
      const target = field;
      const text = `${offer.label} (${offer.provider}) · ${offer.integration}${roleNote(offer.role)}`;
      list.append(
        button(text, async () => {
          const error = await fillOffer(target, offer);
          if (error === null) {
            close();
          } else if (shadow !== null) {
            say(error);
          }
        }),
      );
      if (offer.to_test === true) {
        // A rotation's new key is in this integration already: once the page works with it,
        // one click ticks "tested" in Keydesk's rotation checklist.
        list.append(
          button(`Mark as tested: ${offer.integration} works with the new key`, async () => {
            const said = await markTested(offer);
            if (shadow !== null) say(said);
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
    const open = button("Keydesk", async () => {
      say("Asking Keydesk…");
      const reply = await ask({ type: "offers" });
      if (shadow !== null) showOffers(reply);
    });
    open.className = "mark";
    open.title = "Fill a key from Keydesk";
    shadow.append(style, open, list);
    document.documentElement.append(host);
  }

  // A text shaped like a key, the rule Keydesk applies too (docs/browser.md): once trimmed,
  // one word of 20 to 512 ASCII letters, digits and - _ . + / = ~, with a letter and a digit.
  const KEY_CHARACTERS = /^[A-Za-z0-9_.+\/=~-]{20,512}$/;
  function tokenShaped(text) {
    const word = text.trim();
    return KEY_CHARACTERS.test(word) && /[0-9]/.test(word) && /[A-Za-z]/.test(word);
  }

  let notice = null;
  function closeNotice() {
    if (notice !== null) {
      notice.remove();
      notice = null;
    }
  }

  // The leak guard's notice beside `target`: it blocks nothing, and goes by itself.
  function warn(target, text) {
    closeNotice();
    notice = document.createElement("keydesk-notice");
    const root = notice.attachShadow({ mode: "closed" });
    const style = document.createElement("style");
    style.textContent = `
      :host { all: initial; position: absolute; z-index: 2147483647; }
      .notice { font: 13px sans-serif; background: #fff4e5; color: #111; border: 1px solid #b45309;
                border-radius: 4px; padding: 6px 8px; max-width: 28em; display: flex; gap: 8px; }
      button { font: inherit; border: 0; background: transparent; cursor: pointer; padding: 0 2px; }`;
    const box = document.createElement("div");
    box.className = "notice";
    box.setAttribute("role", "status");
    const p = document.createElement("p");
    p.style.margin = "0";
    p.textContent = `Keydesk: ${text}`;
    const dismiss = button("×", closeNotice);
    dismiss.title = "Dismiss";
    box.append(p, dismiss);
    root.append(style, box);
    const rect = target.getBoundingClientRect();
    notice.style.left = `${window.scrollX + rect.left}px`;
    notice.style.top = `${window.scrollY + rect.bottom + 4}px`;
    document.documentElement.append(notice);
    const shown = notice;
    setTimeout(() => {
      if (notice === shown) closeNotice();
    }, 15000);
  }

  // Nothing is sent unless Keydesk says the guard is on; then the text alone (the background
  // worker adds the page's origin).
  async function guardPaste(target, text) {
    const status = await ask({ type: "guard" });
    if (!status || status.type !== "guard" || status.on !== true) {
      return;
    }
    const reply = await ask({ type: "check_paste", text });
    if (reply && reply.type === "check_paste" && typeof reply.warning === "string" && target.isConnected) {
      warn(target, reply.warning);
    }
  }

  // The user's own paste (a page's scripted one is not trusted) into a field.
  document.addEventListener(
    "paste",
    (event) => {
      const target = event.composedPath()[0];
      if (!event.isTrusted || event.clipboardData === null || !(target instanceof Element) || !isFillable(target)) {
        return;
      }
      const text = event.clipboardData.getData("text/plain");
      if (tokenShaped(text)) {
        guardPaste(target, text.trim());
      }
    },
    true,
  );

  // The toolbar button's popup asks through here (an extension page: no tab of its own). It
  // may relay the requests that carry no secret back; a fill goes into the page's focused
  // field by the mark's path and answers only whether it was filled.
  const RELAYED = new Set(["offers", "keys", "add_page", "tested"]);
  const NO_FIELD = "Click into the field for the key on the page first, then open Keydesk's button again.";
  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== chrome.runtime.id || sender.tab !== undefined || message === null || typeof message !== "object") {
      return false;
    }
    let work = null;
    if (message.type === "relay" && message.request && RELAYED.has(message.request.type)) {
      work = ask(message.request);
    } else if (message.type === "fill_focused" && typeof message.key === "string" && typeof message.integration === "string") {
      const target = focusedField();
      work =
        target === null
          ? Promise.resolve({ type: "error", error: NO_FIELD })
          : fillOffer(target, message).then((error) => (error === null ? { type: "filled" } : { type: "error", error }));
    }
    if (work === null) {
      return false;
    }
    work.then(sendResponse);
    return true; // sendResponse is called later
  });

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
