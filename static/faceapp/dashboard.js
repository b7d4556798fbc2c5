/* Dashboard: rendered once by the server, then changed only by ws/dashboard/ events. */
(function () {
  "use strict";
  const { el, formatTime, similarityText, connect, showStatus, drawBoxes, showCameraStatus } = window.faceapp;

  const feed = document.getElementById("feed");
  const feedLength = Number(feed.dataset.length) || 30;
  const snapshotUrl = feed.dataset.snapshotUrl;
  const frame = document.getElementById("latest-frame");
  const frameImage = document.getElementById("latest-image");
  const frameBoxes = document.getElementById("latest-boxes");
  const frameCaption = document.getElementById("latest-caption");
  const presentList = document.getElementById("present");
  const absentList = document.getElementById("absent");
  const activity = document.getElementById("activity");

  function feedItem(face, snapshot) {
    const known = face.decision === "known";
    const crop = face.crop_url
      ? el("img", { class: "crop", src: face.crop_url, alt: "" })
      : el("div", { class: "crop placeholder" });
    return el("li", { class: "feed-item " + (known ? "known" : "unknown"), dataset: { logId: face.log_id } },
      crop,
      el("div", { class: "feed-main" },
        el("div", { class: "feed-name", text: face.label }),
        el("div", { class: "feed-meta" },
          el("span", { class: "badge " + (known ? "known" : "unknown"), text: face.assigned_id }),
          el("span", { text: " similarity " + similarityText(face.similarity) })),
        el("div", { class: "feed-meta muted" },
          el("span", { text: snapshot.camera ? snapshot.camera.name : "Upload" }),
          el("span", { text: " · " }),
          el("a", { href: snapshotUrl.replace("/0/", "/" + snapshot.id + "/"), text: formatTime(snapshot.received_at) }))));
  }

  function onRecognition(event) {
    const snapshot = event.snapshot;
    if (snapshot.status === "done" && snapshot.image_url) {
      frame.hidden = false;
      frameImage.src = snapshot.image_url;
      drawBoxes(frameBoxes, event.faces, snapshot.width, snapshot.height);
      frameCaption.textContent = (snapshot.camera ? snapshot.camera.name : "Upload") + " · " +
        formatTime(snapshot.received_at) + " · " + event.faces.length + " face(s)";
      document.getElementById("latest-empty").hidden = true;
    }
    document.getElementById("feed-empty").hidden = true;
    for (const face of [...event.faces].reverse()) feed.prepend(feedItem(face, snapshot));
    while (feed.children.length > feedLength) feed.lastElementChild.remove();
  }

  /* A visit (visit.update) as a feed row: the same row as a recognised face, replaced as the visit goes on. */
  function onVisit(event) {
    const visit = event.visit;
    const face = { log_id: visit.id, decision: visit.decision, label: visit.label, assigned_id: visit.assigned_id,
                   similarity: visit.similarity, crop_url: visit.crop_url };
    const item = feedItem(face, { id: visit.snapshot_id, camera: visit.camera,
                                  received_at: visit.first_seen });
    item.querySelector(".feed-meta.muted").append(el("span", { class: "visit-span", text:
      "–" + formatTime(visit.last_seen) + " · " + visit.frame_count + " frame(s)" + (event.event === "ended" ? "" : " · in view") }));
    const old = feed.querySelector('[data-log-id="' + visit.id + '"]');
    if (old) old.replaceWith(item); else feed.prepend(item);
    document.getElementById("feed-empty").hidden = true;
    while (feed.children.length > feedLength) feed.lastElementChild.remove();
  }

  /* Each camera's current boxes, drawn as its frames are processed (never stored). */
  const cameraCards = document.getElementById("live-cameras");
  function cameraStage(camera) {
    let stage = cameraCards.querySelector('[data-camera-id="' + camera.id + '"]');
    if (!stage) {
      stage = el("figure", { class: "live-camera", dataset: { cameraId: camera.id } },
        el("div", { class: "frame-stage stream-stage" }, el("div", { class: "box-layer" })),
        el("figcaption", { class: "muted" },
          el("strong", { text: camera.name }), " · ",
          el("span", { class: "camera-state", dataset: { field: "state" } }), " ",
          el("small", { class: "muted", dataset: { field: "error" } }), " · ",
          el("span", { dataset: { field: "fps_in" } }), " frames/s read, ",
          el("span", { dataset: { field: "fps_processed" } }), " analysed · ",
          el("span", { dataset: { overlay: "" }, text: "no face yet" })));
      cameraCards.append(stage);
      document.getElementById("cameras-empty").hidden = true;
    }
    return stage;
  }
  function onOverlay(event) {
    const stage = cameraStage(event.camera);
    stage.querySelector(".stream-stage").style.aspectRatio = event.width + " / " + event.height;
    drawBoxes(stage.querySelector(".box-layer"), event.faces.map((face) =>
      ({ ...face, label: face.label + " #" + face.track_id })), event.width, event.height);
    stage.querySelector("[data-overlay]").textContent = event.faces.length + " face(s) · " + event.latency_ms + " ms behind";
  }
  function onCameraStatus(status) {
    showCameraStatus(cameraStage(status), status);
  }

  function attendanceRow(person, seen) {
    const row = el("li", { dataset: { personId: person.person_id } },
      el("span", { class: "att-name", text: person.name }),
      person.code ? el("span", { class: "muted", text: " " + person.code }) : null);
    if (seen) {
      row.append(el("span", { class: "att-time", text:
        formatTime(person.first_seen, false) + "–" + formatTime(person.last_seen, false) +
        (person.camera ? " · " + person.camera : "") }));
    }
    return row;
  }

  function onAttendance(attendance) {
    presentList.replaceChildren(...attendance.present.map((person) => attendanceRow(person, true)));
    absentList.replaceChildren(...attendance.absent.map((person) => attendanceRow(person, false)));
    document.getElementById("present-count").textContent = attendance.present.length;
    document.getElementById("absent-count").textContent = attendance.absent.length;
  }

  function onSample(sample) {
    const text = "Enrolment photo #" + sample.id + " of person #" + sample.person_id + ": " +
      sample.status + (sample.reason ? " (" + sample.reason + ")" : "");
    activity.textContent = text;
  }

  /* Alert rules that fired (integration.event of type "alert"); other events are for other systems. */
  const alerts = document.getElementById("alerts");
  function onIntegrationEvent(event) {
    if (event.type !== "alert" || !alerts) return;
    alerts.prepend(el("li", { class: "feed-item unknown", dataset: { eventId: event.id } },
      el("div", { class: "feed-main" },
        el("div", { class: "feed-name", text: event.data.message }),
        el("div", { class: "feed-meta muted", text: formatTime(event.time) + " · " + event.data.rule.name }))));
    document.getElementById("alerts-empty").hidden = true;
    while (alerts.children.length > (Number(alerts.dataset.length) || 10)) alerts.lastElementChild.remove();
  }

  connect("/ws/dashboard/", {
    onStatus: showStatus,
    onEvent(data) {
      if (data.type === "recognition.result") onRecognition(data);
      else if (data.type === "visit.update") onVisit(data);
      else if (data.type === "camera.overlay") onOverlay(data);
      else if (data.type === "camera.status") onCameraStatus(data.camera);
      else if (data.type === "attendance.update") onAttendance(data.attendance);
      else if (data.type === "enrolment.sample") onSample(data.sample);
      else if (data.type === "integration.event") onIntegrationEvent(data.event);
    },
  });
})();
