#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (aiosmtpd, from Debian's python3-aiosmtpd).

Every mail it receives is written to --dir as one JSON file: {"from", "to", "subject",
"message_id", "text", "html"}, the MIME parts decoded. The Rust integration tests and the Playwright journeys read the
mails from there. Prints "ready" once it accepts connections; stops on SIGTERM or SIGINT.
"""
import argparse
import email
import email.policy
import json
import pathlib
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out: pathlib.Path):
        self.out = out
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
        }
        with self.lock:
            self.count += 1
            name = f"{time.time_ns()}-{self.count:05}.json"
        temporary = self.out / (name + ".tmp")
        temporary.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        temporary.rename(self.out / name)  # atomic: readers never see half a mail
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=pathlib.Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
