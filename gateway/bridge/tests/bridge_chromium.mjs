// Headless Chromium <-> Floe (bridge_gateway or floe gateway) <-> sipp, run
// by tests/interop/bridge_chromium_{out,in}.sh. This script is the
// conductor: for each step it starts one sipp scenario (XML in
// gateway/bridge/tests/scenarios), drives the page through floe.js, and
// checks both what the browser saw (states, end reasons, inbound-rtp audio
// energy) and sipp's verdict (exit status 0: every message as scripted).
// Env: PORT (HTTP of the gateway), MODE (out|in), SIPP_PORT (the trunk's
// address as configured in the gateway; out), FLOE_SIP (ip:port of Floe's SIP
// listener; in), SCEN (scenario dir), NODE_DIR (tests/browser with
// node_modules), WORK (scratch dir for sipp logs).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { closeChromium, launchChromium } from '../../../tests/browser/chromium.mjs';
const BASE = `http://127.0.0.1:${process.env.PORT}`;
const SCEN = process.env.SCEN;
const WORK = process.env.WORK || os.tmpdir();
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// One sipp run; resolves with its exit code once it ends (or is killed at `limitMs`).
function sipp(name, args, limitMs = 40000) {
  const log = path.join(WORK, `sipp_${name}.log`);
  const out = fs.openSync(log, 'w');
  const p = spawn('sipp', [...args, ...(process.env.SIPP_TRACE ? ['-trace_msg'] : []), '-nostdin', '-timeout', '30s', '-timeout_error',
    '-trace_err', '-error_file', path.join(WORK, `sipp_${name}_errors.log`)],
  { stdio: ['ignore', out, out], cwd: WORK });
  const done = new Promise((res) => {
    const t = setTimeout(() => p.kill('SIGKILL'), limitMs);
    p.on('exit', (code, sig) => { clearTimeout(t); res({ code: code ?? sig, log }); });
  });
  return { done };
}
// STEPS=echo,cancel runs only those steps (debugging).
const want = (name) => !process.env.STEPS || process.env.STEPS.split(',').includes(name);
async function freeUdpPort() {
  const sock = dgram.createSocket('udp4');
  await new Promise((res) => sock.bind(0, '127.0.0.1', res));
  const p = sock.address().port;
  await new Promise((res) => sock.close(res));
  return p;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sippTail(r) {
  try {
    const errs = fs.readFileSync(r.log.replace('.log', '_errors.log'), 'utf8').split('\n').slice(-8).join('\n');
    return errs;
  } catch { return ''; }
}

// In the page: call `target`, follow the events, sample inbound audio.
async function outCall(page, target, plan) {
  return page.evaluate(async ({ target, plan }) => {
    const client = window.floePage.client;
    const t0 = performance.now();
    const seen = [];
    const times = {};
    const call = await client.call(target);
    const inbound = async () => {
      if (!call.pc) return null;
      const stats = await call.pc.getStats();
      let r = null;
      stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') r = s; });
      return r;
    };
    const ended = new Promise((res) => call.addEventListener('ended', (e) => { seen.push('ended'); times.ended = performance.now() - t0; res(e.detail); }));
    for (const ev of ['ringing', 'progress', 'answer', 'answered'])
      call.addEventListener(ev, () => { seen.push(ev); times[ev] = performance.now() - t0; });
    const audio = document.getElementById('remote');
    call.addEventListener('track', (e) => {
      audio.srcObject = e.detail.streams[0] || new MediaStream([e.detail.track]);
      audio.play().catch(() => {});
    });
    const result = { seen, times };
    const waitFor = (ev, ms) => new Promise((res) => {
      if (seen.includes(ev)) return res(true);
      const t = setTimeout(() => res(false), ms);
      call.addEventListener(ev, () => { clearTimeout(t); res(true); });
      ended.then(() => { clearTimeout(t); res(seen.includes(ev)); });
    });
    if (plan.earlyMedia) {
      result.gotProgress = await waitFor('progress', 10000);
      await sleep(1500);
      const s = await inbound();
      result.earlyEnergy = s ? s.totalAudioEnergy : 0;
      result.earlyPackets = s ? s.packetsReceived : 0;
      result.answeredBeforeSample = seen.includes('answered');
    }
    if (plan.waitRinging) result.gotRinging = await waitFor('ringing', 10000);
    if (plan.expectAnswer) {
      result.answered = await waitFor('answered', 15000);
      if (result.answered) {
        // First audio from the far end.
        for (let i = 0; i < 150; i++) {
          const s = await inbound();
          if (s && s.packetsReceived > 0) { times.firstAudio = performance.now() - t0; break; }
          await sleep(20);
        }
        const s1 = await inbound();
        await sleep(plan.listenMs || 3000);
        const s2 = await inbound();
        result.p1 = s1 && s1.packetsReceived; result.p2 = s2 && s2.packetsReceived;
        result.e1 = s1 && s1.totalAudioEnergy; result.e2 = s2 && s2.totalAudioEnergy;
        const stats = await call.pc.getStats();
        stats.forEach((s) => { if (s.type === 'remote-outbound-rtp' && s.kind === 'audio') result.remoteSr = s.reportsSent; });
      }
    }
    if (plan.hangup) await call.hangup();
    const ms = plan.waitEndMs || 15000;
    result.end = await Promise.race([ended, sleep(ms).then(() => null)]);
    function sleep(t) { return new Promise((r) => setTimeout(r, t)); }
    return result;
  }, { target, plan });
}

async function outgoing(page) {
  const port = process.env.SIPP_PORT;
  const mport = String(Number(port) + 2);
  const uas = (name, xml, echo) => sipp(name, ['-sf', path.join(SCEN, xml), '-i', '127.0.0.1', '-p', port,
    '-mp', mport, '-m', '1', ...(echo ? ['-rtp_echo'] : [])]);

  let s, r, t, v;
  if (want('echo')) {
    // 1. Audio through the trunk and back: sipp echoes RTP.
    s = uas('echo', 'uas_echo.xml', true);
    await sleep(300);
    r = await outCall(page, '5551234', { expectAnswer: true, hangup: true, listenMs: 3000 });
    t = r.times;
    console.log(`[echo] events ${r.seen.join(',')}; call->answered ${t.answered?.toFixed(0)} ms, ->first echoed audio ${t.firstAudio?.toFixed(0)} ms; ` +
      `packetsReceived ${r.p1} -> ${r.p2}, totalAudioEnergy ${r.e1} -> ${r.e2}`);
    check(r.answered, '[echo] the SIP 200 OK became `answered`');
    check(r.seen.indexOf('ringing') >= 0 && r.seen.indexOf('ringing') < r.seen.indexOf('answered'), '[echo] 180 Ringing became `ringing` first');
    check(r.p2 > r.p1 && r.p2 > 50, `[echo] inbound-rtp packetsReceived grows (${r.p1} -> ${r.p2})`);
    check(r.e2 > r.e1 && r.e2 > 0, '[echo] inbound-rtp totalAudioEnergy grows: the fake tone came back through sipp');
    check(r.remoteSr > 0, `[echo] Chromium took Floe's RTCP sender reports (${r.remoteSr})`);
    v = await s.done;
    check(v.code === 0, `[echo] sipp: the browser's hangup reached it as BYE (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('bye')) {
    // 2. The trunk hangs up.
    s = uas('bye', 'uas_bye.xml', true);
    await sleep(300);
    r = await outCall(page, '5551234', { expectAnswer: true, listenMs: 1000 });
    check(r.answered && r.e2 > 0, '[bye-from-trunk] answered with audio');
    check(r.end && r.end.reason === 'hangup', `[bye-from-trunk] BYE from sipp ended the browser call (${JSON.stringify(r.end)})`);
    v = await s.done;
    check(v.code === 0, `[bye-from-trunk] sipp got its 200 to BYE (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('busy')) {
    // 3. Busy.
    s = uas('busy', 'uas_busy.xml', false);
    await sleep(300);
    r = await outCall(page, '5551234', {});
    check(r.end && r.end.reason === 'sip-486', `[busy] 486 ended the call with reason sip-486 (${JSON.stringify(r.end)})`);
    v = await s.done;
    check(v.code === 0, `[busy] sipp got the ACK for its 486 (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('cancel')) {
    // 4. Hang up while ringing: CANCEL.
    s = uas('cancel', 'uas_ring_cancel.xml', false);
    await sleep(300);
    r = await outCall(page, '5551234', { waitRinging: true, hangup: true, waitEndMs: 2000 });
    check(r.gotRinging, '[cancel] 180 became `ringing`');
    v = await s.done;
    check(v.code === 0, `[cancel] sipp got CANCEL, answered 200 + 487 and got the ACK (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('early')) {
    // 5. Early media on 183, then the answer.
    s = uas('early', 'uas_early_media.xml', true);
    await sleep(300);
    r = await outCall(page, '5551234', { earlyMedia: true, expectAnswer: true, hangup: true, listenMs: 1000 });
    check(r.gotProgress, '[early-media] 183 became `progress`');
    check(!r.answeredBeforeSample && r.earlyPackets > 0 && r.earlyEnergy > 0,
      `[early-media] audio came back before the answer (packets ${r.earlyPackets}, energy ${r.earlyEnergy})`);
    check(r.answered, '[early-media] the 200 OK after it became `answered`');
    v = await s.done;
    check(v.code === 0, `[early-media] sipp (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('digest')) {
    // 6. Digest challenge on the INVITE.
    s = uas('digest', 'uas_auth.xml', true);
    await sleep(300);
    r = await outCall(page, '5551234', { expectAnswer: true, hangup: true, listenMs: 1000 });
    check(r.answered && r.e2 > 0, '[digest] after the 401 challenge the call connects with audio');
    v = await s.done;
    check(v.code === 0, `[digest] sipp verified the digest (floe/s3cret) (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('dtmf')) {
    // 8. The browser's `dtmf 1#` reaches the trunk as RFC 4733 events (a test
    // RTP sink stands in for the trunk's media; sipp does the signaling).
    const sinkPort = await freeUdpPort();
    const sink = spawn('python3', [path.join(SCEN, '..', 'rtp_event_sink.py'), String(sinkPort), '101', '7'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let sinkOut = '';
    sink.stdout.on('data', (d) => { sinkOut += d; });
    const sinkDone = new Promise((res) => sink.on('exit', res));
    s = sipp('dtmf', ['-sf', path.join(SCEN, 'uas_dtmf.xml'), '-i', '127.0.0.1', '-p', port, '-mp', mport,
      '-m', '1', '-key', 'sink', String(sinkPort)]);
    await sleep(400);
    const answered = await page.evaluate(async () => {
      const call = await window.floePage.client.call('5551234');
      const ok = await new Promise((res) => {
        const t = setTimeout(() => res(false), 10000);
        call.addEventListener('answered', () => { clearTimeout(t); res(true); });
      });
      if (!ok) return false;
      await new Promise((r) => setTimeout(r, 1500));
      await call.sendDtmf('1#', 100);
      await new Promise((r) => setTimeout(r, 1500));
      await call.hangup();
      return true;
    });
    await sinkDone;
    let got = null;
    try { got = JSON.parse(sinkOut); } catch { got = { events: [] }; }
    console.log(`[dtmf] the sink saw ${JSON.stringify(got)}`);
    check(answered, '[dtmf] answered');
    const ev = got.events;
    check(ev.length === 2 && ev[0].event === 1 && ev[1].event === 11,
      `[dtmf] two events with codes 1 and 11 ('1', '#') (${ev.map((e) => e.event).join(',')})`);
    check(ev.length === 2 && ev.every((e) => e.marker && e.ends === 3 && e.duration === 800),
      '[dtmf] each starts with the marker bit, ends with three E packets, final duration 800 ticks (100 ms at 8 kHz)');
    check(got.ssrcs === 1 && got.seq_gaps === 0, `[dtmf] one SSRC and no sequence gaps in Floe's stream toward SIP (gaps ${got.seq_gaps})`);
    v = await s.done;
    check(v.code === 0, `[dtmf] sipp (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('media-timeout')) {
    // 9. The trunk answers but never sends RTP: the gateway (started with
    // --media-timeout 4) ends the call on both legs.
    const silent = await freeUdpPort();
    s = sipp('media-timeout', ['-sf', path.join(SCEN, 'uas_dtmf.xml'), '-i', '127.0.0.1', '-p', port, '-mp', mport,
      '-m', '1', '-key', 'sink', String(silent)]);
    await sleep(300);
    r = await outCall(page, '5551234', { expectAnswer: true, listenMs: 200, waitEndMs: 9000 });
    check(r.answered, '[media-timeout] answered');
    check(r.end && r.end.reason === 'media-timeout',
      `[media-timeout] no RTP from the trunk ended the call (${JSON.stringify(r.end)} after ${r.times.ended?.toFixed(0)} ms)`);
    v = await s.done;
    check(v.code === 0, `[media-timeout] sipp got Floe's BYE (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('message')) {
    // 10. Data-channel text <-> SIP MESSAGE in the dialog (RFC 3428).
    s = uas('message', 'uas_message.xml', true);
    await sleep(300);
    const m = await page.evaluate(async () => {
      const call = await window.floePage.client.call('5551234');
      const ok = await new Promise((res) => {
        const t = setTimeout(() => res(false), 10000);
        call.addEventListener('answered', () => { clearTimeout(t); res(true); });
      });
      if (!ok) return { ok };
      const dc = call.dataChannel;
      if (!dc) return { ok, error: 'no data channel' };
      if (dc.readyState !== 'open') await new Promise((res) => {
        const t = setTimeout(res, 5000);
        dc.addEventListener('open', () => { clearTimeout(t); res(); }, { once: true });
      });
      const back = new Promise((res) => {
        const t = setTimeout(() => res(null), 5000);
        dc.addEventListener('message', (e) => { clearTimeout(t); res(e.data); }, { once: true });
      });
      dc.send('hello sip');
      const reply = await back;
      await call.hangup();
      return { ok, state: dc.readyState, reply };
    });
    check(m.ok, '[message] answered');
    check(m.reply && m.reply.trim() === 'hello browser', `[message] sipp's in-dialog MESSAGE arrived on the data channel (${JSON.stringify(m)})`);
    v = await s.done;
    check(v.code === 0, `[message] sipp got the data-channel text as a MESSAGE, then BYE (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('info-dtmf') && process.env.SIPP_INFO_PORT) {
    // 11. A trunk configured with dtmf=info gets the browser's digits as
    // in-dialog INFO application/dtmf-relay (the target URI names its address).
    const ip = process.env.SIPP_INFO_PORT;
    s = sipp('info', ['-sf', path.join(SCEN, 'uas_info_dtmf.xml'), '-i', '127.0.0.1', '-p', ip,
      '-mp', String(Number(ip) + 2), '-m', '1', '-rtp_echo']);
    await sleep(300);
    const ok = await page.evaluate(async (uri) => {
      const call = await window.floePage.client.call(uri);
      const answered = await new Promise((res) => {
        const t = setTimeout(() => res(false), 10000);
        call.addEventListener('answered', () => { clearTimeout(t); res(true); });
      });
      if (!answered) return false;
      await new Promise((r) => setTimeout(r, 500));
      await call.sendDtmf('5#', 120);
      await new Promise((r) => setTimeout(r, 1000));
      await call.hangup();
      return true;
    }, `sip:5551234@127.0.0.1:${ip}`);
    check(ok, '[info-dtmf] a call to the dtmf=info trunk by SIP URI was answered');
    v = await s.done;
    check(v.code === 0, `[info-dtmf] sipp got INFO Signal=5 and Signal=# with Duration=120 (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }

  if (want('hold')) {
    // 7. Hold and resume from the trunk, then its BYE.
    s = uas('hold', 'uas_hold.xml', true);
    await sleep(300);
    r = await outCall(page, '5551234', { expectAnswer: true, listenMs: 500, waitEndMs: 20000 });
    check(r.answered, '[hold] answered');
    check(r.end && r.end.reason === 'hangup', `[hold] the call survived hold/resume and ended with the trunk's BYE (${JSON.stringify(r.end)})`);
    v = await s.done;
    check(v.code === 0, `[hold] sipp saw a=recvonly for its sendonly and a=sendrecv on resume (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }
}

// The browser is registered as alice; each incoming call is handled by the
// next behaviour in the queue.
async function incoming(page) {
  const floe = process.env.FLOE_SIP;
  const port = process.env.SIPP_PORT;
  await page.evaluate(async () => {
    const client = window.floePage.client;
    await client.register('alice');
    window.bridgeTest = { behaviours: [], results: [] };
    client.addEventListener('incoming', async (e) => {
      const call = e.detail;
      const how = window.bridgeTest.behaviours.shift() || 'accept';
      const rec = { from: call.peer, how, events: [] };
      window.bridgeTest.results.push(rec);
      call.addEventListener('ended', (ev) => { rec.end = ev.detail; });
      if (how === 'busy') { await call.reject('busy'); return; }
      if (how === 'ignore') return;
      // Chromium measures audio energy only on a track that is played.
      const audio = document.getElementById('remote');
      call.addEventListener('track', (ev) => {
        audio.srcObject = ev.detail.streams[0] || new MediaStream([ev.detail.track]);
        audio.play().catch(() => {});
      });
      const t0 = performance.now();
      await call.answer();
      rec.accepted = performance.now() - t0;
      const inbound = async () => {
        const stats = await call.pc.getStats();
        let r = null;
        stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') r = s; });
        return r;
      };
      await new Promise((r) => setTimeout(r, 2500));
      const s1 = await inbound();
      await new Promise((r) => setTimeout(r, 2000));
      const s2 = await inbound();
      rec.p1 = s1 && s1.packetsReceived; rec.p2 = s2 && s2.packetsReceived;
      rec.e1 = s1 && s1.totalAudioEnergy; rec.e2 = s2 && s2.totalAudioEnergy;
      const stats = await call.pc.getStats();
      stats.forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'audio') rec.sent = s.packetsSent; });
    });
  });
  const uac = (name, xml) => sipp(name, ['-sf', path.join(SCEN, xml), floe, '-s', 'alice', '-i', '127.0.0.1',
    '-p', port, '-mp', String(Number(port) + 2), '-m', '1']);
  const metric = async (name) => {
    const text = await (await fetch(BASE + '/metrics')).text();
    const m = text.match(new RegExp('^' + name + ' (\\d+)', 'm'));
    return m ? Number(m[1]) : 0;
  };
  const last = () => page.evaluate(() => window.bridgeTest.results[window.bridgeTest.results.length - 1] || null);
  const waitEnd = async (ms) => {
    for (let i = 0; i < ms / 100; i++) { const r = await last(); if (r && r.end && (r.how !== 'accept' || r.e2 !== undefined)) return r; await sleep(100); }
    return last();
  };

  for (const [name, xml] of [['pcap', 'uac_pcap.xml'], ['no-sdp', 'uac_nosdp.xml']]) {
    const toSip0 = await metric('floe_bridge_rtp_to_sip_packets_total');
    await page.evaluate(() => window.bridgeTest.behaviours.push('accept'));
    const s = uac(name, xml);
    const v = await s.done;
    const r = await waitEnd(5000);
    const toSip = (await metric('floe_bridge_rtp_to_sip_packets_total')) - toSip0;
    console.log(`[in ${name}] ${JSON.stringify(r)}; Floe sent ${toSip} RTP packets toward sipp`);
    check(r && r.from.includes('5550100'), `[in ${name}] \`incoming\` rang alice with the caller (${r && r.from})`);
    check(r && r.p2 > r.p1 && r.e2 > 0, `[in ${name}] sipp's RTP (g711a.pcap) reached the browser: packetsReceived ${r && r.p1} -> ${r && r.p2}, energy ${r && r.e2}`);
    check(toSip > 50, `[in ${name}] the browser's audio went to sipp (${toSip} packets)`);
    check(r && r.end && r.end.reason === 'hangup', `[in ${name}] BYE from sipp ended the browser call (${JSON.stringify(r && r.end)})`);
    check(v.code === 0, `[in ${name}] sipp: call complete (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  }
  await page.evaluate(() => window.bridgeTest.behaviours.push('busy'));
  let v = await uac('busy', 'uac_busy.xml').done;
  check(v.code === 0, `[in busy] the browser's reject(busy) reached sipp as 486 (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  await page.evaluate(() => window.bridgeTest.behaviours.push('ignore'));
  v = await uac('cancel', 'uac_cancel.xml').done;
  const r = await waitEnd(3000);
  check(v.code === 0, `[in cancel] sipp's CANCEL got 200 and 487 (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  check(r && r.end && r.end.reason === 'hangup', `[in cancel] the ringing browser call ended (${JSON.stringify(r && r.end)})`);
  const rung = await page.evaluate(() => window.bridgeTest.results.length);
  v = await uac('nocodec', 'uac_nocodec.xml').done;
  check(v.code === 0, `[in no-codec] an offer of G.729 only got 488 (exit ${v.code}) ${v.code ? sippTail(v) : ''}`);
  check(rung === await page.evaluate(() => window.bridgeTest.results.length), '[in no-codec] the browser was not rung');
}

const context = await launchChromium('floe-bridge-chromium-');
let exitCode = 1;
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('page error:', String(e)));
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 5000 });
  check(true, 'page served by the gateway connected over WebSocket');
  if (process.env.MODE === 'in') await incoming(page);
  else await outgoing(page);
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
