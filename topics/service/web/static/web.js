// A little help on top of pages that work without it: "/" focuses the search box, and changing the
// search mode or the by-article toggle searches again at once.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var name = event.target.name, query = form.querySelector("[name=q]");
      if ((name === "mode" || name === "group" || name === "all") && query && query.value.trim()) form.requestSubmit();
    });
  });
})();
