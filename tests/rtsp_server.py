"""A test RTSP server: serves a folder of numbered JPEG frames (0000.jpg, 0001.jpg, ...) as
H.264 at rtsp://127.0.0.1:PORT/cam, at FPS, looping, in real time. Run by Debian's
/usr/bin/python3 (GStreamer's RTSP server through python3-gi); imports nothing from the
project. Usage: rtsp_server.py PORT FOLDER FPS"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, folder, fps = sys.argv[1], sys.argv[2], int(sys.argv[3])
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# Each client gets its own pipeline, from the first frame; images loop, timestamped at FPS.
factory.set_launch(
    f'( multifilesrc location="{folder}/%04d.jpg" loop=true caps="image/jpeg,framerate={fps}/1" ! jpegparse ! '
    f"jpegdec ! videoconvert ! videorate ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} ! "
    "rtph264pay name=pay0 pt=96 )"
)
factory.set_shared(False)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
