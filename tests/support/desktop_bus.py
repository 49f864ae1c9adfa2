#!/usr/bin/python3
"""The desktop's side of D-Bus for the end-to-end test: a notification daemon
(org.freedesktop.Notifications) and a StatusNotifier tray host (org.kde.StatusNotifierWatcher),
so the real app's notifications and tray menu can be seen and clicked without a desktop.

Everything received is written as JSON lines to the file named by the first argument, and drawn
as a PNG (ImageMagick) next to it: each notification as the daemon received it, and the tray
menu as the host reads it over com.canonical.dbusmenu. Commands arrive on stdin, one a line:

    click-notification <server id>   emits ActionInvoked(id, "default"): a click on it
    click-menu <label>               sends the tray menu item's "clicked" event
    draw-menu <png path>             reads the tray menu again and draws it
    quit                             ends this process

It ends when its stdin closes, on "quit", when the session bus goes away, and (Linux) when the
test thread that started it ends: it never outlives the test that started it.

Uses Debian's python3-dbus and python3-gi (.ci/install.sh --test)."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NOTIFICATIONS = "org.freedesktop.Notifications"
WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
DBUSMENU = "com.canonical.dbusmenu"

LOG = sys.argv[1]
OUT_DIR = os.path.dirname(os.path.abspath(LOG))


def record(event):
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


def draw(lines, path, title_lines=1, width=420):
    """A card with the first `title_lines` lines bold, drawn with ImageMagick."""
    cmd = ["convert", "-background", "#2b2f36", "-fill", "#f0f2f5"]
    for i, line in enumerate(lines):
        bold = i < title_lines
        # caption: reads a file for text starting with "@": never let a title do that.
        text = (" " + line) if line.startswith("@") else (line or " ")
        cmd += ["(", "-font", "DejaVu-Sans-Bold" if bold else "DejaVu-Sans",
                "-pointsize", "15" if bold else "13", "-size", f"{width}x", f"caption:{text}", ")"]
    cmd += ["-append", "-bordercolor", "#2b2f36", "-border", "14",
            "-bordercolor", "#596273", "-border", "1", path]
    try:
        subprocess.run(cmd, check=True, timeout=30, capture_output=True)
    except Exception as error:  # noqa: BLE001 - the log says what went wrong
        record({"event": "draw_failed", "path": path, "error": str(error)})


class Notifications(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.next_id = 1

    @dbus.service.method(NOTIFICATIONS, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body", "actions"]

    @dbus.service.method(NOTIFICATIONS, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("partnerdesk-test-daemon", "PartnerDesk tests", "1.0", "1.2")

    @dbus.service.method(NOTIFICATIONS, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):
        server_id = int(replaces_id) or self.next_id
        self.next_id = max(self.next_id, server_id) + 1
        event = {
            "event": "notify",
            "id": server_id,
            "app_name": str(app_name),
            "summary": str(summary),
            "body": str(body),
            "actions": [str(a) for a in actions],
        }
        png = os.path.join(OUT_DIR, f"notification-{server_id}.png")
        draw([f"{app_name}", str(summary)] + str(body).split("\n"), png, title_lines=2)
        event["png"] = png
        record(event)
        return dbus.UInt32(server_id)

    @dbus.service.method(NOTIFICATIONS, in_signature="u", out_signature="")
    def CloseNotification(self, server_id):
        self.NotificationClosed(server_id, 3)

    @dbus.service.signal(NOTIFICATIONS, signature="uu")
    def NotificationClosed(self, server_id, reason):
        pass

    @dbus.service.signal(NOTIFICATIONS, signature="us")
    def ActionInvoked(self, server_id, action):
        pass


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, "/StatusNotifierWatcher")
        self.bus = bus
        self.items = []

    @dbus.service.method(WATCHER, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # An item names its bus name, or its object path on the sender's connection.
        if service.startswith("/"):
            item = (str(sender), str(service))
        else:
            item = (str(service), "/StatusNotifierItem")
        self.items.append(item)
        record({"event": "tray_item", "service": item[0], "path": item[1]})

        def owner_changed(name, old, new, service=item[0]):
            if name == service and not new:
                record({"event": "tray_item_gone", "service": service})

        self.bus.add_signal_receiver(owner_changed, signal_name="NameOwnerChanged",
                                     dbus_interface="org.freedesktop.DBus",
                                     bus_name="org.freedesktop.DBus",
                                     path="/org/freedesktop/DBus", arg0=item[0])
        self.StatusNotifierItemRegistered(f"{item[0]}{item[1]}")

    @dbus.service.method(WATCHER, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(WATCHER, signature="s")
    def StatusNotifierItemRegistered(self, service):
        pass

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        if prop == "RegisteredStatusNotifierItems":
            return dbus.Array([f"{s}{p}" for s, p in self.items], signature="s")
        if prop == "IsStatusNotifierHostRegistered":
            return True
        if prop == "ProtocolVersion":
            return 0
        raise dbus.exceptions.DBusException("no such property")

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(
                [f"{s}{p}" for s, p in self.items], signature="s"),
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": 0,
        }

    def menu(self):
        """(item properties, [(id, label, toggle state, enabled)]) of the last item."""
        service, path = self.items[-1]
        item = self.bus.get_object(service, path)
        props = item.GetAll(ITEM, dbus_interface=dbus.PROPERTIES_IFACE)
        menu_path = props.get("Menu", "/MenuBar")
        menu = self.bus.get_object(service, menu_path)
        _, layout = menu.GetLayout(0, -1, [], dbus_interface=DBUSMENU)
        entries = []

        def walk(node):
            node_id, node_props, children = node
            if node_props.get("type") == "separator":
                entries.append((int(node_id), "-", None, True))
            elif "label" in node_props:
                toggle = node_props.get("toggle-state") if "toggle-type" in node_props else None
                entries.append((int(node_id), str(node_props["label"]).replace("_", ""),
                                None if toggle is None else int(toggle),
                                bool(node_props.get("enabled", True))))
            for child in children:
                walk(child)

        walk(layout)
        return props, entries, menu

    def draw_menu(self, png):
        props, entries, _ = self.menu()
        tooltip = props.get("ToolTip")
        tip = str(tooltip[2]) if tooltip else str(props.get("Title", ""))
        lines = [tip]
        for _, label, toggle, enabled in entries:
            if label == "-":
                lines.append("────────────────────────")
            else:
                mark = "" if toggle is None else ("[x] " if toggle == 1 else "[ ] ")
                lines.append(f"{mark}{label}{'' if enabled else ' (off)'}")
        draw(lines, png, title_lines=1, width=300)
        record({"event": "tray_menu", "tooltip": tip, "title": str(props.get("Title", "")),
                "items": [e[1] for e in entries], "png": png})

    def click(self, label):
        _, entries, menu = self.menu()
        for node_id, text, _, _ in entries:
            if text == label:
                menu.Event(node_id, "clicked", dbus.String("", variant_level=1), 0,
                           dbus_interface=DBUSMENU)
                record({"event": "tray_clicked", "label": label})
                return
        record({"event": "tray_click_failed", "label": label})


def die_with_parent():
    """Asks Linux to kill this process when the thread that started it ends (PR_SET_PDEATHSIG),
    so a test that panics, aborts or is killed cannot leave it running."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def main():
    die_with_parent()
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    names = [dbus.service.BusName(NOTIFICATIONS, bus, do_not_queue=True),
             dbus.service.BusName(WATCHER, bus, do_not_queue=True)]
    notifications = Notifications(bus)
    watcher = Watcher(bus)
    loop = GLib.MainLoop()

    def command(line):
        words = line.strip().split(" ", 1)
        try:
            if words[0] == "click-notification":
                notifications.ActionInvoked(dbus.UInt32(int(words[1])), "default")
                record({"event": "notification_clicked", "id": int(words[1])})
            elif words[0] == "click-menu":
                watcher.click(words[1])
            elif words[0] == "draw-menu":
                watcher.draw_menu(words[1])
            elif words[0] == "quit":
                loop.quit()
        except Exception as error:  # noqa: BLE001 - reported to the test through the log
            record({"event": "command_failed", "command": line.strip(), "error": str(error)})
        return False

    def read_stdin():
        for line in sys.stdin:
            GLib.idle_add(command, line)
        GLib.idle_add(loop.quit)

    threading.Thread(target=read_stdin, daemon=True).start()
    record({"event": "ready", "names": [str(n.get_name()) for n in names]})
    loop.run()


if __name__ == "__main__":
    main()
