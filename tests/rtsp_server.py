"""GStreamer's RTSP server for the tests (tests/streams.py starts it): rtsp://127.0.0.1:PORT/cam
plays the H.264 MP4 FILE once, in real time, as it is (no re-encoding). Run by Debian's
/usr/bin/python3 (python3-gi); imports nothing from the project. Usage: rtsp_server.py PORT FILE"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, path = sys.argv[1], sys.argv[2]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# config-interval=1: SPS/PPS with every keyframe, so that a client can start decoding there.
factory.set_launch(f'( filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
factory.set_shared(False)  # each client gets its own pipeline, from the start of the file
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on 127.0.0.1:{port}")
GLib.MainLoop().run()
