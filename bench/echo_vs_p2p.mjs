// Issue 4's benchmark: time from `call` to ICE connected and to DTLS
// connected for headless Chromium -> Floe's `echo`, against Chromium ->
// Chromium (two RTCPeerConnections in the same page, trickle in memory) as
// the baseline, interleaved in the same run. Both are timed the same way,
// getUserMedia included. Prints per-run figures, medians and the ratios.
// Usage: node bench/echo_vs_p2p.mjs PORT [RUNS]   (PORT: floe gateway's HTTP port)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(path.join(here, '../tests/browser/node_modules/playwright-core/index.mjs'));
const PORT = process.argv[2];
const RUNS = Number(process.argv[3] || 7);
if (!PORT) { console.error('usage: node bench/echo_vs_p2p.mjs PORT [RUNS]'); process.exit(2); }

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-bench-echo-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection'],
});

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
let code = 1;
try {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${PORT}/`);
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });

  const echo = () => page.evaluate(async () => {
    const t0 = performance.now();
    const call = await window.floePage.client.call('echo');
    const pc = call.pc;
    const until = (pred, ev) => new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('timeout waiting for ' + ev)), 5000);
      const f = () => { if (pred()) { clearTimeout(t); res(); } };
      f();
      pc.addEventListener(ev, f);
    });
    await until(() => ['connected', 'completed'].includes(pc.iceConnectionState), 'iceconnectionstatechange');
    const ice = performance.now() - t0;
    await until(() => pc.connectionState === 'connected', 'connectionstatechange');
    const dtls = performance.now() - t0;
    await call.hangup();
    return { ice, dtls };
  });
  const p2p = () => page.evaluate(async () => {
    const t0 = performance.now();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate); };
    b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate); };
    for (const t of stream.getTracks()) a.addTrack(t, stream);
    b.ontrack = (e) => { for (const t of e.streams[0].getTracks()) b.addTrack(t, e.streams[0]); };
    a.createDataChannel('floe');
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const until = (pred, ev) => new Promise((res) => { if (pred()) return res(); a.addEventListener(ev, () => { if (pred()) res(); }); });
    await until(() => ['connected', 'completed'].includes(a.iceConnectionState), 'iceconnectionstatechange');
    const ice = performance.now() - t0;
    await until(() => a.connectionState === 'connected', 'connectionstatechange');
    const dtls = performance.now() - t0;
    a.close(); b.close();
    for (const t of stream.getTracks()) t.stop();
    return { ice, dtls };
  });

  // One warm-up of each (first getUserMedia, first DTLS context), then
  // interleaved runs so both see the same machine load.
  await echo();
  await p2p();
  const floe = [], base = [];
  for (let i = 0; i < RUNS; i++) {
    const f = await echo();
    const b = await p2p();
    floe.push(f);
    base.push(b);
    console.log(`run ${i + 1}: Floe echo ICE ${f.ice.toFixed(1)} ms, DTLS ${f.dtls.toFixed(1)} ms | ` +
      `Chromium->Chromium ICE ${b.ice.toFixed(1)} ms, DTLS ${b.dtls.toFixed(1)} ms`);
  }
  const fi = median(floe.map((r) => r.ice)), fd = median(floe.map((r) => r.dtls));
  const bi = median(base.map((r) => r.ice)), bd = median(base.map((r) => r.dtls));
  console.log(`median of ${RUNS}: call -> ICE connected: Floe echo ${fi.toFixed(1)} ms, Chromium -> Chromium ${bi.toFixed(1)} ms, ` +
    `ratio ${(fi / bi).toFixed(2)}`);
  console.log(`median of ${RUNS}: call -> DTLS connected: Floe echo ${fd.toFixed(1)} ms, Chromium -> Chromium ${bd.toFixed(1)} ms, ` +
    `ratio ${(fd / bd).toFixed(2)}`);
  code = 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(code);
