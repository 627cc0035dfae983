/* 智能客服 button (bottom right of every signed-in page): opens the panel, asks
   /help/assistant/ask, shows each answer with its source (text only: nothing from the
   answer is read as HTML). No inline scripts (CSP). */
(function () {
  "use strict";
  var fab = document.getElementById("assistant-fab");
  var panel = document.getElementById("assistant-panel");
  if (!fab || !panel) { return; }
  var replies = document.getElementById("assistant-replies");
  var input = document.getElementById("assistant-q");
  var form = document.getElementById("assistant-ask");

  function show(open) {
    panel.hidden = !open;
    fab.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { input.focus(); }
  }
  function line(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    node.textContent = text;
    return node;
  }
  function answer(question) {
    question = (question || "").trim();
    if (!question) { return; }
    var block = document.createElement("div");
    block.className = "assistant-reply";
    block.appendChild(line("p", "", "问：" + question));
    var waiting = line("p", "text-muted small", "正在查找答案…");
    block.appendChild(waiting);
    replies.appendChild(block);
    fetch(fab.getAttribute("data-ask") + "?q=" + encodeURIComponent(question),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (body) {
        waiting.remove();
        var answers = body.answers || [];
        if (!answers.length) {
          block.appendChild(line("div", "alert alert-info", body.message || "暂未找到答案"));
        }
        answers.forEach(function (a) {
          var box = document.createElement("div");
          box.className = "well well-sm assistant-answer";
          box.appendChild(line("b", "", a.title));
          box.appendChild(line("div", "assistant-text", a.text));
          box.appendChild(line("div", "small text-muted", "来源：" + a.source));
          block.appendChild(box);
        });
        panel.scrollTop = panel.scrollHeight;
      })
      .catch(function () { waiting.textContent = "暂时无法回答，请稍后再试或在消息中心发起咨询"; });
  }

  fab.addEventListener("click", function (event) {
    event.preventDefault();
    show(panel.hidden);
  });
  document.getElementById("assistant-close").addEventListener("click", function () { show(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { show(false); fab.focus(); }
  });
  var quick = panel.querySelectorAll(".assistant-quick");
  for (var i = 0; i < quick.length; i++) {
    quick[i].addEventListener("click", function (event) { answer(event.target.textContent); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    answer(input.value);
    input.value = "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      answer(input.value);
      input.value = "";
    }
  });
}());
