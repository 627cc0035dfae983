/* CPA专题培训 pages: 全选 in ticking lists, 人员类型 in the enrollment form (证书编号 only for
   注册会计师), a confirmation before 删除. No inline scripts (CSP). */
(function () {
  "use strict";
  var all = document.getElementById("tick-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input.tick");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
    });
  }
  var form = document.getElementById("enroll-form");
  if (form) {
    var cert = document.getElementById("cert_number");
    var group = document.getElementById("cert-group");
    var sync = function () {
      var chosen = form.querySelector("input[name=person_kind]:checked");
      var other = chosen && chosen.value === "其他";
      if (other) { cert.value = ""; }
      cert.disabled = other;
      group.style.opacity = other ? "0.5" : "1";
    };
    var note = document.getElementById("cert-note");
    cert.addEventListener("change", function () {
      var value = cert.value.trim();
      if (!value || cert.disabled) { return; }
      fetch(form.getAttribute("data-lookup") + "?cert=" + encodeURIComponent(value),
            {credentials: "same-origin"})
        .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
        .then(function (pair) {
          var body = pair[1];
          if (!pair[0]) { if (note) { note.textContent = body.message || ""; } return; }
          if (note) { note.textContent = ""; }
          document.getElementById("name").value = body.name;
          var position = document.getElementById("position");
          if (!position.value) { position.value = body.position; }
          var gender = form.querySelector("input[name=gender][value='" + body.gender + "']");
          if (gender) { gender.checked = true; }
        })
        .catch(function () {});
    });
    var kinds = form.querySelectorAll("input[name=person_kind]");
    for (var k = 0; k < kinds.length; k++) { kinds[k].addEventListener("change", sync); }
    sync();
  }
})();
