/* The manage page: see a booking, change its option, or cancel it. The token is the last part
 * of the page's address; everything shown comes from the public API. en-GB text is in T. */
(function () {
  "use strict";
  var T = {
    locale: "en-GB",
    invalid: "This link is not valid. Please use the link in your most recent booking email.",
    unreachable: "Sorry, bookings cannot be reached just now. Please try again in a few minutes.",
    tooMany: "Too many attempts from your connection. Please wait {n} seconds and try again.",
    failed: "Sorry, something went wrong. Please try again.",
    event: "Event", when: "When", where: "Where", status: "Status", option: "Option", name: "Name",
    email: "Email", organisation: "Organisation",
    confirmed: "Confirmed: you have a place", cancelled: "Cancelled",
    waitlisted: "On the waiting list, number {n}",
    changeTitle: "Change your option", change: "Change option",
    changed: "Done: your option is now {option}.", noOption: "None", optional: "(optional)",
    optionLeft: "{n} places left", optionOne: "1 place left", optionFull: "full",
    optionFullNow: "Sorry, that option is full. Please choose another.",
    cancelTitle: "Cancel your booking", cancel: "Cancel my booking",
    confirmCancel: "Are you sure? If you have a place, it will go to the next person waiting.",
    yesCancel: "Yes, cancel my booking", keep: "No, keep my booking",
    wasCancelled: "Your booking is cancelled. We have sent you an email to confirm.",
    started: "The event has started: please contact the organisers.",
    codeTitle: "Your check-in code",
    codeHelp: "Show this code at the door on the day: staff scan it to check you in.",
    codeAlt: "QR code to show at the door"
  };
  var main = document.getElementById("manage");
  var status = document.getElementById("status");
  var token = location.pathname.split("/").pop();
  var api = new URL("../public/", location.href).href;

  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] == null || attrs[k] === false) return;
      if (k === "text") el.textContent = attrs[k]; else el.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function call(method, path, body) {
    return fetch(api + path, {
      method: method, credentials: "omit",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return { status: r.status, body: j, retry: +r.headers.get("Retry-After") || 1 };
      });
    }, function () { return { status: 0, body: {} }; });
  }
  function problem(r) {
    if (r.status === 404) return T.invalid;
    if (r.status === 0) return T.unreachable;
    if (r.status === 429) return fill(T.tooMany, { n: r.retry });
    return { option_full: T.optionFullNow, event_started: T.started }[r.body.code] || T.failed;
  }
  // Sessions, venue and calendar links are drawn by the widget script's own parts (loaded
  // first by the page), so both show an event the same way, in the event's time zone.
  var parts = window.GMBooking.parts;
  // One message at a time, announced, and focused when it answers something the person did.
  function tell(text, kind, focus) {
    status.textContent = text;
    status.className = kind || "";
    status.tabIndex = -1;
    if (focus) status.focus();
  }

  function show(booking, event, note) {
    main.removeAttribute("aria-busy");
    Array.prototype.slice.call(main.querySelectorAll(".card")).forEach(function (el) { el.remove(); });
    var state = booking.status === "waitlisted" ? fill(T.waitlisted, { n: booking.waitlist_position })
      : T[booking.status];
    var rows = [[T.event, booking.event_title], [T.when, parts.when(booking)], [T.status, state]
    ].concat((booking.choices || []).map(function (c) {
      return [c.group_name || T.option, c.option_name];
    }), [
      [T.name, booking.name], [T.email, booking.email], [T.organisation, booking.organisation],
      booking.venue ? [T.where, parts.where(booking.venue)] : null]);
    var list = h("dl", {}, []);
    rows.forEach(function (row) {
      if (!row) return;
      list.appendChild(h("dt", { text: row[0] }));
      list.appendChild(typeof row[1] === "string" ? h("dd", { text: row[1] }) : row[1]);
    });
    var card = h("div", { "class": "card", "data-status": booking.status }, [list]);
    if (booking.calendar) card.appendChild(parts.calendarBox(booking.calendar, 2));
    main.appendChild(card);
    if (booking.status === "confirmed") main.appendChild(checkinCode());
    if (booking.status !== "cancelled") {
      if (event && changeable(event)) main.appendChild(changeForm(booking, event));
      main.appendChild(cancelBox(booking));
    }
    if (note) tell(note.text, note.kind, true); else tell("", "");
  }

  function checkinCode() {
    return h("section", { "class": "card", "aria-labelledby": "code-title" }, [
      h("h2", { id: "code-title", text: T.codeTitle }),
      h("p", { text: T.codeHelp }),
      h("img", { src: api + "bookings/" + token + "/checkin-code.svg", alt: T.codeAlt,
        width: "220", height: "220", "class": "checkin-code" })
    ]);
  }

  // Something to change: a group offering a second option, or an optional one ("None").
  function changeable(event) {
    return groupsOf(event).some(function (g) { return g.options.length > 1 || !g.required; });
  }
  function groupsOf(event) {
    return event.option_groups || (event.options.length ? [{ group_id: "", name: "", required: true, options: event.options }] : []);
  }

  // One fieldset per option group, each set at the booking's choice; only the groups changed
  // are sent, so the others keep their places.
  function changeForm(booking, event) {
    var held = {};
    (booking.choices || []).forEach(function (c) { held[c.group_id] = c.option_id; });
    var groups = groupsOf(event);
    var sets = groups.map(function (g, n) {
      var name = "option_group" + (n ? "-" + (n + 1) : "");
      var radios = g.options.map(function (o) {
        var left = o.remaining > 1 ? fill(T.optionLeft, { n: o.remaining })
          : o.remaining === 1 ? T.optionOne : T.optionFull;
        return h("label", { "class": "r" }, [
          h("input", { type: "radio", name: name, value: o.option_id, checked: o.option_id === held[g.group_id] }),
          h("span", { text: o.name + " (" + left + ")" })
        ]);
      });
      if (!g.required) {
        radios.unshift(h("label", { "class": "r" }, [
          h("input", { type: "radio", name: name, value: "", checked: !held[g.group_id] }),
          h("span", { text: T.noOption })
        ]));
      }
      var legend = h("legend", {}, [document.createTextNode(g.name || T.option),
        g.required ? null : h("span", { "class": "hint", text: " " + T.optional })]);
      return h("fieldset", { "data-group": g.group_id }, [legend].concat(radios));
    });
    var button = h("button", { type: "submit", text: T.change });
    var form = h("form", { "class": "card", "aria-labelledby": "change-title" }, [
      h("h2", { id: "change-title", text: T.changeTitle })].concat(sets, [button]));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var choices = {}, any = false;
      groups.forEach(function (g, n) {
        var chosen = sets[n].querySelector("input:checked");
        var value = chosen ? chosen.value : "";
        if (!chosen || value === (held[g.group_id] || "")) return;
        // The unnamed group of an event from before groups has no id here: send option_id.
        choices[g.group_id] = value || null;
        any = true;
      });
      if (!any) return;
      var body = "" in choices ? { option_id: choices[""] } : { choices: choices };
      button.disabled = true;
      call("PATCH", "bookings/" + token, body).then(function (r) {
        button.disabled = false;
        if (r.status !== 200) return tell(problem(r), "problem", true);
        var names = (r.body.choices || []).map(function (c) { return c.option_name; }).join(", ");
        load({ text: fill(T.changed, { option: names || T.noOption }), kind: "done" });
      });
    });
    return form;
  }

  function cancelBox() {
    var ask = h("button", { type: "button", "class": "secondary", text: T.cancel });
    var yes = h("button", { type: "button", "class": "secondary", text: T.yesCancel });
    var no = h("button", { type: "button", text: T.keep });
    var question = h("p", { id: "confirm-text", tabindex: "-1", text: T.confirmCancel });
    var confirm = h("div", { role: "group", "aria-labelledby": "confirm-text", hidden: true }, [question, yes, no]);
    ask.addEventListener("click", function () { ask.hidden = true; confirm.hidden = false; question.focus(); });
    no.addEventListener("click", function () { confirm.hidden = true; ask.hidden = false; ask.focus(); });
    yes.addEventListener("click", function () {
      yes.disabled = true;
      call("POST", "bookings/" + token + "/cancel").then(function (r) {
        yes.disabled = false;
        if (r.status !== 200) return tell(problem(r), "problem", true);
        load({ text: T.wasCancelled, kind: "done" });
      });
    });
    return h("div", { "class": "card" }, [h("h2", { text: T.cancelTitle }), ask, confirm]);
  }

  function load(note) {
    call("GET", "bookings/" + token).then(function (r) {
      if (r.status !== 200) {
        main.removeAttribute("aria-busy");
        return tell(problem(r), "problem", !!note);
      }
      var booking = r.body;
      call("GET", "events/" + booking.event_id).then(function (e) {
        show(booking, e.status === 200 ? e.body : null, note);
      });
    });
  }
  load(null);
})();
