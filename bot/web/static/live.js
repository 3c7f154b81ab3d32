// The live web page: Server-Sent Events in, sections re-rendered from the pushed state, buttons that post.
// No build step, no framework. Member text is only ever set with textContent.
(function () {
  "use strict";

  var configNode = document.getElementById("live-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var base = location.pathname.replace(/\/+$/, "");
  var present = document.body.classList.contains("present");
  var personal = document.body.classList.contains("personal") && !!config.csrf;
  var shown = {}; // the JSON of what each section shows: unchanged sections are left alone (and not re-announced)
  var current = null;

  function t(key, params) {
    var text = config.texts[key] || key;
    params = params || {};
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return name in params ? String(params[name]) : all;
    });
  }

  function counted(key, count) {
    var forms = config.counted[key];
    var singular = count === 1 || (count === 0 && config.singular_zero);
    return (singular ? forms.one : forms.other).replace("{count}", String(count));
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function empty(key) {
    return el("p", "muted", t(key));
  }

  function time(at) {
    var match = /^\d{4}-\d\d-\d\d[T ](\d\d:\d\d)/.exec(String(at || ""));
    return match ? match[1] : String(at || "");
  }

  // Replace a section's content, keeping keyboard focus on the same button when it is still there.
  function replace(id, data, build) {
    var key = JSON.stringify(data);
    if (shown[id] === key) return;
    shown[id] = key;
    var section = document.getElementById(id);
    if (!section) return;
    var content = section.querySelector(".content");
    var active = document.activeElement;
    var focusKey = active && content.contains(active) ? active.getAttribute("data-focus") : null;
    var fresh = build();
    content.replaceChildren(fresh);
    if (focusKey) {
      var again = content.querySelector('[data-focus="' + focusKey + '"]');
      if (again) again.focus();
    }
  }

  function renderPoll(poll) {
    if (!poll) return empty("live.web.poll.none");
    var box = document.createDocumentFragment();
    box.appendChild(el("h3", "question", poll.question)).id = "poll-question";
    var list = el("ol", "options");
    var canVote = personal && !poll.closed;
    (poll.options || []).forEach(function (option, index) {
      var item = el("li", "option");
      var name;
      if (canVote) {
        name = el("button", "vote", option.label);
        name.type = "button";
        name.setAttribute("data-poll", poll.id);
        name.setAttribute("data-option", index);
        name.setAttribute("data-focus", "vote-" + index);
        name.setAttribute("aria-label", t("live.web.vote", { option: option.label }));
      } else {
        name = el("span", "label", option.label);
      }
      item.appendChild(name);
      var bar = el("progress", "", option.percent + " %");
      bar.max = 100;
      bar.value = option.percent;
      bar.setAttribute("aria-label", option.label);
      item.appendChild(bar);
      var figures = el("span", "figures");
      figures.appendChild(el("span", "count", option.count));
      figures.appendChild(document.createTextNode(" · "));
      figures.appendChild(el("span", "percent", option.percent + " %"));
      item.appendChild(figures);
      list.appendChild(item);
    });
    box.appendChild(list);
    var voters = el("p", "muted", counted("live.web.voters", poll.voters));
    voters.id = "poll-voters";
    if (poll.closed) {
      voters.appendChild(document.createTextNode(" · "));
      voters.appendChild(el("span", "closed", t("live.web.poll.closed")));
    }
    box.appendChild(voters);
    return box;
  }

  function renderQuestions(questions) {
    if (!questions.length) return empty("live.web.questions.none");
    var list = el("ol", "questions");
    questions.forEach(function (q) {
      var item = el("li", "q" + (q.answered ? " is-answered" : ""));
      if (personal) {
        var button = el("button", "upvote", "▲ ");
        button.type = "button";
        button.setAttribute("data-question", q.id);
        button.setAttribute("data-focus", "q-" + q.id);
        button.setAttribute("aria-label", t("live.web.upvote", { number: q.n }));
        button.appendChild(el("span", "votes-n", q.votes));
        item.appendChild(button);
      } else {
        var votes = el("span", "upvotes", "▲ " + q.votes);
        votes.setAttribute("aria-hidden", "true");
        item.appendChild(votes);
      }
      var body = el("div", "q-body");
      var text = el("p", "q-text");
      text.appendChild(el("span", "q-n", "n°" + q.n));
      text.appendChild(document.createTextNode(" " + q.text));
      body.appendChild(text);
      var meta = el("p", "muted q-meta");
      meta.appendChild(el("span", "author", q.author || t("live.web.anonymous")));
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "votes", counted("live.web.upvotes", q.votes)));
      if (q.answered) {
        meta.appendChild(document.createTextNode(" "));
        meta.appendChild(el("span", "answered", "✓ " + t("live.web.answered")));
      }
      body.appendChild(meta);
      item.appendChild(body);
      list.appendChild(item);
    });
    return list;
  }

  function renderAntennas(antennas) {
    if (!antennas.length) return empty("live.web.antennas.none");
    var list = el("ul", "antennas");
    antennas.forEach(function (a) {
      var item = el("li");
      item.appendChild(el("span", "name", a.name));
      item.appendChild(document.createTextNode(" · " + counted("live.web.people", a.count)));
      list.appendChild(item);
    });
    return list;
  }

  function renderMessages(messages) {
    if (!messages.length) return empty("live.web.messages.none");
    var list = el("ul", "messages");
    messages.forEach(function (m) {
      var item = el("li");
      item.appendChild(el("time", "muted", time(m.at)));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("b", "name", m.name));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "muted platform", "(" + m.platform + ")"));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "text", m.text));
      list.appendChild(item);
    });
    return list;
  }

  function renderIdeas(ideas) {
    var list = el("ol", "ideas");
    ideas.forEach(function (i) {
      var item = el("li");
      item.appendChild(el("span", "text", i.text));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "muted likes", counted("live.web.likes", i.likes)));
      list.appendChild(item);
    });
    return list;
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node && node.textContent !== text) node.textContent = text;
    return node;
  }

  function render(state) {
    current = state;
    var event = state.event || {};
    setText("event-title", "#" + event.ref + " · " + event.title);
    var session = setText("event-session", event.session ? t("live.web.session", { title: event.session }) : "");
    if (session) session.hidden = !event.session;
    var stopped = document.getElementById("stopped");
    if (stopped) stopped.hidden = !state.stopped;
    replace("poll", state.poll, function () { return renderPoll(state.poll); });
    var questions = state.questions || [];
    if (present) questions = questions.slice(0, config.present_questions);
    replace("questions", questions, function () { return renderQuestions(questions); });
    if (present) return;
    replace("antennas", state.antennas || [], function () { return renderAntennas(state.antennas || []); });
    replace("messages", state.messages || [], function () { return renderMessages(state.messages || []); });
    var ideas = state.ideas || [];
    var ideasSection = document.getElementById("ideas");
    if (ideasSection) ideasSection.hidden = !ideas.length;
    replace("ideas", ideas, function () { return renderIdeas(ideas); });
  }

  // --- live updates: the browser reconnects by itself and sends Last-Event-ID.
  var status = document.getElementById("live-status");
  function connect() {
    var source = new EventSource(base + "/events");
    source.addEventListener("state", function (message) {
      render(JSON.parse(message.data));
      document.body.setAttribute("data-event-id", message.lastEventId || "");
    });
    source.addEventListener("open", function () {
      if (status) status.textContent = t("live.web.connection.ok");
      document.body.removeAttribute("data-offline");
    });
    source.addEventListener("error", function () {
      if (status) status.textContent = t("live.web.connection.lost");
      document.body.setAttribute("data-offline", "1");
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (a revoked or expired link): the page itself says why.
        setTimeout(function () { location.reload(); }, 3000);
      }
    });
  }
  connect();

  // --- taking part (personal links only): same-origin POSTs carrying the link's CSRF token.
  var toast = document.getElementById("live-toast");
  var toastTimer = null;
  function say(text) {
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 4000);
  }

  function post(action, fields, done) {
    var body = new URLSearchParams(fields);
    body.set("csrf", config.csrf);
    fetch(base + "/" + action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": config.csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: t("live.web.error") }; });
    }).then(function (answer) {
      say(answer.message || (answer.ok ? t("live.web.sent") : t("live.web.error")));
      if (done) done(answer);
    }, function () {
      say(t("live.web.error"));
      if (done) done({ ok: false });
    });
  }

  if (personal) {
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-poll], button[data-question]") : null;
      // Busy, not disabled: a disabled button drops the keyboard focus.
      if (!button || button.getAttribute("aria-busy") === "true") return;
      button.setAttribute("aria-busy", "true");
      var enable = function () { button.removeAttribute("aria-busy"); };
      if (button.hasAttribute("data-poll")) {
        post("vote", { poll: button.getAttribute("data-poll"), option: button.getAttribute("data-option") }, enable);
      } else {
        post("upvote", { question: button.getAttribute("data-question") }, enable);
      }
    });
    var form = document.getElementById("ask-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = form.elements.text.value.trim();
        if (!text) return;
        var send = form.querySelector("button[type=submit]");
        send.disabled = true;
        post("ask", { text: text, anonymous: form.elements.anonymous.checked ? "1" : "" }, function (answer) {
          send.disabled = false;
          if (answer.ok) form.elements.text.value = ""; // kept when refused: nothing typed is lost
        });
      });
    }
  }

  // --- projector: one slide at a time, the current poll then the top questions.
  if (present) {
    var index = 0;
    setInterval(function () {
      var slides = [];
      if (current ? current.poll : !document.getElementById("poll").hidden) slides.push("poll");
      slides.push("questions");
      index = (index + 1) % slides.length;
      ["poll", "questions"].forEach(function (id) {
        document.getElementById(id).hidden = id !== slides[index];
      });
    }, config.slide_seconds * 1000);
  }
})();
