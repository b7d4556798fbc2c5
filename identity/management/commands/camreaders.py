"""``manage.py camreaders``: read every active stream camera (RTSP, MJPEG, snapshot URL,
video file) until SIGTERM or Ctrl-C; `manage.py runstack` starts it."""

import signal
import threading

from django.core.management.base import BaseCommand

from identity.services.readers import ReaderSupervisor


class Command(BaseCommand):
    help = "Read the stream cameras and hand their frames to the live workers."

    def handle(self, *args, **options):
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("camera readers running")
        ReaderSupervisor().run(stop)
