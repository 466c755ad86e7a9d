/* The door page, enhanced: search as you type, taps kept in an offline queue (localStorage)
 * and sent in order when the network is back, the register polled so two phones see each
 * other's check-ins, and in-page scanning where the browser has BarcodeDetector.
 *
 * Without this file the page works as plain forms. Each queued tap is the same form POST the
 * page makes without script; bookings makes check-in and undo idempotent by booking and
 * session, so sending one twice (a reply lost on the way back) changes nothing. */
(function () {
  "use strict";
  var root = document.getElementById("door");
  if (!root || !window.fetch || !window.localStorage || !window.URLSearchParams) return;

  var POLL_MS = 3000;
  var base = "/checkin/" + root.dataset.event + "/" + root.dataset.session;
  var KEY = "gm-checkin-queue:" + root.dataset.event + ":" + root.dataset.session;
  var csrf = root.querySelector("input[name=csrf_token]").value;
  var people = document.getElementById("people");
  var net = document.getElementById("net");
  var result = document.getElementById("result");
  var q = document.getElementById("q");
  var countIn = document.getElementById("count-in");
  var countExpected = document.getElementById("count-expected");
  var options = document.querySelector("#options tbody");
  var latest = null;      // the last register the server sent
  var sending = false;
  var online = navigator.onLine;
  var lastSync = null;
  var searchTimer = null;

  function queue() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function store(items) { localStorage.setItem(KEY, JSON.stringify(items)); }
  function nonce() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (kid) { if (kid) node.appendChild(kid); });
    return node;
  }
  function clock(iso) {
    return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function showNet() {
    var waiting = queue().length;
    var words = online ? "Online" : "Offline: check-ins are kept on this phone";
    words += " · " + waiting + (waiting === 1 ? " check-in" : " check-ins") + " waiting to be sent";
    if (lastSync) words += " · last sync " + clock(lastSync);
    net.textContent = words;
    net.className = "door-net" + (online ? "" : " offline");
    net.dataset.waiting = String(waiting);
    net.hidden = false;
  }

  function tell(kind, text) {
    result.textContent = text;
    result.className = "door-result " + kind;
    result.setAttribute("role", kind === "bad" ? "alert" : "status");
    result.hidden = false;
  }

  /* What a row shows: the server's state, then the taps still queued for it on top. */
  function pendingFor(bookingId) {
    var state = null;
    queue().forEach(function (item) { if (item.booking === bookingId) state = item.act; });
    return state;
  }

  function row(p) {
    var pending = pendingFor(p.booking_id);
    var isIn = pending ? pending === "in" : Boolean(p.checked_in_at);
    var act = isIn ? "undo" : "in";
    var state = pending ? (isIn ? "In (waiting to be sent)" : "Undone (waiting to be sent)")
      : (p.checked_in_at ? "In at " + clock(p.checked_in_at) : "Not in yet");
    var details = p.organisation + (p.option_name ? " · " + p.option_name : "");
    var form = el("form", { method: "post", action: base + "/people/" + p.booking_id + "/" + act }, [
      el("input", { type: "hidden", name: "csrf_token", value: csrf }),
      el("input", { type: "hidden", name: "q", value: q.value }),
      el("button", { type: "submit", "class": isIn ? "undo" : "primary tap",
        "aria-label": (isIn ? "Undo check-in of " : "Check in ") + p.name, text: isIn ? "Undo" : "Check in" })
    ]);
    return el("li", { "class": "person" + (isIn ? " in" : "") + (pending ? " queued" : ""),
      "data-booking": p.booking_id }, [
      el("span", { "class": "who" }, [
        el("strong", { text: p.name }), el("br"), el("span", { "class": "small", text: details }),
        el("br"), el("span", { "class": "state small", text: state })
      ]),
      form
    ]);
  }

  function counts(register) {
    var checked = register.counts.checked_in;
    var perOption = {};
    register.counts.options.forEach(function (o) { perOption[o.option_id || ""] = o.checked_in; });
    var known = {};
    register.items.forEach(function (p) { known[p.booking_id] = p; });
    queue().forEach(function (item) {  // taps not yet sent, for people on screen
      var p = known[item.booking];
      if (!p || item.applied) return;
      var wasIn = p.__in === undefined ? Boolean(p.checked_in_at) : p.__in;
      var nowIn = item.act === "in";
      if (wasIn !== nowIn) {
        checked += nowIn ? 1 : -1;
        perOption[p.option_id || ""] = (perOption[p.option_id || ""] || 0) + (nowIn ? 1 : -1);
      }
      p.__in = nowIn;
    });
    countIn.textContent = String(checked);
    countExpected.textContent = String(register.counts.expected);
    options.textContent = "";
    register.counts.options.forEach(function (o) {
      options.appendChild(el("tr", {}, [el("th", { scope: "row", text: o.name }),
        el("td", { text: String(perOption[o.option_id || ""]) }), el("td", { text: String(o.expected) })]));
    });
  }

  function draw() {
    if (!latest) return;
    var copy = JSON.parse(JSON.stringify(latest));
    var focused = document.activeElement && document.activeElement.closest("li.person");
    var focusedId = focused ? focused.dataset.booking : null;
    people.textContent = "";
    copy.items.forEach(function (p) { people.appendChild(row(p)); });
    if (!copy.items.length) {
      people.appendChild(el("li", { "class": "empty", text: q.value ? "Nobody matches “" + q.value + "”." : "Nobody is booked." }));
    }
    counts(copy);
    if (focusedId) {
      var again = people.querySelector('li[data-booking="' + focusedId + '"] button');
      if (again) again.focus();
    }
    showNet();
  }

  function refresh() {
    var url = base + "/register.json" + (q.value ? "?q=" + encodeURIComponent(q.value) : "");
    var asked = q.value;
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("register " + r.status);
        return r.json();
      })
      .then(function (register) {
        online = true;
        lastSync = new Date().toISOString();
        if (asked === q.value) { latest = register; draw(); }
        if (queue().length) flush();
      }, function () { online = false; showNet(); });
  }

  function post(path, fields) {
    var body = new URLSearchParams(fields);
    body.set("csrf_token", csrf);
    return fetch(path, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { Accept: "application/json" } });
  }

  function nameOf(bookingId) {
    var found = latest && latest.items.filter(function (p) { return p.booking_id === bookingId; })[0];
    return found ? found.name + ": " : "";
  }

  function said(item, answer) {
    var name = answer.attendee ? answer.attendee.name : "";
    if (answer.result === "checked_in") tell("ok", "Checked in: " + name);
    else if (answer.result === "already_checked_in") {
      tell("warn", "Already checked in: " + name + " at " + clock(answer.attendee.checked_in_at));
    } else if (answer.result === "undone") tell("ok", "Check-in undone: " + name);
    else if (answer.result === "was_not_checked_in") tell("warn", "Was not checked in: " + name);
  }

  /* Send the oldest queued tap; on an answer (done, or refused for good) drop it and go on;
   * with no answer, or a server in trouble, keep it and wait for the network. */
  function flush() {
    if (sending) return;
    var item = queue()[0];
    if (!item) { showNet(); return; }
    sending = true;
    var path = item.act === "code" ? base + "/code" : base + "/people/" + item.booking + "/" + item.act;
    post(path, item.act === "code" ? { code: item.code } : {}).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 403) {
        throw new Error("signed out");  // keep it: sign in again, then it is sent
      }
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { status: r.status, body: body };
      });
    }).then(function (answer) {
      sending = false;
      if (answer.status >= 500 || answer.status === 429) { online = answer.status !== 503 ? online : false; showNet(); return; }
      store(queue().filter(function (x) { return x.id !== item.id; }));
      online = true;
      if (answer.status === 200) said(item, answer.body);
      else tell("bad", nameOf(item.booking) + (answer.body.detail || "refused"));
      refresh();
    }, function (error) {
      sending = false;
      online = String(error && error.message) === "signed out" ? online : false;
      if (String(error && error.message) === "signed out") tell("bad", "Signed out: sign in again to send the queued check-ins.");
      showNet();
    });
  }

  function enqueue(item) {
    item.id = nonce();
    item.at = new Date().toISOString();
    var items = queue();
    items.push(item);
    store(items);
    draw();
    flush();
  }

  people.addEventListener("submit", function (event) {
    var form = event.target;
    var li = form.closest("li.person");
    if (!li) return;
    event.preventDefault();
    var act = /\/undo$/.test(form.getAttribute("action")) ? "undo" : "in";
    var name = li.querySelector("strong").textContent;
    // Only ids are kept on the phone: names stay in the page, never in its storage.
    enqueue({ booking: li.dataset.booking, act: act });
    if (!online) tell("warn", (act === "in" ? "Kept on this phone: " : "Undo kept on this phone: ") + name);
  });

  q.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      var url = new URL(location.href);
      if (q.value) url.searchParams.set("q", q.value); else url.searchParams.delete("q");
      ["result", "last", "problem"].forEach(function (k) { url.searchParams.delete(k); });
      history.replaceState(null, "", url.href);
      refresh();
    }, 300);
  });
  document.getElementById("search").addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
  });

  var walkIn = document.getElementById("walk-in");
  walkIn.addEventListener("submit", function (event) {
    if (!navigator.onLine) {
      event.preventDefault();
      tell("bad", "A walk-in needs the network (bookings decides): try again when online.");
    }
  });

  window.addEventListener("online", function () { online = true; refresh(); flush(); });
  window.addEventListener("offline", function () { online = false; showNet(); });
  setInterval(function () { if (!document.hidden) refresh(); }, POLL_MS);

  /* In-page scanning where the browser offers BarcodeDetector; else the phone's own camera
   * app opens the code's link, which works as well. */
  var scan = document.getElementById("scan");
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    var scanner = document.getElementById("scanner");
    var video = document.getElementById("camera");
    var stream = null;
    var seen = {};
    var stop = function () {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      scanner.hidden = true;
      scan.focus();
    };
    scan.hidden = false;
    scan.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s;
        video.srcObject = s;
        scanner.hidden = false;
        video.play();
        var look = function () {
          if (!stream) return;
          detector.detect(video).then(function (codes) {
            codes.forEach(function (c) {
              var value = c.rawValue || "";
              if (value.indexOf("/checkin/t/") < 0 || seen[value] > Date.now() - 5000) return;
              seen[value] = Date.now();
              enqueue({ act: "code", code: value });
            });
          }).catch(function () {}).then(function () { setTimeout(look, 300); });
        };
        look();
      }, function () { tell("bad", "The camera could not be opened: search by name instead."); });
    });
    document.getElementById("scan-stop").addEventListener("click", stop);
  }

  showNet();
  if (queue().length) flush();
  refresh();
})();
