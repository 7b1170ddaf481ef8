// Load figures for the signaling server (not a CTest test):
//   node signaling_load.mjs <port> [sessions=1000] [concurrency=100]
// Opens `sessions` WebSockets (at most `concurrency` at once), each says
// hello and places one call to the fake handler's echo target; reports
// connect+hello and call->answered latencies, then ping round trips on one
// session. Start the server with high rate limits, e.g.
//   signaling_server_test_main --port 0 --rate-burst 1000000 --rate 1000000
import WebSocket from 'ws';

const [port, sessions = '1000', concurrency = '100'] = process.argv.slice(2);
const URL = `ws://127.0.0.1:${port}/ws`;
const SDP = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 126', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:Kx3m',
  'a=ice-pwd:q5Zr9uH3eYb2kT7vW1xPnL0a', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 ' + Array(32).fill('3A').join(':'), 'a=setup:actpass', 'a=mid:0',
  'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:126 telephone-event/8000', '',
].join('\r\n');

function session() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let tCall = 0, tHello = 0;
    const ws = new WebSocket(URL);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: 1 })));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'welcome') {
        tHello = performance.now() - t0;
        tCall = performance.now();
        ws.send(JSON.stringify({ type: 'call', id: 2, callId: 'c', target: 'echo', sdp: SDP }));
      } else if (m.type === 'answered') {
        const callMs = performance.now() - tCall;
        ws.close();
        resolve({ hello: tHello, call: callMs });
      } else if (m.type === 'error') reject(new Error(m.message));
    });
    ws.on('error', reject);
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(2);
const results = [];
const start = performance.now();
let next = 0;
async function worker() {
  while (next < Number(sessions)) { next++; results.push(await session()); }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const wall = (performance.now() - start) / 1000;
const hello = results.map((r) => r.hello).sort((a, b) => a - b);
const call = results.map((r) => r.call).sort((a, b) => a - b);
console.log(`${results.length} sessions (hello + echo call each), concurrency ${concurrency}: ${(results.length / wall).toFixed(0)} sessions/s`);
console.log(`connect+hello ms  p50 ${pct(hello, 50)}  p95 ${pct(hello, 95)}  p99 ${pct(hello, 99)}`);
console.log(`call->answered ms p50 ${pct(call, 50)}  p95 ${pct(call, 95)}  p99 ${pct(call, 99)}`);

const ws = new WebSocket(URL);
await new Promise((r) => ws.on('open', r));
const N = 20000;
let got = 0;
const t0 = performance.now();
await new Promise((resolve) => {
  ws.on('message', () => { if (++got === N + 1) resolve(); else if (got > 1) ws.send('{"type":"ping","id":1}'); });
  ws.send(JSON.stringify({ type: 'hello', id: 0 }));
  ws.send('{"type":"ping","id":1}');
});
const rtt = (performance.now() - t0) / N;
console.log(`ping round trips on one session: ${N} sequential, ${(1000 / rtt).toFixed(0)}/s, ${(rtt * 1000).toFixed(0)} us each`);
ws.close();
process.exit(0);
