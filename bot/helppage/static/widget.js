// Alex's chat widget for the help page. Our own code over socket.io-client (served from this site, no CDN).
//
// The page gives it a short-lived seller token (GET /api/chat-token, minted by the platform's side); the token is
// presented on every (re)connection and upload, and renewed on the open socket before it runs out (the server
// ends a socket whose token has expired). The conversation lives on the server: after a reload or a
// reconnect the widget asks for its session again and redraws the whole history the server sends back, so what
// the seller sees is the server's record, never a copy kept in the browser. Only the session *name* is kept
// (localStorage); the server combines it with the verified seller, so it grants nothing by itself.
(function () {
  "use strict";

  var config = JSON.parse(document.body.getAttribute("data-alex-chat") || "{}");
  var MAX_CHARS = 2000;
  var OPEN_KEY = "alex-chat-open";
  var token = null;
  // Halfway through the token's life, counted on this computer's clock from when it arrived: a renewal has half a
  // lifetime to get through a slow network or a busy server before the socket would be cut off.
  var tokenRenewAt = 0;
  var renewalTimer = null;
  var sellerId = null;
  var sessionName = null;
  var pending = []; // uploaded attachments waiting to be sent: {reference, filename, content_type}
  var uploading = 0;
  var lastUserItem = null;

  // ---- DOM -------------------------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var launcher = el("button", { type: "button", id: "alex-launcher", "aria-controls": "alex-chat", text: "Chat with Alex" });
  var statusLine = el("span", { class: "alex-status", text: "offline" });
  var closeButton = el("button", { type: "button", class: "alex-close", "aria-label": "Close chat", text: "×" });
  var list = el("ol", { class: "alex-messages", "aria-live": "polite" });
  var typingLine = el("div", { class: "alex-typing", hidden: "", text: "Alex is typing…" });
  var noticeLine = el("p", { class: "alex-notice", role: "status", hidden: "" });
  var pendingList = el("ul", { class: "alex-pending" });
  var fileInput = el("input", { type: "file", multiple: "", hidden: "", class: "alex-file",
    accept: "image/*,video/*,application/pdf" });
  var attachButton = el("button", { type: "button", class: "alex-attach", title: "Attach photos, videos or documents", text: "Attach" });
  var input = el("textarea", { class: "alex-input", rows: "2", maxlength: String(MAX_CHARS),
    placeholder: "Ask about an order, a refund or a dispute…", "aria-label": "Your message" });
  var sendButton = el("button", { type: "submit", class: "alex-send", text: "Send" });
  var composer = el("form", { class: "alex-composer" }, [attachButton, fileInput, input, sendButton]);
  var panel = el("section", { id: "alex-chat", class: "alex-chat", "aria-label": "Chat with Alex", hidden: "", "data-state": "offline" }, [
    el("header", { class: "alex-header" }, [el("strong", { text: "Alex · CJ support" }), statusLine, closeButton]),
    list, typingLine, pendingList, noticeLine, composer,
  ]);
  document.body.appendChild(launcher);
  document.body.appendChild(panel);

  function setState(state, label) {
    panel.setAttribute("data-state", state);
    statusLine.textContent = label || state;
  }

  function notice(text) {
    noticeLine.textContent = text || "";
    noticeLine.hidden = !text;
  }

  function scrollDown() { list.scrollTop = list.scrollHeight; }

  function attachmentList(attachments) {
    var items = (attachments || []).map(function (a) {
      return el("li", { class: "alex-attachment", text: "Attached: " + (a.filename || "file") });
    });
    return el("ul", { class: "alex-attachments" }, items);
  }

  function appendUser(text, attachments) {
    var item = el("li", { class: "alex-message alex-user" });
    if (text) item.appendChild(el("p", { class: "alex-text", text: text }));
    if (attachments && attachments.length) item.appendChild(attachmentList(attachments));
    list.appendChild(item);
    lastUserItem = item;
    retireButtons();
    scrollDown();
  }

  function appendBot(message, offered) {
    // A person from the support team (an agent's reply during a takeover) is named, so it never passes for Alex.
    var item = el("li", { class: "alex-message alex-bot" + (message.agent ? " alex-agent" : "") });
    if (message.agent) item.appendChild(el("p", { class: "alex-sender", text: message.agent + " · CJ support" }));
    if (message.text) item.appendChild(el("p", { class: "alex-text", text: message.text }));
    if (message.image) item.appendChild(el("img", { class: "alex-image", src: message.image, alt: "" }));
    var buttons = message.buttons || [];
    if (buttons.length && offered) {
      var row = el("div", { class: "alex-buttons" });
      buttons.forEach(function (button) {
        var b = el("button", { type: "button", class: "alex-button", text: button.title });
        b.addEventListener("click", function () { send(button.payload, button.title); });
        row.appendChild(b);
      });
      item.appendChild(row);
    }
    list.appendChild(item);
    scrollDown();
  }

  // Buttons are live only until the seller answers (the server accepts a payload only if it was just offered).
  function retireButtons() {
    Array.prototype.forEach.call(list.querySelectorAll(".alex-buttons"), function (row) { row.remove(); });
  }

  function renderHistory(history) {
    list.textContent = "";
    (history || []).forEach(function (message) {
      if (message.sender === "user") appendUser(message.text, message.attachments);
      else appendBot(message, !!message.offered);
    });
    scrollDown();
  }

  function renderPending() {
    pendingList.textContent = "";
    pending.forEach(function (attachment, index) {
      var remove = el("button", { type: "button", class: "alex-unattach", "aria-label": "Remove", text: "×" });
      remove.addEventListener("click", function () { pending.splice(index, 1); renderPending(); });
      pendingList.appendChild(el("li", { class: "alex-pending-file" }, [
        el("span", { text: attachment.filename }), remove,
      ]));
    });
  }

  // ---- identity --------------------------------------------------------------------------------------------
  function freshToken() {
    if (token && Date.now() < tokenRenewAt) return Promise.resolve(token);
    return fetch(config.tokenUrl, { credentials: "same-origin", cache: "no-store" }).then(function (reply) {
      if (!reply.ok) throw new Error("not signed in");
      return reply.json();
    }).then(function (body) {
      token = body.token;
      tokenRenewAt = Date.now() + body.expires_in * 500;
      sellerId = body.seller_id;
      return token;
    });
  }

  // A new token on the same socket before the current one runs out: no reconnection, nothing missed.
  function scheduleRenewal() {
    clearTimeout(renewalTimer);
    renewalTimer = setTimeout(function () {
      if (!socket || !socket.connected) return;
      freshToken().then(function (t) { socket.emit("renew_token", { token: t }); }, function () {
        notice("Your sign-in has ended. Reload the page to sign in again.");
      });
    }, Math.max(0, tokenRenewAt - Date.now()));
  }

  function sessionKey() { return "alex-chat-session:" + sellerId; }

  // ---- the connection --------------------------------------------------------------------------------------
  var socket = null;
  var retryDelay = 1000;
  // Errors that say nothing about the last message: a failed turn (the message arrived), a refused renewal, the
  // end of an expired socket (the history redrawn after reconnecting shows what the server has).
  var ABOUT_THE_SOCKET = ["internal_error", "unauthenticated", "token_mismatch", "token_expired"];

  function connect() {
    if (socket) return;
    socket = io(config.chatUrl, {
      path: "/socket.io",
      transports: ["websocket", "polling"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      auth: function (callback) {
        freshToken().then(function (t) { callback({ token: t }); }, function () { callback({}); });
      },
    });
    socket.on("connect", function () {
      retryDelay = 1000;
      setState("online", "online");
      notice("");
      scheduleRenewal();
      socket.emit("session_request", { session_id: localStorage.getItem(sessionKey()) });
    });
    socket.on("token_renewed", scheduleRenewal);
    socket.on("session_confirm", function (data) {
      sessionName = data.session_id;
      localStorage.setItem(sessionKey(), sessionName);
      renderHistory(data.history);
    });
    socket.on("bot_uttered", function (message) { appendBot(message, true); });
    socket.on("bot_typing", function (data) { typingLine.hidden = !(data && data.typing); if (!typingLine.hidden) scrollDown(); });
    socket.on("chat_error", function (error) {
      if (error.code === "token_expired") token = null;
      if (lastUserItem && ABOUT_THE_SOCKET.indexOf(error.code) < 0) lastUserItem.classList.add("alex-not-sent");
      notice(error.message);
    });
    socket.on("disconnect", function (reason) {
      setState("reconnecting", "reconnecting…");
      typingLine.hidden = true;
      clearTimeout(renewalTimer);
      if (reason === "io server disconnect") { token = null; socket.connect(); }
    });
    socket.on("connect_error", function (error) {
      // A refusal by the server (bad or expired token) does not retry by itself: get a new token, then retry.
      setState("offline", "offline");
      notice(error && error.message === "unauthenticated"
        ? "Your sign-in could not be verified. Reload the page to sign in again."
        : "Can't reach Alex right now; retrying…");
      if (!socket.active) {
        token = null;
        setTimeout(function () { socket.connect(); }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    });
  }

  // ---- sending ---------------------------------------------------------------------------------------------
  function send(text, display) {
    if (!socket || !socket.connected) { notice("Not connected yet; please wait a moment."); return; }
    if (uploading) { notice("Wait until your files have finished uploading."); return; }
    if (!text.trim() && !pending.length) { notice("Type a message or attach a file first."); return; }
    if (text.length > MAX_CHARS) { notice("Messages are limited to " + MAX_CHARS + " characters."); return; }
    notice("");
    var attachments = pending;
    pending = [];
    renderPending();
    socket.emit("user_uttered", { message: text, attachments: attachments.map(function (a) { return a.reference; }) });
    appendUser(display || text, attachments);
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    send(text);
    if (text.trim() || !pending.length) input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
  });

  function uploadId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function upload(file) {
    uploading += 1;
    notice("Uploading " + file.name + "…");
    return freshToken().then(function (t) {
      return fetch(config.chatUrl + "/webhooks/webchat/evidence", {
        method: "POST",
        headers: {
          "Authorization": "Bearer " + t,
          "Content-Type": file.type || "application/octet-stream",
          "X-Filename": encodeURIComponent(file.name),
          "X-Session": sessionName,
          "X-Upload-Id": uploadId(),
        },
        body: file,
      });
    }).then(function (reply) {
      return reply.json().then(function (body) {
        if (!reply.ok) throw new Error((body.error && body.error.message) || "Upload failed.");
        pending.push({ reference: body.reference, filename: body.filename, content_type: body.content_type });
        renderPending();
        notice("");
      });
    }).catch(function (error) {
      notice(file.name + ": " + error.message);
    }).then(function () { uploading -= 1; });
  }

  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    if (!sessionName) { notice("Not connected yet; please wait a moment."); return; }
    Array.prototype.forEach.call(fileInput.files, upload);
    fileInput.value = "";
  });

  // ---- opening and closing ---------------------------------------------------------------------------------
  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    sessionStorage.setItem(OPEN_KEY, "1");
    if (!config.signedIn) {
      composer.hidden = true;
      notice("Sign in to chat with Alex about your orders (use the demo sign-in at the top).");
      return;
    }
    connect();
    input.focus();
  }

  launcher.addEventListener("click", open);
  closeButton.addEventListener("click", function () {
    panel.hidden = true;
    launcher.hidden = false;
    sessionStorage.removeItem(OPEN_KEY);
  });
  if (sessionStorage.getItem(OPEN_KEY)) open();

  // Tests and embedding pages may look at the state; nothing here is trusted by the server.
  window.alexChat = { socket: function () { return socket; }, session: function () { return sessionName; } };
})();
