// The example page's module: subscribes with the form's project URL, anon key and user JWT, and
// shows each signal as a row and each outcome in that row and in the outcome list. It adds what the
// client delivers as it comes (it does not drop repeats itself): the client promises each once.
import { createSignalClient } from '../../dist/client/browser.js';

const $ = (id) => document.getElementById(id);
let client = null;

function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function showSignal(s) {
  const row = document.createElement('tr');
  row.dataset.id = s.id;
  cell(row, s.candle_time.slice(0, 16).replace('T', ' '));
  cell(row, s.symbol);
  cell(row, s.predicted_direction, s.predicted_direction);
  cell(row, s.confidence_score.toFixed(2));
  cell(row, String(s.entry_price));
  cell(row, '', 'outcome');
  cell(row, '', 'pnl');
  $('signals').prepend(row);
}

function showOutcome(o) {
  const row = $('signals').querySelector(`tr[data-id="${CSS.escape(o.prediction_id)}"]`);
  if (row) {
    const td = row.querySelector('td.outcome');
    td.textContent = o.outcome;
    td.classList.add(o.outcome);
    row.querySelector('td.pnl').textContent = o.profit_loss_pct == null ? '' : o.profit_loss_pct.toFixed(2);
  }
  const li = document.createElement('li');
  li.dataset.id = o.prediction_id;
  li.textContent = `${o.symbol} ${o.predicted_direction} from ${o.candle_time.slice(0, 16).replace('T', ' ')}: ${o.outcome}`;
  $('outcomes').prepend(li);
}

function showStatus(e) {
  const mode = client?.realtimeMode ? ` (${client.realtimeMode})` : '';
  const why = e.error ? `: ${e.error.message}` : '';
  $('status').textContent = `${e.status}${mode}${why}`;
  $('status').dataset.status = e.status;
}

$('connect').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  await client?.close();
  const f = new FormData(ev.target);
  const token = String(f.get('token') ?? '').trim();
  client = createSignalClient({
    transport: 'supabase',
    supabaseUrl: String(f.get('url')),
    supabaseKey: String(f.get('key')),
    ...(token ? { accessToken: token } : {}),
    schema: String(f.get('schema') || 'public'),
  });
  const symbol = String(f.get('symbol') || '*');
  client.onStatus(showStatus);
  client.onError((err) => console.warn(`signalbase: ${err.code}: ${err.message}`));
  client.subscribeToPredictions(symbol, showSignal);
  client.subscribeToOutcomes(symbol, showOutcome);
});
