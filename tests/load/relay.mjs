// Minimal room relay on the `ws` package: the baseline for tests/load/bench.sh.
// It is what one would otherwise deploy for shared notes: no protocol, no state, no storage.
// A socket on path /<room-id> joins that room; every text frame it sends goes verbatim to
// every other open socket of the room; a room is dropped when its last socket leaves.
//
//   node tests/load/relay.mjs --port 0 [--host 127.0.0.1]
//
// Prints `listening on ws://HOST:PORT` on stdout once listening.
import { parseArgs } from 'node:util';
import { WebSocketServer, WebSocket } from 'ws';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
  },
});

const rooms = new Map(); // room id -> Set of sockets

const wss = new WebSocketServer({
  host: values.host,
  port: Number(values.port),
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
});

wss.on('connection', (socket, request) => {
  const room = new URL(request.url, 'ws://relay').pathname.slice(1);
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(socket);

  socket.on('message', (data, isBinary) => {
    if (isBinary) return; // text frames only, as mockroom
    for (const other of members) {
      if (other !== socket && other.readyState === WebSocket.OPEN) other.send(data, { binary: false });
    }
  });
  socket.on('close', () => {
    members.delete(socket);
    if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
  });
  socket.on('error', () => {}); // a bad frame closes the socket; nothing else to do
});

wss.on('listening', () => {
  const { address, port } = wss.address();
  process.stdout.write(`listening on ws://${address}:${port}\n`);
});
wss.on('error', (error) => {
  console.error(`relay: error: ${error.message}`);
  process.exit(1);
});

const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
