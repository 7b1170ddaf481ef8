// Headless Chromium loads the softphone page from the signaling test server,
// floe.js connects, and a Call to "echo" sends a real RTCPeerConnection offer;
// the fake handler answers with an SDP built by Floe's SDP code, and the test
// asserts Chromium accepted it (setRemoteDescription). Then: hang up, a
// failing target, and a dropped WebSocket that floe.js resumes.
// Env: PORT, SHOT (screenshot path).
import { closeChromium, launchChromium } from './chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const context = await launchChromium('floe-chromium-');
let exitCode = 1;
try {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  const t0 = Date.now();
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });
  check(true, `page served by floe connected over WebSocket in ${Date.now() - t0} ms`);
  check(await page.inputValue('#target') === 'echo', 'target field defaults to "echo"');

  await page.click('#call');
  await page.waitForFunction(() => {
    const c = window.floePage.call;
    return c && c.pc && c.pc.remoteDescription && c.pc.signalingState === 'stable';
  }, null, { timeout: 10000 });
  const info = await page.evaluate(() => {
    const pc = window.floePage.call.pc;
    return { type: pc.remoteDescription.type, sdp: pc.remoteDescription.sdp, local: pc.localDescription.sdp,
      state: window.floePage.call.state, log: window.floePage.log };
  });
  check(info.type === 'answer', 'Chromium applied Floe\'s SDP answer (setRemoteDescription succeeded)');
  check(/a=ice-ufrag:fake/.test(info.sdp) && /a=fingerprint:sha-256 00:11:22/.test(info.sdp),
    'the answer carries the fake handler\'s ICE credentials and fingerprint');
  check(/m=application [1-9]/.test(info.sdp), 'the data channel section was accepted');
  check(/a=group:BUNDLE 0 1/.test(info.sdp), 'one BUNDLE transport for audio and data');
  const offerCodecs = (info.local.match(/^m=audio .*$/m) || [''])[0];
  const answerCodecs = (info.sdp.match(/^m=audio .*$/m) || [''])[0];
  check(/ 111( |$)/.test(offerCodecs) && /UDP\/TLS\/RTP\/SAVPF 111 /.test(answerCodecs),
    `codec chosen from Chromium's offer (${answerCodecs.trim()})`);
  await page.waitForFunction(() => window.floePage.call && window.floePage.call.state === 'answered', null, { timeout: 5000 });
  check(true, 'call state reached "answered"');
  check(await page.isEnabled('#hangup') && !(await page.isEnabled('#call')), 'Hang up enabled, Call disabled during the call');
  await page.screenshot({ path: process.env.SHOT });
  console.log('screenshot: ' + process.env.SHOT);

  await page.click('#hangup');
  await page.waitForFunction(() => !window.floePage.call, null, { timeout: 5000 });
  check(/Call ended: hangup/.test(await page.textContent('#status')), 'Hang up ends the call and says so');

  await page.fill('#target', 'nobody');
  await page.click('#call');
  await page.waitForFunction(() => /not-found/.test(document.getElementById('status').textContent), null, { timeout: 5000 });
  check(true, 'a call to an unknown target ends with not-found on the page');

  // Incoming: register, ask the fake handler to call back, answer on the page.
  // Chromium answers an offer made by Floe's create_offer, and the handler
  // checks that answer with apply_answer before reporting "answered".
  await page.click('summary');
  await page.fill('#user', 'alice');
  await page.click('#register button');
  await page.waitForFunction(() => /Registered as alice/.test(document.getElementById('status').textContent), null, { timeout: 3000 });
  await page.fill('#target', 'callback');
  await page.click('#call');
  await page.waitForSelector('#incoming:not([hidden])', { timeout: 5000 });
  check(/sip:callback@floe\.test/.test(await page.textContent('#incoming-from')), 'incoming-call banner shows the caller');
  await page.click('#accept');
  await page.waitForFunction(() => window.floePage.call && window.floePage.call.state === 'answered', null, { timeout: 5000 });
  const inc = await page.evaluate(() => {
    const pc = window.floePage.call.pc;
    return { remote: pc.remoteDescription.type, local: pc.localDescription.type, dir: window.floePage.call.direction,
      dc: /m=application [1-9]/.test(pc.localDescription.sdp) };
  });
  check(inc.dir === 'incoming' && inc.remote === 'offer' && inc.local === 'answer',
    'Chromium accepted Floe\'s offer and answered it');
  check(inc.dc, 'Chromium accepted the offered data channel');
  check(true, 'Floe\'s apply_answer accepted Chromium\'s answer (call answered)');
  await page.click('#hangup');
  await page.waitForFunction(() => !window.floePage.call, null, { timeout: 5000 });

  // Drop the WebSocket under floe.js: it must reconnect and resume the session.
  const before = await page.evaluate(() => window.floePage.client.sessionId);
  await page.evaluate(() => window.floePage.client._ws.close(4001, 'test drops the socket'));
  await page.waitForFunction(() => window.floePage.client.state === 'reconnecting', null, { timeout: 3000 });
  await page.waitForFunction(() => window.floePage.client.state === 'connected', null, { timeout: 5000 });
  const after = await page.evaluate(() => window.floePage.client.sessionId);
  check(before === after, 'floe.js reconnected and resumed the same session');
  const pong = await page.evaluate(() => window.floePage.client.ping().then((m) => m.type));
  check(pong === 'pong', 'requests work after the resume');

  check(consoleErrors.length === 0, 'no errors in the page console' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
