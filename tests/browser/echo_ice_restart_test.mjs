// ICE restart on the browser leg: headless Chromium calls `echo` on
// `floe gateway`, then restarts ICE (floe.js restartIce(): a new offer with
// new ice-ufrag/pwd sent as `offer`). Checks: Floe answers with new
// credentials, a new candidate pair of the new ICE generation is selected,
// the echoed audio keeps coming (no gap over the restart), the data channel
// still echoes, and Floe's `stats` events arrive during the call.
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

const context = await launchChromium('floe-ice-restart-');

let exitCode = 1;
try {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });

  const r = await page.evaluate(async () => {
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const client = window.floePage.client;
    const call = await client.call('echo');
    const floeStats = [];
    call.addEventListener('stats', (e) => floeStats.push({ at: performance.now(), ...e.detail }));
    const pc = call.pc;
    const until = async (pred, ms, what) => {
      const end = performance.now() + ms;
      while (performance.now() < end) { if (await pred()) return; await sleep(20); }
      throw new Error('timed out: ' + what);
    };
    const snapshot = async () => {
      const stats = await pc.getStats();
      let transport = null, inbound = null;
      stats.forEach((s) => {
        if (s.type === 'transport') transport = s;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
      });
      const pair = transport && transport.selectedCandidatePairId ? stats.get(transport.selectedCandidatePairId) : null;
      const local = pair && stats.get(pair.localCandidateId);
      return {
        packets: inbound ? inbound.packetsReceived : 0,
        energy: inbound ? inbound.totalAudioEnergy : 0,
        pairId: pair ? pair.id : null,
        pairState: pair ? pair.state : null,
        changes: transport ? transport.selectedCandidatePairChanges : null,
        localUfrag: local ? local.usernameFragment : null,
      };
    };
    const ufrag = (sdp) => (/a=ice-ufrag:(\S+)/.exec(sdp) || [])[1];
    await until(() => pc.connectionState === 'connected', 5000, 'connected');
    await until(async () => (await snapshot()).packets > 50, 5000, 'echoed audio');
    const before = await snapshot();
    const oldLocal = ufrag(pc.localDescription.sdp), oldRemote = ufrag(pc.remoteDescription.sdp);

    // Sample packetsReceived every 100 ms across the restart: the echo
    // must not stop.
    const samples = [];
    let sampling = true;
    const sampler = (async () => { while (sampling) { samples.push((await snapshot()).packets); await sleep(100); } })();
    await sleep(500);
    const t0 = performance.now();
    await call.restartIce();
    const newLocal = ufrag(pc.localDescription.sdp);
    await until(() => ufrag(pc.remoteDescription.sdp) !== oldRemote, 3000, "Floe's answer to the new offer");
    const answeredMs = performance.now() - t0;
    await until(async () => { const s = await snapshot(); return s.localUfrag === newLocal && s.pairState === 'succeeded'; },
      5000, 'a selected pair of the new ICE generation');
    const reselectedMs = performance.now() - t0;
    await sleep(3000);
    sampling = false;
    await sampler;
    const after = await snapshot();

    // The data channel rides on the same DTLS association.
    const dc = call.dataChannel;
    const echoed = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no data channel echo after the restart')), 3000);
      dc.addEventListener('message', (e) => { clearTimeout(t); res(e.data); }, { once: true });
      dc.send('after restart');
    });
    let maxGap = 0;
    for (let i = 1, still = 0; i < samples.length; i++) {
      still = samples[i] === samples[i - 1] ? still + 1 : 0;
      maxGap = Math.max(maxGap, still * 100);
    }
    await call.hangup();
    return { before, after, oldLocal, newLocal, oldRemote, newRemote: ufrag(pc.remoteDescription.sdp),
      answeredMs, reselectedMs, maxGap, samples: samples.length, echoed, floeStats };
  });

  console.log(`restart: Floe answered in ${r.answeredMs.toFixed(0)} ms, new pair selected after ` +
    `${r.reselectedMs.toFixed(0)} ms; packetsReceived ${r.before.packets} -> ${r.after.packets}; ` +
    `longest stall ${r.maxGap} ms over ${r.samples} samples`);
  console.log(`ufrags: browser ${r.oldLocal} -> ${r.newLocal}, Floe ${r.oldRemote} -> ${r.newRemote}; ` +
    `pair ${r.before.pairId} -> ${r.after.pairId}, selectedCandidatePairChanges ${r.before.changes} -> ${r.after.changes}`);
  check(r.newLocal && r.newLocal !== r.oldLocal, 'the browser sent new ICE credentials');
  check(r.newRemote && r.newRemote !== r.oldRemote, "Floe's answer carries new ICE credentials (RFC 8445 §9)");
  check(r.after.localUfrag === r.newLocal && r.after.pairState === 'succeeded',
    'a candidate pair of the new ICE generation is selected and succeeded');
  check(r.after.pairId !== r.before.pairId, 'the selected pair was re-established (new pair id)');
  check(r.after.packets > r.before.packets + 100, 'echoed audio keeps flowing after the restart');
  check(r.maxGap <= 500, `no audio stall longer than 500 ms across the restart (${r.maxGap} ms)`);
  check(r.echoed === 'after restart', 'the data channel still echoes after the restart');
  const last = r.floeStats[r.floeStats.length - 1] || {};
  console.log(`Floe stats events: ${r.floeStats.length}; last ${JSON.stringify(last)}`);
  check(r.floeStats.length >= 2, 'Floe sent `stats` events during the call');
  check(last.packetsReceived > 0 && last.packetsSent > 0, 'stats count packets both ways');
  check(last.iceRestarts === 1, 'stats count the ICE restart');
  check(consoleErrors.length === 0, 'no errors in the page console' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
