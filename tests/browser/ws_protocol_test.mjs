// Talks Floe's JSON signaling protocol to the real server with the `ws`
// package, as a non-browser client would. Env: OPEN_PORT (no auth, small
// limits), AUTH_PORT (HMAC tokens, secret AUTH_SECRET, origin allow-list).
import crypto from 'node:crypto';
import WebSocket from 'ws';

const OPEN = `ws://127.0.0.1:${process.env.OPEN_PORT}/ws`;
const AUTH = `ws://127.0.0.1:${process.env.AUTH_PORT}/ws`;
const SECRET = process.env.AUTH_SECRET;
let failures = 0;
let checks = 0;

function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// A socket with a message inbox; next() waits for the next message.
function open(url, options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const inbox = [];
    const waiters = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (waiters.length) waiters.shift()(msg); else inbox.push(msg);
    });
    ws.next = (ms = 3000) => new Promise((res, rej) => {
      if (inbox.length) return res(inbox.shift());
      const t = setTimeout(() => rej(new Error('no message within ' + ms + ' ms')), ms);
      waiters.push((m) => { clearTimeout(t); res(m); });
    });
    ws.request = (msg) => { ws.send(JSON.stringify(msg)); return ws.next(); };
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error('HTTP ' + res.statusCode), { status: res.statusCode })));
    ws.on('error', (err) => reject(err));
  });
}

function token(expiry, user, secret = SECRET) {
  const sig = crypto.createHmac('sha256', secret).update(`${expiry}:${user}`).digest('base64url');
  return `${expiry}:${user}:${sig}`;
}

const SDP = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 126', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:Kx3m',
  'a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 3A:9F:0C:11:5E:72:8B:D4:E1:06:AB:39:C2:57:F8:4D:90:1B:6E:23:CF:88:45:7A:02:D9:B6:31:EE:5C:47:A0',
  'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:126 telephone-event/8000', '',
].join('\r\n');

async function main() {
  // hello / welcome
  const a = await open(OPEN);
  const w = await a.request({ type: 'hello', id: 1 });
  check(w.type === 'welcome' && w.id === 1 && typeof w.sessionId === 'string' && w.sessionId.length >= 16,
    'hello gets welcome with a session id');
  check(Array.isArray(w.iceServers) && w.iceServers.length === 1 && w.iceServers[0].urls[0].startsWith('stun:'),
    'welcome lists ICE servers');
  check(w.resumeWindow === 3, 'welcome states the resume window (3 s as configured)');

  // bad JSON: an error, and the session carries on
  a.send('{this is not json');
  let m = await a.next();
  check(m.type === 'error' && m.code === 'bad-json' && m.id === null && m.message.length > 0,
    'bad JSON -> error bad-json with a message');
  m = await a.request({ type: 'ping', id: 'p1' });
  check(m.type === 'pong' && m.id === 'p1', 'session still answers after bad JSON');
  m = await a.request({ type: 'dance', id: 'u1' });
  check(m.type === 'error' && m.code === 'unknown-type' && m.id === 'u1', 'unknown type -> error naming the request id');
  m = await a.request({ type: 'call', id: 'c0', target: 'echo' });
  check(m.code === 'bad-message' && /callId/.test(m.message), 'missing field -> bad-message naming the field');

  // oversized message (soft cap 4096): error, session stays
  m = await a.request({ type: 'ping', id: 'big', pad: 'x'.repeat(5000) });
  check(m.type === 'error' && m.code === 'too-large', 'oversized message -> error too-large');
  m = await a.request({ type: 'ping', id: 'p2' });
  check(m.type === 'pong', 'session still answers after an oversized message');

  // malformed SDP names the line
  m = await a.request({ type: 'call', id: 'c1', callId: 'x1', target: 'echo', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio nine RTP/AVP 0\r\n' });
  check(m.code === 'bad-sdp' && /line 5/.test(m.message) && m.callId === 'x1', 'malformed SDP -> bad-sdp naming line 5');

  // SDP that parses but cannot be used: no audio, no fingerprint
  const dataOnly = SDP.replace(/m=audio[^]*$/, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n' +
    'a=ice-ufrag:Kx3m\r\na=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a\r\na=fingerprint:sha-256 ' + '3A:'.repeat(31) + '3A\r\n' +
    'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n');
  m = await a.request({ type: 'call', id: 'na', callId: 'noaudio', target: 'echo', sdp: dataOnly });
  m = m.type === 'ack' ? await a.next() : m;
  check(m.type === 'error' && m.code === 'unsupported-sdp' && m.id === 'na' && /audio/.test(m.message),
    'SDP without audio -> unsupported-sdp naming the call request');
  m = await a.request({ type: 'call', id: 'nf', callId: 'nofp', target: 'echo', sdp: SDP.replace(/a=fingerprint:[^\r]*\r\n/, '') });
  m = m.type === 'ack' ? await a.next() : m;
  check(m.type === 'error' && m.code === 'unsupported-sdp' && /fingerprint/.test(m.message),
    'SDP without a fingerprint -> unsupported-sdp');

  // a call to the fake handler's echo: ack, answer, candidate, end-of-candidates, answered
  m = await a.request({ type: 'call', id: 'c2', callId: 'echo1', target: 'echo', sdp: SDP });
  check(m.type === 'ack' && m.callId === 'echo1', 'call acknowledged');
  const seq = [await a.next(), await a.next(), await a.next(), await a.next()];
  check(seq.map((x) => x.type).join(',') === 'answer,candidate,end-of-candidates,answered', 'answer, trickle, answered in order');
  check(/a=setup:active/.test(seq[0].sdp) && /a=rtpmap:111 opus\/48000\/2/.test(seq[0].sdp), 'answer picks opus and DTLS active');
  m = await a.request({ type: 'candidate', id: 'k1', callId: 'echo1', candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 });
  check(m.type === 'ack', 'trickled candidate acknowledged');
  m = await a.request({ type: 'candidate', id: 'k2', callId: 'nope', candidate: 'candidate:1 1 udp 1 127.0.0.1 5 typ host' });
  check(m.code === 'unknown-call', 'candidate for an unknown call -> unknown-call');
  m = await a.request({ type: 'hangup', id: 'h1', callId: 'echo1' });
  check(m.type === 'ack', 'hangup acknowledged');

  // hard cap (1 MiB frame): the socket closes with 1009, other sessions unaffected
  const b = await open(OPEN);
  await b.request({ type: 'hello', id: 1 });
  b.send('x'.repeat(1100 * 1024));
  const closed = await b.closed;
  check(closed.code === 1009, `frame over the hard cap closes that socket with 1009 (got ${closed.code})`);
  m = await a.request({ type: 'ping', id: 'p3' });
  check(m.type === 'pong', 'a parallel session keeps working');

  // resume within the window keeps the session and its calls
  const c = await open(OPEN);
  const wc = await c.request({ type: 'hello', id: 1 });
  m = await c.request({ type: 'call', id: 2, callId: 'keep', target: 'ring', sdp: SDP });
  await c.next();  // ringing
  c.terminate();
  await new Promise((r) => setTimeout(r, 500));
  const c2 = await open(OPEN);
  const wr = await c2.request({ type: 'hello', id: 1, resume: wc.sessionId });
  check(wr.resumed === true && wr.sessionId === wc.sessionId, 'reconnect within the window resumes the same session');
  check(wr.calls.length === 1 && wr.calls[0].callId === 'keep' && wr.calls[0].state === 'ringing', 'resumed session still has its ringing call');
  c2.close();
  await c2.closed;
  await new Promise((r) => setTimeout(r, 4000));  // window is 3 s
  const c3 = await open(OPEN);
  const we = await c3.request({ type: 'hello', id: 1, resume: wc.sessionId });
  check(we.resumed === false && we.sessionId !== wc.sessionId, 'after the window a resume gets a fresh session');
  c3.close();

  // rate limit: a flood gets rate-limited, a parallel session does not notice
  const f = await open(OPEN);
  await f.request({ type: 'hello', id: 1 });
  for (let i = 0; i < 60; i++) f.send(JSON.stringify({ type: 'ping', id: i }));
  const got = [];
  for (;;) { try { got.push(await f.next(500)); } catch { break; } }
  const limited = got.filter((x) => x.code === 'rate-limited').length;
  const pongs = got.filter((x) => x.type === 'pong').length;
  check(limited >= 1 && pongs < 60, `flood is rate-limited (${pongs} pongs, ${limited} rate-limited errors)`);
  m = await a.request({ type: 'ping', id: 'p4' });
  check(m.type === 'pong', 'the healthy session is unaffected by the flood');
  f.close();
  a.close();

  // tokens and origins on the authenticated server
  const now = Math.floor(Date.now() / 1000);
  const n = await open(AUTH);
  m = await n.request({ type: 'hello', id: 1 });
  check(m.type === 'error' && m.code === 'unauthorized', 'hello without a token -> unauthorized');
  check((await n.closed).code === 1008, 'and the socket is closed (1008)');
  const bad = await open(AUTH);
  m = await bad.request({ type: 'hello', id: 1, token: token(now + 600, 'alice', 'wrong-secret') });
  check(m.code === 'unauthorized' && /signature/.test(m.message), 'forged token refused');
  const old = await open(AUTH);
  m = await old.request({ type: 'hello', id: 1, token: token(now - 5, 'alice') });
  check(m.code === 'unauthorized' && /expired/.test(m.message), 'expired token refused');
  const good = await open(AUTH);
  m = await good.request({ type: 'hello', id: 1, token: token(now + 600, 'alice') });
  check(m.type === 'welcome' && m.user === 'alice', 'valid HMAC token in hello -> welcome as alice');
  good.close();
  try {
    await open(AUTH + '?token=' + encodeURIComponent(token(now + 600, 'bob', 'nope')));
    check(false, 'bad token in the query refused before the upgrade');
  } catch (err) { check(err.status === 401, `bad token in the query -> HTTP 401 before any session (${err.message})`); }
  const q = await open(AUTH + '?token=' + encodeURIComponent(token(now + 600, 'bob')));
  m = await q.request({ type: 'hello', id: 1 });
  check(m.type === 'welcome' && m.user === 'bob', 'valid token in the query -> welcome as bob');
  q.close();
  try {
    await open(AUTH, { origin: 'http://evil.example' });
    check(false, 'foreign Origin refused');
  } catch (err) { check(err.status === 403, `foreign Origin -> HTTP 403 (${err.message})`); }
  const okOrigin = await open(AUTH, { origin: 'https://app.example' });
  check(okOrigin.readyState === WebSocket.OPEN, 'allow-listed Origin accepted');
  okOrigin.close();

  const metrics = await (await fetch(`http://127.0.0.1:${process.env.OPEN_PORT}/metrics`)).text();
  check(/floe_signaling_errors_total\{code="bad-json"\} 1/.test(metrics) && /floe_signaling_resumes_total 1/.test(metrics),
    '/metrics counts the bad JSON and the resume');

  console.log(`${checks - failures}/${checks} checks passed`);
  process.exit(failures ? 1 : 0);
}

main().catch((err) => { console.error('FAIL', err); process.exit(1); });
