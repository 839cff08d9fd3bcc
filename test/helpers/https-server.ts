// The HTTPS side of the test stand-ins (Microsoft, Google): closing one that Postroom's HTTPS agent
// still holds keep-alive sockets to, which would otherwise keep close() waiting.
import type https from 'node:https';

export function closeHttpsServer(server: https.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
