// floe.js: the browser side of Floe's signaling protocol (docs/protocol.md).
// A dependency-free ES module: connect, register, call, answer, hang up,
// DTMF, trickle ICE both ways, and reconnect with session resume.
//
//   import { FloeClient } from './floe.js';
//   const floe = new FloeClient();            // ws(s)://<this host>/ws
//   await floe.connect();
//   const call = await floe.call('echo');     // microphone + data channel
//   call.addEventListener('track', (e) => audio.srcObject = e.detail.streams[0]);
//   await call.hangup();

/** An `error` reply from Floe, or a local failure with the same shape. */
export class FloeError extends Error {
  /**
   * @param {string} code stable code, e.g. "bad-sdp", "not-found", "disconnected"
   * @param {string} message a sentence for humans
   * @param {string|number|null} [id] the request id the error answers
   */
  constructor(code, message, id = null) {
    super(message);
    this.name = 'FloeError';
    /** @type {string} */ this.code = code;
    /** @type {string|number|null} */ this.id = id;
  }
}

function defaultUrl() {
  if (typeof location === 'undefined') return 'ws://127.0.0.1:8080/ws';
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
}

function randomId(prefix) {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return prefix + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * One call, outgoing or incoming, with its RTCPeerConnection.
 * Events: `state` (detail: state), `ringing`, `progress`, `answer` (the SDP
 * answer was applied), `answered`, `track` (detail: RTCTrackEvent), `stats`
 * (detail: values from Floe), `ended` (detail: {reason, message}).
 */
export class FloeCall extends EventTarget {
  /** @internal */
  constructor(client, id, direction, peer) {
    super();
    /** @type {string} */ this.id = id;
    /** @type {'outgoing'|'incoming'} */ this.direction = direction;
    /** @type {string} the target (outgoing) or caller (incoming) */ this.peer = peer;
    /** @type {string} calling|ringing|early|answered|incoming|accepted|ended */
    this.state = direction === 'outgoing' ? 'calling' : 'incoming';
    /** @type {RTCPeerConnection|null} */ this.pc = null;
    /** @type {RTCDataChannel|null} */ this.dataChannel = null;
    /** @type {string|null} offer received with an incoming call */ this.remoteOffer = null;
    this._client = client;
    this._pendingRemote = [];  // candidates that arrived before the remote description
    this._remoteSet = false;
    this._sentCall = false;
    this._pendingLocal = [];
    this._events = Promise.resolve();  // server events, applied one after another
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  _makePeerConnection(stream) {
    const pc = new RTCPeerConnection({ iceServers: this._client.iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    pc.addEventListener('icecandidate', (e) => {
      const msg = e.candidate && e.candidate.candidate
        ? { callId: this.id, candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
            sdpMLineIndex: e.candidate.sdpMLineIndex }
        : null;
      if (!this._sentCall) return this._pendingLocal.push(msg);
      this._sendLocalCandidate(msg);
    });
    pc.addEventListener('track', (e) => this.dispatchEvent(new CustomEvent('track', { detail: e })));
    pc.addEventListener('datachannel', (e) => { this.dataChannel = e.channel; });
    if (stream) for (const t of stream.getTracks()) pc.addTrack(t, stream);
    return pc;
  }

  _sendLocalCandidate(msg) {
    if (this.state === 'ended') return;
    const p = msg ? this._client.request('candidate', msg)
      : this._client.request('end-of-candidates', { callId: this.id });
    p.catch(() => {});  // a candidate for a call that just ended is harmless
  }

  _flushLocalCandidates() {
    this._sentCall = true;
    for (const m of this._pendingLocal) this._sendLocalCandidate(m);
    this._pendingLocal = [];
  }

  async _applyRemote(desc) {
    await this.pc.setRemoteDescription(desc);
    this._remoteSet = true;
    for (const c of this._pendingRemote) await this._addRemoteCandidate(c);
    this._pendingRemote = [];
  }

  async _addRemoteCandidate(c) {
    if (!this._remoteSet) return this._pendingRemote.push(c);
    try {
      if (c) await this.pc.addIceCandidate(c);
      else await this.pc.addIceCandidate();
    } catch (err) {
      console.warn('floe: remote candidate refused', c, err);
    }
  }

  /** @internal queues a server event so an answer is applied before later candidates */
  _onEvent(msg) {
    this._events = this._events.then(() => this._handleEvent(msg)).catch((err) => console.warn('floe:', err));
  }

  async _handleEvent(msg) {
    switch (msg.type) {
      case 'answer':
        if (this.state === 'calling') this._setState('early');
        try {
          await this._applyRemote({ type: 'answer', sdp: msg.sdp });
          this.dispatchEvent(new CustomEvent('answer', { detail: msg.sdp }));
        } catch (err) {
          this._end('failed', 'the browser refused Floe\'s answer: ' + err.message);
          this._client.request('hangup', { callId: this.id, reason: 'failed' }).catch(() => {});
        }
        break;
      case 'candidate':
        await this._addRemoteCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid,
          sdpMLineIndex: msg.sdpMLineIndex });
        break;
      case 'end-of-candidates': await this._addRemoteCandidate(null); break;
      case 'ringing': this._setState('ringing'); this.dispatchEvent(new Event('ringing')); break;
      case 'progress': this.dispatchEvent(new Event('progress')); break;
      case 'answered': this._setState('answered'); this.dispatchEvent(new Event('answered')); break;
      case 'stats': this.dispatchEvent(new CustomEvent('stats', { detail: msg.stats })); break;
      case 'ended': this._end(msg.reason, msg.message || ''); break;
      case 'error': this._end(msg.code, msg.message); break;
    }
  }

  _end(reason, message) {
    if (this.state === 'ended') return;
    this._setState('ended');
    if (this.pc) this.pc.close();
    this._client._calls.delete(this.id);
    this.dispatchEvent(new CustomEvent('ended', { detail: { reason, message } }));
  }

  /**
   * Answers an incoming call.
   * @param {{stream?: MediaStream}} [options] local media; default: the microphone
   */
  async answer(options = {}) {
    if (this.direction !== 'incoming' || this.state !== 'incoming')
      throw new FloeError('bad-state', 'only an unanswered incoming call can be answered');
    const stream = options.stream || await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = this._makePeerConnection(stream);
    await this._applyRemote({ type: 'offer', sdp: this.remoteOffer });
    await pc.setLocalDescription(await pc.createAnswer());
    const p = this._client.request('accept', { callId: this.id, sdp: pc.localDescription.sdp });
    this._flushLocalCandidates();
    await p;
    this._setState('accepted');
  }

  /**
   * Restarts ICE (RFC 8445 §9), e.g. after the network changed: a new offer
   * with fresh ICE credentials goes to Floe as `offer`; Floe's `answer` and
   * candidates are applied as for the first one. Media keeps flowing on the
   * old path until the new one is selected.
   * @returns {Promise<void>} once Floe has accepted the new offer
   */
  async restartIce() {
    if (!this.pc || !['early', 'answered', 'accepted'].includes(this.state))
      throw new FloeError('bad-state', 'only a call with an answer can restart ICE');
    await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
    await this._client.request('offer', { callId: this.id, sdp: this.pc.localDescription.sdp });
  }

  /**
   * Puts the far end on hold (our audio goes on, theirs stops: a=sendonly,
   * RFC 3264 §8.4) or resumes it, by a new offer inside the call. Toward a
   * SIP trunk Floe sends the same direction in a re-INVITE.
   * @param {boolean} [on=true] hold (true) or resume (false)
   * @returns {Promise<void>} once Floe has accepted the new offer
   */
  async hold(on = true) {
    if (!this.pc || !['early', 'answered', 'accepted'].includes(this.state))
      throw new FloeError('bad-state', 'only a call with an answer can be held');
    for (const t of this.pc.getTransceivers())
      if (t.receiver.track && t.receiver.track.kind === 'audio') t.direction = on ? 'sendonly' : 'sendrecv';
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this._client.request('offer', { callId: this.id, sdp: this.pc.localDescription.sdp });
  }

  /** Declines an incoming call. @param {string} [reason] */
  async reject(reason = 'rejected') {
    await this._client.request('reject', { callId: this.id, reason });
    this._end('rejected', '');
  }

  /** Ends the call. @param {string} [reason] */
  async hangup(reason = 'hangup') {
    if (this.state === 'ended') return;
    const p = this._client.request('hangup', { callId: this.id, reason });
    this._end('hangup', 'hung up here');
    try { await p; } catch (err) { if (err.code !== 'unknown-call') throw err; }
  }

  /**
   * Sends DTMF through Floe (RFC 4733 events on the far leg).
   * @param {string} digits 0-9 * # A-D
   * @param {number} [duration] milliseconds per digit, 40..6000
   */
  sendDtmf(digits, duration = 100) {
    return this._client.request('dtmf', { callId: this.id, digits, duration });
  }
}

/**
 * A connection to Floe. Events: `state` (detail: disconnected|connecting|
 * connected|reconnecting|closed), `welcome` (detail: the welcome message),
 * `incoming` (detail: FloeCall), `error` (detail: FloeError not tied to a request).
 */
export class FloeClient extends EventTarget {
  /**
   * @param {string} [url] WebSocket URL; default ws(s)://<page host>/ws
   * @param {{token?: string, tokenInQuery?: boolean, reconnect?: boolean,
   *          requestTimeout?: number}} [options]
   */
  constructor(url = defaultUrl(), options = {}) {
    super();
    this.url = url;
    this.options = { reconnect: true, requestTimeout: 10000, tokenInQuery: false, ...options };
    /** @type {string} */ this.state = 'disconnected';
    /** @type {string|null} */ this.sessionId = null;
    /** @type {RTCIceServer[]} */ this.iceServers = [];
    /** @type {number} seconds Floe keeps a dropped session */ this.resumeWindow = 30;
    this._ws = null;
    this._nextId = 1;
    this._pending = new Map();   // request id -> {resolve, reject, timer}
    this._queue = [];            // requests made while reconnecting
    this._calls = new Map();     // callId -> FloeCall
    this._closing = false;
    this._lostAt = 0;
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  /**
   * Opens the WebSocket and says hello (resuming the session when there is one).
   * @returns {Promise<object>} the welcome message
   */
  connect() {
    this._closing = false;
    if (this.state !== 'reconnecting') this._setState('connecting');
    return new Promise((resolve, reject) => {
      let url = this.url;
      if (this.options.token && this.options.tokenInQuery)
        url += (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(this.options.token);
      const ws = new WebSocket(url);
      this._ws = ws;
      let welcomed = false;
      ws.onopen = () => {
        const hello = { type: 'hello', id: this._nextId++ };
        if (this.options.token && !this.options.tokenInQuery) hello.token = this.options.token;
        if (this.sessionId) hello.resume = this.sessionId;
        this._pending.set(hello.id, {
          resolve: (w) => { welcomed = true; this._onWelcome(w); resolve(w); },
          reject: (e) => reject(e),
        });
        ws.send(JSON.stringify(hello));
      };
      ws.onmessage = (e) => this._onMessage(e.data);
      ws.onclose = (e) => {
        if (this._ws !== ws) return;
        this._ws = null;
        this._failPending(new FloeError('disconnected', 'the connection to Floe closed (' + e.code + ')'));
        if (!welcomed) reject(new FloeError('disconnected', 'could not connect to ' + this.url));
        this._onClose(e, welcomed);
      };
    });
  }

  _onWelcome(w) {
    const resumed = w.resumed && w.sessionId === this.sessionId;
    if (!resumed) for (const call of [...this._calls.values()]) call._end('session-lost', 'Floe no longer knows this session');
    this.sessionId = w.sessionId;
    this.iceServers = w.iceServers || [];
    this.resumeWindow = w.resumeWindow || 30;
    this._setState('connected');
    const queued = this._queue;
    this._queue = [];
    for (const q of queued) this._send(q.msg, q.handlers);
    this.dispatchEvent(new CustomEvent('welcome', { detail: w }));
  }

  _onClose(event, welcomed) {
    if (this._closing || !this.options.reconnect || !welcomed && this.state !== 'reconnecting') {
      this._setState(this._closing ? 'closed' : 'disconnected');
      return;
    }
    if (this.state !== 'reconnecting') this._lostAt = Date.now();
    this._setState('reconnecting');
    const elapsed = Date.now() - this._lostAt;
    if (elapsed > this.resumeWindow * 1000) {
      for (const call of [...this._calls.values()]) call._end('session-lost', 'reconnect took too long');
      this.sessionId = null;
    }
    const delay = Math.min(5000, 250 * 2 ** Math.min(5, Math.floor(elapsed / 1000)));
    setTimeout(() => { if (!this._closing) this.connect().catch(() => {}); }, delay);
  }

  _failPending(err) {
    for (const [id, p] of this._pending) { clearTimeout(p.timer); p.reject(err); }
    this._pending.clear();
  }

  /** Closes the connection for good; the session ends when its window passes. */
  close() {
    this._closing = true;
    if (this._ws) this._ws.close(1000, 'bye');
    this._setState('closed');
  }

  /**
   * Sends one request; resolves with its `ack` (or `welcome`/`pong`),
   * rejects with a FloeError.
   * @param {string} type
   * @param {object} [fields]
   * @returns {Promise<object>}
   */
  request(type, fields = {}) {
    return new Promise((resolve, reject) => {
      const msg = { type, id: this._nextId++, ...fields };
      const handlers = { resolve, reject };
      if (this.state === 'reconnecting' || this.state === 'connecting') {
        if (this._queue.length >= 256) return reject(new FloeError('disconnected', 'too many requests queued'));
        this._queue.push({ msg, handlers });
        return;
      }
      if (!this._ws || this._ws.readyState !== WebSocket.OPEN)
        return reject(new FloeError('disconnected', 'not connected to Floe'));
      this._send(msg, handlers);
    });
  }

  _send(msg, handlers) {
    handlers.timer = setTimeout(() => {
      if (this._pending.delete(msg.id))
        handlers.reject(new FloeError('timeout', msg.type + ' got no reply', msg.id));
    }, this.options.requestTimeout);
    this._pending.set(msg.id, handlers);
    this._ws.send(JSON.stringify(msg));
  }

  /** Round trip through Floe. @returns {Promise<object>} */
  ping() { return this.request('ping'); }

  /**
   * Registers a user name so calls to it ring this page.
   * @param {string} user
   */
  register(user) { return this.request('register', { user }); }

  /**
   * Places a call.
   * @param {string} target e.g. "echo", a SIP URI or a number, as the gateway routes it
   * @param {{stream?: MediaStream, audio?: boolean, video?: boolean, dataChannel?: boolean}} [options]
   * @returns {Promise<FloeCall>} once Floe has acknowledged the call
   */
  async call(target, options = {}) {
    const opts = { audio: true, video: false, dataChannel: true, ...options };
    const call = new FloeCall(this, randomId('c'), 'outgoing', target);
    let stream = opts.stream;
    if (!stream && (opts.audio || opts.video))
      stream = await navigator.mediaDevices.getUserMedia({ audio: opts.audio, video: opts.video });
    const pc = call._makePeerConnection(stream);
    if (opts.dataChannel) call.dataChannel = pc.createDataChannel('floe');
    await pc.setLocalDescription(await pc.createOffer());
    this._calls.set(call.id, call);
    const ack = this.request('call', { callId: call.id, target, sdp: pc.localDescription.sdp });
    call._flushLocalCandidates();
    try {
      await ack;
    } catch (err) {
      call._end(err.code, err.message);
      throw err;
    }
    return call;
  }

  _onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    const pending = msg.id !== undefined && msg.id !== null ? this._pending.get(msg.id) : undefined;
    if (pending && (msg.type === 'ack' || msg.type === 'welcome' || msg.type === 'pong' || msg.type === 'error')) {
      this._pending.delete(msg.id);
      clearTimeout(pending.timer);
      if (msg.type === 'error') pending.reject(new FloeError(msg.code, msg.message, msg.id));
      else pending.resolve(msg);
      return;
    }
    if (msg.type === 'incoming') {
      const call = new FloeCall(this, msg.callId, 'incoming', msg.from || '');
      call.remoteOffer = msg.sdp;
      this._calls.set(call.id, call);
      this.dispatchEvent(new CustomEvent('incoming', { detail: call }));
      return;
    }
    const call = msg.callId ? this._calls.get(msg.callId) : undefined;
    if (call) { call._onEvent(msg); return; }
    if (msg.type === 'error')
      this.dispatchEvent(new CustomEvent('error', { detail: new FloeError(msg.code, msg.message, msg.id) }));
  }
}
