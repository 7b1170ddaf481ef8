// werift peer for tests/interop/dtls_werift.sh. DTLS (werift-dtls) in the given
// role on UDP 127.0.0.1, SCTP (werift-sctp) over it, and a small DCEP (RFC 8832)
// written here: it acknowledges channels Floe opens and echoes their messages,
// opens "werift-chan" itself and checks Floe echoes what it sends.
// Prints lines the shell script greps for.
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The packages' "main" points at files they do not ship; load the built entry points.
const require = createRequire(import.meta.url);
const { DtlsClient, DtlsServer } = require("werift-dtls/lib/dtls/src/index.js");
const { SCTP } = require("werift-sctp/lib/sctp/src/index.js");
const { SrtpSession } = require("werift-dtls/lib/rtp/src/srtp/srtp.js");
const { RtpHeader, RtpPacket } = require("werift-dtls/lib/rtp/src/rtp/rtp.js");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, v, i, all) => (v.startsWith("--") ? [...acc, [v.slice(2), all[i + 1]]] : acc), []),
);
const role = args.role;
const port = Number(args.port);
const out = (line) => process.stdout.write(line + "\n");
const PPID = { DCEP: 50, STRING: 51, BINARY: 53, STRING_EMPTY: 56, BINARY_EMPTY: 57 };

// The datagram transport werift-dtls expects: onData(buf) in, send(buf) out.
function udpTransport(socket, remote) {
  const t = {
    type: "udp",
    rinfo: remote,
    closed: false,
    onData: () => {},
    send: (data) =>
      new Promise((resolve) => {
        if (!t.rinfo || t.closed) return resolve();
        socket.send(data, t.rinfo.port, t.rinfo.address, () => resolve());
      }),
    close: () => {
      t.closed = true;
    },
  };
  socket.on("message", (msg, rinfo) => {
    if (!t.rinfo) t.rinfo = { address: rinfo.address, port: rinfo.port };
    // RFC 7983: 128-191 is RTP/RTCP, the rest here is DTLS.
    if (msg[0] >= 128 && msg[0] <= 191) return onSrtp(msg);
    t.onData(msg, rinfo);
  });
  return t;
}

// --srtp N: after the handshake, send N SRTP packets keyed by werift's own
// DTLS-SRTP export and check the N that Floe sends (payload byte j of the
// packet with sequence number s is (s + j) mod 256).
const srtpCount = Number(args.srtp ?? 0);
let srtp;
const srtpEarly = [];
let srtpOk = 0;
let srtpBad = 0;
function onSrtp(msg) {
  if (!srtp) return void srtpEarly.push(msg);
  try {
    const pkt = RtpPacket.deSerialize(srtp.decrypt(msg));
    const seq = pkt.header.sequenceNumber;
    let good = pkt.payload.length === 160;
    for (let j = 0; good && j < 160; j++) good = pkt.payload[j] === ((seq + j) & 0xff);
    good ? srtpOk++ : srtpBad++;
  } catch (e) {
    srtpBad++;
  }
  if (srtpOk + srtpBad === srtpCount) out(`JS SRTP IN ok=${srtpOk} bad=${srtpBad}`);
}
function startSrtp(transport) {
  const profile = dtls.srtp.srtpProfile;
  const keys = dtls.extractSessionKeys(16, profile === 7 ? 12 : 14);
  srtp = new SrtpSession({
    keys: {
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
    },
    profile,
  });
  out(`JS SRTP PROFILE ${profile}`);
  for (let i = 0; i < srtpCount; i++) {
    const seq = 5000 + i;
    const payload = Buffer.alloc(160);
    for (let j = 0; j < 160; j++) payload[j] = (seq + j) & 0xff;
    const header = new RtpHeader({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x3e3e3e3e });
    socket.send(srtp.encrypt(payload, header), transport.rinfo.port, transport.rinfo.address);
  }
  out(`JS SRTP OUT ${srtpCount}`);
  for (const m of srtpEarly.splice(0)) onSrtp(m);
}

const socket = createSocket("udp4");
const options = {
  cert: readFileSync(args.cert).toString(),
  key: readFileSync(args.key).toString(),
  // 1 = SRTP_AES128_CM_HMAC_SHA1_80, 7 = SRTP_AEAD_AES_128_GCM
  srtpProfiles: (args.profiles ?? "1").split(",").map(Number),
  signatureHash: { hash: 4, signature: 3 }, // sha256 + ecdsa (RFC 5246 §7.4.1.4.1)
};
let dtls;
let udp;
if (role === "server") {
  socket.bind(port, "127.0.0.1");
  udp = udpTransport(socket);
  dtls = new DtlsServer({ ...options, certificateRequest: true, transport: udp });
} else {
  socket.bind(0, "127.0.0.1");
  udp = udpTransport(socket, { address: "127.0.0.1", port });
  dtls = new DtlsClient({ ...options, transport: udp });
}

const sctpTransport = { onData: undefined, send: (buf) => dtls.send(buf), close: () => {} };
dtls.onData.subscribe((buf) => sctpTransport.onData?.(buf));
dtls.onError.subscribe((e) => out("DTLS ERROR " + e));

const sctp = SCTP.server(sctpTransport, 5000);
const channels = new Map(); // stream id -> { label, ordered, mine }
const expected = new Map(); // payload key -> count, for our own channel's echoes
const key = (ppid, data) => ppid + ":" + data.toString("hex");

function send(id, ppid, data) {
  const ch = channels.get(id);
  return sctp.send(id, ppid, data, { ordered: ch ? ch.ordered : true });
}

sctp.onReceive.subscribe((id, ppid, data) => {
  if (ppid === PPID.DCEP) {
    if (data[0] === 0x03) {
      const type = data[1];
      const labelLen = data.readUInt16BE(8);
      const label = data.subarray(12, 12 + labelLen).toString();
      channels.set(id, { label, ordered: (type & 0x80) === 0, mine: false });
      out(`JS GOT CHANNEL ${label} type=0x${type.toString(16)} id=${id}`);
      sctp.send(id, PPID.DCEP, Buffer.from([0x02]), { ordered: true });
    } else if (data[0] === 0x02) {
      out(`JS CHANNEL ACKED id=${id}`);
    }
    return;
  }
  const ch = channels.get(id);
  if (!ch) return out(`JS DATA ON UNKNOWN STREAM ${id}`);
  if (ch.mine) {
    const k = key(ppid, data);
    const n = expected.get(k) ?? 0;
    if (n === 0) return out(`JS UNEXPECTED ECHO ppid=${ppid} len=${data.length}`);
    if (n === 1) expected.delete(k);
    else expected.set(k, n - 1);
    if (expected.size === 0) out("JS ECHO OK");
  } else {
    send(id, ppid, data); // echo
  }
});
sctp.onReconfigStreams.subscribe((ids) => out(`JS STREAMS RESET ${ids.join(",")}`));
sctp.stateChanged.connected.subscribe(() => {
  out("JS SCTP CONNECTED");
  // RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones.
  const id = role === "client" ? 100 : 101;
  const label = Buffer.from("werift-chan");
  const open = Buffer.alloc(12 + label.length);
  open.writeUInt8(0x03, 0);
  open.writeUInt8(0x00, 1); // reliable, ordered
  open.writeUInt16BE(256, 2);
  open.writeUInt32BE(0, 4);
  open.writeUInt16BE(label.length, 8);
  open.writeUInt16BE(0, 10);
  label.copy(open, 12);
  channels.set(id, { label: "werift-chan", ordered: true, mine: true });
  sctp.send(id, PPID.DCEP, open, { ordered: true });
  const messages = [
    [PPID.STRING, Buffer.from("hello from werift")],
    [PPID.BINARY, Buffer.alloc(3000, 0x42)],
    [PPID.STRING_EMPTY, Buffer.from([0])],
    [PPID.BINARY, Buffer.alloc(70000, 0x17)],
  ];
  for (const [ppid, data] of messages) {
    // Floe's echo of an empty message goes back with the same empty PPID.
    expected.set(key(ppid, data), (expected.get(key(ppid, data)) ?? 0) + 1);
    send(id, ppid, data);
  }
});
sctp.stateChanged.closed.subscribe(() => out("JS SCTP CLOSED"));

dtls.onConnect.subscribe(() => {
  const fp = createHash("sha256").update(dtls.remoteCertificate).digest("hex").toUpperCase().match(/../g).join(":");
  out(`JS DTLS CONNECTED peer=sha-256 ${fp}`);
  const gcm = dtls.srtp.srtpProfile === 7;
  out(`JS KEYING MATERIAL: ${dtls.exportKeyingMaterial("EXTRACTOR-dtls_srtp", gcm ? 56 : 60).toString("hex").toUpperCase()}`);
  if (srtpCount > 0) startSrtp(udp);
  else sctp.start(5000);
});
dtls.onClose.subscribe(() => {
  out("JS DTLS CLOSED");
  setTimeout(() => process.exit(0), 100);
});
if (role === "client") dtls.connect();
out("JS READY");
setTimeout(() => { out("JS TIMEOUT"); process.exit(1); }, Number(args.timeout ?? 20000));
