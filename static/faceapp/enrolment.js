/* Person page: each enrolment photo goes pending → accepted/rejected/held live, over
   ws/people/<id>/enrolment/, without reloading. A held photo (its face is someone enrolled
   already) shows both faces and the two answers. */
(function () {
  "use strict";
  const { el, connect, showStatus } = window.faceapp;
  const grid = document.getElementById("samples");
  if (!grid) return;

  const labels = { pending: "Checking…", accepted: "Accepted", rejected: "Rejected", held: "Already enrolled?" };

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
    const faces = [image ? el("img", { src: image, alt: "" }) : el("div", { class: "sample-missing", text: "no image" })];
    if (sample.held_as) faces.push(heldFace(sample.held_as));
    card.replaceChildren(
      ...faces,
      el("figcaption", {},
        el("span", { class: "status " + sample.status, text: labels[sample.status] || sample.status }),
        sample.filename ? el("span", { class: "filename", text: sample.filename }) : null,
        sample.held_as ? el("span", { class: "held-faces", text: "Left: this photo. Right: " + sample.held_as.name + ", enrolled." }) : null,
        sample.reason ? el("span", { class: "reason", text: sample.reason }) : null,
        sample.held_as ? heldChoice(sample) : null,
        sample.delete_url ? deleteForm(sample) : null));
    updateCounts();
  }

  /* The enrolled person the held face was named as, beside it. */
  function heldFace(other) {
    return el("a", { href: other.url, class: "held-as", title: other.name },
      other.crop_url ? el("img", { src: other.crop_url, alt: other.name }) : el("div", { class: "sample-missing", text: other.name }));
  }

  function postForm(action, label, className) {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    return el("form", { method: "post", action: action },
      el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
      el("button", { type: "submit", class: className, text: label }));
  }

  /* The two answers to "already enrolled as X?". */
  function heldChoice(sample) {
    const other = sample.held_as;
    return el("div", { class: "held-choice" },
      postForm(other.move_url, "Add this photo to " + other.name + " (" + other.display_id + ")", ""),
      postForm(other.distinct_url, "Different people", "secondary"));
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
    for (const status of ["pending", "accepted", "rejected", "held"]) {
      counts[status] = grid.querySelectorAll('.sample[data-status="' + status + '"]').length;
      const node = document.getElementById("count-" + status);
      if (node) node.textContent = counts[status];
    }
    // No photo accepted: say so at once, with what to do next; a held one asks whose it is.
    document.getElementById("no-accepted-photo").hidden = !counts.rejected || Boolean(counts.accepted || counts.pending || counts.held);
    document.getElementById("held-photos").hidden = !counts.held;
  }

  /* Results that arrived before the socket was open (or while it was down) are fetched once. */
  async function catchUp() {
    if (!grid.querySelector('.sample[data-status="pending"]')) return;
    const response = await fetch(grid.dataset.apiUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const person = await response.json();
    // The API's samples do not carry a held photo's choice: the page, rendered again, does.
    const shownAs = (sample) => grid.querySelector('[data-sample-id="' + sample.id + '"]')?.dataset.status;
    if (person.samples.some((sample) => sample.status === "held" && shownAs(sample) !== "held")) {
      window.location.reload();
      return;
    }
    // A held photo shown already keeps its card: the API's copy would drop its two answers.
    for (const sample of person.samples) if (sample.status !== "held") render(sample);
  }

  for (const sample of JSON.parse(document.getElementById("person-samples").textContent)) render(sample);

  connect("/ws/people/" + grid.dataset.personId + "/enrolment/", {
    onStatus: showStatus,
    onOpen() { catchUp().catch(() => {}); },
    onEvent(data) { if (data.type === "enrolment.sample") render(data.sample); },
  });
})();
