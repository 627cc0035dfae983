// 所需材料设置 · 适用条件: offer only the fields of the chosen 业务类型, the relation that fits the
// field (包含 for a list of ticks, 为/不为 otherwise) and the field's own values (CSP: a static file).
(function () {
  var box = document.querySelector(".reg-conditions");
  if (!box) { return; }
  var form = box.closest("form");
  var typeSelect = form && form.querySelector("[name='" + box.getAttribute("data-type-field") + "']");

  function caseType() { return typeSelect ? typeSelect.value : ""; }

  function fits(option, attr, value) {
    var list = option.getAttribute(attr);
    return list === null || !value || list.split("|").indexOf(value) >= 0;
  }

  function show(option, visible) {
    option.hidden = !visible;
    option.disabled = !visible;
  }

  function refresh(row) {
    var type = caseType();
    var key = row.querySelector(".reg-condition-key");
    var op = row.querySelector(".reg-condition-op");
    var value = row.querySelector(".reg-condition-value");
    Array.prototype.forEach.call(key.options, function (o) {
      show(o, !o.value || fits(o, "data-types", type));
    });
    if (key.selectedOptions[0] && key.selectedOptions[0].disabled) { key.value = ""; }
    var chosen = key.selectedOptions[0];
    var isList = chosen && chosen.getAttribute("data-list") === "1";
    Array.prototype.forEach.call(op.options, function (o) {
      show(o, isList ? o.value === "~" : o.value !== "~");
    });
    if (op.selectedOptions[0] && op.selectedOptions[0].disabled) {
      op.value = isList ? "~" : "=";
    }
    Array.prototype.forEach.call(value.options, function (o) {
      show(o, !o.value || (o.getAttribute("data-field") === key.value &&
                           fits(o, "data-types", type)));
    });
    if (value.selectedOptions[0] && value.selectedOptions[0].disabled) { value.value = ""; }
    op.style.visibility = value.style.visibility = key.value ? "visible" : "hidden";
  }

  function refreshAll() {
    Array.prototype.forEach.call(box.querySelectorAll(".reg-condition"), refresh);
  }

  box.addEventListener("change", function (event) {
    var row = event.target.closest(".reg-condition");
    if (row) { refresh(row); }
  });
  if (typeSelect) {
    typeSelect.addEventListener("change", refreshAll);
    if (window.jQuery) { window.jQuery(typeSelect).on("change", refreshAll); }
  }
  refreshAll();
})();
