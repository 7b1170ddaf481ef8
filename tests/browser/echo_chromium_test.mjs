// Headless Chromium opens the page served by `floe gateway`, calls the
// built-in `echo` target through floe.js with a fake microphone, and checks
// that the echo comes back through Floe's own ICE, DTLS-SRTP and SCTP:
// the remote track plays in the page's <audio>, inbound-rtp packetsReceived
// and totalAudioEnergy grow, a data-channel message round-trips, and the
// selected candidate pair succeeded. Runs twice: Chromium trickling before
// Floe's answer arrives (floe.js default) and only after it (candidates
// held back until the answer was applied), then once more warm. The
// comparison with Chromium -> Chromium is bench/echo_vs_p2p.sh.
// Env: PORT (HTTP port of floe gateway).
import { closeChromium, launchChromium } from './chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const context = await launchChromium('floe-echo-chromium-');

// In the page: call echo, time the steps, sample getStats for a few seconds.
async function echoRun(page, trickleAfterAnswer) {
  return page.evaluate(async (lateTrickle) => {
    const client = window.floePage.client;
    const t0 = performance.now();
    const times = {};
    // Hold Chromium's candidates back until Floe's answer is applied.
    if (lateTrickle) {
      const orig = client.request.bind(client);
      let release;
      const answered = new Promise((r) => { release = r; });
      client.request = (type, fields) => {
        if (type === 'candidate' || type === 'end-of-candidates')
          return answered.then(() => orig(type, fields));
        if (type === 'call') return orig(type, fields).then((a) => { setTimeout(release, 300); return a; });
        return orig(type, fields);
      };
    }
    const call = await client.call('echo');
    window.floePage.call = call;
    const audio = document.getElementById('remote');
    const trackP = new Promise((res) => call.addEventListener('track', (e) => {
      audio.srcObject = e.detail.streams[0] || new MediaStream([e.detail.track]);
      audio.play().catch(() => {});
      res();
    }));
    const answeredP = new Promise((res) => call.state === 'answered' ? res()
      : call.addEventListener('answered', res));
    await answeredP;
    times.answered = performance.now() - t0;
    const pc = call.pc;
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('ICE did not connect within 3 s (state ' + pc.iceConnectionState + ')')), 3000);
      const f = () => { if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') { clearTimeout(t); res(); } };
      f();
      pc.addEventListener('iceconnectionstatechange', f);
    });
    times.iceConnected = performance.now() - t0;
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('DTLS did not connect (state ' + pc.connectionState + ')')), 5000);
      const f = () => { if (pc.connectionState === 'connected') { clearTimeout(t); res(); } };
      f();
      pc.addEventListener('connectionstatechange', f);
    });
    times.dtlsConnected = performance.now() - t0;
    await trackP;

    const inbound = async () => {
      const stats = await pc.getStats();
      let r = null;
      stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') r = s; });
      return r;
    };
    // First echoed audio: packetsReceived > 0.
    for (let i = 0; i < 100; i++) {
      const s = await inbound();
      if (s && s.packetsReceived > 0) { times.firstAudio = performance.now() - t0; break; }
      await new Promise((r) => setTimeout(r, 20));
    }
    const s1 = await inbound();
    await new Promise((r) => setTimeout(r, 3000));
    const s2 = await inbound();

    // Data channel round trip.
    const dc = call.dataChannel;
    if (dc.readyState !== 'open') await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('data channel did not open: ' + dc.readyState)), 5000);
      dc.addEventListener('open', () => { clearTimeout(t); res(); }, { once: true });
    });
    const text = 'ping ' + Math.random();
    const dcStart = performance.now();
    const echoed = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no data channel echo')), 3000);
      dc.addEventListener('message', (e) => { clearTimeout(t); res(e.data); }, { once: true });
      dc.send(text);
    });
    times.dataChannelRtt = performance.now() - dcStart;
    const bin = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no binary echo')), 3000);
      dc.binaryType = 'arraybuffer';
      dc.addEventListener('message', (e) => { clearTimeout(t); res(Array.from(new Uint8Array(e.data))); }, { once: true });
      dc.send(new Uint8Array([1, 2, 3, 250]));
    });

    const stats = await pc.getStats();
    let pair = null, remoteOut = null, remoteIn = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      if (s.type === 'remote-outbound-rtp' && s.kind === 'audio') remoteOut = s;
      if (s.type === 'remote-inbound-rtp' && s.kind === 'audio') remoteIn = s;
    });
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    const result = {
      times, text, echoed, bin,
      p1: s1 && s1.packetsReceived, p2: s2 && s2.packetsReceived,
      e1: s1 && s1.totalAudioEnergy, e2: s2 && s2.totalAudioEnergy,
      lost: s2 && s2.packetsLost, ssrc: s2 && s2.ssrc,
      pairState: pair && pair.state, pairNominated: pair && pair.nominated,
      pairDesc: pair ? `${local && local.candidateType} ${local && local.address}:${local && local.port} -> ${remote && remote.candidateType} ${remote && remote.address}:${remote && remote.port}` : 'none',
      remoteSr: remoteOut ? remoteOut.reportsSent : null,
      rtt: remoteIn ? remoteIn.roundTripTime : null,
      playing: !audio.paused && audio.srcObject !== null,
      currentTime: audio.currentTime,
    };
    await call.hangup();
    return result;
  }, trickleAfterAnswer);
}

let exitCode = 1;
try {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });
  check(true, 'page served by floe gateway connected over WebSocket');

  for (const [i, late] of [false, true, false].entries()) {
    const label = (late ? '[trickle after answer]' : '[trickle before answer]') + (i === 2 ? '[warm]' : '');
    const r = await echoRun(page, late);
    const t = r.times;
    console.log(`${label} call->answered ${t.answered.toFixed(0)} ms, ->ICE connected ${t.iceConnected.toFixed(0)} ms, ` +
      `->DTLS connected ${t.dtlsConnected.toFixed(0)} ms, ->first echoed audio ${t.firstAudio ? t.firstAudio.toFixed(0) : '-'} ms, ` +
      `data channel RTT ${t.dataChannelRtt.toFixed(1)} ms`);
    console.log(`${label} selected pair ${r.pairDesc} (${r.pairState}); packetsReceived ${r.p1} -> ${r.p2}, ` +
      `totalAudioEnergy ${r.e1} -> ${r.e2}, packetsLost ${r.lost}, echo SSRC ${r.ssrc}`);
    check(t.iceConnected < 3000, `${label} ICE connected within 3 s (${t.iceConnected.toFixed(0)} ms)`);
    check(r.pairState === 'succeeded', `${label} selected candidate pair is succeeded`);
    check(r.p2 > r.p1 && r.p2 > 100, `${label} inbound-rtp packetsReceived grows (${r.p1} -> ${r.p2})`);
    check(r.e2 > r.e1 && r.e2 > 0, `${label} inbound-rtp totalAudioEnergy grows: the fake tone came back`);
    check(r.playing, `${label} the remote track plays in <audio> (currentTime ${r.currentTime.toFixed(2)} s)`);
    console.log(`${label} Floe's RTCP as Chromium saw it: remote-outbound-rtp reportsSent ${r.remoteSr}, ` +
      `remote-inbound-rtp roundTripTime ${r.rtt}`);
    check(r.remoteSr > 0, `${label} Chromium took Floe's own sender reports (remote-outbound-rtp)`);
    check(r.echoed === r.text, `${label} data-channel text message echoed`);
    check(JSON.stringify(r.bin) === '[1,2,3,250]', `${label} data-channel binary message echoed`);
  }
  const unknown = await page.evaluate(async () => {
    const c = await window.floePage.client.call('nobody');
    return new Promise((res) => c.addEventListener('ended', (e) => res(e.detail)));
  });
  // With no trunk configured, numbers other than echo go to the built-in SIP
  // test line, which answers an unknown number 404 Not Found.
  check(unknown.reason === 'not-found' || unknown.reason === 'sip-404',
    `a call to an unknown target ends with not-found (${unknown.reason}: ${unknown.message})`);
  check(consoleErrors.length === 0, 'no errors in the page console' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
