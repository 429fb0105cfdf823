// Keydesk's toolbar button: lists the keys offered for the current tab's page, fills the
// field focused on that page on a click (the content script's fill, the mark's own path: the
// key goes to the page, never here), offers "Mark as tested" during a rotation, and on a page
// no key is offered on proposes adding it to one key's integrations (confirmed in Keydesk's
// window). It asks the page's content script, which asks the background worker with the
// page's origin from the browser's own record. Nothing here is stored or logged.
"use strict";

const list = document.getElementById("list");
const NOT_HERE = "Keydesk fills https pages only, once they have loaded: this tab is not one.";

function say(text) {
  const p = document.createElement("p");
  p.textContent = text;
  list.replaceChildren(p);
}

function button(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", (event) => {
    if (event.isTrusted) {
      onClick();
    }
  });
  return b;
}

function errorOf(reply) {
  return reply && typeof reply.error === "string" ? reply.error : "Keydesk did not answer.";
}

function roleNote(role) {
  if (role === "rotation_new") return " — new key (rotation)";
  if (role === "rotation_old") return " — old key (being replaced)";
  return "";
}

// The active tab of this window, asked through its content script (top frame only).
async function toPage(message) {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  if (!tab || typeof tab.id !== "number") {
    return { type: "error", error: NOT_HERE };
  }
  return new Promise((resolve) => {
    chrome.tabs.sendMessage(tab.id, message, { frameId: 0 }, (reply) => {
      // No content script (not an https page): lastError, read here, says so.
      resolve(chrome.runtime.lastError === undefined && reply ? reply : { type: "error", error: NOT_HERE });
    });
  });
}

function relay(request) {
  return toPage({ type: "relay", request });
}

async function showKeys() {
  say("Asking Keydesk…");
  const reply = await relay({ type: "keys" });
  if (!reply || reply.type !== "keys") {
    say(errorOf(reply));
    return;
  }
  if (reply.keys.length === 0) {
    say("Keydesk has no key this page can be added to.");
    return;
  }
  list.replaceChildren();
  for (const key of reply.keys) {
    list.append(
      button(`Add to ${key.label} (${key.provider})`, async () => {
        const answer = await relay({ type: "add_page", key: key.key });
        say(answer && answer.type === "add_page" && typeof answer.said === "string" ? answer.said : errorOf(answer));
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
    say("Keydesk has no key for this page.");
    list.append(button("Add this page to a key's integrations…", showKeys));
    return;
  }
  list.replaceChildren();
  for (const offer of reply.offers) {
    const text = `${offer.label} (${offer.provider}) · ${offer.integration}${roleNote(offer.role)}`;
    list.append(
      button(text, async () => {
        say("Filling…");
        const answer = await toPage({ type: "fill_focused", key: offer.key, integration: offer.integration });
        if (answer && answer.type === "filled") {
          say(`Filled "${offer.label}" into the page's field.`);
        } else {
          say(errorOf(answer));
        }
      }),
    );
    if (offer.to_test === true) {
      list.append(
        button(`Mark as tested: ${offer.integration} works with the new key`, async () => {
          const answer = await relay({ type: "tested", key: offer.key, integration: offer.integration });
          say(answer && answer.type === "tested" && typeof answer.said === "string" ? answer.said : errorOf(answer));
        }),
      );
    }
  }
}

relay({ type: "offers" }).then(showOffers);
