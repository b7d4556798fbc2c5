"""``manage.py mqttbridge``: send faceapp's events to the MQTT broker of FACEAPP_MQTT_URL, with
Home Assistant discovery, until SIGTERM or Ctrl-C; `manage.py runstack` starts it when that
setting is set. ``--status`` prints the bridge's status (connected, sent, dropped) and exits."""

import json
import signal
import threading

import redis
from django.core.management.base import BaseCommand, CommandError

from integrations.mqtt.bridge import Bridge, read_status
from integrations.mqtt.config import ConfigError, mqtt_config


class Command(BaseCommand):
    help = "Publish events, presence and Home Assistant discovery to MQTT (FACEAPP_MQTT_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true", help="print the running bridge's status and exit")

    def handle(self, *args, **options):
        try:
            config = mqtt_config()
        except ConfigError as error:
            raise CommandError(str(error)) from None
        if config is None:
            raise CommandError("FACEAPP_MQTT_URL is not set: MQTT is off")
        if options["status"]:
            try:
                self.stdout.write(json.dumps(read_status(config=config), indent=2))
            except redis.RedisError as error:
                raise CommandError(f"cannot read the bridge's status from Redis: {error}") from None
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"mqtt bridge running: {config.shown}, topics {config.prefix}/#")
        Bridge(config=config).run(stop)
