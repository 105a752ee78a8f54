import { performance } from 'node:perf_hooks';
import { NOTES_PARTITION, PASSWORD } from './options.ts';
import type { NoteCallStats, NotesResult } from './results.ts';
import { log, pool, sleep } from './run.ts';
import type { Run } from './setup.ts';
import { num, percentiles } from './stats.ts';
import { TrpcError } from './wire.ts';

/** A save's text: about a page, as an editor would save it. */
const BODY = 'Seed 001 notes benchmark. '.repeat(40);
/** An editor's pause between two of its calls. */
const THINK_MS = 500;

interface Editor {
  username: string;
  token: string;
}

/** One timed call through nginx: its wall time, the node that answered (or -1), the tRPC error code (if refused). */
async function timed<T>(run: Run, path: string, input: unknown, token: string): Promise<{ ms: number; node: number; data?: T; error?: TrpcError }> {
  const t0 = performance.now();
  try {
    const r = await run.http.mutation<T>(path, input, token);
    return { ms: performance.now() - t0, node: run.nodeIndex(r.upstream), data: r.data };
  } catch (error) {
    return { ms: performance.now() - t0, node: -1, error: error instanceof TrpcError ? error : new TrpcError(String(error), undefined, undefined) };
  }
}

const pctlText = (s: NoteCallStats) => (s.count ? `${num(s.p50)} / ${num(s.p99)} ms` : '—');

class Samples {
  readonly ms: number[] = [];
  errors = 0;
  readonly errorSamples: string[] = [];
  add(r: { ms: number; error?: TrpcError | undefined }, expectError?: string): void {
    if (r.error && r.error.code !== expectError) {
      this.errors += 1;
      if (this.errorSamples.length < 3) this.errorSamples.push(`${r.error.code ?? r.error.status ?? '?'}: ${r.error.message}`);
      return;
    }
    this.ms.push(r.ms);
  }
  stats(): NoteCallStats {
    return { ...(percentiles(this.ms) ?? { count: 0, p50: NaN, p99: NaN, max: NaN }), errors: this.errors, errorSamples: this.errorSamples };
  }
}

/**
 * Step 6 (seed 001): note lock latency on the cluster, through nginx, in a workspace of its own
 * that nobody watches (the calls' cost, not a fan-out). (a) `--notes` editors, each on a note of
 * their own, holding their locks at the same time: lock → renew → save → unlock with a pause
 * between calls, starting spread over a few seconds. (b) `--note-contenders`
 * people on one note: every round all ask for its lock at once (one wins, the others are
 * answered CONFLICT; both timed), then the winner renews, saves and unlocks. Null with --notes 0.
 */
export async function measureNotes(run: Run): Promise<NotesResult | null> {
  const { opts, http, ownerToken, people, nodes } = run;
  if (opts.notes === 0) return null;
  const editorsWanted = Math.max(opts.notes, opts.noteContenders);
  const { inviteCode } = (await http.mutation<{ inviteCode: string }>('partition.create', { id: NOTES_PARTITION, name: 'Bench notes' }, ownerToken)).data;
  const extra = Math.max(0, editorsWanted - people.length);
  log(`notes: ${editorsWanted} editors in ${NOTES_PARTITION} (${extra} more people registered)…`);
  const editors: Editor[] = await pool(
    Array.from({ length: editorsWanted }, (_, i) => i),
    8,
    async (i) => {
      const known = people[i];
      const editor = known
        ? { username: known.username, token: known.token }
        : {
            username: `bench_n${i}`,
            token: (await http.mutation<{ token: string }>('auth.register', { username: `bench_n${i}`, password: PASSWORD, session: 'token' }, null)).data
              .token,
          };
      await http.mutation('partition.join', { inviteCode }, editor.token);
      return editor;
    },
  );
  const create = (title: string) => http.mutation<{ id: string }>('note.create', { partitionId: NOTES_PARTITION, title }, ownerToken).then((r) => r.data.id);
  const answeredBy = nodes.map(() => 0);
  const count = (r: { node: number }) => {
    if (r.node >= 0) answeredBy[r.node]! += 1;
  };

  // (a) every editor on a note of their own, all holding their locks at the same time: each
  // starts at its own moment within the first `spreadMs` and pauses `THINK_MS` between calls, as a
  // person between typing and saving would (a closed loop of 200 would measure only the queue).
  const own = await pool(editors.slice(0, opts.notes), 8, (e, i) => create(`own ${i}`).then((noteId) => ({ ...e, noteId })));
  const rounds = opts.quick ? 1 : 3;
  const spreadMs = opts.quick ? 5000 : 10_000;
  const a = { acquire: new Samples(), renew: new Samples(), save: new Samples(), unlock: new Samples() };
  log(
    `notes: ${own.length} editors on ${own.length} notes, starting within ${spreadMs / 1000} s, ${rounds} round(s) of lock → renew → save → unlock, ${THINK_MS} ms between calls…`,
  );
  const t0 = performance.now();
  await Promise.all(
    own.map(async (e, i) => {
      const ref = { partitionId: NOTES_PARTITION, noteId: e.noteId };
      await sleep((spreadMs * i) / own.length);
      for (let round = 0; round < rounds; round++) {
        const lock = await timed<{ token: number }>(run, 'note.lock', ref, e.token);
        a.acquire.add(lock);
        count(lock);
        if (!lock.data) continue;
        const token = lock.data.token;
        for (const [kind, path, input] of [
          ['renew', 'note.renew', { ...ref, token }],
          ['save', 'note.save', { ...ref, token, body: `${BODY}${round}` }],
          ['unlock', 'note.unlock', { ...ref, token }],
        ] as const) {
          await sleep(THINK_MS);
          const r = await timed(run, path, input, e.token);
          a[kind].add(r);
          count(r);
        }
        await sleep(THINK_MS);
      }
    }),
  );
  const separateSeconds = (performance.now() - t0) / 1000;
  const separateCalls = a.acquire.ms.length + a.renew.ms.length + a.save.ms.length + a.unlock.ms.length;

  // (b) contenders on one note.
  const contenders = editors.slice(0, opts.noteContenders);
  const contendedRounds = opts.quick ? 10 : 50;
  const noteId = await create('contended');
  const ref = { partitionId: NOTES_PARTITION, noteId };
  const b = { won: new Samples(), refused: new Samples(), renew: new Samples(), save: new Samples() };
  let oneWinner = 0;
  log(`notes: ${contenders.length} people on one note, ${contendedRounds} rounds of all asking for its lock at once…`);
  const t1 = performance.now();
  for (let round = 0; round < contendedRounds && contenders.length > 0; round++) {
    const answers = await Promise.all(contenders.map((c) => timed<{ token: number }>(run, 'note.lock', ref, c.token).then((r) => ({ c, r }))));
    const winners = answers.filter((x) => x.r.data);
    if (winners.length === 1) oneWinner += 1;
    for (const { r } of answers) {
      count(r);
      if (r.data) b.won.add(r);
      else b.refused.add(r, 'CONFLICT');
    }
    for (const w of winners) {
      const token = w.r.data!.token;
      const renew = await timed(run, 'note.renew', { ...ref, token }, w.c.token);
      b.renew.add(renew);
      const save = await timed(run, 'note.save', { ...ref, token, body: `${BODY}${round}`, release: true }, w.c.token);
      b.save.add(save);
      count(renew);
      count(save);
    }
  }
  const contendedSeconds = (performance.now() - t1) / 1000;

  const result: NotesResult = {
    editors: own.length,
    rounds,
    separate: {
      acquire: a.acquire.stats(),
      renew: a.renew.stats(),
      save: a.save.stats(),
      unlock: a.unlock.stats(),
      seconds: separateSeconds,
      callsPerS: separateCalls / separateSeconds,
      spreadMs,
      thinkMs: THINK_MS,
    },
    contenders: contenders.length,
    contendedRounds,
    contended: {
      won: b.won.stats(),
      refused: b.refused.stats(),
      renew: b.renew.stats(),
      save: b.save.stats(),
      seconds: contendedSeconds,
      roundsWithOneWinner: oneWinner,
    },
    answeredBy,
    bodyChars: BODY.length + 1,
  };
  log(
    `notes: own notes — acquire ${pctlText(result.separate.acquire)}, renew ${pctlText(result.separate.renew)}, save ${pctlText(result.separate.save)} ` +
      `(${Math.round(result.separate.callsPerS)} calls/s offered); one note — won ${pctlText(result.contended.won)}, CONFLICT ${pctlText(result.contended.refused)}, ` +
      `${oneWinner}/${contendedRounds} rounds with exactly one winner; answered by ${nodes.map((n, i) => `${n.id} ${answeredBy[i]}`).join(', ')}`,
  );
  return result;
}
