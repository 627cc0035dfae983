/* Phones (issue 27): every table not already in a scrolling frame gets one, so a wide
   list scrolls inside its frame and never the page (app/static/phone.css). */
(function () {
  function frame() {
    var tables = document.querySelectorAll('table');
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i], parent = table.parentElement;
      if (!parent || parent.classList.contains('table-responsive') ||
          parent.classList.contains('phone-frame') || table.closest('.datepicker, .phone-frame')) {
        continue;
      }
      var wrapper = document.createElement('div');
      wrapper.className = 'phone-frame';
      parent.insertBefore(wrapper, table);
      wrapper.appendChild(table);
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', frame);
  } else {
    frame();
  }
})();
