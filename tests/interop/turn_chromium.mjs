// Two RTCPeerConnections in headless Chromium, both with
// iceTransportPolicy 'relay' and one TURN server (argv: url user password):
// libwebrtc's TURN client allocates, permits, binds channels and carries a
// data channel through the relay. Prints the selected pair and exits 0 when
// the echo came back over relay candidates.
import { createRequire } from 'module';
const require = createRequire(process.env.FLOE_SRC + '/tests/browser/package.json');
const { chromium } = require('playwright-core');
const [url, user, pass] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
page.on('console', m => console.log('page:', m.text()));
const result = await page.evaluate(async ({ url, user, pass }) => {
  const cfg = { iceServers: [{ urls: url, username: user, credential: pass }], iceTransportPolicy: 'relay' };
  const a = new RTCPeerConnection(cfg), b = new RTCPeerConnection(cfg);
  const cands = { a: [], b: [] };
  a.onicecandidate = e => { if (e.candidate) { cands.a.push(e.candidate.candidate); b.addIceCandidate(e.candidate); } };
  b.onicecandidate = e => { if (e.candidate) { cands.b.push(e.candidate.candidate); a.addIceCandidate(e.candidate); } };
  const dc = a.createDataChannel('x');
  const got = new Promise(res => { b.ondatachannel = e => { e.channel.onmessage = m => { e.channel.send('echo:' + m.data); }; }; dc.onmessage = m => res(m.data); });
  const open = new Promise(res => dc.onopen = res);
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  const ok = await Promise.race([open.then(() => true), new Promise(r => setTimeout(() => r(false), 15000))]);
  if (!ok) return { ok: false, cands, state: a.iceConnectionState };
  dc.send('hello');
  const echo = await Promise.race([got, new Promise(r => setTimeout(() => r(null), 5000))]);
  const stats = await a.getStats();
  let pair = null, local = null, remote = null;
  stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
  if (pair) { local = stats.get(pair.localCandidateId); remote = stats.get(pair.remoteCandidateId); }
  const relayed = !!local && local.candidateType === 'relay' && !!remote &&
                  remote.candidateType === 'relay';
  return { ok: echo === 'echo:hello' && relayed, echo, cands, local: local && [local.candidateType, local.relayProtocol, local.address, local.port], remote: remote && [remote.candidateType, remote.address, remote.port] };
}, { url, user, pass });
console.log(JSON.stringify(result));
await browser.close();
process.exit(result.ok ? 0 : 1);
