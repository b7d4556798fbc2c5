/* An import's page: its progress bar and counts follow the import over ws/imports/<id>/; the
   page reloads once it ends, for the whole report. */
(function () {
  "use strict";
  const { connect, showStatus } = window.faceapp;
  const root = document.getElementById("import-progress");
  if (!root) return;
  const ended = new Set(["done", "cancelled", "failed"]);
  let reloading = false;

  function show(progress) {
    const bar = document.getElementById("import-bar");
    bar.max = Math.max(progress.photos_total, 1);
    bar.value = progress.photos_done;
    for (const node of root.querySelectorAll("[data-count]")) node.textContent = progress[node.dataset.count];
    document.getElementById("import-left").textContent =
      progress.seconds_left === null ? "" : "about " + progress.seconds_left + " s left";
    document.getElementById("import-state").textContent = progress.status_text;
    if (ended.has(progress.status) && !reloading && document.getElementById("import-cancel")) {
      reloading = true;  // the finished page has the whole report
      window.location.reload();
    }
  }

  async function catchUp() {
    const response = await fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) show((await response.json()).progress);
  }

  connect("/ws/imports/" + root.dataset.importId + "/", {
    onStatus: showStatus,
    onOpen() { catchUp().catch(() => {}); },
    onEvent(data) { if (data.type === "import.progress") show(data.progress); },
  });
})();
