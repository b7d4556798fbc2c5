"""The MQTT bridge (`manage.py mqttbridge`): reads the event stream `faceapp:events` with a
Redis consumer group and publishes each event, retained presence and camera state, and Home
Assistant discovery configs to an MQTT broker (paho-mqtt).

Redis is the only queue: an entry is acknowledged once the broker confirmed every message made
from it (QoS 1), so a broker that is away, or a bridge that restarts, loses nothing the stream
still holds; what the stream trimmed before it could be sent is counted as dropped.

config.py   settings -> MqttConfig (broker URL, TLS, prefixes; credentials never shown)
topics.py   every topic name, written once
stream.py   the consumer group: read, acknowledge, count what was trimmed unread
state.py    retained state kept in Redis (republished on every connect) and the presence rule
discovery.py  Home Assistant discovery configs from the active people and cameras
translate.py  one event -> the MQTT messages it makes
link.py     one broker connection at a time, publish and confirm, reconnect backoff
bridge.py   the loop that ties them together and reports its status
"""
