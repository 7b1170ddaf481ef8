// The softphone page: wires index.html to floe.js. Works with no
// configuration when served by floe (connects to ws(s)://<this host>/ws).
// A token can be passed as ?token=... in the page URL.
import { FloeClient } from './floe.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const client = new FloeClient(undefined, { token: params.get('token') || undefined });
const page = { client, call: null, log: [] };
window.floePage = page;  // for tests and the curious

function status(text) {
  $('status').textContent = text;
  page.log.push(text);
}

client.addEventListener('state', (e) => {
  $('connection').textContent = e.detail;
  $('connection').className = 'badge ' + e.detail;
});
client.addEventListener('error', (e) => status('Floe: ' + e.detail.message));
client.addEventListener('incoming', (e) => {
  const call = e.detail;
  if (page.call) { call.reject('busy').catch(() => {}); return; }
  $('incoming-from').textContent = call.peer;
  $('incoming').hidden = false;
  page.incoming = call;
  call.addEventListener('ended', () => { $('incoming').hidden = true; });
});

function setInCall(inCall) {
  $('call').disabled = inCall;
  $('hangup').disabled = !inCall;
}

function follow(call) {
  page.call = call;
  setInCall(true);
  call.addEventListener('state', (e) => status('Call ' + e.detail + '.'));
  call.addEventListener('answer', () => status('Answer applied; connecting media…'));
  call.addEventListener('track', (e) => {
    const ev = e.detail;
    $('remote').srcObject = ev.streams[0] || new MediaStream([ev.track]);
  });
  call.addEventListener('ended', (e) => {
    status('Call ended: ' + e.detail.reason + (e.detail.message ? ' (' + e.detail.message + ')' : '') + '.');
    page.call = null;
    setInCall(false);
  });
  const ice = () => { $('ice').textContent = call.pc.iceConnectionState; };
  ice();
  call.pc.addEventListener('iceconnectionstatechange', ice);
}

$('dial').addEventListener('submit', async (e) => {
  e.preventDefault();
  const target = $('target').value.trim();
  if (!target || page.call) return;
  status('Calling ' + target + '…');
  setInCall(true);
  try {
    follow(await client.call(target));
  } catch (err) {
    status('Call failed: ' + err.message);
    setInCall(false);
  }
});

$('hangup').addEventListener('click', () => { if (page.call) page.call.hangup().catch(() => {}); });

$('accept').addEventListener('click', async () => {
  const call = page.incoming;
  $('incoming').hidden = true;
  if (!call) return;
  try {
    await call.answer();
    follow(call);
    status('Answered call from ' + call.peer + '.');
  } catch (err) { status('Could not answer: ' + err.message); }
});
$('reject').addEventListener('click', () => {
  $('incoming').hidden = true;
  if (page.incoming) page.incoming.reject().catch(() => {});
});

for (const b of $('pad').querySelectorAll('button')) {
  b.addEventListener('click', () => {
    if (page.call) page.call.sendDtmf(b.textContent).catch((err) => status('DTMF: ' + err.message));
  });
}

$('register').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await client.register($('user').value.trim());
    status('Registered as ' + $('user').value.trim() + '.');
  } catch (err) { status('Register failed: ' + err.message); }
});

// Live figures from getStats, once a second.
setInterval(async () => {
  const pc = page.call && page.call.pc;
  if (!pc) return;
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
  if (pair) {
    const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
    $('pair').textContent = (local ? local.candidateType : '?') + ' → ' + (remote ? remote.candidateType : '?');
    if (pair.currentRoundTripTime !== undefined) $('rtt').textContent = Math.round(pair.currentRoundTripTime * 1000) + ' ms';
  }
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      if (s.jitter !== undefined) $('jitter').textContent = Math.round(s.jitter * 1000) + ' ms';
      const total = (s.packetsReceived || 0) + (s.packetsLost || 0);
      $('lost').textContent = total ? ((100 * (s.packetsLost || 0)) / total).toFixed(1) + ' %' : '–';
      if (s.audioLevel !== undefined) $('level').value = s.audioLevel;
    }
  });
}, 1000);

client.connect().then(() => status('Connected. Ready to call.'))
  .catch((err) => status('Cannot reach Floe: ' + err.message));
