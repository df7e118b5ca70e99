/**
 * The board page: the feed's trains, then its releases drawn into three groups (waiting for a person, running,
 * recent), redrawn when an event changes one and once a second while a stage runs (its duration grows). `?big` (or the toggle) is the
 * wall-screen layout. Approvals post to the gateway with the session cookie; the sign-in link shows when there is none.
 */
import { Feed } from './feed.js';
import { card, groupOf, trainCard, type Group } from './render.js';
import type { BoardRelease, BoardTrain } from './types.js';

const element = <T extends Element>(selector: string) => {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the board page has no ${selector}`);
  return found;
};

const groups: Record<Group, HTMLElement> = {
  waiting: element('[data-testid=waiting]'),
  running: element('[data-testid=running]'),
  recent: element('[data-testid=recent]'),
};
const trains = element<HTMLElement>('[data-testid=trains]');
const connection = element<HTMLElement>('[data-testid=connection]');
const notice = element<HTMLElement>('[data-testid=notice]');
const session = element<HTMLElement>('[data-testid=session]');
const signOut = element<HTMLFormElement>('[data-testid=sign-out]');
const bigToggle = element<HTMLButtonElement>('[data-testid=big-toggle]');

let signedIn: boolean | undefined;
const drawn = new Map<string, { html: string; node: Element }>();
let scheduled = false;

const feed = new Feed(() => schedule());

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    draw();
  });
}

const labels = {
  connecting: 'connecting…',
  replaying: 'catching up…',
  live: 'live',
  reconnecting: 'reconnecting…',
  off: 'events off',
};

/** Newest first, by when the release started. */
const newestFirst = (a: BoardRelease, b: BoardRelease) => Date.parse(b.startedAt) - Date.parse(a.startedAt);

/** Trains still going first, then by their first step (a train's run starts again each time it continues as new). */
const trainOrder = (a: BoardTrain, b: BoardTrain) => {
  const going = (train: BoardTrain) => (train.status?.state === 'finished' || train.execution !== 'RUNNING' ? 1 : 0);
  const began = (train: BoardTrain) => Date.parse(train.status?.steps[0]?.startedAt ?? train.startedAt);
  return going(a) - going(b) || began(b) - began(a);
};

/** The node of a card, made again only when its HTML changed. */
function nodeOf(id: string, markup: string): Element {
  const known = drawn.get(id);
  if (known?.html === markup) return known.node;
  const template = document.createElement('template');
  template.innerHTML = markup.trim();
  const node = template.content.firstElementChild as Element;
  drawn.set(id, { html: markup, node });
  return node;
}

function draw(): void {
  connection.textContent = labels[feed.connection];
  connection.dataset['state'] = feed.connection;
  const answer = feed.answer;
  if (answer && !answer.events.on) {
    notice.hidden = false;
    notice.textContent = `${answer.events.error}: the list is Temporal's and does not change live. ${answer.events.fix}.`;
  }
  const context = {
    uiUrl: answer?.temporalUiUrl ?? null,
    namespace: answer?.namespace ?? '',
    now: Date.now(),
    ...(signedIn === undefined ? {} : { signedIn }),
  };
  const trainNodes = [...feed.trains.values()]
    .sort(trainOrder)
    .map((train) => nodeOf(train.workflowId, trainCard(train, context)));
  trains.replaceChildren(...trainNodes);
  trains.closest('section')?.toggleAttribute('data-empty', trainNodes.length === 0);
  const byGroup: Record<Group, BoardRelease[]> = { waiting: [], running: [], recent: [] };
  for (const release of feed.releases.values()) byGroup[groupOf(release)].push(release);
  for (const [group, releases] of Object.entries(byGroup) as [Group, BoardRelease[]][]) {
    const container = groups[group];
    const nodes = releases.sort(newestFirst).map((release) => nodeOf(release.workflowId, card(release, context)));
    container.replaceChildren(...nodes);
    container.closest('section')?.toggleAttribute('data-empty', nodes.length === 0);
  }
}

function setBig(big: boolean): void {
  document.body.classList.toggle('big', big);
  bigToggle.textContent = big ? 'Normal view' : 'Big screen';
  const url = new URL(location.href);
  if (big) url.searchParams.set('big', '');
  else url.searchParams.delete('big');
  history.replaceState(null, '', url.toString().replace(/big=(&|$)/, 'big$1'));
}

bigToggle.addEventListener('click', () => setBig(!document.body.classList.contains('big')));
setBig(new URLSearchParams(location.search).has('big'));

async function approve(button: HTMLButtonElement): Promise<void> {
  const article = button.closest<HTMLElement>('[data-release]');
  const answer = article?.querySelector<HTMLElement>('[data-testid=approval-answer]');
  const [project = '', ...version] = (article?.dataset['release'] ?? '').split('/');
  button.disabled = true;
  const response = await fetch(
    `/api/releases/${encodeURIComponent(project)}/${encodeURIComponent(version.join('/'))}/approve`,
    {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ digest: button.dataset['digest'] }),
    },
  );
  const body = (await response.json().catch(() => ({}))) as { error?: string; fix?: string; approvals?: unknown[] };
  if (answer) {
    answer.textContent = response.ok
      ? `approved (${body.approvals?.length ?? 0} so far)`
      : `refused: ${body.error ?? response.status}${body.fix ? ` — fix: ${body.fix}` : ''}`;
  }
  button.disabled = false;
}

document.addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>('[data-testid=approve]');
  if (button) void approve(button);
});

async function readSession(): Promise<void> {
  const response = await fetch('/api/session', { credentials: 'same-origin' }).catch(() => undefined);
  if (response?.status === 401) {
    signedIn = false;
    session.innerHTML = '<a data-testid="sign-in" href="/auth/github/login?return=/">Sign in with GitHub</a>';
  } else if (response?.ok) {
    const { login } = (await response.json()) as { login?: string };
    signedIn = true;
    session.textContent = login ? `signed in as ${login}` : '';
  }
  signOut.hidden = signedIn !== true;
  schedule();
}

// Durations of running stages grow; nothing is fetched for it.
setInterval(() => {
  if ([...feed.releases.values()].some((release) => groupOf(release) === 'running')) schedule();
}, 1_000);

void readSession();
feed.start().catch((error: unknown) => {
  notice.hidden = false;
  notice.textContent = `The board could not load the releases: ${String(error)}. Reload the page once the gateway answers.`;
});
