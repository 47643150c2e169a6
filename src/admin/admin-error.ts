// The one error the admin commands throw for a person's mistake (a bad argument, an unknown id);
// the CLI prints its message as one line on stderr, anything else as "admin command failed".
export class AdminError extends Error {
  constructor(
    readonly code: 'invalid_argument' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}
