/* Person page: each enrolment photo goes pending → accepted/rejected live, over
   ws/people/<id>/enrolment/, without reloading. */
(function () {
  "use strict";
  const { el, connect, showStatus } = window.faceapp;
  const grid = document.getElementById("samples");
  if (!grid) return;

  const labels = { pending: "Checking…", accepted: "Accepted", rejected: "Rejected" };

  function render(sample) {
    let card = grid.querySelector('[data-sample-id="' + sample.id + '"]');
    // A stale answer never turns a checked photo back into a pending one.
    if (card && sample.status === "pending" && card.dataset.status !== "pending") return;
    if (!card) {
      card = el("figure", { class: "sample", dataset: { sampleId: sample.id } });
      grid.append(card);
      document.getElementById("samples-empty")?.remove();
    }
    const image = sample.crop_url || sample.photo_url;
    card.dataset.status = sample.status;
    card.className = "sample " + sample.status;
    card.replaceChildren(
      image ? el("img", { src: image, alt: "" }) : el("div", { class: "sample-missing", text: "no image" }),
      el("figcaption", {},
        el("span", { class: "status " + sample.status, text: labels[sample.status] || sample.status }),
        sample.filename ? el("span", { class: "filename", text: sample.filename }) : null,
        sample.reason ? el("span", { class: "reason", text: sample.reason }) : null,
        sample.delete_url ? deleteForm(sample) : null));
    updateCounts();
  }

  /* One photo deleted at a time: a plain form post, the page comes back with the message. */
  function deleteForm(sample) {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    return el("form", { method: "post", action: sample.delete_url, class: "sample-delete" },
      el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
      el("button", { type: "submit", class: "link", text: "Delete",
                     "aria-label": "Delete photo " + (sample.filename || "#" + sample.id) }));
  }

  function updateCounts() {
    const counts = {};
    for (const status of ["pending", "accepted", "rejected"]) {
      counts[status] = grid.querySelectorAll('.sample[data-status="' + status + '"]').length;
      const node = document.getElementById("count-" + status);
      if (node) node.textContent = counts[status];
    }
    // Every photo rejected: say so at once, with what to do next.
    document.getElementById("no-accepted-photo").hidden = !(counts.rejected && !counts.accepted && !counts.pending);
  }

  /* Results that arrived before the socket was open (or while it was down) are fetched once. */
  async function catchUp() {
    if (!grid.querySelector('.sample[data-status="pending"]')) return;
    const response = await fetch(grid.dataset.apiUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const person = await response.json();
    for (const sample of person.samples) render(sample);
  }

  for (const sample of JSON.parse(document.getElementById("person-samples").textContent)) render(sample);

  connect("/ws/people/" + grid.dataset.personId + "/enrolment/", {
    onStatus: showStatus,
    onOpen() { catchUp().catch(() => {}); },
    onEvent(data) { if (data.type === "enrolment.sample") render(data.sample); },
  });
})();
