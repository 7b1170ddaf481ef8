// A SIP trunk (sipp UAC) calls a browser through `floe gateway`: run by
// tests/interop/sip_e2e_incoming*.sh. Headless Chromium loads Floe's page,
// registers as USER and answers every `incoming` call, playing the remote
// track in an <audio> element. For each case this script starts one sipp
// scenario (tests/interop/sip_e2e/*.xml), waits for it, and checks both
// sipp's verdict (exit 0: every message as scripted, the regexps on Floe's
// SDP matched) and what the browser saw.
// Env: PORT (gateway HTTP), FLOE_SIP (ip:port of Floe's SIP listener),
// SIPP_PORT (sipp's SIP port; the trunk's proxy= in Floe), USER, DID (routed
// to USER by --route), CASES (comma list: play,hold,midcall,refused,
// ringtimeout, nocodec, silent), MEDIA_TIMEOUT (Floe's --media-timeout, for silent), TRANSPORT (sipp -t: u1 default, t1 for TCP), RING_TIMEOUT (Floe's --ring-timeout, for ringtimeout), SCEN, WORK.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeChromium, launchChromium } from './chromium.mjs';

const BASE = `http://127.0.0.1:${process.env.PORT}`;
const SCEN = process.env.SCEN;
const WORK = process.env.WORK || os.tmpdir();
const USER = process.env.USER_NAME || 'bob';
const DID = process.env.DID || '4930555000';
const CASES = (process.env.CASES || 'play').split(',');
let failures = 0;
let checks = 0;
function check(ok, what) {
  checks++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One sipp UAC run toward Floe; resolves with its exit status and log names.
function sippUac(name, xml, { ip = '127.0.0.1', service = DID, port = process.env.SIPP_PORT } = {}) {
  const log = path.join(WORK, `sipp_${name}.out`);
  const fd = fs.openSync(log, 'w');
  const args = ['-sf', path.join(SCEN, xml), process.env.FLOE_SIP, '-s', service, '-i', ip,
    '-p', port, '-mp', String(Number(port) + 2), '-m', '1', '-nostdin', '-timeout', '40s',
    '-timeout_error', '-trace_err', '-error_file', path.join(WORK, `sipp_${name}_errors.log`),
    '-trace_msg', '-message_file', path.join(WORK, `sipp_${name}_messages.log`),
    '-t', process.env.TRANSPORT || 'u1'];
  const p = spawn('sipp', args, { stdio: ['ignore', fd, fd], cwd: WORK });
  return new Promise((res) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.on('exit', (code, sig) => { clearTimeout(t); res({ code: code ?? sig, name }); });
  });
}
function sippErrors(v) {
  if (v.code === 0) return '';
  try {
    return '\n' + fs.readFileSync(path.join(WORK, `sipp_${v.name}_errors.log`), 'utf8').split('\n').slice(-10).join('\n');
  } catch { return ''; }
}

// Page side: register, answer everything, sample stats of each call.
async function setUpPage(page, user = USER) {
  await page.evaluate(async (user) => {
    const client = window.floePage.client;
    await client.register(user);
    window.e2e = { calls: [], answer: true, hangupAfter: 0 };
    client.addEventListener('incoming', async (e) => {
      const call = e.detail;
      const rec = { from: call.peer, samples: [], states: [] };
      window.e2e.calls.push(rec);
      const t0 = performance.now();
      call.addEventListener('state', (ev) => rec.states.push(ev.detail));
      call.addEventListener('ended', (ev) => { rec.end = ev.detail; rec.endedAt = performance.now() - t0; });
      const audio = document.createElement('audio');
      audio.autoplay = true;
      document.body.appendChild(audio);
      call.addEventListener('track', (ev) => {
        audio.srcObject = ev.detail.streams[0] || new MediaStream([ev.detail.track]);
        audio.play().catch((err) => { rec.playError = String(err); });
      });
      if (!window.e2e.answer) return;  // let it ring
      try {
        await call.answer();
      } catch (err) {
        rec.answerError = String(err);
        return;
      }
      rec.answeredAt = performance.now() - t0;
      if (window.e2e.hangupAfter)
        setTimeout(() => { rec.hungUpAt = performance.now() - t0; call.hangup().catch(() => {}); }, window.e2e.hangupAfter);
      // Every 500 ms until the call ends: inbound/outbound audio and the element.
      while (!rec.end) {
        const s = { t: Math.round(performance.now() - t0), playing: !audio.paused, currentTime: audio.currentTime };
        try {
          const stats = await call.pc.getStats();
          stats.forEach((x) => {
            if (x.type === 'inbound-rtp' && x.kind === 'audio') {
              s.packetsReceived = x.packetsReceived; s.energy = x.totalAudioEnergy; s.codec = x.codecId;
            }
            if (x.type === 'outbound-rtp' && x.kind === 'audio') s.packetsSent = x.packetsSent;
          });
        } catch { break; }
        rec.samples.push(s);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  }, user);
}

const calls = (page) => page.evaluate(() => window.e2e.calls);
async function waitCallEnd(page, index, ms) {
  for (let i = 0; i < ms / 100; i++) {
    const c = (await calls(page))[index];
    if (c && c.end) return c;
    await sleep(100);
  }
  return (await calls(page))[index] || null;
}

// Checks shared by the answered cases: ringing the right user, audio both
// ways while answered, the <audio> element playing, BYE -> `ended`.
function checkAnsweredCall(tag, c, v) {
  check(c !== null, `[${tag}] DID ${DID} rang the browser registered as ${USER}`);
  if (!c) return;
  check(c.from.includes('5550177'), `[${tag}] \`incoming\` names the trunk's caller (${c.from})`);
  check(c.answeredAt !== undefined, `[${tag}] the browser answered (${c.answerError || 'ok'})`);
  const s = c.samples.filter((x) => x.packetsReceived !== undefined);
  const first = s.find((x) => x.packetsReceived > 0);
  const last = s[s.length - 1];
  console.log(`[${tag}] samples: ` + s.map((x) => `${x.t}ms rx=${x.packetsReceived} e=${(x.energy || 0).toFixed(3)} tx=${x.packetsSent} t=${x.currentTime.toFixed(1)}`).join(' | '));
  check(first && last && last.packetsReceived - first.packetsReceived > 150,
    `[${tag}] inbound-rtp packetsReceived grows (${first?.packetsReceived} -> ${last?.packetsReceived})`);
  check(first && last && last.energy > first.energy && last.energy > 0.01,
    `[${tag}] inbound-rtp totalAudioEnergy grows: sipp's g711a.pcap is heard (${first?.energy} -> ${last?.energy})`);
  check(last && last.packetsSent > 150, `[${tag}] the browser sent audio (outbound-rtp packetsSent ${last?.packetsSent})`);
  check(last && last.playing && last.currentTime > 3, `[${tag}] the <audio> element plays the remote track (currentTime ${last?.currentTime})`);
  check(c.end && c.end.reason === 'hangup', `[${tag}] BYE from the trunk ended the browser call (${JSON.stringify(c.end)})`);
  check(v.code === 0, `[${tag}] sipp: Floe answered with PCMA at 127.0.0.1, the BYE got 200 (exit ${v.code})${sippErrors(v)}`);
}

async function casePlay(page) {
  const n = (await calls(page)).length;
  const v = await sippUac('play', 'uac_play.xml');
  const c = await waitCallEnd(page, n, 5000);
  checkAnsweredCall('play', c, v);
}

async function caseHold(page) {
  const n = (await calls(page)).length;
  const v = await sippUac('hold', 'uac_hold.xml');
  const c = await waitCallEnd(page, n, 5000);
  checkAnsweredCall('hold', c, v);
  if (c) check(!c.end || c.end.reason === 'hangup', `[hold] the call survived hold and resume (no early end)`);
  check(v.code === 0, `[hold] sipp: re-INVITE sendonly answered a=recvonly, sendrecv answered a=sendrecv, both PCMA (exit ${v.code})`);
}

async function caseMidCall(page) {
  const n = (await calls(page)).length;
  const v = await sippUac('midcall', 'uac_midcall.xml');
  const c = await waitCallEnd(page, n, 5000);
  checkAnsweredCall('midcall', c, v);
  if (!c) return;
  // The offerless re-INVITE and the UPDATE come 1.5-2.5 s after the answer;
  // audio must keep flowing after them, while the pcap still plays.
  const at = (t) => c.samples.filter((x) => x.t <= t && x.packetsReceived !== undefined).pop();
  const a = at(c.answeredAt + 4000);
  const b = at(c.answeredAt + 6500);
  check(a && b && b.packetsReceived - a.packetsReceived > 30,
    `[midcall] audio went on after the re-INVITE without SDP and the UPDATE (${a?.packetsReceived} -> ${b?.packetsReceived} between +4 s and +6.5 s)`);
  check(v.code === 0, `[midcall] sipp: offer in Floe's 200 to the SDP-less re-INVITE (PCMA sendrecv), OPTIONS 200, UPDATE answered sendrecv, inactive answered inactive, c=0.0.0.0 hold answered (exit ${v.code})`);
}

async function caseSilent(page) {
  const n = (await calls(page)).length;
  const t0 = Date.now();
  const v = await sippUac('silent', 'uac_silent.xml');
  const elapsed = (Date.now() - t0) / 1000;
  const c = await waitCallEnd(page, n, 3000);
  const limit = Number(process.env.MEDIA_TIMEOUT || 3);
  console.log(`[media-timeout] INVITE -> Floe's BYE in ${elapsed.toFixed(2)} s (--media-timeout ${limit}); browser end ${JSON.stringify(c && c.end)} at ${c && c.endedAt} ms`);
  check(c && c.answeredAt !== undefined, '[media-timeout] the browser answered the trunk\'s call');
  check(v.code === 0, `[media-timeout] sipp sent no RTP and got Floe's BYE (exit ${v.code})${sippErrors(v)}`);
  check(elapsed >= limit - 0.5 && elapsed < limit + 6, `[media-timeout] the BYE came after about the media timeout (${elapsed.toFixed(2)} s)`);
  check(c && c.end && (c.end.reason === 'media-timeout' || /media|rtp|timeout/i.test(c.end.message || '')),
    `[media-timeout] the browser call ended with a reason that says why (${JSON.stringify(c && c.end)})`);
}

// The browser hangs up 4 s into the call; Floe's BYE goes to the trunk
// along the record-routed dialog (sipp checks it).
async function caseCalleeHangsUp(page) {
  const n = (await calls(page)).length;
  await page.evaluate(() => { window.e2e.hangupAfter = 4000; });
  const v = await sippUac('calleebye', 'uac_callee_hangs_up.xml');
  const c = await waitCallEnd(page, n, 5000);
  await page.evaluate(() => { window.e2e.hangupAfter = 0; });
  const s = c ? c.samples.filter((x) => x.packetsReceived !== undefined) : [];
  const last = s[s.length - 1];
  console.log(`[callee-bye] answered ${c?.answeredAt?.toFixed(0)} ms, hung up ${c?.hungUpAt?.toFixed(0)} ms, ended ${c?.endedAt?.toFixed(0)} ms ${JSON.stringify(c?.end)}; rx ${last?.packetsReceived} e=${last?.energy}`);
  check(c && c.answeredAt !== undefined, '[callee-bye] the browser answered');
  check(last && last.packetsReceived > 80 && last.energy > 0, `[callee-bye] sipp's audio was heard before the hang-up (${last?.packetsReceived} packets)`);
  check(c && c.end && c.hungUpAt !== undefined, `[callee-bye] the browser's hang-up ended its call (${JSON.stringify(c && c.end)})`);
  check(v.code === 0, `[callee-bye] sipp got Floe's BYE to its Contact with Route: rr=first, rr=second, and answered it (exit ${v.code})${sippErrors(v)}`);
}

// The browser tab goes away mid-call (page closed, no hangup sent): Floe
// must still end the SIP leg with a BYE (sipp waits up to 50 s for it).
async function caseClosePage(page) {
  const n = (await calls(page)).length;
  const sp = sippUac('closepage', 'uac_callee_hangs_up.xml');
  let c = null;
  for (let i = 0; i < 100; i++) {
    c = (await calls(page))[n];
    if (c && c.answeredAt !== undefined && c.samples.length >= 4) break;
    await sleep(100);
  }
  const s = c ? c.samples.filter((x) => x.packetsReceived !== undefined) : [];
  const last = s[s.length - 1];
  check(c && c.answeredAt !== undefined && last && last.packetsReceived > 20,
    `[close-page] the browser answered and heard sipp (${last?.packetsReceived} packets)`);
  const t0 = Date.now();
  await page.close();
  const v = await sp;
  const after = (Date.now() - t0) / 1000;
  console.log(`[close-page] page closed; Floe's BYE reached sipp ${after.toFixed(2)} s later`);
  check(v.code === 0, `[close-page] Floe sent the trunk a BYE along the dialog after the page closed (${after.toFixed(2)} s; exit ${v.code})${sippErrors(v)}`);
  return after;
}

// Two calls at once to two browsers (two pages, two WebSocket sessions): the
// trunk plays g711a.pcap to USER and sends nothing to USER2. USER2 must get
// no packet at all (no cross-talk between calls) and end on the media
// timeout while USER's call goes on to sipp's BYE.
async function casePair(page, page2) {
  const n = (await calls(page)).length;
  const n2 = (await calls(page2)).length;
  const [va, vb] = await Promise.all([
    sippUac('pairA', 'uac_play.xml'),
    sippUac('pairB', 'uac_silent.xml', { service: process.env.DID2, port: process.env.SIPP_PORT2 })]);
  const a = await waitCallEnd(page, n, 5000);
  const b = await waitCallEnd(page2, n2, 5000);
  const na = (await calls(page)).length - n;
  const nb = (await calls(page2)).length - n2;
  check(na === 1 && nb === 1, `[pair] each browser was rung exactly once (${na}, ${nb})`);
  checkAnsweredCall('pair A', a, va);
  // Chromium has no inbound-rtp entry until a first packet arrives.
  const bs = b ? b.samples : [];
  const bl = bs.length ? { packetsReceived: Math.max(0, ...bs.map((x) => x.packetsReceived || 0)),
    packetsSent: Math.max(0, ...bs.map((x) => x.packetsSent || 0)), samples: bs.length } : null;
  console.log(`[pair B] ${JSON.stringify(b && { end: b.end, endedAt: b.endedAt, last: bl })}; A ended at ${a && a.endedAt} ms`);
  check(b && b.answeredAt !== undefined, `[pair B] ${process.env.USER2} answered the second call`);
  check(bl && bl.packetsReceived === 0, `[pair B] not one packet of A's audio reached B (packetsReceived ${bl?.packetsReceived})`);
  check(bl && bl.packetsSent > 50, `[pair B] B's own audio was sent (${bl?.packetsSent})`);
  check(b && b.end && b.end.reason === 'media-timeout', `[pair B] B ended on the media timeout (${JSON.stringify(b && b.end)})`);
  check(vb.code === 0, `[pair B] sipp B got Floe's BYE (exit ${vb.code})${sippErrors(vb)}`);
  check(a && b && a.endedAt > b.endedAt, `[pair] A outlived B's timeout (A ${a?.endedAt} ms, B ${b?.endedAt} ms)`);
}

async function caseRefused(page) {
  const n = (await calls(page)).length;
  // sipp on 127.0.0.2 is not the configured trunk (proxy 127.0.0.1).
  let v = await sippUac('stranger', 'uac_refused_403.xml', { ip: '127.0.0.2' });
  check(v.code === 0, `[refused] an INVITE from 127.0.0.2 (no trunk) got 403 (exit ${v.code})${sippErrors(v)}`);
  // From the trunk, but to a DID no route maps and no browser is registered as.
  v = await sippUac('nobody', 'uac_refused_480.xml', { service: '4930000999' });
  check(v.code === 0, `[refused] an INVITE to an unrouted DID with no such browser user got 480 (exit ${v.code})${sippErrors(v)}`);
  await sleep(300);
  const m = (await calls(page)).length;
  check(m === n, `[refused] neither rang the browser (incoming calls ${n} -> ${m})`);
}

async function caseRingTimeout(page) {
  const n = (await calls(page)).length;
  await page.evaluate(() => { window.e2e.answer = false; });
  const t0 = Date.now();
  const v = await sippUac('ringtimeout', 'uac_refused_480.xml');
  const elapsed = (Date.now() - t0) / 1000;
  const c = await waitCallEnd(page, n, 3000);
  await page.evaluate(() => { window.e2e.answer = true; });
  const limit = Number(process.env.RING_TIMEOUT || 3);
  console.log(`[ring-timeout] INVITE -> 480 in ${elapsed.toFixed(2)} s (--ring-timeout ${limit}); browser: ${JSON.stringify(c)}`);
  check(c !== null, '[ring-timeout] the INVITE rang the browser (`incoming`)');
  check(v.code === 0, `[ring-timeout] nobody answered: sipp got 480 (exit ${v.code})${sippErrors(v)}`);
  check(elapsed >= limit - 0.5 && elapsed < limit + 3, `[ring-timeout] the 480 came after the ring timeout (${elapsed.toFixed(2)} s)`);
  check(c && c.end, `[ring-timeout] the ringing browser call ended (${JSON.stringify(c && c.end)})`);
}

async function caseNoCodec(page) {
  const n = (await calls(page)).length;
  const v = await sippUac('nocodec', 'uac_refused_488.xml');
  check(v.code === 0, `[no-codec] an INVITE offering only G729 got 488 (exit ${v.code})${sippErrors(v)}`);
  await sleep(300);
  const m = (await calls(page)).length;
  check(m === n, `[no-codec] the browser was not rung (incoming calls ${n} -> ${m})`);
}

const context = await launchChromium('floe-sip-e2e-');
let exitCode = 1;
try {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('page error:', String(e)));
  await page.goto(BASE + '/');
  await page.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 10000 });
  await setUpPage(page);
  check(true, `page connected and registered as ${USER}`);
  for (const name of CASES) {
    if (name === 'play') await casePlay(page);
    else if (name === 'hold') await caseHold(page);
    else if (name === 'midcall') await caseMidCall(page);
    else if (name === 'silent') await caseSilent(page);
    else if (name === 'calleebye') await caseCalleeHangsUp(page);
    else if (name === 'closepage') await caseClosePage(page);  // must be last: closes the page
    else if (name === 'pair') {
      const page2 = await context.newPage();
      await page2.goto(BASE + '/');
      await page2.waitForFunction(() => window.floePage && window.floePage.client.state === 'connected', null, { timeout: 10000 });
      await setUpPage(page2, process.env.USER2);
      await casePair(page, page2);
    }
    else if (name === 'refused') await caseRefused(page);
    else if (name === 'ringtimeout') await caseRingTimeout(page);
    else if (name === 'nocodec') await caseNoCodec(page);
    else check(false, `unknown case ${name}`);
  }
  exitCode = failures ? 1 : 0;
} catch (err) {
  console.error('FAIL', err);
} finally {
  await closeChromium(context);
}
console.log(`${checks - failures}/${checks} checks passed`);
process.exit(exitCode);
