// Keydesk's background worker: the one place that talks to the native host
// (`keydesk browser-host`). The content script asks for the offers of its page, for a key
// to fill, to mark a rotation's new key tested on its page, for the keys its page could be
// added to and to propose it for one, and (the leak guard) whether the guard is on and which
// key a pasted text is; the page's origin is taken from the browser's own record of the
// sender, never from what the content script says. Nothing here is stored, logged or copied.
"use strict";

const HOST = "app.keydesk.host";
const REPLY_TIMEOUT_MS = 10000;
const NOT_INSTALLED =
  "Keydesk's browser host is not installed: run `keydesk browser install`, then reload this page.";

let port = null;
let nextId = 1;
const pending = new Map();

function settle(id, reply) {
  const waiting = pending.get(id);
  if (waiting) {
    pending.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(reply);
  }
}

function connect() {
  port = chrome.runtime.connectNative(HOST);
  port.onMessage.addListener((reply) => {
    if (reply && typeof reply.id === "number") {
      settle(reply.id, reply);
    } else if (pending.size > 0) {
      // An error the host could not tie to a request: it answers the oldest one.
      settle(pending.keys().next().value, reply);
    }
  });
  port.onDisconnect.addListener(() => {
    // Reading lastError marks it handled; its text may name paths, so it is not shown.
    const failed = chrome.runtime.lastError !== undefined;
    port = null;
    for (const id of [...pending.keys()]) {
      settle(id, {
        type: "error",
        id,
        code: failed ? "not_installed" : "failed",
        error: failed ? NOT_INSTALLED : "Keydesk's browser host stopped: try again.",
      });
    }
  });
}

function ask(request) {
  return new Promise((resolve) => {
    if (port === null) {
      connect();
    }
    const id = nextId++;
    const timer = setTimeout(
      () => settle(id, { type: "error", id, code: "failed", error: "Keydesk did not answer in time: try again." }),
      REPLY_TIMEOUT_MS,
    );
    pending.set(id, { resolve, timer });
    try {
      port.postMessage({ ...request, id });
    } catch (_disconnected) {
      port = null;
      settle(id, { type: "error", id, code: "not_installed", error: NOT_INSTALLED });
    }
  });
}

// The origin of the top-level page that sent a message, from the browser's own record.
function senderOrigin(sender) {
  if (sender.id !== chrome.runtime.id || sender.frameId !== 0) {
    return null;
  }
  try {
    const origin = sender.origin || new URL(sender.url).origin;
    return origin.startsWith("https://") ? origin : null;
  } catch (_notAUrl) {
    return null;
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const origin = senderOrigin(sender);
  if (origin === null || message === null || typeof message !== "object") {
    return false;
  }
  let request = null;
  if (message.type === "offers" || message.type === "keys") {
    request = { type: message.type, origin };
  } else if (message.type === "add_page" && typeof message.key === "string") {
    request = { type: "add_page", origin, key: message.key };
  } else if (
    (message.type === "fill" || message.type === "tested") &&
    typeof message.key === "string" &&
    typeof message.integration === "string"
  ) {
    request = { type: message.type, origin, key: message.key, integration: message.integration };
  } else if (message.type === "guard") {
    request = { type: "guard" };
  } else if (message.type === "check_paste" && typeof message.text === "string") {
    // Sent by the content script only once Keydesk said the guard is on, and only for a
    // text shaped like a key: the origin and that text, nothing else of the page.
    request = { type: "check_paste", origin, text: message.text };
  }
  if (request === null) {
    return false;
  }
  ask(request).then(sendResponse);
  return true; // sendResponse is called later
});
