// Prints the `welcome` a fresh session gets from `floe gateway` (argv: the
// ws:// URL) as one JSON line. Used by the gateway TURN interop scripts.
import { createRequire } from 'module';
const require = createRequire(process.env.FLOE_SRC + '/tests/browser/package.json');
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[2]);
const timer = setTimeout(() => { console.error('no welcome in 5 s'); process.exit(1); }, 5000);
ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: 1 })));
ws.on('message', (m) => {
  const msg = JSON.parse(String(m));
  if (msg.type !== 'welcome') return;
  console.log(JSON.stringify(msg));
  clearTimeout(timer);
  ws.close();
  process.exit(0);
});
ws.on('error', (e) => { console.error(String(e)); process.exit(1); });
