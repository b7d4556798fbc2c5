/* Camera page: the browser's webcam sends JPEG frames over ws/cameras/<id>/ at the configured
   rate, one at a time (the next frame waits for the server's ack), and draws the latest
   recognition result over the video (its own preview). A stream camera's page shows the live
   picture the server keeps while the page watches, with the boxes of that same frame. */
(function () {
  "use strict";
  const { connect, showStatus, drawBoxes, overlayNote, livePicture, watchPictures, showCameraStatus, showVisit,
    openWebcam, frameSender } = window.faceapp;
  const root = document.getElementById("camera");
  const visits = root.querySelector("[data-visits]");
  const isStream = root.dataset.stream === "1";
  const video = root.querySelector("video");
  const boxes = root.querySelector("[data-boxes]");
  const start = root.querySelector("[data-start]");
  const stop = root.querySelector("[data-stop]");
  const stats = root.querySelector("[data-stats]");
  const note = root.querySelector("[data-note]");
  const fps = Math.max(Number(root.dataset.fps) || 2, 0.1);

  let stream = null;
  let timer = null;
  let sent = 0;
  let results = 0;
  let lastStatus = "–";
  const frames = frameSender(video, { onSent() { sent += 1; showStats(); } });
  const picture = isStream ? livePicture(boxes.parentElement, boxes, "What the camera sees now") : null;

  function showStats() {
    stats.textContent = (isStream ? "" : "Pictures sent: " + sent + " (the last one " + lastStatus + ") · ") +
      "pictures checked for faces: " + results;
  }

  /* Today's visits as stored when the page was rendered (oldest first, as they came), then live. */
  for (const visit of JSON.parse(document.getElementById("camera-visits").textContent).reverse()) {
    showVisit(visits, { event: null, visit });
  }

  const socket = connect("/ws/cameras/" + root.dataset.cameraId + "/", {
    after: root.dataset.replayAfter,
    onStatus(state) { showStatus(state); if (state !== "live") frames.acked(); },
    onOpen(handle) { if (isStream) watchPictures(handle); },
    onEvent(data) {
      if (data.type === "camera.frame") {
        frames.acked();
        lastStatus = data.status;
      } else if (data.type === "camera.overlay") {
        results += 1;
        if (picture) {
          boxes.parentElement.style.aspectRatio = data.width + " / " + data.height;  // the stream's own shape
          picture.overlay(data, data.faces);
        } else {
          drawBoxes(boxes, data.faces, data.width, data.height);
        }
        if (note) note.textContent = overlayNote(data);
      } else if (data.type === "visit.update") {
        showVisit(visits, data);
      } else if (data.type === "camera.status") {
        showCameraStatus(root, data.camera);
      }
      showStats();
    },
  });

  function stopCamera() {
    clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    boxes.replaceChildren();
    start.hidden = false;
    stop.hidden = true;
  }

  if (isStream) { showStats(); return; }  // the server reads this camera: nothing to send

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    start.disabled = true;
    note.textContent = "No camera access in this browser (it needs HTTPS or localhost).";
  }
  start.addEventListener("click", async () => {
    try {
      stream = await openWebcam(video);
    } catch (error) {
      note.textContent = "Camera unavailable (" + error.name + ").";
      return;
    }
    start.hidden = true;
    stop.hidden = false;
    note.textContent = "Sending " + fps + " frame(s) per second.";
    timer = setInterval(() => { if (stream) frames.tick(socket); }, 1000 / fps);
  });
  stop.addEventListener("click", stopCamera);
  showStats();
})();
