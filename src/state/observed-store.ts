/**
 * A StateStore whose journals report every durable append to an observer (the
 * notifier, the trace exporter): the journal stays the one source, and the
 * observers are renderers of it. The observer must return at once.
 */
import type { JournalRecord } from './model.js';
import type { DeploymentJournal, StateStore } from './store.js';

export type JournalObserver = (record: JournalRecord, journal: DeploymentJournal) => void;

function observedJournal(journal: DeploymentJournal, observer: JournalObserver): DeploymentJournal {
  return {
    get id() {
      return journal.id;
    },
    get dir() {
      return journal.dir;
    },
    snapshot: () => journal.snapshot(),
    append: async (input) => {
      const record = await journal.append(input);
      observer(record, journal);
      return record;
    },
  };
}

export function observedStore(store: StateStore, observers: readonly JournalObserver[]): StateStore {
  if (observers.length === 0) return store;
  const observer: JournalObserver = (record, journal) => {
    for (const o of observers) o(record, journal);
  };
  return {
    get root() {
      return store.root;
    },
    lock: (key, holder) => store.lock(key, holder),
    ...(store.lockHolder ? { lockHolder: store.lockHolder.bind(store) } : {}),
    ...(store.lockNote ? { lockNote: store.lockNote.bind(store) } : {}),
    ...(store.copiedLockRefusal ? { copiedLockRefusal: store.copiedLockRefusal.bind(store) } : {}),
    create: async (id) => observedJournal(await store.create(id), observer),
    open: async (id, options) => observedJournal(await store.open(id, options), observer),
    readRecords: (id, afterSeq) => store.readRecords(id, afterSeq),
    list: () => store.list(),
    sendControl: (id, command, by) => store.sendControl(id, command, by),
    takeControl: (id) => store.takeControl(id),
    pendingControl: (id) => store.pendingControl(id),
    close: () => store.close(),
  };
}
