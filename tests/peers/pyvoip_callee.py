#!/usr/bin/env python3
"""PyVoIP 1.6.8 callee for voxgate's integration tests (loopback only).

Answers the first incoming call, optionally plays a WAV to the caller, records what it hears to
a 16-bit 8 kHz mono WAV, and hangs up after --hold seconds (or when the caller hangs up), then
exits. Only PCMU/PCMA and direct calls: no registrar is involved.

PyVoIP always registers at start and sends every SIP message (100/180/200, ACK, BYE) to its
configured "server", not to the Via of the request. So --peer must be the caller's SIP
address, and registration is switched off by replacing SIPClient.register (see below).

Progress lines on stdout (one per line, flushed), for the test harness:
    READY <sip-port>          listening; calls can be sent now
    INCOMING <call-id>        INVITE received (PyVoIP answers about 1 s later)
    ANSWERED                  200 OK sent
    CLOSED local|remote       who ended the call
    SAVED <path> <frames>     recording written
    NO_CALL                   nothing arrived within --wait seconds (exit status 2)

Example:
    .voxgate/venv/bin/python tests/peers/pyvoip_callee.py --sip-port 5070 \
        --peer 127.0.0.1:5060 --record /tmp/heard.wav --hold 5
"""

import argparse
import sys
import threading
import time
import warnings
import wave

warnings.filterwarnings("ignore", category=DeprecationWarning)  # audioop, used by PyVoIP too
import audioop  # noqa: E402

# pyVoIP.VoIP must be imported before pyVoIP.SIP (circular import inside PyVoIP 1.6.8).
import pyVoIP  # noqa: E402
from pyVoIP.VoIP import CallState, InvalidStateError, PhoneStatus, VoIPPhone  # noqa: E402
from pyVoIP.SIP import SIPClient  # noqa: E402

FRAME_BYTES = 160  # 20 ms of 8-bit samples at 8 kHz
FRAME_SECONDS = 0.02


def say(*words):
    print(*words, flush=True)


def register_nowhere(self):
    """Stands in for SIPClient.register: marks the phone registered without any REGISTER."""
    self.phone._status = PhoneStatus.REGISTERED
    return True


def load_wav_as_unsigned8(path):
    """Reads an 8 kHz mono WAV into PyVoIP's audio format (8-bit unsigned linear)."""
    with wave.open(path, "rb") as wav:
        if wav.getframerate() != 8000 or wav.getnchannels() != 1:
            sys.exit(f"{path}: need 8 kHz mono, got {wav.getframerate()} Hz "
                     f"{wav.getnchannels()} ch")
        pcm = wav.readframes(wav.getnframes())
        width = wav.getsampwidth()
    if width != 1:
        pcm = audioop.lin2lin(pcm, width, 1)
        pcm = audioop.bias(pcm, 1, 128)
    return pcm


class Callee:
    def __init__(self, args):
        self.args = args
        self.play = load_wav_as_unsigned8(args.play) if args.play else b""
        self.heard = bytearray()
        self.incoming = threading.Event()
        self.done = threading.Event()

    def on_call(self, call):
        try:
            call.answer()
            say("ANSWERED")
            self.converse(call)
        except Exception as error:  # noqa: BLE001 - report, then let main() exit
            say("ERROR", repr(error))
        finally:
            self.done.set()

    def converse(self, call):
        if self.play:
            call.write_audio(self.play)
        start = time.monotonic()
        frames = 0
        while time.monotonic() - start < self.args.hold:
            if call.state != CallState.ANSWERED:
                say("CLOSED remote")
                return
            # Non-blocking reads keep the recording on the wall clock: silence stays silence.
            self.heard += call.read_audio(FRAME_BYTES, blocking=False)
            frames += 1
            next_frame = start + frames * FRAME_SECONDS
            time.sleep(max(0.0, next_frame - time.monotonic()))
        try:
            call.hangup()
            say("CLOSED local")
        except InvalidStateError:
            say("CLOSED remote")

    def save(self):
        pcm = audioop.bias(bytes(self.heard), 1, -128)
        pcm = audioop.lin2lin(pcm, 1, 2)
        with wave.open(self.args.record, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(pcm)
        say("SAVED", self.args.record, len(pcm) // 2)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sip-port", type=int, required=True, help="UDP port to listen on")
    parser.add_argument("--peer", required=True, help="caller's SIP HOST:PORT")
    parser.add_argument("--ip", default="127.0.0.1", help="local address (default 127.0.0.1)")
    parser.add_argument("--user", default="pyvoip", help="user name (any user is accepted)")
    parser.add_argument("--rtp-low", type=int, default=30000)
    parser.add_argument("--rtp-high", type=int, default=30100)
    parser.add_argument("--record", required=True, help="WAV to write what the caller sent")
    parser.add_argument("--play", help="8 kHz mono WAV to send to the caller")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds before hanging up")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a call")
    return parser.parse_args()


def main():
    args = parse_args()
    peer_host, peer_port = args.peer.rsplit(":", 1)
    SIPClient.register = register_nowhere
    pyVoIP.DEBUG = False
    callee = Callee(args)
    phone = VoIPPhone(peer_host, int(peer_port), args.user, "", myIP=args.ip,
                      callCallback=callee.on_call, sipPort=args.sip_port,
                      rtpPortLow=args.rtp_low, rtpPortHigh=args.rtp_high)
    original_invite = phone._callback_MSG_Invite

    def on_invite(request):
        say("INCOMING", request.headers["Call-ID"])
        callee.incoming.set()
        original_invite(request)

    phone._callback_MSG_Invite = on_invite
    phone.start()
    # PyVoIP starts its receive loop one second after start().
    time.sleep(1.1)
    say("READY", args.sip_port)
    called = callee.incoming.wait(args.wait)
    if called:
        # Answering takes about 1 s, then the call lasts at most --hold seconds.
        callee.done.wait(args.hold + 10)
        callee.save()
    else:
        say("NO_CALL")
    phone.stop()
    return 0 if called else 2


if __name__ == "__main__":
    sys.exit(main())
