// Headless Chromium calls a number through `floe gateway` and its SIP trunk
// (sipp UAS with -rtp_echo), run by tests/interop/sip_e2e_register_auth.sh:
// the call must reach `answered`, the fake microphone must come back through
// the trunk (inbound-rtp packetsReceived and totalAudioEnergy grow while an
// <audio> element plays it), and hanging up must end the call.
// With EXPECT set to an end reason (e.g. `failed` when the trunk answers with
// a codec Floe did not offer, `sip-486` for a refusal) the call must end with
// that reason and a message matching EXPECT_MESSAGE, never reaching `answered`.
// With HANGUP_ON_RINGING=1 the browser hangs up as soon as it sees `ringing`.
// Env: PORT (gateway HTTP), TARGET (number to call), EXPECT (answered or an
// end reason), EXPECT_MESSAGE (regexp, case-insensitive), HANGUP_ON_RINGING.
import { closeChromium, launchChromium } from './chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
const TARGET = process.env.TARGET || '5551234';
const EXPECT = process.env.EXPECT || 'answered';
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const context = await launchChromium('floe-sip-e2e-out-');
let exitCode = 1;
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('page error:', String(e)));
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 10000 });
  const r = await page.evaluate(async ([target, hangupOnRinging]) => {
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const client = window.floePage.client;
    const t0 = performance.now();
    const out = { events: [], times: {} };
    const call = await client.call(target);
    const audio = document.createElement('audio');
    audio.autoplay = true;
    document.body.appendChild(audio);
    call.addEventListener('track', (e) => {
      audio.srcObject = e.detail.streams[0] || new MediaStream([e.detail.track]);
      audio.play().catch((err) => { out.playError = String(err); });
    });
    for (const ev of ['ringing', 'progress', 'answered'])
      call.addEventListener(ev, () => { out.events.push(ev); out.times[ev] = Math.round(performance.now() - t0); });
    const ended = new Promise((res) => call.addEventListener('ended', (e) => { out.endedAt = Math.round(performance.now() - t0); res(e.detail); }));
    if (hangupOnRinging) {
      call.addEventListener('ringing', () => { out.hungUpAt = Math.round(performance.now() - t0); call.hangup().catch(() => {}); });
    }
    const answered = await Promise.race([
      new Promise((res) => call.addEventListener('answered', () => res(true))),
      ended.then(() => false), sleep(20000).then(() => false)]);
    out.answered = answered;
    const inbound = async () => {
      let s = null;
      (await call.pc.getStats()).forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'audio') s = x; });
      return s ? { packets: s.packetsReceived, energy: s.totalAudioEnergy } : { packets: 0, energy: 0 };
    };
    if (answered) {
      await sleep(1500);
      out.s1 = await inbound();
      await sleep(3000);
      out.s2 = await inbound();
      out.playing = !audio.paused;
      out.currentTime = audio.currentTime;
    }
    if (out.endedAt === undefined) await call.hangup().catch(() => {});
    out.end = await Promise.race([ended, sleep(5000).then(() => null)]);
    out.sawAnswered = out.events.includes('answered');
    return out;
  }, [TARGET, process.env.HANGUP_ON_RINGING === '1']);
  console.log(`events ${r.events.join(',')} at ${JSON.stringify(r.times)}; inbound ${JSON.stringify(r.s1)} -> ${JSON.stringify(r.s2)}; audio playing ${r.playing} t=${r.currentTime}`);
  if (EXPECT !== 'answered') {
    const want = new RegExp(process.env.EXPECT_MESSAGE || '.', 'i');
    console.log(`ended after ${r.endedAt} ms: ${JSON.stringify(r.end)}`);
    check(!r.sawAnswered, 'the call never became `answered`');
    check(r.end && r.end.reason === EXPECT && want.test(r.end.message || ''),
      `the call ended with reason ${EXPECT} and a message matching /${want.source}/ (${JSON.stringify(r.end)})`);
  } else {
    check(r.answered, `the call to ${TARGET} reached \`answered\` (after the trunk's 401 challenge)`);
    check(r.events.indexOf('ringing') >= 0, '180 became `ringing`');
    check(r.s1 && r.s2 && r.s2.packets - r.s1.packets > 100, `inbound-rtp packetsReceived grows (${r.s1?.packets} -> ${r.s2?.packets})`);
    check(r.s1 && r.s2 && r.s2.energy > r.s1.energy && r.s2.energy > 0, `totalAudioEnergy grows: the fake microphone came back through sipp's echo (${r.s1?.energy} -> ${r.s2?.energy})`);
    check(r.playing && r.currentTime > 2, `the <audio> element plays (currentTime ${r.currentTime})`);
    check(r.end !== null, `hang-up ended the call (${JSON.stringify(r.end)})`);
  }
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
