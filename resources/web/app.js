// A minimal web mail client for ximssd: XIMSS over HTTP (login, one INBOX Folder View, long-poll).
"use strict";

(() => {
  const FOLDER = "INBOX";
  const FIELDS = ["Subject", "E-From"];
  const PAGE = 100;        // messages shown (view indexes 0..PAGE-1)
  const POLL_WAIT = 25;    // seconds the server may hold a long-poll
  const SYNC_LIMIT = 300;  // reports per folderSync
  const RETRIES = 4;       // transient failures of one POST before giving up

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("status"), logout: $("logout"), form: $("login"), user: $("user"), password: $("password"),
    button: $("login-button"), error: $("login-error"), mailbox: $("mailbox"), count: $("count"), list: $("messages"),
  };

  let current = null;  // the live session: see startSession()

  class SessionGone extends Error {}
  class Transient extends Error {}  // network failure or a non-2xx status other than 550: worth retrying

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // --- XML -----------------------------------------------------------------------------------
  const escapeXml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // One element as markup; children are markup strings (use escapeXml for text).
  function el(name, attrs, ...children) {
    let s = "<" + name;
    for (const [key, value] of Object.entries(attrs || {})) s += " " + key + '="' + escapeXml(value) + '"';
    return children.length ? s + ">" + children.join("") + "</" + name + ">" : s + "/>";
  }

  // The <XIMSS> root of a reply body, or an error when the body is something else.
  function parseXimss(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const root = doc.documentElement;
    if (!root || root.localName !== "XIMSS" || doc.getElementsByTagName("parsererror").length)
      throw new Error("the server sent a reply that is not an XIMSS document");
    return root;
  }

  const childrenNamed = (node, name) => Array.from(node.children).filter((c) => c.localName === name);
  const withId = (root, name, id) => childrenNamed(root, name).filter((c) => c.getAttribute("id") === id);

  // The errorText of the response to request `id`, or null when it succeeded.
  function responseError(root, id) {
    const [response] = withId(root, "response", id);
    if (!response) return "no response to " + id;
    return response.getAttribute("errorText");
  }

  // --- HTTP ----------------------------------------------------------------------------------
  // Resolves with the XHR whatever its status; rejects with Transient on network failure/timeout.
  function http(method, url, body, timeoutMs, onStart) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.timeout = timeoutMs;
      if (body !== undefined) xhr.setRequestHeader("Content-Type", "text/xml; charset=utf-8");
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Transient("network error"));
      xhr.ontimeout = () => reject(new Transient("request timed out"));
      xhr.onabort = () => reject(new Transient("request aborted"));
      xhr.send(body === undefined ? null : body);
      if (onStart) onStart(xhr);
    });
  }

  // A session URL's reply: 550 means the session is gone; other non-2xx statuses are transient.
  function sessionReply(xhr) {
    if (xhr.status === 550) throw new SessionGone("the session has ended");
    if (xhr.status < 200 || xhr.status > 299) throw new Transient("HTTP status " + xhr.status);
    return parseXimss(xhr.responseText);
  }

  const sessionUrl = (s, rest) => "/Session/" + encodeURIComponent(s.urlID) + "/" + rest;

  // POSTs one batch of requests; batches go one at a time, in order. A retry reuses its reqSeq,
  // so the server answers it from the stored reply instead of running the batch twice.
  function send(s, requests) {
    const run = async () => {
      if (!s.alive) throw new SessionGone("the session has ended");
      const seq = ++s.reqSeq;
      const body = "<XIMSS>" + requests.join("") + "</XIMSS>";
      for (let attempt = 0; ; attempt++) {
        try {
          return sessionReply(await http("POST", sessionUrl(s, "sync?reqSeq=" + seq), body, 60000));
        } catch (e) {
          if (!(e instanceof Transient) || attempt >= RETRIES || !s.alive) throw e;
          await sleep(500 * 2 ** attempt);
        }
      }
    };
    const result = s.queue.then(run, run);
    s.queue = result.catch(() => {});
    return result;
  }

  // --- the message list ----------------------------------------------------------------------
  function rowFrom(report) {
    const text = (name) => childrenNamed(report, name).map((e) => e.getAttribute("realName") || e.textContent).join(", ");
    return {
      uid: report.getAttribute("UID"),
      gone: report.getAttribute("mode") === "error",
      subject: text("Subject"),
      from: text("E-From"),
      address: childrenNamed(report, "E-From").map((e) => e.textContent).join(", "),
    };
  }

  function render(s) {
    const items = s.rows.map((row) => {
      const li = document.createElement("li");
      li.className = row.gone ? "message gone" : "message";
      li.dataset.uid = row.uid;
      const from = document.createElement("span");
      from.className = "from";
      from.textContent = row.from;
      from.title = row.address;
      const subject = document.createElement("span");
      subject.className = row.subject ? "subject" : "subject empty";
      subject.textContent = row.gone ? "(removed)" : row.subject || "(no subject)";
      li.append(from, subject);
      return li;
    });
    ui.list.replaceChildren(...items);
    ui.count.textContent = "(" + s.total + (s.total === 1 ? " message)" : " messages)");
  }

  // Replaces the shown rows with view indexes 0..PAGE-1.
  async function browse(s) {
    const root = await send(s, [el("folderBrowse", { id: "browse", folder: FOLDER }, el("index", { from: 0, till: PAGE - 1 }))]);
    const error = responseError(root, "browse");
    if (error) throw new Error("cannot list " + FOLDER + ": " + error);
    s.rows = withId(root, "folderReport", "browse").map(rowFrom);
  }

  async function openInbox(s) {
    const root = await send(s, [
      el("folderOpen", { id: "open", folder: FOLDER, sortField: "INTERNALDATE", sortOrder: "desc" },
        ...FIELDS.map((f) => el("field", {}, escapeXml(f)))),
      el("folderBrowse", { id: "browse", folder: FOLDER }, el("index", { from: 0, till: PAGE - 1 })),
    ]);
    const error = responseError(root, "open") || responseError(root, "browse");
    if (error) throw new Error("cannot open " + FOLDER + ": " + error);
    const [init] = withId(root, "folderReport", "open");
    s.rows = withId(root, "folderReport", "browse").map(rowFrom);
    s.total = Number(init && init.getAttribute("messages")) || s.rows.length;
    render(s);
  }

  // Applies folderSync reports to s.rows (a prefix of the view). Returns false when the rows
  // no longer match the view and must be browsed again.
  function applySync(s, reports) {
    for (const report of reports) {
      const index = Number(report.getAttribute("index"));
      const uid = report.getAttribute("UID");
      const mode = report.getAttribute("mode");
      const before = s.total;
      s.total = Number(report.getAttribute("messages"));
      if (!Number.isInteger(index) || index < 0 || !Number.isInteger(s.total)) return false;
      if (mode === "removed") {
        if (index < s.rows.length) {
          if (s.rows[index].uid !== uid) return false;
          s.rows.splice(index, 1);
        }
      } else if (mode === "added") {
        // Inside the shown prefix, or right after it when the whole view is shown.
        if (index < s.rows.length || (index === s.rows.length && s.rows.length === before)) s.rows.splice(index, 0, rowFrom(report));
        if (s.rows.length > PAGE) s.rows.length = PAGE;
      } else if (mode === "updated") {
        if (index < s.rows.length) {
          if (s.rows[index].uid !== uid) return false;
          s.rows[index] = rowFrom(report);
        }
      } else {
        return false;
      }
    }
    return s.rows.length === Math.min(s.total, PAGE);
  }

  // Brings the list up to date after a notify; a notify arriving meanwhile runs it again.
  async function syncInbox(s) {
    if (s.syncing) {
      s.syncAgain = true;
      return;
    }
    s.syncing = true;
    try {
      do {
        s.syncAgain = false;
        const root = await send(s, [el("folderSync", { id: "s", folder: FOLDER, limit: SYNC_LIMIT })]);
        const error = responseError(root, "s");
        if (error) throw new Error("cannot update " + FOLDER + ": " + error);
        const reports = withId(root, "folderReport", "s");
        if (!applySync(s, reports)) await browse(s);
        if (reports.length >= SYNC_LIMIT) s.syncAgain = true;  // more changes wait for the next sync
        render(s);
        setStatus("connected as " + s.user);
      } while (s.syncAgain && s.alive);
    } catch (e) {
      failed(s, e);
      if (s.alive && !(e instanceof SessionGone)) setTimeout(() => syncInbox(s), 5000);
    } finally {
      s.syncing = false;
    }
  }

  // --- asynchronous messages -----------------------------------------------------------------
  function handleAsync(s, message) {
    if (message.localName === "folderReport" && message.getAttribute("mode") === "notify" &&
        message.getAttribute("folder") === FOLDER) {
      syncInbox(s);
    } else if (message.localName === "bye") {
      endSession(s, "The server ended the session. Please log in again.");
    }
  }

  async function pollLoop(s) {
    let failures = 0;
    while (s.alive) {
      try {
        const query = "?ackSeq=" + encodeURIComponent(s.ackSeq) + "&maxWait=" + POLL_WAIT;
        const xhr = await http("GET", sessionUrl(s, query), undefined, (POLL_WAIT + 20) * 1000, (x) => { s.poll = x; });
        if (!s.alive) return;
        const root = sessionReply(xhr);
        if (failures) setStatus("connected as " + s.user);
        failures = 0;
        if (root.hasAttribute("respSeq")) s.ackSeq = root.getAttribute("respSeq");
        for (const message of Array.from(root.children)) handleAsync(s, message);
      } catch (e) {
        if (!s.alive) return;
        if (e instanceof SessionGone) return failed(s, e);
        failures++;
        setStatus("connection problem (" + e.message + "), retrying…");
        await sleep(Math.min(30000, 1000 * 2 ** failures));
      }
    }
  }

  // --- session lifecycle ---------------------------------------------------------------------
  const setStatus = (text) => { ui.status.textContent = text; };

  function showLogin(message) {
    ui.mailbox.hidden = true;
    ui.logout.hidden = true;
    ui.list.replaceChildren();
    ui.count.textContent = "";
    ui.form.hidden = false;
    ui.error.textContent = message || "";
    setStatus("not connected");
    ui.user.focus();
  }

  function endSession(s, message) {
    if (!s.alive) return;
    s.alive = false;
    if (s.poll) s.poll.abort();
    if (current === s) {
      current = null;
      showLogin(message);
    }
  }

  function failed(s, e) {
    if (e instanceof SessionGone) endSession(s, "The session has ended. Please log in again.");
    else if (s.alive) setStatus("error: " + e.message);
  }

  async function startSession(sessionElement, typedUser, loginReply) {
    const s = {
      urlID: sessionElement.getAttribute("urlID"),
      user: sessionElement.getAttribute("userName") || typedUser,
      reqSeq: 0,
      ackSeq: "0",  // the last respSeq received; always sent (without it the server drops everything it delivered)
      queue: Promise.resolve(), poll: null,
      rows: [], total: 0, alive: true, syncing: false, syncAgain: false,
    };
    current = s;
    ui.form.hidden = true;
    ui.error.textContent = "";
    ui.password.value = "";
    ui.mailbox.hidden = false;
    ui.logout.hidden = false;
    setStatus("connected as " + s.user);
    // Data messages after the session element count as the session's first messages.
    for (const message of Array.from(loginReply.children)) if (message !== sessionElement) handleAsync(s, message);
    try {
      await openInbox(s);
    } catch (e) {
      failed(s, e);
    }
    pollLoop(s);
  }

  async function login(event) {
    event.preventDefault();
    const user = ui.user.value.trim();
    const query = "errorAsXML=1&userName=" + encodeURIComponent(user) + "&password=" + encodeURIComponent(ui.password.value);
    ui.error.textContent = "";
    ui.button.disabled = true;
    setStatus("logging in…");
    try {
      const xhr = await http("GET", "/XIMSSLogin/?" + query, undefined, 30000);
      if (xhr.status !== 200) throw new Error("login failed (HTTP status " + xhr.status + ")");
      const root = parseXimss(xhr.responseText);
      const [session] = childrenNamed(root, "session");
      if (!session || !session.getAttribute("urlID")) {
        const [response] = childrenNamed(root, "response");
        throw new Error((response && response.getAttribute("errorText")) || "login failed");
      }
      startSession(session, user, root);
    } catch (e) {
      ui.error.textContent = e.message;
      setStatus("not connected");
    } finally {
      ui.button.disabled = false;
    }
  }

  // Ends the session politely: <bye/> after any batch still in flight.
  function logout() {
    const s = current;
    if (!s) return;
    endSession(s, "");
    const bye = "<XIMSS>" + el("bye", { id: "bye" }) + "</XIMSS>";
    s.queue.then(() => http("POST", sessionUrl(s, "sync?reqSeq=" + ++s.reqSeq), bye, 10000)).catch(() => {});
  }

  ui.form.addEventListener("submit", login);
  ui.logout.addEventListener("click", logout);
  // Leaving the page ends the session at once, as browser clients do.
  window.addEventListener("pagehide", () => {
    if (current && current.alive) navigator.sendBeacon(sessionUrl(current, "KILL"));
  });
})();
