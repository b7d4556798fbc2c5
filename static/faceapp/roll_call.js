// A roll call's page: while the photo is being read, it reloads itself; a face's box and its row light up together.
(function () {
  const pending = document.querySelector("[data-reload-after]");
  if (pending) {
    setTimeout(() => window.location.reload(), 1000 * Number(pending.dataset.reloadAfter));
    return;
  }
  const both = (number) => document.querySelectorAll(`[data-face="${number}"]`);
  document.querySelectorAll("li[data-face]").forEach((row) => {
    row.addEventListener("mouseenter", () => both(row.dataset.face).forEach((el) => el.classList.add("lit")));
    row.addEventListener("mouseleave", () => both(row.dataset.face).forEach((el) => el.classList.remove("lit")));
  });
})();
