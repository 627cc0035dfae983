/* 学员信息添加/编辑: 是否注师 = 是 with a known 证书编号 fills 姓名 and 身份证号 (seed 000 §6.2.2). */
(function () {
  var form = document.getElementById("entry-form");
  if (!form) { return; }
  var cert = document.getElementById("cert_number");
  var hint = document.getElementById("cert-hint");
  function isCpa() {
    var checked = form.querySelector("input[name=is_cpa]:checked");
    return checked && checked.value === "是";
  }
  function lookup() {
    var value = (cert.value || "").trim();
    if (!isCpa() || !/^\d{6,20}$/.test(value)) { return; }
    fetch(form.getAttribute("data-lookup") + "?cert=" + encodeURIComponent(value),
          {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (found) {
        if (found.found) {
          document.getElementById("name").value = found.name;
          document.getElementById("id_number").value = found.id_number || "";
          hint.textContent = "";
        } else {
          hint.textContent = found.message || "证书编号不存在";
        }
      });
  }
  cert.addEventListener("change", lookup);
  cert.addEventListener("blur", lookup);
})();
