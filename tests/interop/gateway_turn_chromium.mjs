// Headless Chromium with iceTransportPolicy 'relay' calls `echo` on `floe
// gateway` whose embedded TURN server is the only way in: the page's
// RTCPeerConnection gets the iceServers of `welcome` (TURN REST credentials
// minted for this session) and may only use relayed candidates. Checks that
// the welcome carries a turn: URL with REST credentials, that the selected
// pair's local candidate is a relay one (over UDP, then over TCP to the TURN
// server), and that the echoed audio comes back (inbound-rtp packetsReceived
// and totalAudioEnergy grow). Env: PORT (HTTP port), FLOE_SRC.
import { closeChromium, launchChromium } from '../browser/chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
let failures = 0, checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const context = await launchChromium('floe-turn-chromium-');
// Every RTCPeerConnection the page makes is relay-only and keeps only the
// TURN URLs of the transport under test (window.__turnTransport).
await context.addInitScript(() => {
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = function (cfg = {}, ...rest) {
    const want = window.__turnTransport;
    if (want === 'direct') return new Orig({ ...cfg, iceServers: [] }, ...rest);
    const servers = (cfg.iceServers || []).map((s) => ({ ...s,
      urls: [].concat(s.urls).filter((u) => u.startsWith('turn') && (!want || u.endsWith('transport=' + want))) }))
      .filter((s) => s.urls.length);
    window.__lastIceServers = servers;
    return new Orig({ ...cfg, iceServers: servers, iceTransportPolicy: 'relay' }, ...rest);
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
});

async function run(page, transport) {
  return page.evaluate(async (transport) => {
    window.__turnTransport = transport;
    const t0 = performance.now();
    const call = await window.floePage.client.call('echo');
    const pc = call.pc;
    // Chromium measures audio energy only for a track that plays out.
    const audio = document.getElementById('remote');
    call.addEventListener('track', (e) => {
      audio.srcObject = e.detail.streams[0] || new MediaStream([e.detail.track]);
      audio.play().catch(() => {});
    });
    const until = (pred, ev, ms, what) => new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(what + ' (ice ' + pc.iceConnectionState + ', pc ' + pc.connectionState + ')')), ms);
      const f = () => { if (pred()) { clearTimeout(t); res(); } };
      f();
      pc.addEventListener(ev, f);
    });
    await until(() => pc.connectionState === 'connected', 'connectionstatechange', 10000, 'not connected in 10 s');
    const connected = performance.now() - t0;
    const inbound = async () => {
      let r = null;
      (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') r = s; });
      return r;
    };
    await new Promise((r) => setTimeout(r, 500));
    const s1 = await inbound();
    await new Promise((r) => setTimeout(r, 3000));
    const s2 = await inbound();
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    const result = {
      connected, servers: window.__lastIceServers,
      local: local && { type: local.candidateType, relayProtocol: local.relayProtocol, address: local.address, port: local.port, url: local.url },
      remote: remote && { type: remote.candidateType, address: remote.address, port: remote.port },
      p1: s1 && s1.packetsReceived, p2: s2 && s2.packetsReceived,
      e1: s1 && s1.totalAudioEnergy, e2: s2 && s2.totalAudioEnergy, lost: s2 && s2.packetsLost,
    };
    await call.hangup();
    return result;
  }, transport);
}

let exitCode = 1;
try {
  const page = await context.newPage();
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });
  const welcome = await page.evaluate(() => window.floePage.client.iceServers);
  const turn = welcome.find((s) => [].concat(s.urls).some((u) => u.startsWith('turn:')));
  console.log('welcome iceServers: ' + JSON.stringify(welcome));
  check(!!turn && /^\d+:.+/.test(turn.username) && turn.credential.length === 28,
    'welcome carries the embedded TURN URL with REST credentials (expiry:user, base64 HMAC-SHA1)');
  // A first call without TURN warms the page up (getUserMedia, codecs).
  await run(page, 'direct');
  const times = {};
  for (const transport of ['udp', 'tcp']) {
    const r = await run(page, transport);
    times[transport] = r.connected;
    console.log(`[${transport}] connected in ${r.connected.toFixed(0)} ms; local ${JSON.stringify(r.local)} remote ${JSON.stringify(r.remote)}; ` +
      `packetsReceived ${r.p1} -> ${r.p2}, totalAudioEnergy ${r.e1} -> ${r.e2}, packetsLost ${r.lost}`);
    check(r.local && r.local.type === 'relay', `[${transport}] selected pair's local candidate is relay`);
    check(r.local && r.local.relayProtocol === transport, `[${transport}] Chromium reached the TURN server over ${transport} (${r.local && r.local.relayProtocol})`);
    check(r.p2 > r.p1 && r.p2 > 100, `[${transport}] inbound-rtp packetsReceived grows (${r.p1} -> ${r.p2})`);
    check(r.e2 > r.e1 && r.e2 > 0, `[${transport}] inbound-rtp totalAudioEnergy grows: the echo came back through the relay`);
  }
  // Baseline: the same call without TURN (host candidates, loopback).
  const direct = await run(page, 'direct');
  check(direct.local && direct.local.type === 'host', `[direct] baseline call uses host candidates (${JSON.stringify(direct.local)})`);
  console.log(`call -> connected (warm): relay/udp ${times.udp.toFixed(0)} ms, relay/tcp ${times.tcp.toFixed(0)} ms, ` +
    `direct ${direct.connected.toFixed(0)} ms (ratio udp ${(times.udp / direct.connected).toFixed(2)}, tcp ${(times.tcp / direct.connected).toFixed(2)})`);
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
