/**
 * The benchmark's peer (`pnpm bench --compare`): what a team would write instead of Parley with
 * Socket.IO 4 — one process per node behind nginx, `@socket.io/redis-adapter` between the nodes,
 * every message inserted into PostgreSQL before it is broadcast. Deliberately the plain version:
 * no membership check beyond "this socket joined the room", no rate limits, no replay after a
 * reconnect, a token that is only required to be there. The protocol is in protocol.ts.
 *
 * Started like a Parley node by scripts/cluster (`node --import tsx scripts/peer/server.ts`) with
 * HOST, PORT, SERVER_ID, DATABASE_URL and REDIS_URL; answers `/live` and `/health`
 * (`{"node": SERVER_ID}`, how the cluster knows it is up), and Socket.IO on `/socket.io/`.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';
import { PEER_SCHEMA, type JoinReply, type JoinRequest, type MessageEvent, type SendReply, type SendRequest } from './protocol.ts';

interface ClientToServer {
  join(request: JoinRequest, ack: (reply: JoinReply) => void): void;
  send(request: SendRequest, ack: (reply: SendReply) => void): void;
}
interface ServerToClient {
  message(event: MessageEvent): void;
}
interface SocketData {
  author: string;
}

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3100);
const nodeId = process.env.SERVER_ID ?? `peer-${process.pid}`;

// pg's default pool size (10), as Parley's node uses.
const db = new pg.Pool({ connectionString: required('DATABASE_URL') });
db.on('error', (error) => console.error(`${nodeId}: idle PostgreSQL connection failed: ${error.message}`));
try {
  await db.query(PEER_SCHEMA);
} catch (error) {
  // Two nodes creating it at once: one wins, the other sees the type or table already made.
  if (!['23505', '42P07'].includes((error as { code?: string }).code ?? '')) throw error;
}

const pub = new Redis(required('REDIS_URL'), { lazyConnect: false });
const sub = pub.duplicate();

const http = createServer((req, res) => {
  if (req.url === '/live') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  } else if (req.url === '/health') {
    // A database round trip, as Parley's /health makes: the benchmark polls both twice a second.
    db.query('select 1').then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ node: nodeId, database: 'up' })),
      () => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ node: nodeId, database: 'down' })),
    );
  } else {
    res.writeHead(404).end();
  }
});

const io = new Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>(http, {
  serveClient: false,
  adapter: createAdapter(pub, sub),
});

io.use((socket, next) => {
  const auth = socket.handshake.auth as { token?: unknown; username?: unknown };
  if (typeof auth.token !== 'string' || auth.token === '') return next(new Error('unauthorized'));
  socket.data.author = typeof auth.username === 'string' && auth.username ? auth.username.slice(0, 64) : 'anonymous';
  next();
});

const insert = 'insert into peer_messages (client_id, room, body, author) values ($1, $2, $3, $4) on conflict (client_id) do nothing returning id';

io.on('connection', (socket) => {
  socket.on('join', (request, ack) => {
    if (typeof ack !== 'function') return;
    const room = request?.room;
    if (typeof room !== 'string' || room === '') return ack({ error: 'room is required' });
    void socket.join(room);
    ack({ node: nodeId });
  });

  socket.on('send', async (request, ack) => {
    if (typeof ack !== 'function') return;
    const { clientId, room, body } = request ?? ({} as Partial<SendRequest>);
    if (typeof clientId !== 'string' || typeof room !== 'string' || typeof body !== 'string' || body.length > 4000) {
      return ack({ error: 'clientId, room and body (up to 4000 characters) are required' });
    }
    if (!socket.rooms.has(room)) return ack({ error: 'join the room first' });
    try {
      const inserted = await db.query<{ id: string }>(insert, [clientId, room, body, socket.data.author]);
      const row = inserted.rows[0];
      if (row) {
        io.to(room).emit('message', { id: row.id, room, body, clientId });
        return ack({ id: row.id });
      }
      // A resend of a message already stored: the first one's id, and no second broadcast.
      const existing = await db.query<{ id: string }>('select id from peer_messages where client_id = $1', [clientId]);
      ack(existing.rows[0] ? { id: existing.rows[0].id, duplicate: true } : { error: 'conflict' });
    } catch (error) {
      ack({ error: error instanceof Error ? error.message : String(error) });
    }
  });
});

http.listen(port, host);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Closes every socket and the HTTP server; then the pool and both Redis connections.
  void io.close(() => {
    void Promise.allSettled([db.end(), pub.quit(), sub.quit()]).then(() => process.exit(0));
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
