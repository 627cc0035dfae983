// 转出/转入事务所名称: suggestions from the firm list as the user types (no inline script: CSP)
(function () {
  var inputs = document.querySelectorAll("input.firm-suggest");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) { return; }
      timer = setTimeout(function () {
        fetch("/registration/suggest?q=" + encodeURIComponent(text), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (names) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            names.forEach(function (name) {
              var option = document.createElement("option");
              option.value = name;
              list.appendChild(option);
            });
          });
      }, 250);
    });
  });
})();

// 上传材料 follows the answers: each row of the requirements table (the server's, in
// #documents[data-requirements]) is shown, and its file input enabled, only while the answers
// chosen in the form meet its condition; the server still judges on 保存.
(function () {
  var table = document.getElementById("documents");
  var form = document.getElementById("case-form");
  if (!table || !form || !table.dataset.requirements) { return; }
  var rows;
  try { rows = JSON.parse(table.dataset.requirements); } catch (e) { return; }

  function answer(key) {
    var inputs = form.querySelectorAll("[name='" + key.replace(/'/g, "") + "']");
    var values = [];
    Array.prototype.forEach.call(inputs, function (input) {
      if ((input.type === "radio" || input.type === "checkbox")) {
        if (input.checked) { values.push(input.value); }
      } else if (input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function holds(clause) {
    var values = answer(clause[0]), op = clause[1], value = clause[2];
    if (op === "~") { return values.indexOf(value) >= 0; }
    var text = values.length ? values[0] : "";
    if (op === "!=") { return text !== value; }
    if (op === "=") { return text === value; }
    return false;
  }

  var more = document.getElementById("more-documents");

  function update() {
    var pending = false;
    var trs = table.querySelectorAll("tr.document-row");
    Array.prototype.forEach.call(trs, function (tr) {
      var row = rows[Number(tr.dataset.index)];
      if (!row) { return; }
      var shown = row.when.every(holds);
      if (!shown && row.when.some(function (c) { return answer(c[0]).length === 0; })) {
        pending = true;
      }
      tr.hidden = !shown;
      Array.prototype.forEach.call(tr.querySelectorAll("input"), function (input) {
        input.disabled = !shown;
      });
      var mark = tr.querySelector(".required-mark");
      if (mark) { mark.hidden = !row.required; }
    });
    if (more) { more.hidden = !pending; }
  }

  form.addEventListener("change", update);
  update();
})();

// 下载模板 in the filing form: the form filled in with what is typed so far (seed 004 §3.2),
// posted as a small form of its own (the files chosen are not sent along).
(function () {
  var form = document.getElementById("case-form");
  if (!form) { return; }
  Array.prototype.forEach.call(form.querySelectorAll("a.download-template[data-filled]"),
    function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var post = document.createElement("form");
        post.method = "post";
        post.action = link.dataset.filled;
        post.hidden = true;
        Array.prototype.forEach.call(form.elements, function (input) {
          if (!input.name || input.type === "file" || input.type === "submit" ||
              input.disabled) { return; }
          if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
          if (input.name.indexOf("held_") === 0 || input.name === "remove") { return; }
          var copy = document.createElement("input");
          copy.type = "hidden";
          copy.name = input.name;
          copy.value = input.value;
          post.appendChild(copy);
        });
        document.body.appendChild(post);
        post.submit();
        document.body.removeChild(post);
      });
    });
})();
