"""Independent MQTT peer for interoperability tests, built on Eclipse paho (Debian python3-paho-mqtt).

usage: paho_peer.py sub HOST PORT TOPIC VERSION QOS COUNT
       paho_peer.py pub HOST PORT TOPIC VERSION QOS HEXPAYLOAD
VERSION is 311 or 5. 'sub' prints READY once subscribed, then one line per message:
  <qos> <hex payload> <content type or -> <user properties as k=v;k=v or ->
"""
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def make_client(version):
    protocol = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
    kwargs = {"protocol": protocol}
    if version != "5":
        kwargs["clean_session"] = True
    return mqtt.Client(client_id="", **kwargs)


def subscribe(host, port, topic, version, qos, count):
    client = make_client(version)
    done = threading.Event()
    received = [0]

    def on_connect(c, userdata, flags, rc, properties=None):
        c.subscribe(topic, qos)

    def on_subscribe(c, userdata, mid, granted, properties=None):
        print("READY", flush=True)

    def on_message(c, userdata, msg):
        content_type = "-"
        users = "-"
        props = getattr(msg, "properties", None)
        if props is not None:
            content_type = getattr(props, "ContentType", "-") or "-"
            pairs = getattr(props, "UserProperty", None)
            if pairs:
                users = ";".join(f"{k}={v}" for k, v in pairs)
        print(f"{msg.qos} {msg.payload.hex()} {content_type} {users}", flush=True)
        received[0] += 1
        if received[0] >= count:
            done.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port, keepalive=30)
    client.loop_start()
    ok = done.wait(60)
    client.disconnect()
    client.loop_stop()
    return 0 if ok else 2


def publish(host, port, topic, version, qos, payload):
    client = make_client(version)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p=None: connected.set()
    client.connect(host, port, keepalive=30)
    client.loop_start()
    if not connected.wait(30):
        return 3
    properties = None
    if version == "5":
        properties = Properties(PacketTypes.PUBLISH)
        properties.ContentType = "application/json"
        properties.UserProperty = [("origin", "paho")]
    info = client.publish(topic, payload, qos=qos, properties=properties)
    info.wait_for_publish(30)
    ok = info.is_published()
    client.disconnect()
    client.loop_stop()
    return 0 if ok else 4


def main(argv):
    mode, host, port, topic, version, qos = argv[1], argv[2], int(argv[3]), argv[4], argv[5], int(argv[6])
    if mode == "sub":
        return subscribe(host, port, topic, version, qos, int(argv[7]))
    return publish(host, port, topic, version, qos, bytes.fromhex(argv[7]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
