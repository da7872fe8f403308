'use strict';
// The buyer page: shows the offer, buys, shows the invoice, follows the job to
// "ready" and hands over the SSH key once. Plain DOM, no build step, no outside
// resources. Server text goes into the page with textContent only, never as HTML.
//
// The job id and access token live in the URL fragment (#job=…&token=…): a reload
// keeps the job, and browsers never send the fragment to a server, so the token
// stays out of access logs. The token travels only in the Authorization header.

const $ = (id) => document.getElementById(id);
// Relative, so the page also works when nginx serves it under a path prefix.
const API = 'api/';
// States with no automatic way out; the events stream ends after one (for a ready
// node that reports its setup, only once that setup is complete or failed: isFinal).
const SETTLED = new Set(['ready', 'failed', 'expired', 'cancelled', 'refunded', 'destroyed']);
// What a ready node installs, in the order it reports the steps (daemon.info's nodeSetupSteps).
const SETUP_STEPS = [
  ['packages', 'Installing system packages'],
  ['docker', 'Installing Docker'],
  ['tailscale', 'Joining the tailnet'],
  ['firewall', 'Setting up the firewall'],
  ['storage', 'Preparing the data disk'],
  ['images', 'Downloading and verifying the node software'],
  ['bitcoind', 'Starting Bitcoin Core'],
  ['lnd', 'Starting LND and making its wallet'],
  ['lnbits', 'Starting LNbits'],
  ['complete', 'Finishing setup'],
];
// The daemon reports the last provisioning step it finished; each is listed
// here by what it does, in order.
const PHASES = [
  ['queued', 'Payment received'],
  ['ssh_key_uploaded', 'Registering your SSH key'],
  ['volume_created', 'Creating the storage volume'],
  ['tailscale_key_created', 'Making a Tailscale key'],
  ['droplet_created', 'Creating the server'],
  ['droplet_active', 'Starting the server'],
  ['account_key_removed', 'Removing the setup key'],
];
const SECTIONS = ['offer', 'invoice-view', 'progress-view', 'ready-view', 'refund-view', 'again-view'];

let job = null;          // {id, token} of the purchase this page follows
let current = null;      // the last status shown
let followGeneration = 0; // bumped to stop an older follower
let streamAbort = null;
let clockOffset = 0;     // server clock minus ours, from the Date header, for the countdown
let countdownTimer = null;
let qrFor = null;        // the invoice whose QR code is shown
let savedKey = null;     // {url, name, confirmed} of a key saved from this page load

class ApiError extends Error {
  constructor(status, reason, message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

// One request to the daemon. Resolves with the Response when it is 2xx; otherwise
// throws an ApiError carrying the daemon's own message.
async function api(method, path, { token, body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(API + path, {
      method, headers, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Could not reach the shop. Check your connection; this page keeps trying.');
  }
  // The Date header has whole seconds: trust it only to correct a clock that is clearly off.
  const offset = Date.parse(response.headers.get('Date')) - Date.now();
  if (!Number.isNaN(offset)) clockOffset = Math.abs(offset) > 2000 ? offset : 0;
  if (response.ok) return response;
  let reason = null;
  let message = response.status >= 502
    ? 'The shop is not reachable right now. Try again in a minute.'
    : `The shop answered ${response.status}.`;
  try {
    const error = (await response.json()).error;
    if (error && error.message) message = error.message;
    reason = (error && error.data && error.data.reason) || null;
  } catch { /* not JSON: a proxy's own error page */ }
  throw new ApiError(response.status, reason, message);
}

const jobPath = (suffix = '') => `bootstrap/${encodeURIComponent(job.id)}${suffix}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const duration = (seconds) => seconds >= 7200 ? `${Math.round(seconds / 3600)} hours`
  : seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
const keyFileName = () => `timmy-${job.id.slice(0, 8)}.key`;

function readFragment() {
  const fields = new URLSearchParams(location.hash.slice(1));
  const id = fields.get('job');
  const token = fields.get('token');
  return id && token ? { id, token } : null;
}

function writeFragment() {
  const fragment = job ? `#job=${encodeURIComponent(job.id)}&token=${encodeURIComponent(job.token)}` : '';
  history.replaceState(null, '', location.pathname + location.search + fragment);
}

function setStatus(state, text) {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function showError(error) {
  $('error').textContent = error.message || String(error);
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function showOnly(...ids) {
  for (const id of SECTIONS) $(id).hidden = !ids.includes(id);
  // Focus on a button that just disappeared (Buy, Cancel) would fall back to the top of
  // the page; keyboard and screen reader users go on from the new view's heading instead.
  const active = document.activeElement;
  if (ids.length && (!active || active === document.body || active.closest('[hidden]'))) {
    const target = $(ids[0]).querySelector('h2') || $(ids[0]).querySelector('button');
    if (target.tagName === 'H2') target.tabIndex = -1;
    target.focus();
  }
}

function fillList(list, texts) {
  list.replaceChildren(...texts.map((text) => {
    const item = document.createElement('li');
    item.textContent = text;
    return item;
  }));
}

// MARK: the offer

async function loadOffer() {
  showOnly();
  setStatus('loading', 'Loading the offer…');
  let info;
  try {
    info = await (await api('GET', 'info')).json();
  } catch (error) {
    setStatus('unavailable', 'The shop is not available right now.');
    showError(error);
    $('start-again').textContent = 'Try again';
    showOnly('again-view');
    return;
  }
  $('price').textContent = info.priceSats.toLocaleString('en');
  const plan = info.plan || {};
  const size = /(\d+)vcpu-(\d+)gb/.exec(plan.size || '');
  const items = [
    size ? `A server with ${size[1]} CPUs and ${size[2]} GB of memory (${plan.size}) in ${plan.region}`
      : `A ${plan.size} server in ${plan.region}`,
    plan.volumeSizeGb > 0 ? `A ${plan.volumeSizeGb} GB storage volume for the blockchain` : null,
    'Bitcoin and Lightning installed and started for you',
    'Reachable privately over Tailscale; you log in as root with SSH',
    'An SSH key made for this node, which you download once',
    `Ready a few minutes after payment; pay within ${duration(info.invoiceExpirySeconds)} of buying`,
  ];
  fillList($('plan'), items.filter(Boolean));
  const stub = [];
  if (info.payments && info.payments.mode === 'stub') stub.push('payments are simulated, no money moves');
  if (info.provisioning && info.provisioning.mode === 'stub') stub.push('nodes are pretend and cannot be reached');
  $('test-mode').hidden = stub.length === 0;
  $('test-mode').textContent = `Test shop: ${stub.join('; ')}.`;
  setStatus('idle', 'Ready to take your order.');
  $('buy').disabled = false;
  showOnly('offer');
}

async function buy() {
  clearError();
  $('buy').disabled = true;
  setStatus('creating', 'Making your invoice…');
  try {
    const created = await (await api('POST', 'bootstrap', { body: {} })).json();
    job = { id: created.jobId, token: created.accessToken };
    // At once: a reload or a crash from here on must not lose the token.
    writeFragment();
    render({
      jobId: created.jobId, state: created.state, phase: null, amountSats: created.invoice.amountSats,
      message: `Waiting for payment of ${created.invoice.amountSats} sats.`, invoice: created.invoice,
      keyClaimed: false,
    });
    follow();
  } catch (error) {
    showError(error);
    setStatus('idle', 'No purchase was made.');
    $('buy').disabled = false;
  }
}

// MARK: following the job

// Nothing more will change by itself: a settled state, and for a ready node that
// reports its setup, that setup complete or failed.
function isFinal(status) {
  if (!SETTLED.has(status.state)) return false;
  const setup = status.node && status.node.setup;
  if (status.state !== 'ready' || !setup || !setup.reported) return true;
  return (setup.step === 'complete' && setup.state === 'done') || setup.state === 'failed';
}

// Shows a status. Older news (a poll racing the stream) is ignored.
function render(status) {
  if (current && current.jobId === status.jobId
      && Date.parse(status.updatedAt) < Date.parse(current.updatedAt)) return;
  current = status;
  const state = status.state;
  // The daemon's sentence names the deadline as a timestamp; the countdown says it better here.
  setStatus(state, state === 'awaiting_payment'
    ? `Waiting for your payment of ${status.amountSats.toLocaleString('en')} sats.` : status.message);
  $('job-id').textContent = status.jobId;
  // Nothing to come back to after an unpaid purchase ends.
  $('job-ref').hidden = state === 'expired' || state === 'cancelled';
  // After a failure the refund comes first; starting again is the quieter choice.
  $('start-again').classList.toggle('primary', state !== 'failed');
  if (state !== 'awaiting_payment') stopCountdown();
  switch (state) {
    case 'awaiting_payment':
      showInvoice(status.invoice);
      showOnly('invoice-view');
      break;
    case 'provisioning':
      renderPhases(status.phase, false);
      showOnly('progress-view');
      break;
    case 'ready':
      renderReady(status);
      showOnly('ready-view');
      break;
    case 'failed':
      $('refund-max').textContent = status.amountSats.toLocaleString('en');
      renderPhases(status.phase, true);
      showOnly('refund-view', 'progress-view', 'again-view');
      break;
    case 'refunding':
      showOnly();
      break;
    default: // expired, cancelled, refunded, destroyed
      showOnly('again-view');
  }
}

// The steps, those done ticked and the one under way (or the one that failed) marked.
function renderPhases(phase, failed) {
  $('progress-title').textContent = failed ? 'Where building stopped' : 'Building your node';
  // Provisioning means paid: the first step is done even before the daemon names a phase.
  const done = Math.max(0, PHASES.findIndex(([name]) => name === phase));
  const list = $('phases');
  list.replaceChildren();
  PHASES.forEach(([name, label], index) => {
    const item = document.createElement('li');
    item.dataset.phase = name;
    item.textContent = label;
    if (index <= done) item.className = 'done';
    if (index === done + 1) {
      item.setAttribute('aria-current', 'step');
      if (failed) {
        item.classList.add('failed');
        item.textContent = `${label}: failed`;
      }
    }
    list.append(item);
  });
}

function renderReady(status) {
  const node = status.node || {};
  $('node-ipv4').textContent = node.ipv4 || '–';
  $('node-tailscale').textContent = node.tailscaleHostname || 'not on a tailnet';
  $('node-fingerprint').textContent = node.sshKeyFingerprint || '–';
  // Claimed elsewhere (or before a reload): nothing left to download here.
  const claimedElsewhere = status.keyClaimed && !savedKey;
  $('key-download').hidden = claimedElsewhere;
  $('key-claimed').hidden = !claimedElsewhere;
  $('download-key').hidden = Boolean(savedKey);
  $('key-saved').hidden = !savedKey;
  $('ready-view').dataset.key = status.keyClaimed ? 'claimed' : 'available';
  $('key-receipt').hidden = !(savedKey && savedKey.confirmed);
  // The daemon's steps are written for its command line; the ones that name
  // timmyctl have a button here instead, and its key file is the one saved here.
  const file = keyFileName();
  const steps = (status.nextSteps || [])
    .filter((step) => !step.includes('timmyctl'))
    .map((step) => step.replaceAll('node_key', file));
  steps.unshift(`Keep the key private, or ssh refuses it: chmod 600 ${file}`);
  const list = $('next-steps');
  list.replaceChildren();
  for (const step of steps) {
    // "Say what: command" shows the command as code, ready to copy.
    const item = document.createElement('li');
    const colon = step.indexOf(': ');
    if (colon < 0) {
      item.textContent = step;
    } else {
      const code = document.createElement('code');
      code.textContent = step.slice(colon + 2);
      item.append(step.slice(0, colon + 1) + ' ', code);
    }
    list.append(item);
  }
  for (const element of document.querySelectorAll('.key-file')) element.textContent = file;
  renderSetup(node.setup);
}

// "Ready" is the machine; this is its software, step by step as the node reports it.
function renderSetup(setup) {
  const view = $('setup-view');
  const list = $('setup-steps');
  list.replaceChildren();
  if (!setup || !setup.reported) {
    view.dataset.setup = 'unreported';
    $('ready-title').textContent = 'Your node is ready';
    $('setup-summary').textContent = 'Its software (Bitcoin Core, LND, LNbits) installs by itself over the next few minutes.';
    return;
  }
  const complete = setup.step === 'complete' && setup.state === 'done';
  const failed = setup.state === 'failed';
  view.dataset.setup = complete ? 'complete' : failed ? 'failed' : 'installing';
  $('ready-title').textContent = complete ? 'Your node is ready' : 'Your machine is up';
  $('setup-summary').textContent = complete ? 'All of its software is installed and running.'
    : failed ? 'Setting up its software stopped. The next steps below say how to look and try again.'
      : 'It is installing its software now; this takes several minutes.';
  const at = SETUP_STEPS.findIndex(([name]) => name === setup.step);
  SETUP_STEPS.forEach(([name, label], index) => {
    const item = document.createElement('li');
    item.dataset.step = name;
    item.textContent = label;
    const finished = complete || index < at || (index === at && setup.state === 'done');
    if (finished) item.className = 'done';
    if (!complete && index === at && setup.state !== 'done') {
      item.setAttribute('aria-current', 'step');
      if (failed) {
        item.classList.add('failed');
        item.textContent = `${label}: failed` + (setup.message ? ` (${setup.message})` : '');
      }
    }
    list.append(item);
  });
}

// Follows the job over the events stream until it settles. A stream that drops
// is reconnected with backoff, after a poll to catch up; when the stream keeps
// failing, those polls every few seconds carry the page.
async function follow() {
  const generation = ++followGeneration;
  let failures = 0;
  const following = () => generation === followGeneration && job && !(current && isFinal(current));
  while (following()) {
    let events = 0;
    try {
      await readEvents(generation, () => { events += 1; });
    } catch { /* dropped, refused or aborted: poll below */ }
    if (!following()) return;
    failures = events > 0 ? 0 : failures + 1;
    try {
      await refresh();
      clearError();
    } catch (error) {
      if ([401, 403, 404].includes(error.status)) return linkInvalid(error);
      showError(error);
    }
    if (!following()) return;
    await sleep(failures >= 3 ? 3000 : 500 * 2 ** failures);
  }
}

async function refresh() {
  const generation = followGeneration;
  const status = await (await api('GET', jobPath(), { token: job.token })).json();
  if (generation === followGeneration) render(status);
}

// Reads server-sent events with fetch, not EventSource: EventSource cannot send
// the Authorization header. Calls onEvent for each status event.
async function readEvents(generation, onEvent) {
  const abort = new AbortController();
  streamAbort = abort;
  // Keepalive comments arrive well within this; silence means a dead connection.
  let watchdog;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => abort.abort(), 60000);
  };
  arm();
  try {
    const response = await api('GET', jobPath('/events'), { token: job.token, signal: abort.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || generation !== followGeneration) return;
      arm();
      buffer = (buffer + value).replace(/\r\n/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event && event.type === 'status' && generation === followGeneration) {
          onEvent();
          render(JSON.parse(event.data));
        }
      }
    }
  } finally {
    clearTimeout(watchdog);
  }
}

// One event block: "event:" and "data:" lines; lines starting with ":" are comments.
function parseEvent(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { type, data: data.join('\n') } : null;
}

function linkInvalid(error) {
  stopFollowing();
  setStatus('unknown', 'This purchase link does not work: the purchase is unknown or the link is incomplete.');
  showError(error);
  $('start-again').textContent = 'Start a new purchase';
  showOnly('again-view');
}

function stopFollowing() {
  followGeneration += 1;
  if (streamAbort) streamAbort.abort();
}

// MARK: the invoice

function showInvoice(invoice) {
  if (!invoice) return;
  $('bolt11').value = invoice.paymentRequest;
  $('open-wallet').href = 'lightning:' + invoice.paymentRequest;
  if (qrFor !== invoice.paymentRequest) {
    qrFor = invoice.paymentRequest;
    loadQR();
  }
  startCountdown(Date.parse(invoice.expiresAt));
}

// The QR code needs the token, so it is fetched with the header and shown from a blob.
async function loadQR() {
  const image = $('invoice-qr');
  try {
    const blob = await (await api('GET', jobPath('/invoice.svg'), { token: job.token })).blob();
    if (image.src.startsWith('blob:')) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(blob);
    image.hidden = false;
  } catch {
    image.hidden = true; // the invoice text and the wallet link still work
  }
}

function startCountdown(expiresAt) {
  stopCountdown();
  // Shows the time left; false once the invoice has run out.
  const tick = () => {
    const left = Math.floor((expiresAt - (Date.now() + clockOffset)) / 1000);
    if (left <= 0) {
      $('countdown').textContent = 'a moment (checking…)';
      stopCountdown();
      // The stream reports the expiry; this poll covers a quiet stream.
      setTimeout(() => { if (job) refresh().catch(() => {}); }, 3000);
      return false;
    }
    const h = Math.floor(left / 3600);
    const m = Math.floor(left / 60) % 60;
    const s = String(left % 60).padStart(2, '0');
    $('countdown').textContent = h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
    return true;
  };
  if (tick()) countdownTimer = setInterval(tick, 1000);
}

function stopCountdown() {
  clearInterval(countdownTimer);
  countdownTimer = null;
}

async function copyInvoice() {
  const button = $('copy-bolt11');
  const text = $('bolt11').value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No Clipboard API on plain http: fall back to selecting and copying.
    $('bolt11').select();
    document.execCommand('copy');
  }
  button.textContent = 'Copied';
  setTimeout(() => { button.textContent = 'Copy invoice'; }, 2000);
}

async function cancel() {
  clearError();
  $('cancel').disabled = true;
  try {
    const status = await (await api('POST', jobPath('/cancel'), { token: job.token, body: {} })).json();
    if (status && status.state) render(status); else await refresh();
  } catch (error) {
    showError(error);
  } finally {
    $('cancel').disabled = false;
  }
}

// MARK: the key and the refund

async function downloadKey() {
  clearError();
  const button = $('download-key');
  button.disabled = true;
  try {
    const result = await (await api('POST', jobPath('/key'), { token: job.token, body: {} })).json();
    let key = result.sshPrivateKey;
    if (!key.endsWith('\n')) key += '\n'; // OpenSSH rejects a key without its final newline
    const url = URL.createObjectURL(new Blob([key], { type: 'application/octet-stream' }));
    savedKey = { url, name: keyFileName(), confirmed: false };
    const again = $('key-again');
    again.href = url;
    again.download = savedKey.name;
    again.click();
    current.keyClaimed = true;
    renderReady(current);
    // The file is handed to the browser: confirm receipt, so the shop wipes its copy now
    // rather than when the confirmation window ends. Until then a reload could claim it
    // again; this page keeps its copy for "save it again" either way.
    try {
      await api('POST', jobPath('/key/confirm'), {
        token: job.token, body: { sshKeyFingerprint: result.sshKeyFingerprint },
      });
    } catch (error) {
      // The key is saved; only the shop's early deletion is missing, and it deletes its copy anyway.
      throw new ApiError(error.status, error.reason, `Your key is saved, but the shop could not be told (${error.message}). `
        + `It deletes its copy by itself at ${new Date(result.confirmBy).toLocaleString()}.`);
    }
    savedKey.confirmed = true;
    renderReady(current);
  } catch (error) {
    // Downloaded already (another tab, another device): say so instead of offering it.
    // (no_key_held, a job made with the buyer's own key, gets the daemon's sentence alone.)
    if (error.reason === 'key_already_claimed' && current) {
      current.keyClaimed = true;
      renderReady(current);
    }
    showError(error);
  } finally {
    button.disabled = false;
  }
}

async function requestRefund(event) {
  event.preventDefault();
  const result = $('refund-result');
  const bolt11 = $('refund-bolt11').value.trim();
  $('refund-submit').disabled = true;
  result.textContent = 'Asking for the refund…';
  delete result.dataset.outcome;
  try {
    const status = await (await api('POST', jobPath('/refund'), { token: job.token, body: { bolt11 } })).json();
    result.textContent = 'Refund requested.';
    result.dataset.outcome = 'ok';
    if (status && status.state) render(status);
    follow();
  } catch (error) {
    result.textContent = error.status === 501
      ? `This shop cannot take refund requests here yet (${error.message}). `
        + `Ask the operator, naming purchase ${job.id}.`
      : error.message;
    result.dataset.outcome = 'error';
  } finally {
    $('refund-submit').disabled = false;
  }
}

function startAgain() {
  stopFollowing();
  stopCountdown();
  clearError();
  if (savedKey) URL.revokeObjectURL(savedKey.url);
  job = current = savedKey = qrFor = null;
  $('invoice-qr').hidden = true;
  $('job-ref').hidden = true;
  $('refund-result').textContent = '';
  $('start-again').textContent = 'Start again';
  writeFragment();
  loadOffer();
}

// MARK: start

async function resume() {
  showOnly();
  setStatus('loading', 'Looking up your purchase…');
  try {
    await refresh();
  } catch (error) {
    if ([401, 403, 404].includes(error.status)) return linkInvalid(error);
    showError(error); // follow() keeps trying
  }
  follow();
}

function start() {
  $('buy').addEventListener('click', buy);
  $('copy-bolt11').addEventListener('click', copyInvoice);
  $('cancel').addEventListener('click', cancel);
  $('download-key').addEventListener('click', downloadKey);
  $('refund-form').addEventListener('submit', requestRefund);
  $('start-again').addEventListener('click', startAgain);
  // Another purchase link pasted into this tab: follow that one. Any other change to
  // the fragment would lose this purchase on the next reload, so the link is put back.
  addEventListener('hashchange', () => {
    const linked = readFragment();
    if (linked && (!job || linked.id !== job.id || linked.token !== job.token)) location.reload();
    else if (!linked && job) writeFragment();
  });
  // Phones drop connections in the background; catch up on return.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && job && current && !isFinal(current)) {
      refresh().catch(() => {});
    }
  });
  job = readFragment();
  if (job) resume(); else loadOffer();
}

start();
