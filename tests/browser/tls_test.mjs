// HTTPS and WSS on the same port when the server has a certificate.
// Env: PORT, CA (the self-signed certificate to trust).
import fs from 'node:fs';
import https from 'node:https';
import WebSocket from 'ws';

const ca = fs.readFileSync(process.env.CA);
let failures = 0;
function check(ok, what) { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures++; }

function get(path) {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: process.env.PORT, path, ca, servername: 'localhost' }, (res) => {
      let body = '';
      const proto = res.socket.getProtocol();
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, proto }));
    }).on('error', reject);
  });
}

const health = await get('/healthz');
check(health.status === 200 && health.body === 'ok\n', `https /healthz answers (${health.proto})`);
const index = await get('/');
check(index.status === 200 && /floe\.js|app\.js/.test(index.body), 'https serves the softphone page');

const ws = new WebSocket(`wss://127.0.0.1:${process.env.PORT}/ws`, { ca, servername: 'localhost' });
const welcome = await new Promise((resolve, reject) => {
  ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: 1 })));
  ws.on('message', (d) => resolve(JSON.parse(d.toString())));
  ws.on('error', reject);
});
check(welcome.type === 'welcome', 'wss hello gets welcome');
ws.close();

const plain = await new Promise((resolve) => {
  const s = new WebSocket(`ws://127.0.0.1:${process.env.PORT}/ws`);
  s.on('open', () => resolve('opened'));
  s.on('error', () => resolve('refused'));
});
check(plain === 'refused', 'plain ws to the TLS port is refused');
process.exit(failures ? 1 : 0);
