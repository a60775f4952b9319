// The agent console page: sign-in, the live queue, a ticket with the seller's conversation and context, the audit.
// It only talks to its own server's /api/...; the session is an HttpOnly cookie this script never sees.
(function () {
  "use strict";

  var POLL_MS = 3000;
  var ACTIVE = ["new", "open", "pending"];
  // What the agent reads for each error code (anything else: the server's own message).
  var ERRORS = {
    already_claimed: "Another agent has already claimed this ticket.",
    conversation_moved_on: "You no longer hold this conversation: it was reassigned, handed back or closed.",
    supervisor_only: "Only supervisors can do that.",
    backend_unavailable: "The ticket service is not answering. Try again in a moment.",
    invalid_credentials: "Wrong email or password.",
    ticket_not_found: "There is no such ticket.",
    not_retryable: "Only a reply to the seller can be sent again.",
    already_delivered: "That reply was already delivered.",
    delivery_in_progress: "That reply is being delivered right now.",
    network: "The console server is not answering. Check that Alex is running.",
  };
  var OUTAGES = ["backend_unavailable", "network"];  // errors a later successful poll clears by itself
  var NOTICES = {
    join_not_announced: "Claimed. Alex could not tell the seller that you joined; your first reply will.",
    hand_back_not_announced: "Done. Alex could not tell the seller it is back; it answers their next message.",
    reply_not_delivered: "Your reply was saved but did not reach the seller. Use Retry on it.",
  };

  var state = { me: null, filter: "any", timer: null, ticket: null, agents: [], skewMs: 0, rendered: {} };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function newKey() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : String(Date.now()) + "-" + Math.random().toString(36).slice(2);
  }

  // ---------------------------------------------------------------- talking to the console server

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["X-Alex-Console"] = "1";
      init.headers["Idempotency-Key"] = newKey();
    }
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        return { ok: reply.ok, status: reply.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { error: { code: "network" } } };
    }).then(function (result) {
      if (result.status === 401 && state.me && path !== "/api/session") expired();
      return result;
    });
  }

  function errorText(result) {
    var error = (result.data && result.data.error) || {};
    return ERRORS[error.code] || error.message || ("Something went wrong (HTTP " + result.status + ").");
  }

  function showError(result) {
    var box = $("error");
    if (!result) { box.hidden = true; return; }
    box.textContent = errorText(result);
    box.setAttribute("data-code", ((result.data && result.data.error) || {}).code || "");
    box.hidden = false;
  }

  function showNotices(codes) {
    var box = clear($("notices"));
    (codes || []).forEach(function (code) {
      box.appendChild(el("p", { className: "banner notice", "data-notice": code, text: NOTICES[code] || code }));
    });
  }

  // ---------------------------------------------------------------- time

  function serverNow() { return Date.now() + state.skewMs; }

  function span(ms) {
    var seconds = Math.floor(Math.abs(ms) / 1000);
    var days = Math.floor(seconds / 86400), hours = Math.floor((seconds % 86400) / 3600);
    var mins = Math.floor((seconds % 3600) / 60), secs = seconds % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + two(mins) + "m " + two(secs) + "s";
    return mins + "m " + two(secs) + "s";
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

  // An SLA timer: counts down to its due time, flagged once overdue; `done` when the target was met.
  function sla(node, due, done) {
    node.setAttribute("data-due", due || "");
    node.setAttribute("data-done", done ? "true" : "false");
    tickOne(node);
    return node;
  }

  function tickOne(node) {
    var due = node.getAttribute("data-due");
    if (node.getAttribute("data-done") === "true") {
      node.textContent = "met"; node.className = "sla done"; node.setAttribute("data-overdue", "false"); return;
    }
    if (!due) { node.textContent = ""; return; }
    var left = new Date(due).getTime() - serverNow();
    node.textContent = left >= 0 ? "due in " + span(left) : "overdue by " + span(left);
    node.className = left >= 0 ? "sla" : "sla overdue";
    node.setAttribute("data-overdue", left >= 0 ? "false" : "true");
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll(".sla[data-due]"), tickOne);
    Array.prototype.forEach.call(document.querySelectorAll("[data-age-from]"), function (node) {
      node.textContent = span(serverNow() - new Date(node.getAttribute("data-age-from")).getTime());
    });
  }

  // ---------------------------------------------------------------- screens and routing

  function show(screen) {
    ["sign-in-screen", "queue-screen", "ticket-screen", "audit-screen"].forEach(function (id) {
      $(id).hidden = id !== screen;
    });
    $("topbar").hidden = screen === "sign-in-screen";
    document.body.setAttribute("data-screen", screen.replace("-screen", ""));
  }

  function poll(load) {
    clearInterval(state.timer);
    state.timer = null;
    if (!load) return;
    load();
    state.timer = setInterval(load, POLL_MS);
  }

  function route() {
    if (!state.me) return;
    showError(null);
    var hash = location.hash || "#/queue";
    var ticket = /^#\/tickets\/([A-Za-z0-9]+)$/.exec(hash);
    if (ticket) return openTicket(ticket[1]);
    if (hash === "#/audit") return openAudit();
    if (hash !== "#/queue") { location.hash = "#/queue"; return; }
    openQueue();
  }

  // ---------------------------------------------------------------- signing in and out

  function signedIn(agent) {
    state.me = agent;
    $("whoami").textContent = agent.name + " (" + agent.role + ")";
    $("whoami").setAttribute("data-agent-email", agent.email);
    $("whoami").setAttribute("data-agent-role", agent.role);
    $("nav-audit").hidden = agent.role !== "supervisor";
    if (agent.role === "supervisor") {
      api("GET", "/api/agents").then(function (result) { if (result.ok) state.agents = result.data.items; });
    }
    route();
  }

  function toSignIn(reason, text) {
    state.me = null;
    state.ticket = null;
    poll(null);
    showError(null);
    var notice = $("sign-in-notice");
    notice.hidden = !text;
    notice.textContent = text || "";
    notice.setAttribute("data-reason", reason || "");
    $("sign-in-error").hidden = true;
    $("sign-in-password").value = "";
    show("sign-in-screen");
  }

  function expired() {
    toSignIn("expired", "Your session has ended (expired or signed out elsewhere). Please sign in again.");
  }

  $("sign-in-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var error = $("sign-in-error");
    error.hidden = true;
    $("sign-in-submit").disabled = true;
    api("POST", "/api/session", { email: $("sign-in-email").value, password: $("sign-in-password").value })
      .then(function (result) {
        $("sign-in-submit").disabled = false;
        if (!result.ok) {
          error.textContent = errorText(result);
          error.setAttribute("data-code", ((result.data && result.data.error) || {}).code || "");
          error.hidden = false;
          return;
        }
        $("sign-in-notice").hidden = true;
        $("sign-in-password").value = "";
        signedIn(result.data.agent);
      });
  });

  $("sign-out").addEventListener("click", function () {
    api("DELETE", "/api/session").then(function () { toSignIn("signed_out", "You have signed out."); });
  });

  // ---------------------------------------------------------------- the queue

  function openQueue() {
    show("queue-screen");
    state.ticket = null;
    Array.prototype.forEach.call(document.querySelectorAll("#queue-filters button"), function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-filter") === state.filter ? "true" : "false");
    });
    poll(loadQueue);
  }

  function loadQueue() {
    var filter = state.filter;
    api("GET", "/api/queue?assignee=" + encodeURIComponent(filter)).then(function (result) {
      if (!state.me || location.hash.indexOf("#/tickets/") === 0 || filter !== state.filter) return;
      if (!result.ok) { showError(result); return; }
      showError(null);
      state.skewMs = new Date(result.data.now).getTime() - Date.now();
      renderQueue(result.data, filter);
    });
  }

  function renderQueue(page, filter) {
    var rows = clear($("queue-rows"));
    rows.setAttribute("data-filter", filter);
    page.items.forEach(function (item, index) {
      var row = el("tr", {
        "data-ticket": item.number, "data-priority": item.priority, "data-position": String(index + 1),
        "data-created-at": item.created_at, "data-assignee": item.assignee ? item.assignee.name : "",
        "data-status": item.status,
      }, [
        el("td", {}, [el("a", { href: "#/tickets/" + item.number, className: "ticket-link", text: item.number })]),
        el("td", {}, [el("span", { className: "badge priority-" + item.priority, text: item.priority })]),
        el("td", { className: "seller", text: item.seller_id || "not linked" }),
        el("td", { className: "channel", text: item.channel }),
        el("td", { className: "reasons", text: item.reasons.join(", ") }),
        el("td", { className: "age", "data-age-from": item.created_at }),
        el("td", { className: "assignee", text: item.assignee ? item.assignee.name : "unassigned" }),
        el("td", {}, [sla(el("span", { className: "sla", "data-kind": "first-response" }),
          item.first_response_due_at, !!item.first_responded_at)]),
        el("td", {}, [sla(el("span", { className: "sla", "data-kind": "resolution" }), item.resolution_due_at, false)]),
        el("td", { className: "status", text: item.status + (item.handoff === "agent" ? " · with agent" : "") }),
      ]);
      row.addEventListener("click", function () { location.hash = "#/tickets/" + item.number; });
      rows.appendChild(row);
    });
    $("queue-empty").hidden = page.items.length > 0;
    $("queue-count").textContent = page.total + (page.total === 1 ? " ticket" : " tickets");
    tick();
  }

  $("queue-filters").addEventListener("click", function (event) {
    var filter = event.target.getAttribute && event.target.getAttribute("data-filter");
    if (!filter) return;
    state.filter = filter;
    openQueue();
  });

  // ---------------------------------------------------------------- a ticket

  function openTicket(number) {
    show("ticket-screen");
    if (!state.ticket || state.ticket.number !== number) {
      state.ticket = { number: number, detail: null };
      state.rendered = {};
      ["ticket-number", "ticket-summary"].forEach(function (id) { $(id).textContent = ""; });
      ["transcript", "thread", "context-seller", "context-orders", "context-disputes"].forEach(function (id) {
        clear($(id));
      });
      clear($("notices"));
      $("ticket-audit").hidden = true;
      $("ticket-number").textContent = number;
    }
    poll(function () { loadTicket(number); });
  }

  function loadTicket(number) {
    api("GET", "/api/tickets/" + encodeURIComponent(number)).then(function (result) {
      if (!state.ticket || state.ticket.number !== number) return;
      if (!result.ok) { showError(result); return; }
      if (OUTAGES.indexOf($("error").getAttribute("data-code")) >= 0) showError(null);
      renderTicket(result.data);
    });
  }

  // A change's answer is the ticket as it now stands; notices say what didn't reach the seller.
  function act(button, method, path, body) {
    var number = state.ticket.number;
    if (button) button.disabled = true;
    return api(method, "/api/tickets/" + encodeURIComponent(number) + path, body).then(function (result) {
      if (button) button.disabled = false;
      if (!result.ok) { showError(result); return result; }
      showError(null);
      showNotices(result.data.notices);
      if (state.ticket && state.ticket.number === number) {
        // Changes answer without the transcript: keep the one shown until the next poll brings it.
        if (!("transcript" in result.data) && state.ticket.detail) {
          result.data.transcript = state.ticket.detail.transcript;
        }
        renderTicket(result.data);
        loadTicket(number);
      }
      return result;
    });
  }

  function holds(detail) {
    var ticket = detail.ticket;
    return !!(state.me && detail.assignee && detail.assignee.id === state.me.id && ticket.handoff.state === "agent"
      && ACTIVE.indexOf(ticket.status) >= 0);
  }

  // Polls and changes both land here; notices belong to the change that raised them, so only `act` shows them.
  function renderTicket(detail) {
    state.ticket.detail = detail;
    var ticket = detail.ticket, active = ACTIVE.indexOf(ticket.status) >= 0, mine = holds(detail);
    var screen = $("ticket-screen");
    screen.setAttribute("data-ticket", ticket.number);
    screen.setAttribute("data-status", ticket.status);
    screen.setAttribute("data-handoff", ticket.handoff.state);
    screen.setAttribute("data-holder", mine ? "me" : (detail.assignee ? "other" : "nobody"));
    $("ticket-number").textContent = ticket.number;
    setBadge($("ticket-priority"), ticket.priority, "badge priority-" + ticket.priority);
    setBadge($("ticket-status"), ticket.status, "badge");
    setBadge($("ticket-handoff"), { waiting: "waiting for an agent", agent: "with " + (ticket.handoff.agent_name || "an agent"),
      returned: "with Alex" }[ticket.handoff.state] || ticket.handoff.state, "badge");
    $("ticket-assignee").textContent = detail.assignee ? "Assigned to " + detail.assignee.name : "Unassigned";
    sla($("ticket-first-response"), ticket.first_response_due_at, !!ticket.first_responded_at || !active);
    sla($("ticket-resolution"), ticket.resolution_due_at, !active);
    $("ticket-channel").textContent = ticket.channel;
    $("ticket-reasons").textContent = ticket.reasons.join(", ");
    $("ticket-summary").textContent = ticket.summary;
    var undelivered = ticket.undelivered_replies || [];
    $("undelivered").hidden = undelivered.length === 0;
    $("undelivered").textContent = undelivered.length === 1 ? "1 reply did not reach the seller: see it in the thread."
      : undelivered.length + " replies did not reach the seller: see them in the thread.";

    $("claim").hidden = !(active && !mine && (!detail.assignee || detail.assignee.id === state.me.id));
    $("hand-back").hidden = !mine;
    $("resolve").hidden = !active;
    renderStatusChoices(detail.allowed_statuses);
    renderReassign(detail, active);
    $("composer-hint").hidden = mine;
    $("send-reply").disabled = !mine;
    $("add-note").disabled = !mine;

    renderOnce("transcript", detail.transcript, renderTranscript);
    renderOnce("thread", ticket.messages, renderThread);
    renderOnce("context", detail.context, renderContext);
    tick();
  }

  function setBadge(node, text, className) { node.textContent = text; node.className = className; }

  // Polls redraw a part only when it changed, so the agent's scroll position and selection survive.
  function renderOnce(part, value, render) {
    var key = JSON.stringify(value === undefined ? null : value);
    if (state.rendered[part] === key) return;
    state.rendered[part] = key;
    render(value);
  }

  function renderStatusChoices(allowed) {
    var select = $("status-select");
    var chosen = select.value;
    clear(select);
    allowed.forEach(function (status) { select.appendChild(el("option", { value: status, text: status })); });
    if (allowed.indexOf(chosen) >= 0) select.value = chosen;
    $("status-box").hidden = allowed.length === 0;
  }

  function renderReassign(detail, active) {
    var box = $("reassign-box"), select = $("reassign-select");
    box.hidden = !(state.me.role === "supervisor" && active && state.agents.length);
    if (box.hidden) return;
    var chosen = select.value;
    clear(select);
    state.agents.forEach(function (agent) {
      if (detail.assignee && detail.assignee.id === agent.id) return;
      select.appendChild(el("option", { value: String(agent.id), "data-email": agent.email,
        text: agent.name + " (" + agent.role + ")" }));
    });
    if (chosen && select.querySelector('option[value="' + chosen + '"]')) select.value = chosen;
  }

  function scrolledToEnd(list, render) {
    var atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    render();
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  function renderTranscript(messages) {
    $("transcript-unavailable").hidden = messages !== null;
    var list = $("transcript");
    scrolledToEnd(list, function () {
      clear(list);
      (messages || []).forEach(function (message) {
        var who = { user: "Seller", bot: "Alex", agent: (message.agent_name || "Agent") + " (agent)" }[message.sender];
        var files = (message.attachments || []).map(function (a) { return a.filename; }).join(", ");
        list.appendChild(el("li", { "data-sender": message.sender }, [
          el("span", { className: "meta", text: who + " · " + when(message.timestamp * 1000) }),
          document.createTextNode(message.text + (files ? " [" + files + "]" : "")),
        ]));
      });
    });
  }

  function renderThread(messages) {
    var list = $("thread");
    scrolledToEnd(list, function () {
      clear(list);
      messages.forEach(function (message) {
        var who = { seller: "Seller", bot: "Alex (summary)", agent: message.author_name || "Agent" }[message.author_kind]
          || message.author_kind;
        var meta = el("span", { className: "meta", text: (message.internal ? "Internal note · " : "") + who + " · "
          + when(message.created_at) });
        var item = el("li", { "data-message-id": String(message.id), "data-author-kind": message.author_kind,
          "data-internal": message.internal ? "true" : "false", "data-delivery": message.delivery_state }, [meta]);
        item.appendChild(document.createTextNode(message.body));
        if (message.author_kind === "agent" && !message.internal) {
          meta.appendChild(el("span", { className: "delivery", "data-state": message.delivery_state,
            text: message.delivery_state }));
          if (message.delivery_error) {  // why WhatsApp refused it (and whether it went out again as the template)
            meta.appendChild(el("span", { className: "delivery-error", text: message.delivery_error }));
          }
          if (message.delivery_state === "failed") {
            var retry = el("button", { type: "button", className: "retry", "data-retry": String(message.id),
              text: "Retry" });
            retry.addEventListener("click", function () {
              act(retry, "POST", "/messages/" + message.id + "/retry");
            });
            meta.appendChild(retry);
          }
        }
        list.appendChild(item);
      });
    });
  }

  function facts(pairs) {
    var list = el("dl");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
      list.appendChild(el("dt", { text: pair[0] }));
      list.appendChild(el("dd", { text: String(pair[1]) }));
    });
    return list;
  }

  function renderContext(context) {
    var seller = clear($("context-seller")), orders = clear($("context-orders")), disputes = clear($("context-disputes"));
    var mentioned = (state.ticket.detail.ticket.order_numbers || []).concat(state.ticket.detail.ticket.dispute_numbers || []);
    if (!context.seller) {
      seller.appendChild(el("p", { className: "muted", text: "Not linked to a seller account." }));
    } else {
      seller.setAttribute("data-seller", context.seller.id);
      seller.appendChild(facts([
        ["Name", context.seller.name], ["Seller", context.seller.id], ["Email", context.seller.email],
        ["Wallet", context.seller.wallet.balance + " " + context.seller.wallet.currency],
        ["Channels", context.seller.identities.map(function (i) { return i.kind + " " + i.external_id; }).join(", ")],
      ]));
    }
    context.orders.forEach(function (order) {
      orders.appendChild(el("div", { className: "context-item" + (mentioned.indexOf(order.number) >= 0 ? " mentioned" : ""),
        "data-order": order.number }, [facts([
          ["Order", order.number], ["Status", order.status + " (" + order.processing + ")"],
          ["Amount", order.amount + " " + order.currency], ["Store", order.store_name],
          ["Tracking", order.shipping.tracking_number ? order.shipping.carrier + " " + order.shipping.tracking_number : ""],
          ["Disputes", order.disputes.map(function (d) { return d.number + " " + d.status; }).join(", ")],
        ])]));
    });
    if (!context.orders.length) orders.appendChild(el("p", { className: "muted", text: "No orders." }));
    context.disputes.forEach(function (dispute) {
      disputes.appendChild(el("div", { className: "context-item" + (mentioned.indexOf(dispute.number) >= 0 ? " mentioned" : ""),
        "data-dispute": dispute.number }, [facts([
          ["Dispute", dispute.number], ["Order", dispute.order_number], ["Status", dispute.status],
          ["Wants", dispute.expected_result + (dispute.refund_type ? " (" + dispute.refund_type + ")" : "")],
          ["Reason", dispute.reason],
          ["Refund", dispute.refund ? dispute.refund.amount + " " + dispute.refund.status : ""],
        ])]));
    });
    if (!context.disputes.length) disputes.appendChild(el("p", { className: "muted", text: "No disputes." }));
  }

  $("claim").addEventListener("click", function () { act($("claim"), "POST", "/claim"); });

  function send(internal) {
    var body = $("composer-body").value.trim();
    if (!body) return;
    var button = internal ? $("add-note") : $("send-reply");
    act(button, "POST", "/messages", { body: body, internal: internal }).then(function (result) {
      if (result.ok) $("composer-body").value = "";
    });
  }

  $("composer").addEventListener("submit", function (event) { event.preventDefault(); send(false); });
  $("add-note").addEventListener("click", function () { send(true); });

  $("status-apply").addEventListener("click", function () {
    act($("status-apply"), "POST", "/status", { status: $("status-select").value });
  });

  $("reassign-apply").addEventListener("click", function () {
    act($("reassign-apply"), "POST", "/reassign", { agent_id: Number($("reassign-select").value) });
  });

  function settle(button, path) {
    var note = $("settle-note").value.trim();
    act(button, "POST", path, { note: note || null }).then(function (result) {
      if (result.ok) $("settle-note").value = "";
    });
  }

  $("resolve").addEventListener("click", function () { settle($("resolve"), "/resolve"); });
  $("hand-back").addEventListener("click", function () { settle($("hand-back"), "/hand-back"); });

  $("show-audit").addEventListener("click", function () {
    var number = state.ticket.number;
    api("GET", "/api/tickets/" + encodeURIComponent(number) + "/audit").then(function (result) {
      if (!result.ok) { showError(result); return; }
      renderAudit($("ticket-audit-rows"), result.data.items, false);
      $("ticket-audit").hidden = false;
    });
  });

  // ---------------------------------------------------------------- the audit log

  function openAudit() {
    show("audit-screen");
    state.ticket = null;
    poll(null);
    clear($("audit-rows"));
    $("audit-total").textContent = "";
    api("GET", "/api/audit").then(function (result) {
      if (!result.ok) { showError(result); return; }
      renderAudit($("audit-rows"), result.data.items, true);
      $("audit-total").textContent = "newest " + result.data.items.length + " of " + result.data.total;
    });
  }

  function renderAudit(rows, entries, withTicket) {
    clear(rows);
    entries.forEach(function (entry) {
      var who = entry.agent ? entry.agent.name : entry.actor;
      var cells = [el("td", { text: when(entry.at) }), el("td", { text: who }),
        el("td", { className: "action", text: entry.action })];
      if (withTicket) {
        cells.push(el("td", {}, [entry.ticket_number
          ? el("a", { href: "#/tickets/" + entry.ticket_number, text: entry.ticket_number }) : null]));
      }
      var details = Object.keys(entry.details).map(function (name) {
        return name + ": " + JSON.stringify(entry.details[name]);
      }).join(", ");
      cells.push(el("td", { className: "details", text: details }));
      rows.appendChild(el("tr", { "data-audit-id": String(entry.id), "data-action": entry.action,
        "data-ticket": entry.ticket_number || "" }, cells));
    });
  }

  // ---------------------------------------------------------------- start

  window.addEventListener("hashchange", route);
  setInterval(tick, 1000);
  api("GET", "/api/me").then(function (result) {
    if (result.ok) signedIn(result.data);
    else toSignIn("", "");
  });
}());
