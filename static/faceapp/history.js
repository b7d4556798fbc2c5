/* Recognition history: "select every face on this page" for the group review. */
(function () {
  "use strict";
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll('#group-review input[name="log"]');
  all.addEventListener("change", () => { for (const box of boxes()) box.checked = all.checked; });
})();
