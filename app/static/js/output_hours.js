// 产出式学时申请: show 申请学时 as the member types — rate × quantity, rounded to one
// decimal (half up), capped per route; a degree counts once. The server computes the same
// (app/workflows/applications/rules.py OutputRoute.hours_for) and its figure is the one saved.
(function () {
  var route = document.getElementById("route");
  var quantity = document.getElementById("quantity");
  var shown = document.getElementById("computed-hours");
  if (!route || !quantity || !shown) {
    return;
  }
  function tenths(text) {
    // "2.5" → 25 tenths; anything but a positive number with at most one decimal → null
    var match = /^\s*(\d{1,3})(?:\.(\d))?\s*$/.exec(text || "");
    if (!match) {
      return null;
    }
    var value = parseInt(match[1], 10) * 10 + (match[2] ? parseInt(match[2], 10) : 0);
    return value > 0 ? value : null;
  }
  function update() {
    var option = route.options[route.selectedIndex];
    var rate = option && option.getAttribute("data-rate");
    if (!rate) {
      shown.textContent = shown.getAttribute("data-empty");
      return;
    }
    var fixed = option.getAttribute("data-fixed") === "1";
    quantity.disabled = fixed;
    var amount = fixed ? 10 : tenths(quantity.value);
    if (amount === null) {
      shown.textContent = "数量须为大于0的数字，最多一位小数";
      return;
    }
    // rate is a whole number of 学时 per unit: rate × tenths stays an exact integer
    var result = parseFloat(rate) * amount;
    var cap = option.getAttribute("data-cap");
    if (cap && result > parseFloat(cap) * 10) {
      result = parseFloat(cap) * 10;
    }
    shown.textContent = (result / 10).toFixed(1) + " 学时";
  }
  route.addEventListener("change", update);
  quantity.addEventListener("input", update);
  update();
})();
