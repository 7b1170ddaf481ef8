// The bad-input matrix of issue 4 against the real `floe gateway` (its
// CallRouter, BrowserLeg and media port, not the signaling test server),
// while headless Chromium keeps a healthy echo call going on its own
// session: every bad request gets a clear `error` (or a counted close), and
// the healthy call's echoed audio never stops. Wrong fingerprint uses a real
// DTLS peer: a second Chromium call whose offer reaches Floe with a forged
// a=fingerprint must end with `ended` reason `failed`.
// Env: PORT (HTTP port of floe gateway).
import WebSocket from 'ws';
import { closeChromium, launchChromium } from './chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
const WS = `ws://127.0.0.1:${process.env.PORT}/ws`;
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
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
    // The reply to request `id`, skipping call events in between.
    ws.reply = async (id, ms = 3000) => { for (;;) { const m = await ws.next(ms); if (m.id === id) return m; } };
    ws.closed = new Promise((res) => ws.on('close', (code) => res(code)));
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

const FP = 'a=fingerprint:sha-256 ' + Array(32).fill('3A').join(':');
const SDP = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:Kx3m',
  'a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a', 'a=ice-options:trickle', FP,
  'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

const context = await launchChromium('floe-bad-input-');

let exitCode = 1;
try {
  const page = await context.newPage();
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });
  // The healthy call, and a sampler of its inbound audio.
  await page.evaluate(async () => {
    const call = await window.floePage.client.call('echo');
    window.healthy = call;
    // Chromium computes totalAudioEnergy for a track that plays.
    call.addEventListener('track', (e) => {
      const audio = document.getElementById('remote');
      audio.srcObject = e.detail.streams[0] || new MediaStream([e.detail.track]);
      audio.play().catch(() => {});
    });
    window.samples = [];
    const pc = call.pc;
    const inbound = async () => {
      let r = null;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') r = s; });
      return r ? { p: r.packetsReceived, e: r.totalAudioEnergy } : { p: 0, e: 0 };
    };
    window.sampler = setInterval(async () => window.samples.push({ t: performance.now(), ...(await inbound()) }), 100);
    const end = performance.now() + 5000;
    while (performance.now() < end && (window.samples.at(-1) || { p: 0 }).p < 25) await new Promise((r) => setTimeout(r, 50));
  });
  const healthyBefore = await page.evaluate(() => window.samples.at(-1));
  check(healthyBefore.p >= 25, `healthy Chromium echo call is flowing (${healthyBefore.p} packets)`);

  const a = await open(WS);
  let m = await a.request({ type: 'hello', id: 1 });
  check(m.type === 'welcome', 'bad-input client: hello -> welcome');
  a.send('{this is not json');
  m = await a.next();
  check(m.type === 'error' && m.code === 'bad-json' && m.id === null, 'invalid JSON -> error bad-json');
  m = await a.request({ type: 'dance', id: 'u1' });
  check(m.code === 'unknown-type' && m.id === 'u1', 'unknown type -> error unknown-type naming the request');
  m = await a.request({ type: 'call', id: 'c0', target: 'echo' });
  check(m.code === 'bad-message' && /callId/.test(m.message), `missing field -> bad-message naming it (${m.message})`);
  m = await a.request({ type: 'ping', id: 'big', pad: 'x'.repeat(70 * 1024) });
  check(m.code === 'too-large', 'oversized message (70 KiB) -> error too-large');
  m = await a.request({ type: 'call', id: 'c1', callId: 'x1', target: 'echo',
    sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio nine RTP/AVP 0\r\n' });
  check(m.code === 'bad-sdp' && /line 5/.test(m.message), `malformed SDP -> bad-sdp naming the line (${m.message})`);
  const dataOnly = SDP.replace(/m=audio[^]*$/, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n' +
    'a=ice-ufrag:Kx3m\r\na=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a\r\n' + FP + '\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n');
  await a.request({ type: 'call', id: 'na', callId: 'noaudio', target: 'echo', sdp: dataOnly });
  m = await a.reply('na');
  check(m.code === 'unsupported-sdp' && /audio/.test(m.message), `SDP without audio -> unsupported-sdp (${m.message})`);
  await a.request({ type: 'call', id: 'nf', callId: 'nofp', target: 'echo', sdp: SDP.replace(FP + '\r\n', '') });
  m = await a.reply('nf');
  check(m.code === 'unsupported-sdp' && /fingerprint/.test(m.message), `SDP without fingerprint -> unsupported-sdp (${m.message})`);
  m = await a.request({ type: 'candidate', id: 'k2', callId: 'nope', candidate: 'candidate:1 1 udp 1 127.0.0.1 5 typ host' });
  check(m.code === 'unknown-call', 'candidate for an unknown call -> unknown-call');
  m = await a.request({ type: 'offer', id: 'o1', callId: 'nope', sdp: SDP });
  check(m.code === 'unknown-call', 'offer for an unknown call -> unknown-call');
  // A call Floe answers but whose peer never shows up, then junk trickle.
  m = await a.request({ type: 'call', id: 'c3', callId: 'ghost', target: 'echo', sdp: SDP });
  check(m.type === 'ack', 'a call with no real peer behind it is acknowledged');
  a.send(JSON.stringify({ type: 'candidate', id: 'k3', callId: 'ghost', candidate: 'candidate:garbage' }));
  m = await a.reply('k3');
  check(m.type === 'ack', 'a malformed candidate is acknowledged and dropped (counted by ICE)');
  m = await a.request({ type: 'hangup', id: 'h3', callId: 'ghost' });
  m = m.id === 'h3' ? m : await a.reply('h3');
  check(m.type === 'ack', 'hangup of the peerless call acknowledged');

  // Flood: rate-limited, and a connection that keeps flooding is closed.
  const f = await open(WS);
  await f.request({ type: 'hello', id: 1 });
  for (let i = 0; i < 400; i++) f.send(JSON.stringify({ type: 'ping', id: i }));
  const got = [];
  for (;;) { try { got.push(await f.next(700)); } catch { break; } }
  const limited = got.filter((x) => x.code === 'rate-limited').length;
  const pongs = got.filter((x) => x.type === 'pong').length;
  check(limited >= 1 && pongs < 400, `flood of 400 pings is rate-limited (${pongs} pongs, ${limited} rate-limited errors)`);
  m = await a.request({ type: 'ping', id: 'p4' });
  check(m.type === 'pong', 'the bad-input session still answers');

  // Wrong fingerprint with a real DTLS peer: Chromium's own offer, sent
  // to Floe with a forged a=fingerprint; the answer is applied normally.
  const wrongFp = await page.evaluate(async () => {
    const client = window.floePage.client;
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    await pc.setLocalDescription(await pc.createOffer());
    const forged = pc.localDescription.sdp.replace(/a=fingerprint:sha-256 [0-9A-F:]+/,
      'a=fingerprint:sha-256 ' + Array(32).fill('AB').join(':'));
    const callId = 'forged';
    const ended = new Promise((res) => {
      const onMsg = (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.callId !== callId) return;
        if (msg.type === 'answer') pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        else if (msg.type === 'candidate') pc.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex }).catch(() => {});
        else if (msg.type === 'ended') { client._ws.removeEventListener('message', onMsg); res(msg); }
      };
      client._ws.addEventListener('message', onMsg);
    });
    pc.onicecandidate = (e) => { if (e.candidate) client.request('candidate', { callId, candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex }).catch(() => {}); };
    const t0 = performance.now();
    await client.request('call', { callId, target: 'echo', sdp: forged });
    const msg = await Promise.race([ended, new Promise((r) => setTimeout(() => r({ reason: 'no ended within 15 s' }), 15000))]);
    pc.close();
    for (const t of stream.getTracks()) t.stop();
    return { ...msg, ms: performance.now() - t0 };
  });
  check(wrongFp.reason === 'failed', `wrong fingerprint -> ended '${wrongFp.reason}' after ${wrongFp.ms.toFixed(0)} ms (${wrongFp.message || ''})`);

  // The healthy call kept its audio through all of it.
  await new Promise((r) => setTimeout(r, 1000));
  const r = await page.evaluate(async () => {
    clearInterval(window.sampler);
    const s = window.samples;
    let stall = 0, run = 0;
    for (let i = 1; i < s.length; i++) { run = s[i].p === s[i - 1].p ? run + 100 : 0; stall = Math.max(stall, run); }
    const last = s.at(-1);
    await window.healthy.hangup();
    return { last, stall, n: s.length, state: window.healthy.state };
  });
  // 20 ms Opus frames: 50 packets/s when nothing is lost.
  const rate = (r.last.p - healthyBefore.p) / ((r.last.t - healthyBefore.t) / 1000);
  check(rate > 40 && r.last.e > healthyBefore.e,
    `healthy call's echoed audio kept coming (${healthyBefore.p} -> ${r.last.p} packets, ${rate.toFixed(1)}/s, ` +
    `totalAudioEnergy ${healthyBefore.e.toFixed(3)} -> ${r.last.e.toFixed(3)})`);
  check(r.stall <= 1000, `no stall over 1 s in the healthy call during the matrix (longest ${r.stall} ms, ${r.n} samples)`);
  const metrics = await (await fetch(BASE + '/metrics')).text();
  const errs = metrics.split('\n').filter((l) => l.startsWith('floe_signaling_errors_total')).join(', ');
  console.log('metrics: ' + errs);
  check(/floe_signaling_errors_total\{code="bad-json"\} [1-9]/.test(metrics) && /code="rate-limited"\} [1-9]/.test(metrics),
    'errors are counted by code on /metrics');
  a.close();
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
