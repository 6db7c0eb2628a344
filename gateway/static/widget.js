/*
 * マイナンバーカード暗証番号案内チャット — embeddable widget.
 * Embed with: <script src="https://<gateway>/widget.js" data-municipality="mitaka" defer></script>
 * Plain DOM, no framework, no network access except the gateway that served this file.
 * Every bot or user string is inserted as a text node; only https: and tel: links become anchors.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__mncChatLoaded) {
    return;
  }
  window.__mncChatLoaded = true;

  var BASE = new URL(script.src, window.location.href).origin;
  var MUNICIPALITY = (script.getAttribute("data-municipality") || "").trim();
  var KEY = "mnc-chat:" + BASE + ":" + MUNICIPALITY;
  var SESSION_KEY = KEY + ":session";
  var TRANSCRIPT_KEY = KEY + ":transcript";
  var OPEN_KEY = KEY + ":open";
  var MAX_CHARS = 500;
  var MAX_TRANSCRIPT = 120;
  var TIMEOUT_MS = 20000;

  var TEXT = {
    launcher: "暗証番号のご案内",
    title: "マイナンバーカード 暗証番号のご案内",
    restart: "最初から",
    deleteConversation: "会話を削除",
    confirmDelete: "この会話の記録を、画面とサーバーから削除します。元に戻すことはできません。削除しますか？",
    confirmYes: "削除する",
    confirmNo: "キャンセル",
    deleted: "会話を削除しました。",
    deletedHereOnly:
      "この画面の会話を削除しました。有効期限が切れた会話のため、サーバーの記録は保存期間の経過後に自動で削除されます。",
    close: "閉じる",
    notice: "暗証番号やマイナンバー（個人番号）は入力しないでください。",
    placeholder: "ご質問を入力してください（例：暗証番号を忘れました）",
    inputLabel: "ご質問",
    send: "送信",
    welcome: "こんにちは。マイナンバーカードの暗証番号の手続きについてご案内します。ご用件を選ぶか、ご質問を入力してください。",
    typing: "回答を作成しています",
    offline: "サーバーに接続できません。通信環境をご確認のうえ、しばらくしてからもう一度お試しください。",
    expired: "会話の有効期限が切れたため、新しい会話を始めました。もう一度ご用件を選ぶか、入力してください。",
    error: "エラーが発生しました。しばらくしてからもう一度お試しください。",
    tooLong: "メッセージは" + MAX_CHARS + "文字以内で入力してください。",
    masked: "暗証番号や個人番号と思われる部分は表示・保存していません。",
    you: "あなた",
    bot: "案内",
    log: "会話の履歴"
  };
  // Client-side starters are sent as typed text, so they never need to be offered by the server. The gateway
  // fills them in from its catalogue (replies/catalogue.yml) when it serves this file.
  var STARTERS = /*{{STARTERS}}*/ [];

  // ---- storage (never throws: private modes and blocked storage must not break the chat) ----
  function load(storage, key) {
    try {
      return storage.getItem(key);
    } catch (e) {
      return null;
    }
  }
  function save(storage, key, value) {
    try {
      if (value === null) {
        storage.removeItem(key);
      } else {
        storage.setItem(key, value);
      }
    } catch (e) {
      /* storage full or blocked: the conversation simply is not kept */
    }
  }

  var sessionId = load(window.localStorage, SESSION_KEY);
  var transcript = [];
  try {
    transcript = JSON.parse(load(window.sessionStorage, TRANSCRIPT_KEY) || "[]");
    if (!Array.isArray(transcript)) {
      transcript = [];
    }
  } catch (e) {
    transcript = [];
  }
  var busy = false;

  // ---- what the resident typed is shown only as the server kept it ----
  // The gateway answers each typed message with `you`: the text after the server's redaction (privacy/), exactly as
  // forwarded and stored. The widget shows that and nothing else, so screen and server follow ONE rule and the
  // 「表示・保存していません」 notice appears only when the server really removed something.
  function echoOf(result) {
    var you = result && result.data && result.data.you;
    if (you && typeof you.text === "string") {
      return { text: you.text, redacted: you.redacted === true };
    }
    return null;
  }

  // ---- safe rendering ----
  var TOKEN = /\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)|(https:\/\/[^\s<>"'「」『』（）()、。，]+)|((?:0\d{1,4}-\d{1,4}-\d{3,4})|(?:0120-\d{2,3}-\d{3}))/g;

  function safeHref(raw) {
    var url;
    try {
      url = new URL(raw);
    } catch (e) {
      return null;
    }
    if (url.protocol === "https:" || url.protocol === "tel:") {
      return url.href;
    }
    return null;
  }

  function appendRichText(parent, text) {
    var last = 0;
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      var href = null;
      var label = match[0];
      if (match[1] !== undefined) {
        href = safeHref(match[2]);
        label = match[1];
      } else if (match[3] !== undefined) {
        href = safeHref(match[3]);
      } else if (match[4] !== undefined) {
        href = safeHref("tel:" + match[4].replace(/-/g, ""));
      }
      if (href === null) {
        continue; // left in place as literal text
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var a = document.createElement("a");
      a.href = href;
      a.textContent = label;
      if (href.indexOf("https:") === 0) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
      parent.appendChild(a);
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // ---- DOM ----
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  var host = el("div", "mnc-chat-host");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("link");
  style.rel = "stylesheet";
  style.href = BASE + "/widget.css";
  root.appendChild(style);

  var launcher = el("button", "mnc-launcher", TEXT.launcher);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "mnc-panel");

  var panel = el("section", "mnc-panel");
  panel.id = "mnc-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-labelledby", "mnc-title");
  panel.hidden = true;

  var header = el("div", "mnc-header");
  var title = el("h2", "mnc-title", TEXT.title);
  title.id = "mnc-title";
  var deleteButton = el("button", "mnc-delete", TEXT.deleteConversation);
  deleteButton.type = "button";
  deleteButton.setAttribute("aria-controls", "mnc-confirm");
  deleteButton.setAttribute("aria-expanded", "false");
  var restartButton = el("button", "mnc-restart", TEXT.restart);
  restartButton.type = "button";
  var closeButton = el("button", "mnc-close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(title);
  header.appendChild(deleteButton);
  header.appendChild(restartButton);
  header.appendChild(closeButton);

  // Deleting asks first, inline (no browser dialog): the question, then 削除する / キャンセル.
  var confirmBox = el("div", "mnc-confirm");
  confirmBox.id = "mnc-confirm";
  confirmBox.setAttribute("role", "group");
  confirmBox.setAttribute("aria-labelledby", "mnc-confirm-text");
  confirmBox.hidden = true;
  var confirmText = el("p", "mnc-confirm-text", TEXT.confirmDelete);
  confirmText.id = "mnc-confirm-text";
  var confirmYes = el("button", "mnc-confirm-yes", TEXT.confirmYes);
  confirmYes.type = "button";
  var confirmNo = el("button", "mnc-confirm-no", TEXT.confirmNo);
  confirmNo.type = "button";
  confirmBox.appendChild(confirmText);
  confirmBox.appendChild(confirmYes);
  confirmBox.appendChild(confirmNo);

  var notice = el("p", "mnc-notice", TEXT.notice);
  var log = el("div", "mnc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", TEXT.log);
  log.tabIndex = 0;

  var typing = el("div", "mnc-typing");
  typing.setAttribute("role", "status");
  typing.hidden = true;
  var typingLabel = el("span", "mnc-visually-hidden", TEXT.typing);
  typing.appendChild(typingLabel);
  for (var i = 0; i < 3; i++) {
    var dot = el("span", "mnc-dot");
    dot.setAttribute("aria-hidden", "true");
    typing.appendChild(dot);
  }

  var status = el("div", "mnc-status");
  status.setAttribute("role", "alert");
  status.hidden = true;

  var form = el("form", "mnc-form");
  var inputLabel = el("label", "mnc-visually-hidden", TEXT.inputLabel);
  inputLabel.htmlFor = "mnc-input";
  var input = el("textarea", "mnc-input");
  input.id = "mnc-input";
  input.rows = 2;
  input.maxLength = MAX_CHARS;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("autocomplete", "off");
  var sendButton = el("button", "mnc-send", TEXT.send);
  sendButton.type = "submit";
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(confirmBox);
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  // ---- transcript ----
  function persist() {
    if (transcript.length > MAX_TRANSCRIPT) {
      transcript = transcript.slice(transcript.length - MAX_TRANSCRIPT);
    }
    save(window.sessionStorage, TRANSCRIPT_KEY, JSON.stringify(transcript));
  }

  function lastUserIndex() {
    for (var k = transcript.length - 1; k >= 0; k--) {
      if (transcript[k].from === "user") {
        return k;
      }
    }
    return -1;
  }

  function renderEntry(entry, index) {
    var item = el("div", "mnc-msg mnc-msg-" + entry.from);
    var who = el("span", "mnc-visually-hidden", (entry.from === "user" ? TEXT.you : TEXT.bot) + "：");
    item.appendChild(who);
    var bubble = el("div", "mnc-bubble");
    appendRichText(bubble, String(entry.text || ""));
    item.appendChild(bubble);
    var choices = entry.buttons || entry.starters;
    if (choices && choices.length) {
      var group = el("div", "mnc-choices");
      group.setAttribute("role", "group");
      group.setAttribute("data-index", String(index));
      choices.forEach(function (choice) {
        var button = el("button", "mnc-choice", entry.buttons ? choice.title : choice);
        button.type = "button";
        button.addEventListener("click", function () {
          if (entry.buttons) {
            choose(choice);
          } else {
            sendText(choice);
          }
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  }

  // Only the choices offered since the resident's last message stay usable (and none while waiting).
  function refreshChoices() {
    var activeFrom = lastUserIndex() + 1;
    var groups = log.querySelectorAll(".mnc-choices");
    for (var g = 0; g < groups.length; g++) {
      var inactive = busy || Number(groups[g].getAttribute("data-index")) < activeFrom;
      var buttons = groups[g].querySelectorAll(".mnc-choice");
      for (var b = 0; b < buttons.length; b++) {
        buttons[b].disabled = inactive;
      }
    }
  }

  // Full redraw only on load and restart: redrawing on every message would make screen readers repeat the log.
  function render() {
    log.textContent = "";
    transcript.forEach(function (entry, index) {
      log.appendChild(renderEntry(entry, index));
    });
    refreshChoices();
    log.scrollTop = log.scrollHeight;
  }

  function add(entry) {
    transcript.push(entry);
    persist();
    log.appendChild(renderEntry(entry, transcript.length - 1));
    refreshChoices();
    log.scrollTop = log.scrollHeight;
  }

  function welcome() {
    if (transcript.length === 0) {
      add({ from: "bot", text: TEXT.welcome, starters: STARTERS });
    }
  }

  // ---- status / busy state ----
  function showStatus(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    sendButton.disabled = value;
    deleteButton.disabled = value;
    confirmYes.disabled = value;
    // While busy, screen readers hold the log's announcements and read the whole answer once it is complete.
    log.setAttribute("aria-busy", value ? "true" : "false");
    refreshChoices();
    if (value) {
      log.scrollTop = log.scrollHeight;
    }
  }

  // ---- network ----
  function call(method, path, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(BASE + path, {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(
      function (response) {
        if (timer) clearTimeout(timer);
        return response.json().then(
          function (data) { return { status: response.status, ok: response.ok, data: data }; },
          function () { return { status: response.status, ok: false, data: null }; }
        );
      },
      function (error) {
        if (timer) clearTimeout(timer);
        throw error;
      }
    );
  }

  function ensureSession() {
    if (sessionId) {
      return Promise.resolve(sessionId);
    }
    var body = MUNICIPALITY ? { municipality: MUNICIPALITY } : {};
    return call("POST", "/api/chat/session", body).then(function (result) {
      if (!result.ok || !result.data || typeof result.data.session_id !== "string") {
        var error = new Error("session");
        error.result = result;
        throw error;
      }
      sessionId = result.data.session_id;
      save(window.localStorage, SESSION_KEY, sessionId);
      return sessionId;
    });
  }

  function forgetSession() {
    sessionId = null;
    save(window.localStorage, SESSION_KEY, null);
  }

  function deliver(body, retried) {
    return ensureSession()
      .then(function (id) {
        var payload = { session_id: id };
        Object.keys(body).forEach(function (k) { payload[k] = body[k]; });
        return call("POST", "/api/chat/message", payload);
      })
      .then(function (result) {
        if (result.status === 404 && !retried) {
          forgetSession();
          if (body.text !== undefined) {
            return deliver(body, true);
          }
          add({ from: "bot", text: TEXT.expired, starters: STARTERS });
          return null;
        }
        return result;
      });
  }

  function handle(result) {
    if (result === null) {
      return;
    }
    if (result.ok && result.data && Array.isArray(result.data.messages)) {
      showStatus("");
      var echo = echoOf(result);
      if (echo) {
        add({ from: "user", text: echo.text });
        if (echo.redacted) {
          add({ from: "bot", text: TEXT.masked });
        }
      }
      result.data.messages.forEach(function (message) {
        var buttons = Array.isArray(message.buttons)
          ? message.buttons.filter(function (b) { return b && typeof b.title === "string" && typeof b.payload === "string"; })
          : [];
        add({ from: "bot", text: typeof message.text === "string" ? message.text : "", buttons: buttons.length ? buttons : undefined });
      });
      return;
    }
    showStatus((result.data && typeof result.data.message === "string" && result.data.message) || TEXT.error);
  }

  // Resolves to whether the server accepted the message (and so answered it).
  function turn(body) {
    setBusy(true);
    showStatus("");
    return deliver(body, false)
      .then(function (result) {
        handle(result);
        return result !== null && result.ok === true;
      }, function (error) {
        if (error && error.result) {
          handle(error.result);
        } else {
          showStatus(TEXT.offline);
        }
        return false;
      })
      .then(function (accepted) {
        setBusy(false);
        input.focus();
        return accepted;
      });
  }

  function sendText(raw) {
    var text = String(raw || "").trim();
    if (!text || busy) {
      return;
    }
    if (text.length > MAX_CHARS) {
      showStatus(TEXT.tooLong);
      return;
    }
    // Not shown yet: the server's redacted echo is (see handle); on failure the text goes back into the box.
    input.value = "";
    turn({ text: text }).then(function (accepted) {
      if (!accepted && !input.value) {
        input.value = text;
      }
    });
  }

  function choose(button) {
    if (busy) {
      return;
    }
    add({ from: "user", text: button.title });
    turn({ payload: button.payload });
  }

  // ---- events ----
  var composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey) {
      return;
    }
    // Enter while an IME composition is active confirms the conversion; it must never send.
    if (event.isComposing || composing || event.keyCode === 229) {
      return;
    }
    event.preventDefault();
    sendText(input.value);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendText(input.value);
  });

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    launcher.hidden = open;
    save(window.sessionStorage, OPEN_KEY, open ? "1" : null);
    if (open) {
      welcome();
      input.focus();
    }
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  closeButton.addEventListener("click", function () {
    setOpen(false);
    launcher.focus();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setOpen(false);
      launcher.focus();
    }
  });
  function startOver() {
    forgetSession();
    transcript = [];
    persist();
    render();
    showStatus("");
  }
  restartButton.addEventListener("click", function () {
    if (busy) {
      return;
    }
    startOver();
    welcome();
    input.focus();
  });

  // ---- deleting the conversation (here and on the server) ----
  function showConfirm(open) {
    confirmBox.hidden = !open;
    deleteButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      confirmNo.focus();
    }
  }
  function deleted(message) {
    showConfirm(false);
    startOver();
    add({ from: "bot", text: message });
    add({ from: "bot", text: TEXT.welcome, starters: STARTERS });
    input.focus();
  }
  deleteButton.addEventListener("click", function () {
    if (!busy) {
      showConfirm(confirmBox.hidden);
    }
  });
  confirmNo.addEventListener("click", function () {
    showConfirm(false);
    deleteButton.focus();
  });
  confirmBox.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.stopPropagation(); // closes the question, not the whole panel
      showConfirm(false);
      deleteButton.focus();
    }
  });
  confirmYes.addEventListener("click", function () {
    if (busy) {
      return;
    }
    if (!sessionId) {
      deleted(TEXT.deleted); // nothing was ever sent: the server keeps nothing
      return;
    }
    setBusy(true);
    showStatus("");
    call("DELETE", "/api/chat/session", { session_id: sessionId })
      .then(function (result) {
        setBusy(false);
        if (result.ok) {
          deleted(TEXT.deleted);
          return;
        }
        if (result.status === 404) {
          // The session expired: the server can no longer find its conversation, which retention deletes later.
          deleted(TEXT.deletedHereOnly);
          return;
        }
        showConfirm(false);
        showStatus((result.data && typeof result.data.message === "string" && result.data.message) || TEXT.error);
        deleteButton.focus();
      }, function () {
        setBusy(false);
        showConfirm(false);
        showStatus(TEXT.offline);
        deleteButton.focus();
      });
  });

  function mount() {
    document.body.appendChild(host);
    render();
    if (load(window.sessionStorage, OPEN_KEY) === "1") {
      setOpen(true);
    }
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
