// casa serve's web page: plain JavaScript, no build step, no third-party code.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { conversation: [], attachments: [], chatAbort: null, live: null };

// ---- API --------------------------------------------------------------------------------------
function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = $('api-key').value.trim();
  if (key) h['Authorization'] = 'Bearer ' + key;
  return h;
}

async function errorText(res) {
  try {
    const body = await res.json();
    if (body && body.error) return res.status + ': ' + body.error.message;
  } catch (e) { /* not JSON */ }
  return res.status + ' ' + res.statusText;
}

// Reads a server-sent-event response; calls onEvent(parsedJson) for each data event until [DONE].
async function readEvents(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') return;
        onEvent(JSON.parse(data));
      }
    }
  }
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

// ---- Chat -------------------------------------------------------------------------------------
function addMessage(role, text, images) {
  const div = document.createElement('div');
  div.className = 'msg ' + role;
  for (const src of images || []) {
    const img = document.createElement('img');
    img.src = src;
    img.alt = 'attached image';
    div.appendChild(img);
  }
  const span = document.createElement('span');
  span.className = 'text';
  span.textContent = text;
  div.appendChild(span);
  $('messages').appendChild(div);
  div.scrollIntoView({ block: 'end' });
  return div;
}

function showAttachments() {
  const box = $('attachments');
  box.textContent = '';
  for (const a of state.attachments) {
    const img = document.createElement('img');
    img.src = a;
    img.alt = 'attachment';
    box.appendChild(img);
  }
}

async function attach(files) {
  for (const f of files) state.attachments.push(await readAsDataUrl(f));
  showAttachments();
}

async function send(event) {
  event.preventDefault();
  const text = $('prompt').value.trim();
  if (!text && state.attachments.length === 0) return;
  const content = state.attachments.map((url) => ({ type: 'image_url', image_url: { url } }));
  if (text) content.push({ type: 'text', text });
  addMessage('user', text, state.attachments);
  state.conversation.push({ role: 'user', content });
  state.attachments = [];
  showAttachments();
  $('prompt').value = '';
  const bubble = addMessage('assistant', '');
  const out = bubble.querySelector('.text');
  $('send').disabled = true;
  $('stop').disabled = false;
  $('chat-status').textContent = 'generating…';
  const abort = new AbortController();
  state.chatAbort = abort;
  let answer = '';
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ messages: state.conversation, stream: true, stream_options: { include_usage: true } }),
      signal: abort.signal,
    });
    if (!res.ok) throw new Error(await errorText(res));
    let usage = null;
    await readEvents(res, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices || []) {
        if (choice.delta && choice.delta.content) {
          answer += choice.delta.content;
          out.textContent = answer;
        }
      }
    });
    state.conversation.push({ role: 'assistant', content: answer });
    if (usage) {
      const u = document.createElement('span');
      u.className = 'usage';
      u.textContent = usage.prompt_tokens + ' prompt tokens, ' + usage.completion_tokens + ' generated, '
        + ((usage.prompt_tokens_details || {}).image_tokens || 0) + ' image tokens';
      bubble.appendChild(u);
    }
    bubble.classList.add('done');
    $('chat-status').textContent = '';
  } catch (e) {
    state.conversation.pop();
    bubble.classList.add('error', 'done');
    out.textContent = answer + (e.name === 'AbortError' ? ' [stopped]' : (answer ? '\n' : '') + e.message);
    $('chat-status').textContent = '';
  } finally {
    state.chatAbort = null;
    $('send').disabled = false;
    $('stop').disabled = true;
  }
}

// ---- Live -------------------------------------------------------------------------------------
function liveStatus(text) { $('live-status').textContent = text; }

function frameSource(files) {
  const images = Array.from(files).filter((f) => /\.(png|jpe?g|gif|bmp)$/i.test(f.name))
    .sort((a, b) => (a.webkitRelativePath || a.name).localeCompare(b.webkitRelativePath || b.name));
  let i = 0;
  return {
    label: images.length + ' frames',
    count: images.length,
    async next() {
      if (i >= images.length) return null;
      const f = images[i++];
      return { blob: f, name: f.name, type: f.type || 'application/octet-stream' };
    },
    stop() {},
  };
}

async function cameraSource() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  const video = $('live-video');
  video.srcObject = stream;
  video.classList.remove('hidden');
  $('live-frame').classList.add('hidden');
  await video.play();
  let n = 0;
  return {
    label: 'camera',
    count: Infinity,
    async next() {
      const canvas = $('live-canvas');
      const scale = Math.min(1, 448 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
      canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
      canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
      return { blob, name: 'camera ' + (++n), type: 'image/jpeg' };
    },
    stop() {
      for (const t of stream.getTracks()) t.stop();
      video.classList.add('hidden');
      $('live-frame').classList.remove('hidden');
    },
  };
}

function chooseSource(source) {
  if (state.live && state.live.source) state.live.source.stop();
  state.live = { source, running: false };
  $('live-start').disabled = false;
  liveStatus('Ready: ' + source.label + '.');
}

async function liveStart() {
  const live = state.live;
  if (!live || live.running) return;
  live.running = true;
  $('live-start').disabled = true;
  $('live-stop').disabled = false;
  $('captions').textContent = '';
  try {
    const res = await fetch('/v1/streams', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ prompt: $('live-prompt').value }),
    });
    if (!res.ok) throw new Error(await errorText(res));
    live.id = (await res.json()).id;
    liveStatus('Stream ' + live.id + ' open.');
    let shown = null;
    for (let frame; live.running && (frame = await live.source.next()); ) {
      if (shown) URL.revokeObjectURL(shown);
      shown = URL.createObjectURL(frame.blob);
      $('live-frame').src = shown;
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = frame.name;
      const text = document.createElement('span');
      text.className = 'caption';
      li.append(name, text);
      $('captions').appendChild(li);
      li.scrollIntoView({ block: 'end' });
      const started = performance.now();
      const r = await fetch('/v1/streams/' + live.id + '/frames?stream=true', {
        method: 'POST', headers: headers({ 'Content-Type': frame.type }), body: frame.blob,
      });
      if (!r.ok) throw new Error(await errorText(r));
      await readEvents(r, (e) => {
        if (e.error) throw new Error(e.error.message);
        if (e.object === 'stream.frame.delta') text.textContent = (text.textContent + e.delta).trimStart();
        if (e.object === 'stream.frame') {
          text.textContent = e.caption;
          li.classList.add('done');
          liveStatus('Frame ' + e.frame + ': ' + Math.round(performance.now() - started) + ' ms, stream cache '
            + (e.cache_bytes / 1024).toFixed(0) + ' KiB' + (e.reset ? ' (started over)' : ''));
        }
      });
      const wait = Number($('live-interval').value) * 1000;
      if (wait > 0 && live.running) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (live.running) liveStatus('Done: ' + $('captions').children.length + ' frames captioned.');
  } catch (e) {
    liveStatus('Error: ' + e.message);
  } finally {
    await liveStop();
  }
}

async function liveStop() {
  const live = state.live;
  if (!live) return;
  live.running = false;
  $('live-stop').disabled = true;
  $('live-start').disabled = false;
  if (live.id) {
    const id = live.id;
    live.id = null;
    await fetch('/v1/streams/' + id, { method: 'DELETE', headers: headers() }).catch(() => {});
  }
}

// ---- Wiring -----------------------------------------------------------------------------------
function showTab(name) {
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.tab === name);
  $('chat').classList.toggle('hidden', name !== 'chat');
  $('live').classList.toggle('hidden', name !== 'live');
}

async function loadModel() {
  try {
    const res = await fetch('/v1/models', { headers: headers() });
    if (!res.ok) throw new Error(await errorText(res));
    const m = (await res.json()).data[0];
    $('model-name').textContent = m.id + ' (' + m.family + (m.vision ? ', vision' : '') + ', context ' + m.context_length + ')';
  } catch (e) {
    $('model-name').textContent = e.message;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = localStorage.getItem('casa-api-key') || '';
  $('api-key').addEventListener('change', () => { localStorage.setItem('casa-api-key', $('api-key').value.trim()); loadModel(); });
  for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => showTab(t.dataset.tab));
  $('image-input').addEventListener('change', (e) => { attach(e.target.files); e.target.value = ''; });
  $('chat-form').addEventListener('submit', send);
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('chat-form').requestSubmit(); }
  });
  $('stop').addEventListener('click', () => { if (state.chatAbort) state.chatAbort.abort(); });
  $('clear').addEventListener('click', () => { state.conversation = []; $('messages').textContent = ''; });
  $('live-folder').addEventListener('change', (e) => chooseSource(frameSource(e.target.files)));
  $('live-files').addEventListener('change', (e) => chooseSource(frameSource(e.target.files)));
  $('live-camera').addEventListener('click', async () => {
    try { chooseSource(await cameraSource()); } catch (e) { liveStatus('Camera: ' + e.message); }
  });
  $('live-start').addEventListener('click', liveStart);
  $('live-stop').addEventListener('click', liveStop);
  loadModel();
});
