/* Dashboard: rendered once by the server, then changed only by ws/dashboard/ events. */
(function () {
  "use strict";
  const { el, formatTime, similarityText, connect, showStatus, drawBoxes, overlayNote, livePicture, watchPictures,
    showCameraStatus } = window.faceapp;

  const feed = document.getElementById("feed");
  const feedLength = Number(feed.dataset.length) || 30;
  const frame = document.getElementById("latest-frame");
  const frameImage = document.getElementById("latest-image");
  const frameBoxes = document.getElementById("latest-boxes");
  const frameCaption = document.getElementById("latest-caption");
  const presentList = document.getElementById("present");
  const absentList = document.getElementById("absent");
  const activity = document.getElementById("activity");

  /* A feed row from a visit (visit.update's "visit", or a stored one from the page's JSON). */
  function feedItem(visit, live) {
    const known = visit.decision === "known";
    const crop = visit.crop_url
      ? el("img", { class: "crop", src: visit.crop_url, alt: "" })
      : el("div", { class: "crop placeholder" });
    const span = visit.frame_count > 1 || live
      ? el("span", { class: "visit-span", text: "–" + formatTime(visit.last_seen) + " · " + visit.frame_count + " frame(s)" + (live ? " · in view" : "") })
      : null;
    return el("li", { class: "feed-item " + (known ? "known" : "unknown"), dataset: { logId: visit.id } },
      crop,
      el("div", { class: "feed-main" },
        el("div", { class: "feed-name", text: visit.label }),
        el("div", { class: "feed-meta" },
          visit.assigned_id ? el("span", { class: "badge " + (known ? "known" : "unknown"), text: visit.assigned_id }) : null,
          el("span", { text: " similarity " + similarityText(visit.similarity) })),
        el("div", { class: "feed-meta muted" },
          el("span", { text: visit.camera ? visit.camera.name : "Upload" }),
          el("span", { text: " · " }),
          el("a", { href: visit.snapshot_url }, el("time", { datetime: visit.first_seen, text: formatTime(visit.first_seen) })),
          span)));
  }

  function showInFeed(visit, live) {
    const item = feedItem(visit, live);
    const old = feed.querySelector('[data-log-id="' + visit.id + '"]');
    if (old) old.replaceWith(item); else feed.prepend(item);
    document.getElementById("feed-empty").hidden = true;
    while (feed.children.length > feedLength) feed.lastElementChild.remove();
  }

  function showLatest(result) {
    const snapshot = result.snapshot;
    if (snapshot.status !== "done" || !snapshot.image_url) return;
    frame.hidden = false;
    frameImage.src = snapshot.image_url;
    drawBoxes(frameBoxes, result.faces, snapshot.width, snapshot.height);
    frameCaption.textContent = (snapshot.camera ? snapshot.camera.name : "Upload") + " · " +
      formatTime(snapshot.received_at) + " · " + result.faces.length + " face(s)";
    document.getElementById("latest-empty").hidden = true;
  }

  /* An uploaded photo's faces: each is a one-frame visit. */
  function onRecognition(event) {
    const snapshot = event.snapshot;
    showLatest(event);
    for (const face of [...event.faces].reverse()) {
      showInFeed({ id: face.log_id, decision: face.decision, label: face.label, assigned_id: face.assigned_id,
                   similarity: face.similarity, crop_url: face.crop_url, camera: snapshot.camera,
                   first_seen: snapshot.received_at, last_seen: snapshot.received_at, frame_count: 1,
                   snapshot_url: snapshot.url }, false);
    }
  }

  function onVisit(event) {
    showInFeed(event.visit, event.event !== "ended");
  }

  /* Each camera's current boxes, drawn as its frames are processed (never stored), over its live
     picture where this user may see faces (initial.pictures). */
  const cameraCards = document.getElementById("live-cameras");
  const pictures = new Map();  // camera id -> livePicture
  function cameraStage(camera) {
    let stage = cameraCards.querySelector('[data-camera-id="' + camera.id + '"]');
    if (!stage) {
      stage = el("figure", { class: "live-camera", dataset: { cameraId: camera.id } },
        el("div", { class: "frame-stage stream-stage" }, el("div", { class: "box-layer" })),
        el("figcaption", { class: "muted" },
          camera.url ? el("a", { href: camera.url, text: camera.name }) : el("strong", { text: camera.name }), " · ",
          el("span", { class: "camera-state", dataset: { field: "state_text" } }), " ",
          el("small", { class: "muted", dataset: { field: "error" } }), " · ",
          el("span", { dataset: { rates: "" }, hidden: true },
            el("span", { dataset: { streamOnly: "" }, hidden: true }, el("span", { dataset: { field: "fps_in" } }), " pictures a second received, "),
            el("span", { dataset: { field: "fps_processed" } }), " checked for faces · "),
          el("span", { dataset: { overlay: "" }, text: "no face yet" })));
      cameraCards.append(stage);
      document.getElementById("cameras-empty").hidden = true;
    }
    return stage;
  }
  function onOverlay(event) {
    const stage = cameraStage(event.camera);
    const frameStage = stage.querySelector(".stream-stage");
    frameStage.style.aspectRatio = event.width + " / " + event.height;
    const layer = stage.querySelector(".box-layer");
    const faces = event.faces.map((face) => ({ ...face, label: face.label + " #" + face.track_id }));
    if (!initial.pictures) {
      drawBoxes(layer, faces, event.width, event.height);
    } else {
      if (!pictures.has(event.camera.id)) {
        pictures.set(event.camera.id, livePicture(frameStage, layer, "What " + event.camera.name + " sees now"));
      }
      pictures.get(event.camera.id).overlay(event, faces);
    }
    stage.querySelector("[data-overlay]").textContent = overlayNote(event);
  }
  function onCameraStatus(status) {
    const stage = cameraStage(status);
    stage.querySelector("[data-stream-only]").hidden = !status.is_stream;  // a browser camera reads no stream
    showCameraStatus(stage, status);
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

  function showCounts(attendance) {
    for (const [list, items] of [["present", presentList], ["absent", absentList]]) {
      const count = attendance[list + "_count"];
      const more = document.getElementById(list + "-more");
      document.getElementById(list + "-count").textContent = count;
      more.hidden = count <= items.children.length;  // a long list folds: the rest are on the attendance page
      more.querySelector("[data-more]").textContent = count - items.children.length;
    }
  }

  function onAttendance(attendance) {
    presentList.replaceChildren(...attendance.present.map((person) => attendanceRow(person, true)));
    absentList.replaceChildren(...attendance.absent.map((person) => attendanceRow(person, false)));
    showCounts(attendance);
  }

  /* One person's row moved (attendance.row): out of both lists, into its own in name order, the
     lists still folded at their length. */
  function placeRow(items, person, seen) {
    const row = attendanceRow(person, seen);
    const after = [...items.children].find((li) =>
      li.querySelector(".att-name").textContent > person.name);
    items.insertBefore(row, after || null);
    while (items.children.length > (Number(items.dataset.length) || 25)) items.lastElementChild.remove();
  }

  function onAttendanceRow(attendance) {
    for (const items of [presentList, absentList]) {
      items.querySelector('[data-person-id="' + attendance.person_id + '"]')?.remove();
    }
    if (attendance.present) placeRow(presentList, attendance.present, true);
    else if (attendance.absent) placeRow(absentList, attendance.absent, false);
    showCounts(attendance);
  }

  function onSample(sample) {
    const text = "Enrolment photo #" + sample.id + " of person #" + sample.person_id + ": " +
      sample.status + (sample.reason ? " (" + sample.reason + ")" : "");
    activity.textContent = text;
  }

  /* Alert rules that fired (integration.event of type "alert"); other events are for other systems.
     A repeat of the newest alert (same rule, same words) is folded into it: "×3", the time of the last. */
  const alerts = document.getElementById("alerts");
  const alertIds = new Set();
  function onIntegrationEvent(event) {
    if (event.type !== "alert" || !alerts || alertIds.has(event.id)) return;
    alertIds.add(event.id);
    const fold = event.data.rule.id + " " + event.data.message;
    const newest = alerts.firstElementChild;
    const time = el("time", { datetime: event.time, text: formatTime(event.time) });
    if (newest && newest.dataset.fold === fold) {
      const count = Number(newest.dataset.count) + 1;
      newest.dataset.count = count;
      newest.querySelector(".alert-count").textContent = " ×" + count;
      newest.querySelector("time").replaceWith(time);
      return;
    }
    alerts.prepend(el("li", { class: "feed-item unknown", dataset: { eventId: event.id, fold, count: 1 } },
      el("div", { class: "feed-main" },
        el("div", { class: "feed-name" }, event.data.message, el("span", { class: "alert-count muted" })),
        el("div", { class: "feed-meta muted" }, time, " · " + event.data.rule.name))));
    document.getElementById("alerts-empty").hidden = true;
    while (alerts.children.length > (Number(alerts.dataset.length) || 10)) alerts.lastElementChild.remove();
  }

  /* The first render, from the page's JSON (the events' shapes), oldest first as they came. */
  const initial = JSON.parse(document.getElementById("dashboard-initial").textContent);
  for (const visit of [...initial.visits].reverse()) showInFeed(visit, false);
  if (initial.latest) showLatest(initial.latest);
  for (const status of initial.cameras) onCameraStatus(status);
  onAttendance(JSON.parse(document.getElementById("attendance-initial").textContent));
  const initialAlerts = document.getElementById("alerts-initial");
  if (initialAlerts) for (const event of JSON.parse(initialAlerts.textContent).reverse()) onIntegrationEvent(event);

  connect("/ws/dashboard/", {
    after: initial.replay_after,  // what was pushed since the page was rendered comes first
    onStatus: showStatus,
    onOpen(handle) { if (initial.pictures) watchPictures(handle); },
    onEvent(data) {
      if (data.type === "recognition.result") onRecognition(data);
      else if (data.type === "visit.update") onVisit(data);
      else if (data.type === "camera.overlay") onOverlay(data);
      else if (data.type === "camera.status") onCameraStatus(data.camera);
      else if (data.type === "attendance.row") onAttendanceRow(data.attendance);
      else if (data.type === "enrolment.sample") onSample(data.sample);
      else if (data.type === "integration.event") onIntegrationEvent(data.event);
    },
  });
})();
