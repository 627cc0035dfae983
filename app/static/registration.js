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
