/* Camera page: the browser's webcam sends JPEG frames over ws/cameras/<id>/ at the configured
   rate, one at a time (the next frame waits for the server's ack), and draws the latest
   recognition result over the video. */
(function () {
  "use strict";
  const { connect, showStatus, drawBoxes, showCameraStatus, showVisit } = window.faceapp;
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
  const maxWidth = 960;
  const ackTimeoutMs = 5000;

  let stream = null;
  let timer = null;
  let awaitingAck = false;
  let sentAt = 0;
  let sent = 0;
  let results = 0;
  let lastStatus = "–";

  function showStats() {
    stats.textContent = (isStream ? "" : "Frames sent: " + sent + " · last ack: " + lastStatus + " · ") +
      "frames analysed: " + results;
  }

  const socket = connect("/ws/cameras/" + root.dataset.cameraId + "/", {
    onStatus(state) { showStatus(state); if (state !== "live") awaitingAck = false; },
    onEvent(data) {
      if (data.type === "camera.frame") {
        awaitingAck = false;
        lastStatus = data.status;
      } else if (data.type === "camera.overlay") {
        results += 1;
        drawBoxes(boxes, data.faces, data.width, data.height);
        if (note) note.textContent = data.faces.length + " face(s) · " + data.latency_ms + " ms behind";
      } else if (data.type === "visit.update") {
        showVisit(visits, data);
      } else if (data.type === "camera.status") {
        showCameraStatus(root, data.camera);
      }
      showStats();
    },
  });

  function sendFrame() {
    if (!stream || !video.videoWidth || !socket.open) return;
    // Backpressure: one frame in flight; the server also replaces frames that wait.
    if (awaitingAck && Date.now() - sentAt < ackTimeoutMs) return;
    const scale = Math.min(1, maxWidth / video.videoWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    awaitingAck = true;
    sentAt = Date.now();
    canvas.toBlob((blob) => {
      if (blob && socket.send(blob)) { sent += 1; showStats(); } else { awaitingAck = false; }
    }, "image/jpeg", 0.85);
  }

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
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 } }, audio: false });
    } catch (error) {
      note.textContent = "Camera unavailable (" + error.name + ").";
      return;
    }
    video.srcObject = stream;
    start.hidden = true;
    stop.hidden = false;
    note.textContent = "Sending " + fps + " frame(s) per second.";
    timer = setInterval(sendFrame, 1000 / fps);
  });
  stop.addEventListener("click", stopCamera);
  showStats();
})();
