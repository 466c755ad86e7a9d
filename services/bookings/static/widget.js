/*! Leading GM booking widget: plain script, no build, no framework, no cookies. See docs/widget.md.
 * <script src="https://BOOKINGS-HOST/widget.js" defer></script>
 * <div data-gm-event="EVENT-ID-OR-SLUG" data-gm-partner="PARTNER-KEY"></div> */
(function () {
  "use strict";
  if (window.GMBooking) return;
  var me = document.currentScript;
  var BASE = new URL(".", (me && me.src) || location.href).href;
  var T = Object.assign({
    locale: "en-GB",
    loading: "Loading the event…",
    when: "When", where: "Where", places: "Places", range: "{start} to {end}",
    session: "{title}: {when}", ledBy: "Who is leading it", person: "{name}, {role}", accessInfo: "Access: {text}",
    map: "Map of {venue}", opensNew: "(opens in a new tab)",
    addToCalendar: "Add to your calendar", ics: "Download the calendar file (.ics)",
    google: "Google Calendar", outlook: "Outlook", or: "or", sessionLinks: "{title}:",
    upcoming: "Upcoming events: {programme}", noEvents: "There are no upcoming events just now.",
    bookThis: "Book a place", moreAbout: "More about this event",
    left: "{n} places left", oneLeft: "1 place left",
    waitlist: "Fully booked: you can join the waiting list",
    full: "Fully booked", closed: "Booking has closed",
    notOpen: "Booking opens {date}", notOpenYet: "Booking has not opened yet.", cancelled: "This event has been cancelled",
    completed: "This event has finished",
    options: "Choose an option", optionLeft: "{n} left", optionFull: "full, waiting list",
    noOption: "None", pickIn: "Please choose one of the options for {group}.",
    name: "Full name", email: "Email address", organisation: "Organisation",
    role: "Role or job title", sector: "Sector", dietary: "Dietary needs",
    access: "Access needs", optional: "(optional)", choose: "Choose…",
    sectors: { public: "Public", private: "Private", voluntary: "Voluntary", community: "Community" },
    consent: "You may contact me about future programme events",
    privacy: "How we use these details:", privacyLink: "the programme's privacy notice",
    trap: "Leave this field empty",
    book: "Book a place", join: "Join the waiting list", sending: "Sending…",
    booked: "You have a place", bookedText: "We have sent a confirmation to {email}.",
    waiting: "You are on the waiting list",
    waitingText: "You are number {n} on the waiting list. We will email {email} if a place comes up.",
    justMissed: "The last place went just before yours, so you are number {n} on the waiting list. We will email {email} if a place comes up.",
    manage: "Change or cancel your booking",
    check: "Please correct the highlighted fields.",
    required: "Please fill this in.",
    badEmail: "Enter an email address like name@example.org.",
    tooLong: "This is too long.", badChars: "Please remove special characters.",
    pick: "Please choose one of the options.",
    otherInvite: "Your invitation is for another email address: please use the one it was sent to.",
    inviteExpired: "This invitation has expired. Please contact the organisers if you would still like to come.",
    inviteOtherEvent: "This invitation is for another event. Please use the link in the invitation email for this one.",
    inviteCancelled: "This invitation has been withdrawn by the organisers.",
    inviteInvalid: "This invitation link is not complete or not valid. Please use the link exactly as it is in your invitation email.",
    inviteFull: "Sorry, this event is now full, so your invitation can no longer be used to book a place.",
    byInvitation: "This event is by invitation. If you have been invited, please use the link in your invitation email.",
    notAllowed: "Sorry, this booking form is not available on this site. Please contact the organisers to book a place.",
    notFound: "Sorry, we could not find this event.",
    unreachable: "Sorry, bookings cannot be reached just now. Please try again in a few minutes.",
    tooMany: "Too many attempts from your connection. Please wait {n} seconds and try again.",
    busy: "Lots of people are booking right now. Please try again in a moment.",
    alreadyBooked: "This email address already has a booking for this event. We have emailed the link to manage it again.",
    fullNow: "Sorry, the last place has just gone.",
    optionFullNow: "Sorry, that option has just filled up. Please choose another.",
    notOnRoster: "This event is for members of its cohorts, and this email address is not on their lists.",
    inviteOnly: "This event is by invitation only.",
    failed: "Sorry, something went wrong. Please try again."
  }, window.GMBookingText || {});

  var CSS = ":host{all:initial!important;display:block!important}" +
    ".gm{all:initial;display:block;box-sizing:border-box;max-width:40em;padding:1.25em;" +
    "font:16px/1.5 var(--gm-font,system-ui,sans-serif);" +
    "color:var(--gm-text,#1d1d1f);background:var(--gm-background,#fff);" +
    "border:1px solid var(--gm-border,#6b7079);border-radius:var(--gm-radius,8px)}" +
    ":where(.gm *){box-sizing:border-box;font:inherit;color:inherit;margin:0}" +
    "h2,h3,h4,h5,h6{font-weight:700;font-size:1.3em;line-height:1.25;margin:0 0 .5em}" +
    "p,dl,fieldset,.f{margin:0 0 1em}dt{font-weight:700}dd{margin:0 0 .4em}" +
    "label,legend{display:block;font-weight:600;margin:0 0 .25em;padding:0}" +
    ".hint{font-weight:400;color:var(--gm-muted,#4a4f57)}" +
    "input,select,textarea{display:block;width:100%;padding:.5em .6em;border:2px solid var(--gm-border,#6b7079);" +
    "border-radius:4px;background:var(--gm-field,#fff);color:var(--gm-text,#1d1d1f);min-height:2.75em}" +
    "textarea{min-height:4.5em;resize:vertical}fieldset{border:0;padding:0;min-width:0}" +
    ".r{display:flex;gap:.6em;align-items:flex-start;font-weight:400}" +
    ".r input{width:1.3em;height:1.3em;min-height:0;margin:.1em 0 0;flex:none;accent-color:var(--gm-accent,#00566b)}" +
    "button{display:inline-block;cursor:pointer;border:0;border-radius:4px;padding:.7em 1.3em;min-height:2.75em;" +
    "font-weight:700;background:var(--gm-accent,#00566b);color:var(--gm-accent-text,#fff)}" +
    "button[disabled]{opacity:.7;cursor:progress}" +
    ":focus-visible,.o:focus{outline:3px solid var(--gm-focus,#1d70b8);outline-offset:2px}" +
    ".err{color:var(--gm-error,#b3261e);font-weight:600;margin:.25em 0 0}" +
    "[aria-invalid=true]{border-color:var(--gm-error,#b3261e)}" +
    ".p,.o{border-left:5px solid var(--gm-error,#b3261e);padding:.4em .9em;margin:0 0 1em}" +
    ".o{border-color:var(--gm-success,#1e6b34)}a{color:var(--gm-link,#00566b);text-decoration:underline}" +
    ".vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "[hidden]{display:none!important}.l{list-style:none;padding:0;margin:0}.i{border-top:1px solid var(--gm-border,#6b7079);padding:1em 0 0;margin:0 0 1em}.b{display:block}.s{padding:0 0 0 1.2em;margin:0 0 1em}.s li{margin:0 0 .25em}";
  var sheet = null;
  try { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); } catch (e) { sheet = null; }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  // Elements are built, never parsed from strings: nothing from the API is treated as HTML.
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === false || v == null) return;
      if (k === "text") el.textContent = v; else el.setAttribute(k, v === true ? "" : v);
    });
    (kids || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }
  function uid() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function call(method, path, body, key, idem) {
    var headers = {};
    if (body) headers["Content-Type"] = "application/json";
    if (key && method !== "GET") headers["X-Partner-Key"] = key;
    if (idem) headers["Idempotency-Key"] = idem;
    return fetch(BASE + path, {
      method: method, headers: headers, credentials: "omit",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return { status: r.status, body: j, retry: +r.headers.get("Retry-After") || 1 };
      });
    }, function () { return { status: 0, body: {} }; });
  }
  // The invitation in the page's address is a signed token the server checks. On a page with
  // several widgets, each takes only the token for its own event (its payload is readable);
  // a widget alone on the page asks about any token, so a wrong link gets its own message.
  function invitationToken(eventId) {
    var token = new URLSearchParams(location.search).get("invitation");
    if (!token) return null;
    if (document.querySelectorAll("[data-gm-event]").length === 1) return token;
    try {
      var claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return claims.evt === eventId ? token : null;
    } catch (e) { return null; }
  }
  function inviteText(code) {
    return { invitation_expired: T.inviteExpired, invitation_other_event: T.inviteOtherEvent,
      invitation_campaign_cancelled: T.inviteCancelled, invitation_other_address: T.otherInvite }[code] || T.inviteInvalid;
  }
  var DAY = { weekday: "long", day: "numeric", month: "long", year: "numeric" }, TIME = { hour: "numeric", minute: "2-digit" },
    ZONE = { hour: "numeric", minute: "2-digit", timeZoneName: "short" };
  function fmt(opts, tz) {
    try { return new Intl.DateTimeFormat(T.locale, Object.assign({ timeZone: tz || "Europe/London" }, opts)); }
    catch (e) { return new Intl.DateTimeFormat(T.locale, opts); }
  }
  // Times are always in the event's own time zone, named after the end time, so a reader
  // elsewhere is not misled by their own clock.
  function dates(ev, tz) {
    tz = tz || ev.timezone;
    var d = fmt(DAY, tz), t = fmt(TIME, tz), z = fmt(ZONE, tz), s = new Date(ev.starts_at), e = new Date(ev.ends_at);
    var end = (d.format(s) === d.format(e) ? "" : d.format(e) + ", ") + z.format(e);
    return fill(T.range, { start: d.format(s) + ", " + t.format(s), end: end });
  }
  // Each session with its own date and time: two days weeks apart never read as one.
  function when(ev) {
    var sessions = ev.sessions || [];
    if (sessions.length < 2) return h("dd", { text: dates(sessions[0] || ev, ev.timezone) });
    return h("dd", {}, [h("ul", { class: "s" }, sessions.map(function (x) {
      return h("li", { text: x.title ? fill(T.session, { title: x.title, when: dates(x, ev.timezone) }) : dates(x, ev.timezone) });
    }))]);
  }
  // Only web addresses become links: a catalogue field could hold "javascript:" text.
  function webUrl(url) {
    try { var u = new URL(url); return u.protocol === "https:" || u.protocol === "http:" ? u.href : null; }
    catch (e) { return null; }
  }
  function where(v) {
    var map = v.map_url && webUrl(v.map_url);
    return h("dd", {}, [
      document.createTextNode(v.name + (v.address ? ", " + v.address : "")),
      v.accessibility ? h("span", { class: "hint b", text: fill(T.accessInfo, { text: v.accessibility }) }) : null,
      map ? h("a", { class: "b", href: map, target: "_blank", rel: "noopener noreferrer", text: fill(T.map, { venue: v.name }) + " " + T.opensNew }) : null
    ]);
  }
  function paragraphs(text) {
    return String(text || "").split(/\n\s*\n/).filter(function (p) { return p.trim(); }).map(function (p) {
      return h("p", { class: "d", text: p.trim() });
    });
  }
  function people(ev, level) {
    if (!ev.people || !ev.people.length) return [];
    return [h("h" + Math.min(6, level + 1), { text: T.ledBy }), h("ul", { class: "s" }, ev.people.map(function (p) {
      var who = p.role ? fill(T.person, { name: p.name, role: p.role }) : p.name;
      var about = [p.title, p.organisation].filter(Boolean).join(", ");
      return h("li", { text: about ? who + " (" + about + ")" : who });
    }))];
  }
  function link(href, text) {
    return h("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: text + " " + T.opensNew });
  }
  // "Add to calendar": the booking's own .ics, and one Google and one Outlook link per session.
  function calendarBox(cal, level) {
    var items = [h("li", {}, [h("a", { href: cal.ics_url, download: "booking.ics", text: T.ics })])];
    cal.sessions.forEach(function (x) {
      items.push(h("li", {}, [document.createTextNode(fill(T.sessionLinks, { title: x.title }) + " "),
        link(x.google_url, T.google), document.createTextNode(" " + T.or + " "), link(x.outlook_url, T.outlook)]));
    });
    return h("div", { class: "cal" }, [h("h" + Math.min(6, level), { text: T.addToCalendar }), h("ul", { class: "s" }, items)]);
  }
  function placesText(ev) {
    var s = ev.booking_state;
    if (s === "open") return ev.remaining === 1 ? T.oneLeft : fill(T.left, { n: ev.remaining });
    if (s === "not_open_yet") return fill(T.notOpen, { date: fmt(DAY, ev.timezone).format(new Date(ev.window.opens_at)) });
    return { waitlist: T.waitlist, full: T.full, cancelled: T.cancelled, completed: T.completed }[s] || T.closed;
  }

  function Widget(root, ref, key, level, brief) {
    this.key = key;
    // On a page that shows the event's details itself (its own page), only places and form.
    this.brief = !!brief;
    this.level = Math.min(6, Math.max(2, level || 2));
    this.live = h("div", { class: "vh", role: "status", "aria-live": "polite" });
    this.box = h("div", { class: "gm", lang: T.locale, "aria-busy": "true" }, [h("p", { text: T.loading })]);
    root.appendChild(this.live);
    root.appendChild(this.box);
    var uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
    this.path = "public/events/" + (uuid ? "" : "by-slug/") + encodeURIComponent(ref || "-") +
      (key ? "?partner=" + encodeURIComponent(key) : "");
    var self = this;
    call("GET", this.path).then(function (r) {
      if (r.status !== 200) { self.box.removeAttribute("aria-busy"); return self.stop(r); }
      self.checkInvite(r.body).then(function (invite) {
        self.box.removeAttribute("aria-busy");
        self.draw(r.body, invite);
      });
    });
  }
  var W = Widget.prototype;
  // Who the invitation is for (with what their roster holds), or why it cannot be used. The
  // token goes in the body: no name or address ever appears in a URL.
  W.checkInvite = function (ev) {
    var token = invitationToken(ev.event_id);
    if (!token) return Promise.resolve(null);
    return call("POST", "public/events/" + ev.event_id + "/invitation", { invitation: token }, this.key).then(function (r) {
      if (r.status === 200) return { token: token, who: r.body };
      return { problem: r.status === 422 ? inviteText(r.body.code) : r.status === 0 ? T.unreachable : T.failed };
    });
  };
  W.say = function (text) {
    var live = this.live;
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  };
  W.problemText = function (r) {
    var code = r.body && r.body.code;
    if (r.status === 403) return { not_on_roster: T.notOnRoster, invitation_required: T.inviteOnly }[code] || T.notAllowed;
    if (r.status === 404) return T.notFound;
    if (r.status === 429) return fill(T.tooMany, { n: r.retry });
    if (r.status === 503) return T.busy;
    if (r.status === 0) return T.unreachable;
    return { already_booked: T.alreadyBooked, full: T.fullNow, option_full: T.optionFullNow, booking_closed: T.closed,
      event_not_bookable: T.closed, booking_not_open: T.notOpenYet }[code] || T.failed;
  };
  W.stop = function (r) {
    var text = this.problemText(r);
    this.box.textContent = "";
    this.box.appendChild(h("p", { class: "p", role: "alert", text: text }));
  };
  W.field = function (name, label, input, hint) {
    input.id = "f-" + name;
    input.name = name;
    var err = h("p", { class: "err", id: "e-" + name, hidden: true });
    this.errors[name] = { input: input, err: err };
    return h("div", { class: "f" }, [
      h("label", { "for": input.id }, [document.createTextNode(label + " "), hint ? h("span", { class: "hint", text: hint }) : null]),
      input, err
    ]);
  };
  W.draw = function (ev, invite) {
    var self = this;
    this.ev = ev;
    this.invite = invite && invite.token ? invite : null;
    this.errors = {};
    var id = "t-" + uid().slice(0, 8);
    this.places = h("dd", { text: placesText(ev) });
    var info = h("dl", {}, this.brief ? [h("dt", { text: T.places }), this.places] : [
      h("dt", { text: T.when }), when(ev),
      ev.venue ? h("dt", { text: T.where }) : null,
      ev.venue ? where(ev.venue) : null,
      h("dt", { text: T.places }), this.places
    ]);
    var section = h("section", { "aria-labelledby": id }, [
      h("h" + this.level, { id: id, text: ev.title }),
      ev.summary && !this.brief ? h("p", { text: ev.summary }) : null
    ].concat(this.brief ? [] : paragraphs(ev.description), [info], this.brief ? [] : people(ev, this.level)));
    this.box.textContent = "";
    this.box.appendChild(section);
    var bookable = ev.booking_state === "open" || ev.booking_state === "waitlist";
    if (invite && invite.problem) section.appendChild(h("p", { class: "p", role: "alert", text: invite.problem }));
    if (this.invite && ev.booking_state === "full") section.appendChild(h("p", { class: "p", role: "alert", text: T.inviteFull }));
    // An invitation-only event offers no form to someone without a valid invitation.
    if (bookable && ev.audience.kind === "invitation" && !this.invite) section.appendChild(h("p", { class: "p", text: T.byInvitation }));
    else if (bookable) section.appendChild(this.form(ev));
    this.outcome = h("div", { class: "o", tabindex: "-1", hidden: true });
    section.appendChild(this.outcome);
    self.say(ev.title + ". " + placesText(ev));
  };
  W.form = function (ev) {
    var self = this, opt = T.optional;
    var kids = [];
    kids.push.apply(kids, this.choices(ev));
    var who = this.invite ? this.invite.who : {};
    var email = h("input", { type: "email", autocomplete: "email", required: true, value: who.email || null });
    var sector = h("select", {}, [h("option", { value: "", text: T.choose })].concat(Object.keys(T.sectors).map(function (k) {
      return h("option", { value: k, text: T.sectors[k] });
    })));
    kids.push(
      this.field("name", T.name, h("input", { type: "text", autocomplete: "name", required: true, value: who.name || null })),
      this.field("email", T.email, email),
      this.field("organisation", T.organisation, h("input", { type: "text", autocomplete: "organization", required: true, value: who.organisation || null })),
      this.field("role", T.role, h("input", { type: "text", autocomplete: "organization-title", value: who.role || null }), opt),
      this.field("sector", T.sector, sector, opt),
      this.field("dietary_needs", T.dietary, h("textarea", { rows: "2" }), opt),
      this.field("access_needs", T.access, h("textarea", { rows: "2" }), opt)
    );
    // The programme's privacy notice beside the optional fields (only an http(s) address: the
    // catalogue checks it too, and nothing else may become a link).
    if (/^https?:\/\//i.test(ev.privacy_notice_url || "")) {
      kids.push(h("p", { class: "hint", id: "privacy-notice" }, [document.createTextNode(T.privacy + " "),
        h("a", { href: ev.privacy_notice_url, target: "_blank", rel: "noopener noreferrer", text: T.privacyLink })]));
    }
    var consent = h("input", { type: "checkbox", id: "f-consent_to_contact", name: "consent_to_contact" });
    this.errors.consent_to_contact = { input: consent, err: h("p", { class: "err", id: "e-consent_to_contact", hidden: true }) };
    kids.push(h("div", { class: "f" }, [h("label", { class: "r", "for": consent.id }, [consent, h("span", { text: T.consent + " " + opt })]), this.errors.consent_to_contact.err]));
    // The honeypot: out of sight and out of the tab order; people leave it empty, robots don't.
    kids.push(h("div", { class: "vh", "aria-hidden": "true" }, [h("label", {}, [document.createTextNode(T.trap),
      h("input", { type: "text", name: "website", tabindex: "-1", autocomplete: "off" })])]));
    this.problem = h("p", { class: "p", role: "alert", hidden: true });
    this.button = h("button", { type: "submit", text: ev.booking_state === "open" ? T.book : T.join });
    kids.push(this.problem, this.button);
    this.formEl = h("form", { novalidate: true, "aria-label": ev.booking_state === "open" ? T.book : T.join }, kids);
    this.formEl.addEventListener("submit", function (e) { e.preventDefault(); self.submit(); });
    return this.formEl;
  };
  // A fieldset per option group; an optional one starts at "None", which takes no place.
  W.choices = function (ev) {
    var self = this;
    this.groups = [];
    return (ev.option_groups || []).map(function (g, n) {
      var sfx = n ? "-" + (n + 1) : "", name = "option_group" + sfx;
      var radios = (g.required ? [] : [{ option_id: "", none: 1 }]).concat(g.options).map(function (o, i) {
        var label = o.none ? T.noOption : o.name + " (" + (o.remaining > 0 ? fill(T.optionLeft, { n: o.remaining }) : T.optionFull) + ")";
        return h("label", { class: "r" }, [
          h("input", { type: "radio", name: name, value: o.option_id, checked: !!o.none, id: i ? null : "f-option_id" + sfx }),
          h("span", {}, [document.createTextNode(label), o.description ? h("span", { class: "hint", text: " " + o.description }) : null])
        ]);
      });
      var err = h("p", { class: "err", id: "e-option_id" + sfx, hidden: true });
      self.groups.push(self.errors["option_id" + sfx] = { input: radios[0].firstChild, err: err, group: true, required: g.required, name: name, label: g.name });
      return h("fieldset", { "aria-describedby": err.id }, [h("legend", {}, [document.createTextNode(g.name || T.options),
        g.required ? null : h("span", { class: "hint", text: " " + T.optional })])].concat(radios, [err]));
    });
  };
  W.chosen = function () {
    var form = this.formEl;
    return this.groups.map(function (g) { var on = form.querySelector("input[name=" + g.name + "]:checked"); return on ? on.value : ""; });
  };
  W.values = function () {
    var f = this.formEl.elements, v = function (n) { return f[n] ? f[n].value.trim() : ""; };
    var body = {
      name: v("name"), email: v("email"), organisation: v("organisation"), role: v("role"),
      sector: v("sector") || null, dietary_needs: v("dietary_needs"), access_needs: v("access_needs"),
      consent_to_contact: f.consent_to_contact.checked, website: v("website")
    };
    if (this.groups.length) body.option_ids = this.chosen().filter(Boolean);
    if (this.invite) body.invitation = this.invite.token;
    return body;
  };
  W.clear = function () {
    var errors = this.errors;
    Object.keys(errors).forEach(function (k) {
      errors[k].err.hidden = true;
      errors[k].err.textContent = "";
      errors[k].input.removeAttribute("aria-invalid");
      if (!errors[k].group) errors[k].input.removeAttribute("aria-describedby");
    });
    this.problem.hidden = true;
  };
  W.submit = function () {
    if (this.sending) return;
    var self = this, body = this.values(), idem = uid(), tries = 0;
    this.clear();
    this.sending = true;
    this.button.disabled = true;
    this.button.textContent = T.sending;
    this.say(T.sending);
    var path = "public/events/" + this.ev.event_id + "/bookings";
    (function attempt() {
      // A busy answer or a lost connection is retried with the same Idempotency-Key, so a
      // request that did get through is answered, not booked twice.
      call("POST", path, body, self.key, idem).then(function (r) {
        if ((r.status === 503 || r.status === 0) && ++tries < 3) return setTimeout(attempt, 1000 * (r.retry || 1));
        self.sending = false;
        self.button.disabled = false;
        self.button.textContent = self.ev.booking_state === "open" ? T.book : T.join;
        if (r.status === 201) self.done(r.body, body.email);
        else if (r.status === 422 && Array.isArray(r.body.detail)) self.invalid(r.body.detail);
        else self.fail(self.problemText(r));
      });
    })();
  };
  W.fail = function (text) {
    this.problem.textContent = text;
    this.problem.hidden = false;
    this.say(text);
  };
  W.message = function (name, d, value) {
    if (name.indexOf("option_id") === 0) {
      var slot = this.errors[name];
      return slot && slot.label ? fill(T.pickIn, { group: slot.label }) : T.pick;
    }
    if (d.loc[1] === "invitation") return inviteText(d.type);
    if (!value && name !== "sector") return T.required;
    if (name === "email") return T.badEmail;
    return { string_too_long: T.tooLong, string_pattern_mismatch: T.badChars, literal_error: T.pick }[d.type] || d.msg || T.failed;
  };
  W.invalid = function (detail) {
    var self = this, first = null, general = false, values = this.values();
    detail.forEach(function (d) {
      var loc = d.loc || [], name = loc[0] === "body" ? loc[1] : null;
      if (name === "invitation") name = "email";
      if (name === "option_ids") name = self.groupAt();
      var slot = name && self.errors[name];
      if (!slot) { general = true; return; }
      slot.err.textContent = self.message(name, d, values[name]);
      slot.err.hidden = false;
      slot.input.setAttribute("aria-invalid", "true");
      if (!slot.group) slot.input.setAttribute("aria-describedby", slot.err.id);
      first = first || slot.input;
    });
    this.fail(general && !first ? T.failed : T.check);
    if (first) first.focus();
  };
  // A refused choice belongs to the first required group left empty.
  W.groupAt = function () {
    var chosen = this.chosen(), i = this.groups.findIndex(function (g, n) { return g.required && !chosen[n]; });
    return i > 0 ? "option_id-" + (i + 1) : "option_id";
  };
  W.done = function (answer, email) {
    var waiting = answer.status === "waitlisted";
    var text = fill(waiting ? (this.ev.booking_state === "open" ? T.justMissed : T.waitingText) : T.bookedText,
      { n: answer.waitlist_position, email: email });
    var o = this.outcome;
    o.appendChild(h("h" + Math.min(6, this.level + 1), { text: waiting ? T.waiting : T.booked }));
    o.appendChild(h("p", { text: text }));
    if (answer.manage_url) o.appendChild(h("p", {}, [h("a", { href: answer.manage_url, text: T.manage })]));
    if (!waiting && answer.manage_token) this.calendar(answer.manage_token, o);
    o.setAttribute("data-status", answer.status);
    this.formEl.remove();
    o.hidden = false;
    o.focus();
    this.say((waiting ? T.waiting : T.booked) + ". " + text);
    var places = this.places;
    call("GET", this.path).then(function (r) { if (r.status === 200) places.textContent = placesText(r.body); });
  };

  W.calendar = function (token, into) {
    var level = Math.min(6, this.level + 2);
    call("GET", "public/bookings/" + encodeURIComponent(token) + (this.key ? "?partner=" + encodeURIComponent(this.key) : "")).then(function (r) {
      if (r.status === 200 && r.body.calendar) into.appendChild(calendarBox(r.body.calendar, level));
    });
  };

  // The list widget: a programme's upcoming events, each opening its own booking form in
  // place, so a partner embeds one element instead of one widget per event.
  function List(root, ref, key, level) {
    var self = this;
    this.key = key;
    this.level = Math.min(6, Math.max(2, level || 2));
    this.box = h("div", { class: "gm", lang: T.locale, "aria-busy": "true" }, [h("p", { text: T.loading })]);
    root.appendChild(this.box);
    var path = "public/programmes/" + encodeURIComponent(ref || "-") + "/events" + (key ? "?partner=" + encodeURIComponent(key) : "");
    call("GET", path).then(function (r) {
      self.box.removeAttribute("aria-busy");
      if (r.status !== 200) return Widget.prototype.stop.call(self, r);
      self.draw(r.body);
    });
  }
  List.prototype.problemText = function (r) { return Widget.prototype.problemText.call(this, r); };
  List.prototype.draw = function (listing) {
    var self = this, level = this.level;
    this.box.textContent = "";
    this.box.appendChild(h("h" + level, { text: fill(T.upcoming, { programme: listing.name }) }));
    if (!listing.events.length) return this.box.appendChild(h("p", { text: T.noEvents }));
    var list = h("ul", { class: "l" });
    listing.events.forEach(function (e) {
      var id = "l-" + uid().slice(0, 8);
      var slot = h("div", { id: id + "-form", hidden: true });
      var open = h("button", { type: "button", "aria-expanded": "false", "aria-controls": id + "-form", text: T.bookThis });
      open.appendChild(h("span", { class: "vh", text: ": " + e.title }));
      open.addEventListener("click", function () {
        var shown = open.getAttribute("aria-expanded") === "true";
        open.setAttribute("aria-expanded", shown ? "false" : "true");
        slot.hidden = shown;
        if (!shown && !slot.firstChild) new Widget(slot, e.event_id, self.key, level + 2, true);
      });
      var bookable = (e.booking_state === "open" || e.booking_state === "waitlist") && !e.by_invitation;
      list.appendChild(h("li", { class: "i" }, [
        h("h" + Math.min(6, level + 1), { text: e.title }),
        e.summary ? h("p", { text: e.summary }) : null,
        h("dl", {}, [h("dt", { text: T.when }), e.sessions.length ? h("dd", {}, [h("ul", { class: "s" }, e.sessions.map(function (x) {
          return h("li", { text: x });
        }))]) : h("dd", { text: dates(e, e.timezone) }),
        e.venue ? h("dt", { text: T.where }) : null, e.venue ? h("dd", { text: e.venue }) : null,
        h("dt", { text: T.places }), h("dd", { text: e.places })]),
        h("p", {}, [link(e.url, T.moreAbout)]),
        bookable ? open : null, slot
      ]));
    });
    this.box.appendChild(list);
  };

  function shadow(el) {
    var host = document.createElement("gm-booking");
    el.appendChild(host);
    var root = host.attachShadow({ mode: "open" });
    if (sheet) root.adoptedStyleSheets = [sheet]; else root.appendChild(h("style", { text: CSS }));
    return root;
  }
  function mount(el) {
    if (el.gmBooking) return;
    el.gmBooking = true;
    new Widget(shadow(el), el.getAttribute("data-gm-event"), el.getAttribute("data-gm-partner"), +el.getAttribute("data-gm-heading"),
      el.getAttribute("data-gm-details") === "off");
  }
  function mountList(el) {
    if (el.gmBooking) return;
    el.gmBooking = true;
    new List(shadow(el), el.getAttribute("data-gm-programme"), el.getAttribute("data-gm-partner"), +el.getAttribute("data-gm-heading"));
  }
  function scan() {
    document.querySelectorAll("[data-gm-event]").forEach(mount);
    document.querySelectorAll("[data-gm-programme]").forEach(mountList);
  }
  // The manage page draws sessions, venue and calendar links with these same parts.
  window.GMBooking = { scan: scan, text: T, parts: { when: when, where: where, calendarBox: calendarBox, fill: fill } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan); else scan();
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
})();
