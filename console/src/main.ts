// The console's shell: hash routing between the views, live refresh, and errors shown in place
// (a refused token or a down server gives a message, never an empty page).
import { setTokenPrompt } from './api.js';
import { deadView } from './dead-view.js';
import { askForToken } from './dialogs.js';
import { formatTime, h } from './dom.js';
import { overviewView } from './overview.js';
import { queueView } from './queue-view.js';
import { typeView } from './type-view.js';
import { errorText, type Context, type View } from './view.js';

const REFRESH_MS = 5000;

const main = document.getElementById('main') as HTMLElement;
const problem = document.getElementById('problem') as HTMLElement;
const updated = document.getElementById('updated') as HTMLElement;
const notice = document.getElementById('notice') as HTMLElement;

let current: View | undefined;
let generation = 0;
let refreshing = false;
/** An announcement made just before a navigation survives that navigation only. */
let keepNotice = false;

const ctx: Context = {
  announce(message) {
    notice.textContent = message;
    keepNotice = true;
  },
  go(hash) {
    location.hash = hash;
  },
};

function viewFor(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [first, type, third, queueId] = parts;
  if (first === 'types' && type !== undefined) {
    if (third === 'dead' && parts.length === 3) return deadView(type);
    if (third === 'queues' && queueId !== undefined && parts.length === 4) return queueView(type, queueId, ctx);
    if (parts.length === 2) return typeView(type);
  }
  return overviewView();
}

function showProblem(error: unknown): void {
  const text = errorText(error);
  problem.replaceChildren(
    h('span', {}, `Could not refresh: ${text}`),
    ' ',
    h('button', { type: 'button', onclick: () => void refresh() }, 'Try again'),
  );
  problem.hidden = false;
}

async function refresh(): Promise<void> {
  const view = current;
  if (!view || refreshing) return;
  refreshing = true;
  try {
    await view.refresh();
    if (view === current) {
      problem.hidden = true;
      problem.replaceChildren();
      updated.textContent = `Updated ${formatTime(Date.now())}`;
    }
  } catch (error) {
    if (view === current) showProblem(error);
  } finally {
    refreshing = false;
  }
}

async function route(): Promise<void> {
  const mine = ++generation;
  const view = viewFor(location.hash);
  current = view;
  if (!keepNotice) notice.textContent = '';
  keepNotice = false;
  document.title = `${view.title} · SharQ console`;
  main.replaceChildren(view.element);
  refreshing = false;
  await refresh();
  // Move focus to the new heading so keyboard and screen reader users start at the page's top.
  if (mine === generation) (view.element.querySelector('h1') as HTMLElement | null)?.focus();
}

// The skip link would change the hash (our routes): move focus instead.
document.querySelector('a.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
setTokenPrompt(askForToken);
window.addEventListener('hashchange', () => void route());
setInterval(() => {
  // Not while a dialog is open (the user is deciding) or the tab is hidden.
  if (document.hidden || document.querySelector('dialog[open]')) return;
  void refresh();
}, REFRESH_MS);
void route();
