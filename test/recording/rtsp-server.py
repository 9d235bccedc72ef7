# A real RTSP server for the recording tests: GStreamer's (gst-rtsp-server, Debian's gir1.2-gst-rtsp-server-1.0 with
# gstreamer1.0-plugins-good), run by Debian's python3 (python3-gi). It serves rtsp://127.0.0.1:PORT/live, RTP/MP2T
# (RFC 2250, payload 33) over UDP or TCP interleaved as the client asks, from MPEG-TS it receives as UDP datagrams on
# loopback (the simulated receiver, test/recording/satellite.ts), as an IP camera or a satellite receiver's RTSP output
# does. One media shared by every client. Prints `ready PORT` on stdout once it listens, and `setup TRANSPORT` for each
# SETUP it answers (the client's Transport header), so a test sees which transport the recorder's ffmpeg used.
#
#   python3 rtsp-server.py RTSP_PORT UDP_PORT [tcp]     (tcp: offer TCP interleaved only, refuse RTP over UDP)
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def on_client(_server, client) -> None:
    def on_setup(_client, ctx) -> None:
        transport = ctx.request.get_header(GstRtsp.RTSPHeaderField.TRANSPORT, 0)
        print(f'setup {transport[1] if transport[0] == GstRtsp.RTSPResult.OK else "?"}', flush=True)

    client.connect('setup-request', on_setup)


def main() -> None:
    rtsp_port, udp_port = int(sys.argv[1]), int(sys.argv[2])
    tcp_only = len(sys.argv) > 3 and sys.argv[3] == 'tcp'
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(rtsp_port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( udpsrc address=127.0.0.1 port={udp_port} caps="video/mpegts,systemstream=(boolean)true,packetsize=(int)188" '
        '! queue ! rtpmp2tpay name=pay0 pt=33 )'
    )
    factory.set_shared(True)
    if tcp_only:
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    server.connect('client-connected', on_client)
    server.get_mount_points().add_factory('/live', factory)
    if server.attach(None) == 0:
        print(f'cannot listen on 127.0.0.1:{rtsp_port}', file=sys.stderr)
        sys.exit(2)
    print(f'ready {rtsp_port}', flush=True)
    GLib.MainLoop().run()


if __name__ == '__main__':
    main()
