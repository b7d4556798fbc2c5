/* Cameras page: each camera's status row follows the camera.status events of the dashboard socket. */
(function () {
  "use strict";
  const { connect, showStatus, showCameraStatus } = window.faceapp;
  connect("/ws/dashboard/", {
    onStatus: showStatus,
    onEvent(data) {
      if (data.type !== "camera.status") return;
      showCameraStatus(document.querySelector('[data-camera-row="' + data.camera.id + '"]'), data.camera);
    },
  });
})();
