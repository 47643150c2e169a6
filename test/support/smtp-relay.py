"""A real SMTP server on loopback for linkid's SMTP tests (Debian's python3-aiosmtpd).

Usage: smtp-relay.py DIR [--port N] [--user U --password P]

Listens on 127.0.0.1 (port N, or a free one when N is 0), prints "listening PORT" on stdout once it
accepts connections, and writes each message it takes to DIR as one JSON file (envelope, headers,
text and HTML parts decoded), renamed into place so a reader never sees half of one. Before each
RCPT it reads DIR/replies.json, {"address": {"reply": "450 4.2.1 Try later", "times": 1}}: that
address gets that reply the first `times` times (every time without `times`), then is accepted.
With --user and --password it requires AUTH (PLAIN or LOGIN), over plain text as a loopback relay may.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import time
import uuid

from aiosmtpd.smtp import SMTP, AuthResult


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.answered = {}

    def reply_for(self, address):
        try:
            with open(os.path.join(self.directory, "replies.json"), encoding="utf-8") as file:
                replies = json.load(file)
        except FileNotFoundError:
            return None
        rule = replies.get(address.lower())
        if not rule:
            return None
        count = self.answered.get(address.lower(), 0)
        if "times" in rule and count >= rule["times"]:
            return None
        self.answered[address.lower()] = count + 1
        return rule["reply"]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reply_for(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "to": str(message["To"]),
            "from": str(message["From"]),
            "subject": str(message["Subject"]),
            "messageId": str(message["Message-ID"]),
            "requestId": message["X-Linkid-Request-Id"] and str(message["X-Linkid-Request-Id"]),
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "authenticated": bool(session.authenticated),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        temp = os.path.join(self.directory, f".{name}.tmp")
        with open(temp, "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.rename(temp, os.path.join(self.directory, name))
        return "250 2.0.0 Ok: queued"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        given_user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        given_password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        return AuthResult(success=given_user == user and given_password == password, handled=False)

    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    recorder = Recorder(args.directory)
    options = {}
    if args.user:
        options = {"authenticator": authenticator(args.user, args.password), "auth_required": True, "auth_require_tls": False}

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(recorder, hostname="relay.test", **options), "127.0.0.1", args.port)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
