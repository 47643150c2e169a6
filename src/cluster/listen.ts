// Listening as a promise: resolves once the server accepts connections, rejects with the listen
// error (EADDRINUSE, EACCES) so the start can stop with one line naming it.
import type http from 'node:http';

export function listen(server: http.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
