/* 审核中心: 全选 per queue (no inline scripts: CSP). */
(function () {
  "use strict";
  var alls = document.querySelectorAll("input.centre-all");
  for (var i = 0; i < alls.length; i++) {
    alls[i].addEventListener("change", function (event) {
      var form = event.target.form;
      var boxes = form.querySelectorAll("input.centre-pick");
      for (var j = 0; j < boxes.length; j++) { boxes[j].checked = event.target.checked; }
    });
  }
}());
