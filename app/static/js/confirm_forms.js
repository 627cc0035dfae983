// Every page (layout.html): a form — or the button that submits it — marked
// data-confirm="…" asks before it is sent: 删除, 取消 and other steps that lose what a user
// entered (issue 23, item 11). A static file, because the CSP allows no inline handlers.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
    (form && form.getAttribute && form.getAttribute("data-confirm"));
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
